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
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE risk_assessments (
    id                      TEXT PRIMARY KEY,
    client_id               TEXT NOT NULL REFERENCES clients(id),
    set_id                  TEXT NOT NULL,
    set_version             INTEGER NOT NULL,
    completed_by            TEXT NOT NULL REFERENCES staff(id),
    completed_at            TIMESTAMP NOT NULL,
    police_callouts         INTEGER NOT NULL CHECK (police_callouts >= 0),
    yes_count               INTEGER NOT NULL CHECK (yes_count >= 0),
    scored_level            TEXT NOT NULL CHECK (scored_level IN ('standard', 'medium', 'high')),
    final_level             TEXT NOT NULL CHECK (final_level IN ('standard', 'medium', 'high')),
    judgement_reason_sealed TEXT,
    escalation_suggested    BOOLEAN NOT NULL,
    created_at              TIMESTAMP NOT NULL,
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

-- The current level per client and when it is due for review.
CREATE TABLE risk_levels (
    client_id     TEXT PRIMARY KEY REFERENCES clients(id),
    level         TEXT NOT NULL CHECK (level IN ('standard', 'medium', 'high')),
    assessment_id TEXT NOT NULL REFERENCES risk_assessments(id),
    assessed_at   TIMESTAMP NOT NULL,
    review_due    TIMESTAMP NOT NULL
);
CREATE INDEX risk_levels_review_due ON risk_levels(review_due);

CREATE TABLE tasks (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients(id),
    kind       TEXT NOT NULL CHECK (kind IN ('idva_allocation')),
    status     TEXT NOT NULL CHECK (status IN ('open', 'done')),
    created_at TIMESTAMP NOT NULL,
    due_at     TIMESTAMP NOT NULL
);
CREATE INDEX tasks_client ON tasks(client_id, kind, status);

CREATE TABLE marac_meetings (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    meeting_date    TIMESTAMP NOT NULL,
    area            TEXT NOT NULL,
    created_by      TEXT NOT NULL REFERENCES staff(id),
    created_at      TIMESTAMP NOT NULL
);

CREATE TABLE marac_referrals (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients(id),
    assessment_id  TEXT REFERENCES risk_assessments(id),
    referred_at    TIMESTAMP NOT NULL,
    referred_by    TEXT NOT NULL REFERENCES staff(id),
    reason_sealed  TEXT NOT NULL,
    repeat         BOOLEAN NOT NULL,
    meeting_id     TEXT REFERENCES marac_meetings(id),
    outcome_sealed TEXT
);
CREATE INDEX marac_referrals_client ON marac_referrals(client_id, referred_at);
CREATE INDEX marac_referrals_meeting ON marac_referrals(meeting_id);

CREATE TABLE marac_actions (
    id             TEXT PRIMARY KEY,
    referral_id    TEXT NOT NULL REFERENCES marac_referrals(id),
    owner_staff_id TEXT NOT NULL REFERENCES staff(id),
    due_at         TIMESTAMP NOT NULL,
    text_sealed    TEXT NOT NULL,
    created_by     TEXT NOT NULL REFERENCES staff(id),
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX marac_actions_referral ON marac_actions(referral_id);
