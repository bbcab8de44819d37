-- Outreach: support in the client's own home. A support plan per client
-- (one open at a time) with a need per area (goals, progress, actions with
-- owners and due dates) and a safety plan; outcome measures at the start,
-- at reviews and at exit; one-to-one sessions in a diary; lone working on
-- home visits with escalation to the duty managers when a check-in is
-- overdue. Every free-text field is sealed by the vault; outcome scores are
-- numbers on a short scale and stay plain for the commissioners' figures.
CREATE TABLE outreach_plans (
    id                 TEXT PRIMARY KEY,
    client_id          TEXT NOT NULL REFERENCES clients(id),
    status             TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    safety_plan_sealed TEXT,
    created_by         TEXT REFERENCES staff(id),
    created_at         TIMESTAMPTZ NOT NULL,
    closed_at          TIMESTAMPTZ,
    version            INTEGER NOT NULL DEFAULT 1,
    CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE UNIQUE INDEX outreach_plans_one_open ON outreach_plans(client_id) WHERE status = 'open';

-- One-to-one sessions. A weekly booking is a series: one row a session,
-- sharing series_id. A home visit is lone working: the worker checks in
-- by its planned end (ends_at) plus the service's grace, or it escalates.
CREATE TABLE outreach_sessions (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES clients(id),
    worker_id       TEXT NOT NULL REFERENCES staff(id),
    series_id       TEXT,
    kind            TEXT NOT NULL CHECK (kind IN ('home_visit', 'office', 'phone', 'video')),
    starts_at       TIMESTAMPTZ NOT NULL,
    ends_at         TIMESTAMPTZ NOT NULL,
    reminder        TEXT NOT NULL CHECK (reminder IN ('none', 'text', 'email', 'voicemail', 'post')),
    status          TEXT NOT NULL CHECK (status IN ('booked', 'held', 'missed', 'cancelled')),
    discussed_sealed TEXT,
    checked_in_at   TIMESTAMPTZ,
    created_by      TEXT REFERENCES staff(id),
    created_at      TIMESTAMPTZ NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    CHECK (ends_at > starts_at)
);
CREATE INDEX outreach_sessions_worker ON outreach_sessions(worker_id, starts_at);
CREATE INDEX outreach_sessions_client ON outreach_sessions(client_id, starts_at);
CREATE INDEX outreach_sessions_lone ON outreach_sessions(ends_at) WHERE kind = 'home_visit' AND checked_in_at IS NULL;

CREATE TABLE outreach_needs (
    id              TEXT PRIMARY KEY,
    plan_id         TEXT NOT NULL REFERENCES outreach_plans(id),
    area            TEXT NOT NULL CHECK (area IN ('safety', 'housing', 'money', 'children', 'health', 'wellbeing', 'legal', 'immigration', 'employment', 'social')),
    need_sealed     TEXT NOT NULL,
    goals_sealed    TEXT NOT NULL,
    progress_sealed TEXT,
    status          TEXT NOT NULL CHECK (status IN ('active', 'met', 'closed')),
    created_at      TIMESTAMPTZ NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    UNIQUE (plan_id, area)
);

-- An action is owned by a member of staff or, with no owner, by the
-- client or someone the text names.
CREATE TABLE outreach_actions (
    id          TEXT PRIMARY KEY,
    plan_id     TEXT NOT NULL REFERENCES outreach_plans(id),
    need_id     TEXT NOT NULL REFERENCES outreach_needs(id),
    session_id  TEXT REFERENCES outreach_sessions(id),
    text_sealed TEXT NOT NULL,
    owner_id    TEXT REFERENCES staff(id),
    due_on      TIMESTAMPTZ NOT NULL,
    done_at     TIMESTAMPTZ,
    done_by     TEXT REFERENCES staff(id),
    created_by  TEXT REFERENCES staff(id),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX outreach_actions_plan ON outreach_actions(plan_id, due_on);
CREATE INDEX outreach_actions_owner ON outreach_actions(owner_id, due_on) WHERE done_at IS NULL;

-- Outcome measures: a score per need area (1 worst to 5 best), "feels
-- safer" on the same scale and whether the abuse has stopped.
CREATE TABLE outreach_outcomes (
    id            TEXT PRIMARY KEY,
    plan_id       TEXT NOT NULL REFERENCES outreach_plans(id),
    stage         TEXT NOT NULL CHECK (stage IN ('start', 'review', 'exit')),
    feels_safer   INTEGER NOT NULL CHECK (feels_safer BETWEEN 1 AND 5),
    abuse_stopped TEXT NOT NULL CHECK (abuse_stopped IN ('yes', 'no', 'not_known')),
    recorded_by   TEXT REFERENCES staff(id),
    recorded_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX outreach_outcomes_plan ON outreach_outcomes(plan_id, recorded_at);
-- At most one start and one exit measure a plan.
CREATE UNIQUE INDEX outreach_outcomes_once ON outreach_outcomes(plan_id, stage) WHERE stage <> 'review';

CREATE TABLE outreach_outcome_scores (
    outcome_id TEXT NOT NULL REFERENCES outreach_outcomes(id),
    area       TEXT NOT NULL,
    score      INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    PRIMARY KEY (outcome_id, area)
);

-- An overdue check-in. The unique session is the claim: however many
-- nodes run the escalation job, one escalation is raised per visit.
CREATE TABLE outreach_escalations (
    id               TEXT PRIMARY KEY,
    session_id       TEXT NOT NULL UNIQUE REFERENCES outreach_sessions(id),
    worker_id        TEXT NOT NULL REFERENCES staff(id),
    due_at           TIMESTAMPTZ NOT NULL,
    raised_at        TIMESTAMPTZ NOT NULL,
    responded_by     TEXT REFERENCES staff(id),
    responded_at     TIMESTAMPTZ,
    response_sealed  TEXT,
    CHECK ((responded_by IS NULL) = (responded_at IS NULL))
);
CREATE INDEX outreach_escalations_open ON outreach_escalations(raised_at) WHERE responded_at IS NULL;

-- Notifications of an escalation by the configured channels (webhook,
-- email). A node claims one by setting claimed_until (a lease) before it
-- sends; a node that dies mid-send leaves a lease that runs out, and the
-- next node retries. No personal data is in a notification.
CREATE TABLE outreach_notifications (
    id             TEXT PRIMARY KEY,
    escalation_id  TEXT NOT NULL REFERENCES outreach_escalations(id),
    channel        TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
    status         TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    claimed_until  TIMESTAMPTZ,
    sent_at        TIMESTAMPTZ,
    last_error     TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (escalation_id, channel)
);
CREATE INDEX outreach_notifications_pending ON outreach_notifications(created_at) WHERE status = 'pending';
