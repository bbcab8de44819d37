-- Two outreach columns told a copy of the database about each client:
-- a need's area (wellbeing, health, immigration...) and the channel a
-- session's reminder goes by (which partly gives away her sealed
-- safe-contact rules). Above the data step: their sealed columns, the
-- need area's blind index (keyed per plan: it keeps one need an area a
-- plan and says nothing across plans) and the reminder job's flag. The
-- data step (Go, with the vault's key) fills them. Below it: the clear
-- columns go.
ALTER TABLE outreach_needs ADD COLUMN area_sealed TEXT;
ALTER TABLE outreach_needs ADD COLUMN area_index TEXT;

-- remind: a booked session whose reminder the job has not dealt with.
-- The channel and what the job did with it are one sealed document.
ALTER TABLE outreach_sessions ADD COLUMN remind BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE outreach_sessions ADD COLUMN reminder_sealed TEXT;
UPDATE outreach_sessions SET remind = (reminder <> 'none' AND reminder_state IS NULL AND status = 'booked');

-- Every converted row is a need or a session.
-- data step: SELECT (SELECT count(*) FROM outreach_needs) + (SELECT count(*) FROM outreach_sessions)

-- Dropping the area drops its unique constraint with it.
ALTER TABLE outreach_needs DROP COLUMN area,
    ALTER COLUMN area_sealed SET NOT NULL,
    ALTER COLUMN area_index SET NOT NULL,
    ADD CONSTRAINT outreach_needs_plan_area UNIQUE (plan_id, area_index);

DROP INDEX outreach_sessions_reminders;
ALTER TABLE outreach_sessions DROP COLUMN reminder, DROP COLUMN reminder_state;
CREATE INDEX outreach_sessions_reminders ON outreach_sessions(starts_at) WHERE remind AND status = 'booked';
