-- The front door: helpline contacts (with their callbacks), referrals in
-- one triage queue, triage decisions, first contact and the cases
-- (episodes) allocation opens. Every free text about a person (contact
-- notes, referral summaries, referrer organisation names, triage notes and
-- reasons, case closing notes) is sealed by the vault.
CREATE TABLE intake_contacts (
    id               TEXT PRIMARY KEY,
    organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    channel          TEXT NOT NULL CHECK (channel IN ('phone', 'webchat', 'email', 'text', 'letter', 'walk_in')),
    direction        TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    caller_type      TEXT NOT NULL CHECK (caller_type IN ('victim', 'professional', 'friend_or_family', 'perpetrator', 'unknown')),
    service_line     TEXT NOT NULL CHECK (service_line IN ('main', 'male_victim')),
    outcome          TEXT NOT NULL CHECK (outcome IN ('advice_given', 'referral_taken', 'signposted', 'callback_needed', 'no_answer', 'other')),
    follow_up        BOOLEAN NOT NULL,
    callback_due     TIMESTAMP,
    callback_done_at TIMESTAMP,
    callback_done_by TEXT REFERENCES staff(id),
    client_id        TEXT REFERENCES clients(id),
    note_sealed      TEXT,
    -- An outgoing contact on a channel the client's safe-contact rules do
    -- not allow (or a voicemail left where they do not) happens only with
    -- a worker's written reason, sealed here; the audit event says so.
    voicemail_left   BOOLEAN NOT NULL DEFAULT FALSE,
    override_reason_sealed TEXT,
    taken_by         TEXT NOT NULL REFERENCES staff(id),
    taken_at         TIMESTAMP NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    CHECK (follow_up = (callback_due IS NOT NULL))
);
CREATE INDEX intake_contacts_client ON intake_contacts(client_id, taken_at);
CREATE INDEX intake_contacts_callbacks ON intake_contacts(organisation_id, callback_done_at, callback_due);

-- Cases (episodes of support) per client and service. At most one case
-- per client and service is not closed.
CREATE TABLE intake_cases (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id),
    organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    service          TEXT NOT NULL CHECK (service IN ('outreach', 'refuge', 'idva', 'male_victim', 'children')),
    -- The team the case is allocated to: its staff work the client while
    -- the case is live (the access policy's team relation).
    team_id          TEXT REFERENCES teams(id),
    referral_id      TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('open', 'allocated', 'active', 'closed')),
    close_reason     TEXT CHECK (close_reason IN ('support_completed', 'client_disengaged', 'moved_away', 'transferred', 'no_longer_safe_to_contact', 'other')),
    opened_at        TIMESTAMP NOT NULL,
    closed_at        TIMESTAMP,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX intake_cases_client ON intake_cases(client_id, opened_at);
CREATE INDEX intake_cases_team ON intake_cases(team_id, status);
CREATE UNIQUE INDEX intake_cases_one_live ON intake_cases(client_id, service) WHERE status <> 'closed';

CREATE TABLE intake_case_events (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES intake_cases(id),
    status      TEXT NOT NULL CHECK (status IN ('open', 'allocated', 'active', 'closed')),
    reason      TEXT,
    note_sealed TEXT,
    changed_by  TEXT NOT NULL REFERENCES staff(id),
    changed_at  TIMESTAMP NOT NULL
);
CREATE INDEX intake_case_events_case ON intake_case_events(case_id, changed_at);

CREATE TABLE intake_referrals (
    id                  TEXT PRIMARY KEY,
    organisation_id     TEXT NOT NULL REFERENCES organisations(id),
    client_id           TEXT NOT NULL REFERENCES clients(id),
    source              TEXT NOT NULL CHECK (source IN ('self', 'police', 'health', 'childrens_services', 'housing', 'other_agency', 'contact')),
    received_at         TIMESTAMP NOT NULL,
    referrer_org_sealed TEXT,
    risk_level          TEXT NOT NULL CHECK (risk_level IN ('standard', 'medium', 'high', 'not_known')),
    summary_sealed      TEXT NOT NULL,
    repeat              BOOLEAN NOT NULL,
    previous_case_id    TEXT REFERENCES intake_cases(id),
    first_contact_at    TIMESTAMP,
    first_contact_by    TEXT REFERENCES staff(id),
    -- How it arrived: a worker keyed it ('staff', created_by set), the
    -- public self-referral page ('self_referral') or a partner agency's
    -- integration ('api', api_token_id set, with the Idempotency-Key the
    -- agency sent so a retried POST creates one referral).
    received_via        TEXT NOT NULL DEFAULT 'staff' CHECK (received_via IN ('staff', 'self_referral', 'api')),
    created_by          TEXT REFERENCES staff(id),
    api_token_id        TEXT REFERENCES api_tokens(id),
    idempotency_key     TEXT,
    created_at          TIMESTAMP NOT NULL,
    CHECK ((received_via = 'staff') = (created_by IS NOT NULL)),
    CHECK ((received_via = 'api') = (api_token_id IS NOT NULL))
);
CREATE INDEX intake_referrals_queue ON intake_referrals(organisation_id, received_at);
CREATE INDEX intake_referrals_client ON intake_referrals(client_id, received_at);
CREATE UNIQUE INDEX intake_referrals_idempotency ON intake_referrals(api_token_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- One triage decision per referral.
CREATE TABLE intake_triage (
    referral_id  TEXT PRIMARY KEY REFERENCES intake_referrals(id),
    decision     TEXT NOT NULL CHECK (decision IN ('allocate', 'signpost', 'decline')),
    service      TEXT CHECK (service IN ('outreach', 'refuge', 'idva', 'male_victim', 'children')),
    note_sealed  TEXT,
    case_id      TEXT REFERENCES intake_cases(id),
    decided_by   TEXT NOT NULL REFERENCES staff(id),
    decided_at   TIMESTAMP NOT NULL
);
