-- The household around a client: children, who are people with their own
-- records (not attachments of their mother), and perpetrators, recorded
-- separately and linked to the clients they harmed. Every personal field
-- is sealed by the vault; the *_index columns are keyed blind indexes for
-- exact lookups. Access to a child or a perpetrator follows from the
-- clients it is linked to (the people package works the facts out).
CREATE TABLE children (
    id                 TEXT PRIMARY KEY,
    organisation_id    TEXT NOT NULL REFERENCES organisations(id),
    given_name_sealed  TEXT NOT NULL,
    family_name_sealed TEXT NOT NULL,
    name_index         TEXT NOT NULL,
    -- Date of birth, gender, school, GP and needs as one sealed document.
    details_sealed     TEXT NOT NULL,
    dob_index          TEXT,
    created_by         TEXT REFERENCES staff(id),
    created_at         TIMESTAMPTZ NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX children_name_index ON children(name_index);
CREATE INDEX children_dob_index ON children(dob_index);

-- The clients a child lives with or belongs to (one or more).
CREATE TABLE child_links (
    child_id   TEXT NOT NULL REFERENCES children(id),
    client_id  TEXT NOT NULL REFERENCES clients(id),
    created_by TEXT REFERENCES staff(id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (child_id, client_id)
);
CREATE INDEX child_links_client ON child_links(client_id);

CREATE TABLE perpetrators (
    id                 TEXT PRIMARY KEY,
    organisation_id    TEXT NOT NULL REFERENCES organisations(id),
    -- The team of the worker who recorded it; NULL when that worker had
    -- no team (access then follows from the linked clients only).
    team_id            TEXT REFERENCES teams(id),
    given_name_sealed  TEXT NOT NULL,
    family_name_sealed TEXT NOT NULL,
    name_index         TEXT NOT NULL,
    -- Aliases, date of birth, phone, description, vehicle, known
    -- addresses, bail or order conditions as one sealed document.
    details_sealed     TEXT NOT NULL,
    dob_index          TEXT,
    phone_index        TEXT,
    created_by         TEXT REFERENCES staff(id),
    created_at         TIMESTAMPTZ NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX perpetrators_team ON perpetrators(team_id);
CREATE INDEX perpetrators_name_index ON perpetrators(name_index);
CREATE INDEX perpetrators_dob_index ON perpetrators(dob_index);
CREATE INDEX perpetrators_phone_index ON perpetrators(phone_index);

-- The clients a perpetrator harmed, and how they are related.
CREATE TABLE perpetrator_links (
    perpetrator_id TEXT NOT NULL REFERENCES perpetrators(id),
    client_id      TEXT NOT NULL REFERENCES clients(id),
    relationship   TEXT NOT NULL CHECK (relationship IN ('partner', 'ex_partner', 'family_member', 'other')),
    created_by     TEXT REFERENCES staff(id),
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (perpetrator_id, client_id)
);
CREATE INDEX perpetrator_links_client ON perpetrator_links(client_id);
