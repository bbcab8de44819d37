-- Partner agencies (police, housing providers, children's services, GP
-- practices, solicitors, home-security installers) are organisations of
-- their own: their users are staff of that organisation with the partner
-- agency role, and see only the referrals sent to it. Each referral names
-- the information sharing agreement it relies on and its legal basis, and
-- carries only the fields the worker chose to share (sealed), tracked to
-- done. Volunteers are matched to clients for a defined kind of support;
-- their supervision is recorded.
CREATE TABLE partner_agencies (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations(id),
    kind            TEXT NOT NULL CHECK (kind IN ('police', 'housing', 'children_services', 'gp', 'solicitor', 'security', 'other')),
    registered_by   TEXT NOT NULL REFERENCES organisations(id),
    created_at      TIMESTAMP NOT NULL
);

CREATE TABLE sharing_agreements (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    partner_id      TEXT NOT NULL REFERENCES partner_agencies(organisation_id),
    title           TEXT NOT NULL,
    legal_basis     TEXT NOT NULL CHECK (legal_basis IN ('consent', 'vital_interests', 'legal_obligation', 'public_task', 'legitimate_interests')),
    reference       TEXT NOT NULL DEFAULT '',
    starts_on       TIMESTAMP NOT NULL,
    ends_on         TIMESTAMP,
    created_by      TEXT REFERENCES staff(id),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX sharing_agreements_partner ON sharing_agreements(partner_id);

CREATE TABLE partner_referrals (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES clients(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    partner_id      TEXT NOT NULL REFERENCES partner_agencies(organisation_id),
    agreement_id    TEXT NOT NULL REFERENCES sharing_agreements(id),
    kind            TEXT NOT NULL CHECK (kind IN ('target_hardening', 'police_marker', 'housing', 'children_services', 'health', 'legal', 'other')),
    legal_basis     TEXT NOT NULL CHECK (legal_basis IN ('consent', 'vital_interests', 'legal_obligation', 'public_task', 'legitimate_interests')),
    consent_at      TIMESTAMP,
    shared_sealed   TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('sent', 'accepted', 'in_progress', 'done', 'declined', 'withdrawn')),
    created_by      TEXT REFERENCES staff(id),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    CHECK ((legal_basis = 'consent') = (consent_at IS NOT NULL))
);
CREATE INDEX partner_referrals_partner ON partner_referrals(partner_id, status, created_at);
CREATE INDEX partner_referrals_client ON partner_referrals(client_id, created_at);

-- Each change of a partner referral's status, by either side, with a
-- sealed note ("locks fitted on front and back doors").
CREATE TABLE partner_referral_events (
    id          TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES partner_referrals(id),
    status      TEXT NOT NULL,
    note_sealed TEXT,
    by_staff    TEXT REFERENCES staff(id),
    at          TIMESTAMP NOT NULL
);
CREATE INDEX partner_referral_events_referral ON partner_referral_events(referral_id, at);

CREATE TABLE volunteer_matches (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES clients(id),
    volunteer_id  TEXT NOT NULL REFERENCES staff(id),
    kind          TEXT NOT NULL CHECK (kind IN ('befriending', 'appointments', 'other')),
    purpose_sealed TEXT NOT NULL,
    share_address BOOLEAN NOT NULL DEFAULT FALSE,
    starts_on     TIMESTAMP NOT NULL,
    ended_at      TIMESTAMP,
    created_by    TEXT REFERENCES staff(id),
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX volunteer_matches_volunteer ON volunteer_matches(volunteer_id) WHERE ended_at IS NULL;
CREATE INDEX volunteer_matches_client ON volunteer_matches(client_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX volunteer_matches_one_live ON volunteer_matches(client_id, volunteer_id, kind) WHERE ended_at IS NULL;

-- Appointments a matched volunteer goes to with the client.
CREATE TABLE volunteer_appointments (
    id          TEXT PRIMARY KEY,
    match_id    TEXT NOT NULL REFERENCES volunteer_matches(id),
    starts_at   TIMESTAMP NOT NULL,
    what_sealed TEXT NOT NULL,
    created_by  TEXT REFERENCES staff(id),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX volunteer_appointments_match ON volunteer_appointments(match_id, starts_at);

CREATE TABLE volunteer_supervision (
    id            TEXT PRIMARY KEY,
    volunteer_id  TEXT NOT NULL REFERENCES staff(id),
    supervisor_id TEXT NOT NULL REFERENCES staff(id),
    held_at       TIMESTAMP NOT NULL,
    notes_sealed  TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX volunteer_supervision_volunteer ON volunteer_supervision(volunteer_id, held_at);
