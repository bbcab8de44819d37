-- Clients (survivors): the first person records. Every personal field is
-- sealed by the vault; name_index is a keyed blind index for exact lookups.
-- Children, perpetrators and matching arrive with the rest of the front
-- door capability.
CREATE TABLE clients (
    id                 TEXT PRIMARY KEY,
    organisation_id    TEXT NOT NULL REFERENCES organisations(id),
    team_id            TEXT NOT NULL REFERENCES teams(id),
    given_name_sealed  TEXT NOT NULL,
    family_name_sealed TEXT NOT NULL,
    name_index         TEXT NOT NULL,
    -- Everything else about the client (aliases, date of birth, contact
    -- details, confidential address, language, needs, equality monitoring,
    -- safe-contact rules) as one sealed document, and keyed blind indexes
    -- for the lookups matching needs.
    details_sealed     TEXT NOT NULL,
    dob_index          TEXT,
    phone_index        TEXT,
    -- NULL when the client arrived from outside (the public self-referral
    -- page or a partner agency's API token): intake_referrals says how.
    created_by         TEXT REFERENCES staff(id),
    created_at         TIMESTAMP NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX clients_team ON clients(team_id);
CREATE INDEX clients_name_index ON clients(name_index);
CREATE INDEX clients_dob_index ON clients(dob_index);
CREATE INDEX clients_phone_index ON clients(phone_index);

-- Workers assigned to a client's case.
CREATE TABLE client_workers (
    client_id TEXT NOT NULL REFERENCES clients(id),
    staff_id  TEXT NOT NULL REFERENCES staff(id),
    PRIMARY KEY (client_id, staff_id)
);
CREATE INDEX client_workers_staff ON client_workers(staff_id);
