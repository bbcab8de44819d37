-- Passkeys (WebAuthn) as a second factor, alongside TOTP.

-- A registered passkey. Only its public key is kept: the credential
-- (webauthn.Credential as JSON, binary values base64) holds no secret. The
-- ID is the credential ID, base64url. The name the person gave it is sealed
-- by the vault (it may name a person or a device).
CREATE TABLE staff_passkeys (
    credential_id TEXT PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff(id),
    credential    TEXT NOT NULL,
    name_sealed   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX staff_passkeys_staff ON staff_passkeys(staff_id);

-- A WebAuthn ceremony under way: the challenge and what it was for
-- (webauthn.SessionData as JSON), one per browser session, kept in the
-- database so any node can finish what another began. Used once, and only
-- for a few minutes.
CREATE TABLE webauthn_ceremonies (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id),
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
