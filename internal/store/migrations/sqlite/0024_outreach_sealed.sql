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

-- outreach_needs holds its area in a unique constraint, which SQLite
-- cannot drop: the table is rebuilt, its rows waiting in a temporary
-- copy so the actions that point at them (foreign keys deferred to the
-- commit) find their needs again.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE outreach_needs_0024 AS SELECT id, plan_id, area_sealed, area_index, need_sealed, goals_sealed, progress_sealed, status_sealed,
    created_at, version FROM outreach_needs;
DROP TABLE outreach_needs;
CREATE TABLE outreach_needs (
    id              TEXT PRIMARY KEY,
    plan_id         TEXT NOT NULL REFERENCES outreach_plans(id),
    area_sealed     TEXT NOT NULL,
    -- Keyed blind index of the plan and the area: one need an area a plan.
    area_index      TEXT NOT NULL,
    need_sealed     TEXT NOT NULL,
    goals_sealed    TEXT NOT NULL,
    progress_sealed TEXT,
    status_sealed   TEXT,
    created_at      TIMESTAMP NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    UNIQUE (plan_id, area_index)
);
INSERT INTO outreach_needs (id, plan_id, area_sealed, area_index, need_sealed, goals_sealed, progress_sealed, status_sealed, created_at, version)
    SELECT id, plan_id, area_sealed, area_index, need_sealed, goals_sealed, progress_sealed, status_sealed, created_at, version FROM outreach_needs_0024;
DROP TABLE outreach_needs_0024;

DROP INDEX outreach_sessions_reminders;
ALTER TABLE outreach_sessions DROP COLUMN reminder;
ALTER TABLE outreach_sessions DROP COLUMN reminder_state;
CREATE INDEX outreach_sessions_reminders ON outreach_sessions(starts_at) WHERE remind AND status = 'booked';
