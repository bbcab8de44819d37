-- Clients (survivors): the first person records. Every personal field is
-- sealed by the vault; name_index is a keyed blind index for exact lookups.
-- The rest of the record (safe contact, dates of birth, children, matching
-- keys) arrives with the front door capability.
CREATE TABLE clients (
    id                 TEXT PRIMARY KEY,
    organisation_id    TEXT NOT NULL REFERENCES organisations(id),
    team_id            TEXT NOT NULL REFERENCES teams(id),
    given_name_sealed  TEXT NOT NULL,
    family_name_sealed TEXT NOT NULL,
    name_index         TEXT NOT NULL,
    created_by         TEXT NOT NULL REFERENCES staff(id),
    created_at         TIMESTAMP NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX clients_team ON clients(team_id);
CREATE INDEX clients_name_index ON clients(name_index);

-- Workers assigned to a client's case.
CREATE TABLE client_workers (
    client_id TEXT NOT NULL REFERENCES clients(id),
    staff_id  TEXT NOT NULL REFERENCES staff(id),
    PRIMARY KEY (client_id, staff_id)
);
CREATE INDEX client_workers_staff ON client_workers(staff_id);
