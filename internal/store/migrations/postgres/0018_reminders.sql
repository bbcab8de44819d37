-- Appointment reminders by text: the reminder job claims a session's
-- reminder (a lease), checks the client's safe-contact rules again at
-- sending time, and records what happened: sent, skipped because texts
-- are no longer safe or no safe number is known, or failed.
ALTER TABLE outreach_sessions ADD COLUMN reminder_state TEXT CHECK (reminder_state IN ('sent', 'skipped_unsafe', 'skipped_no_number', 'failed'));
ALTER TABLE outreach_sessions ADD COLUMN reminder_claimed_until TIMESTAMPTZ;
ALTER TABLE outreach_sessions ADD COLUMN reminder_attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outreach_sessions_reminders ON outreach_sessions(starts_at) WHERE reminder = 'text' AND reminder_state IS NULL AND status = 'booked';
