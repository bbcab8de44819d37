-- Intake matching over encrypted data. Each person record (client, child,
-- perpetrator) has a sealed match profile (names, aliases, date of birth
-- or birth year, phones as one sealed JSON document) and a few blocking
-- keys: keyed blind indexes (HMAC) of phonetic and canonical name forms,
-- dates of birth and phone numbers, bound to the organisation, so the
-- database holds no plaintext and a key cannot be tested against guesses
-- without the vault. IDs of people are kept as TEXT without foreign keys:
-- the records live in other capabilities' tables.
CREATE TABLE match_subjects (
    kind            TEXT NOT NULL CHECK (kind IN ('client', 'perpetrator', 'child')),
    id              TEXT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    profile_sealed  TEXT NOT NULL,
    -- The subject's blocking keys, space-separated, so that replacing them
    -- deletes exactly the rows it made (no second index on match_keys).
    keys            TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);

-- One row per blocking key of a subject. The primary key leads with the
-- key, so a probe is an index-only range scan.
CREATE TABLE match_keys (
    key  TEXT NOT NULL,
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    PRIMARY KEY (key, kind, id)
);

-- Counter-allegation alerts: a client and a perpetrator record that look
-- like the same person. Reasons are message keys, never personal data.
CREATE TABLE match_alerts (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    client_id       TEXT NOT NULL,
    perpetrator_id  TEXT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    reasons         TEXT NOT NULL,
    raised_by       TEXT REFERENCES staff(id),
    raised_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (client_id, perpetrator_id)
);
CREATE INDEX match_alerts_organisation ON match_alerts(organisation_id, raised_at);
CREATE INDEX match_alerts_perpetrator ON match_alerts(perpetrator_id);

-- Who has marked an alert read.
CREATE TABLE match_alert_reads (
    alert_id TEXT NOT NULL REFERENCES match_alerts(id),
    staff_id TEXT NOT NULL REFERENCES staff(id),
    read_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (alert_id, staff_id)
);
