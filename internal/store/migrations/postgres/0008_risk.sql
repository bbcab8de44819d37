-- Risk assessment (DASH-structured checklists) and MARAC. Question sets are
-- data, versioned: an assessment references the exact set version it used.
-- Set wording is not personal; every free text about a person (comments,
-- reasons, action text, outcomes) is sealed by the vault.
CREATE TABLE risk_question_sets (
    id               TEXT NOT NULL,
    version          INTEGER NOT NULL CHECK (version >= 1),
    name             TEXT NOT NULL,
    items_json       TEXT NOT NULL,
    item_count       INTEGER NOT NULL CHECK (item_count BETWEEN 1 AND 100),
    high_threshold   INTEGER NOT NULL,
    medium_threshold INTEGER NOT NULL CHECK (medium_threshold >= 1 AND high_threshold > medium_threshold),
    created_by       TEXT REFERENCES staff(id),
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE risk_assessments (
    id                      TEXT PRIMARY KEY,
    client_id               TEXT NOT NULL REFERENCES clients(id),
    set_id                  TEXT NOT NULL,
    set_version             INTEGER NOT NULL,
    completed_by            TEXT NOT NULL REFERENCES staff(id),
    completed_at            TIMESTAMPTZ NOT NULL,
    police_callouts         INTEGER NOT NULL CHECK (police_callouts >= 0),
    yes_count               INTEGER NOT NULL CHECK (yes_count >= 0),
    scored_level            TEXT NOT NULL CHECK (scored_level IN ('standard', 'medium', 'high')),
    final_level             TEXT NOT NULL CHECK (final_level IN ('standard', 'medium', 'high')),
    judgement_reason_sealed TEXT,
    -- Police call-outs recorded on this and the client's earlier
    -- assessments within the escalation window (12 months by default).
    window_callouts         INTEGER NOT NULL CHECK (window_callouts >= 0),
    escalation_suggested    BOOLEAN NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (set_id, set_version) REFERENCES risk_question_sets(id, version)
);
CREATE INDEX risk_assessments_client ON risk_assessments(client_id, completed_at);

CREATE TABLE risk_answers (
    assessment_id  TEXT NOT NULL REFERENCES risk_assessments(id),
    item_key       TEXT NOT NULL,
    answer         TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'not_known')),
    source         TEXT NOT NULL CHECK (source IN ('client', 'professional', 'other')),
    comment_sealed TEXT,
    PRIMARY KEY (assessment_id, item_key)
);

-- The current level per client and when it is due for review; a change
-- of circumstance makes the review due at once (review_requested_at) until
-- the next assessment.
CREATE TABLE risk_levels (
    client_id           TEXT PRIMARY KEY REFERENCES clients(id),
    level               TEXT NOT NULL CHECK (level IN ('standard', 'medium', 'high')),
    assessment_id       TEXT NOT NULL REFERENCES risk_assessments(id),
    assessed_at         TIMESTAMPTZ NOT NULL,
    review_due          TIMESTAMPTZ NOT NULL,
    review_requested_at TIMESTAMPTZ
);
CREATE INDEX risk_levels_review_due ON risk_levels(review_due);

-- Change-of-circumstance review requests, with the reason sealed.
CREATE TABLE risk_review_requests (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES clients(id),
    requested_by  TEXT NOT NULL REFERENCES staff(id),
    requested_at  TIMESTAMPTZ NOT NULL,
    reason_sealed TEXT NOT NULL
);
CREATE INDEX risk_review_requests_client ON risk_review_requests(client_id, requested_at);

-- Work raised for people: an IDVA allocation task is for the IDVA service
-- to pick up (assigned_to NULL); it is done when an IDVA is allocated
-- (allocated_to, who becomes an assigned worker) or closed with a note.
CREATE TABLE tasks (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES clients(id),
    kind          TEXT NOT NULL CHECK (kind IN ('idva_allocation')),
    status        TEXT NOT NULL CHECK (status IN ('open', 'done')),
    assessment_id TEXT REFERENCES risk_assessments(id),
    assigned_to   TEXT REFERENCES staff(id),
    created_at    TIMESTAMPTZ NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    done_at       TIMESTAMPTZ,
    done_by       TEXT REFERENCES staff(id),
    allocated_to  TEXT REFERENCES staff(id),
    note_sealed   TEXT,
    CHECK ((status = 'open') = (done_at IS NULL))
);
CREATE INDEX tasks_client ON tasks(client_id, kind, status);
CREATE INDEX tasks_assigned ON tasks(assigned_to, status);
-- At most one open task of a kind per client.
CREATE UNIQUE INDEX tasks_one_open ON tasks(client_id, kind) WHERE status = 'open';

CREATE TABLE marac_meetings (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    meeting_date    TIMESTAMPTZ NOT NULL,
    area            TEXT NOT NULL,
    created_by      TEXT NOT NULL REFERENCES staff(id),
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE marac_referrals (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients(id),
    assessment_id  TEXT REFERENCES risk_assessments(id),
    referred_at    TIMESTAMPTZ NOT NULL,
    referred_by    TEXT NOT NULL REFERENCES staff(id),
    reason_sealed  TEXT NOT NULL,
    repeat         BOOLEAN NOT NULL,
    meeting_id     TEXT REFERENCES marac_meetings(id),
    outcome_sealed TEXT
);
CREATE INDEX marac_referrals_client ON marac_referrals(client_id, referred_at);
CREATE INDEX marac_referrals_meeting ON marac_referrals(meeting_id);
CREATE INDEX marac_meetings_date ON marac_meetings(organisation_id, meeting_date);

CREATE TABLE marac_actions (
    id             TEXT PRIMARY KEY,
    referral_id    TEXT NOT NULL REFERENCES marac_referrals(id),
    owner_staff_id TEXT NOT NULL REFERENCES staff(id),
    due_at         TIMESTAMPTZ NOT NULL,
    text_sealed    TEXT NOT NULL,
    created_by     TEXT NOT NULL REFERENCES staff(id),
    created_at     TIMESTAMPTZ NOT NULL,
    done_at        TIMESTAMPTZ,
    done_by        TEXT REFERENCES staff(id)
);
CREATE INDEX marac_actions_referral ON marac_actions(referral_id);
