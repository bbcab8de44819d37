-- The partnership's structure and staff accounts. Person records arrive with
-- their capabilities, encrypted field by field.

CREATE TABLE organisations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE teams (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name            TEXT NOT NULL,
    service         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX teams_organisation ON teams(organisation_id);

CREATE TABLE staff (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    -- Names are personal data: sealed by the vault. Sign-in finds an
    -- account by a keyed blind index of its username.
    username_index      TEXT NOT NULL UNIQUE,
    username_sealed     TEXT NOT NULL,
    display_name_sealed TEXT NOT NULL,
    role            TEXT NOT NULL,
    -- NULL until the person chooses a password through a one-time link.
    password_hash   TEXT,
    disabled_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX staff_organisation ON staff(organisation_id);

CREATE TABLE team_members (
    team_id  TEXT NOT NULL REFERENCES teams(id),
    staff_id TEXT NOT NULL REFERENCES staff(id),
    PRIMARY KEY (team_id, staff_id)
);
CREATE INDEX team_members_staff ON team_members(staff_id);

-- One-time links (first administrator, password setup). Only a hash of the
-- token is kept, so a copy of the database cannot be used to sign in.
CREATE TABLE one_time_links (
    token_hash TEXT PRIMARY KEY,
    -- NULL for the first-administrator link of an empty instance.
    staff_id   TEXT REFERENCES staff(id),
    purpose    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

-- Server-side sessions; the cookie holds a random token, this table its hash.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    staff_id     TEXT NOT NULL REFERENCES staff(id),
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ
);
CREATE INDEX sessions_staff ON sessions(staff_id);

-- Instance-wide settings (for example which demo seed was loaded).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
