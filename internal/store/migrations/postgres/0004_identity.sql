-- Second factors, sign-in throttling, sessions with a sign-in stage,
-- partner API tokens, record restrictions and break-glass grants.

-- TOTP: the shared secret is encrypted with the vault; a code's time step
-- is remembered so the same code is never accepted twice.
CREATE TABLE staff_totp (
    staff_id      TEXT PRIMARY KEY REFERENCES staff(id),
    secret_sealed TEXT NOT NULL,
    -- The sign-in session that is enrolling: an unconfirmed secret is
    -- shown to that session only.
    enrol_session TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    confirmed_at  TIMESTAMPTZ,
    last_step     BIGINT NOT NULL DEFAULT 0
);

-- Recovery codes: one-time, only a keyed hash kept.
CREATE TABLE staff_recovery_codes (
    staff_id   TEXT NOT NULL REFERENCES staff(id),
    code_hash  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    PRIMARY KEY (staff_id, code_hash)
);

-- Sign-in attempts per account and per source address, shared by all
-- nodes. An attempt is written before its password or code is checked (so
-- parallel attempts cannot all pass one count) and removed if it succeeds.
-- Keys are keyed hashes: no username or address in clear.
CREATE TABLE signin_failures (
    attempt_id   TEXT NOT NULL,
    throttle_key TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX signin_failures_key_at ON signin_failures(throttle_key, at);

-- Sessions now carry an opaque ID (shown on the sessions page; the token's
-- hash stays secret) and a stage: a password alone gives only the
-- second-factor or enrolment step. Sessions are short-lived, so the old
-- table is replaced and everyone signs in again.
DROP TABLE sessions;
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    staff_id     TEXT NOT NULL REFERENCES staff(id),
    stage        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    ended_reason TEXT
);
CREATE INDEX sessions_staff ON sessions(staff_id);

-- Partner agency API tokens: hashed, scoped, expiring, revocable.
CREATE TABLE api_tokens (
    id              TEXT PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name            TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    last_used_at    TIMESTAMPTZ
);

-- A record restricted to named staff: to everyone else it does not exist.
CREATE TABLE record_restrictions (
    record_id  TEXT NOT NULL,
    staff_id   TEXT NOT NULL REFERENCES staff(id),
    created_by TEXT NOT NULL REFERENCES staff(id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (record_id, staff_id)
);

-- Emergency access without a relation: one hour, with a reason (sealed).
CREATE TABLE break_glass_grants (
    id            TEXT PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff(id),
    record_id     TEXT NOT NULL,
    reason_sealed TEXT NOT NULL,
    granted_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX break_glass_grants_staff_record ON break_glass_grants(staff_id, record_id, expires_at);
CREATE INDEX break_glass_grants_granted ON break_glass_grants(granted_at);
