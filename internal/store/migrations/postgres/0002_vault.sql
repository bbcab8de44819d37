-- The vault's data keys (internal/vault). Each is 32 random bytes kept only
-- wrapped: AES-256-GCM under the master key, which never enters the
-- database. A copy of this table without the master key opens nothing.
CREATE TABLE vault_keys (
    -- Short random ID (8 hex digits), also written into every ciphertext
    -- the key makes, so the right key opens it after a rotation.
    id            TEXT PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('field', 'blind_index', 'audit')),
    -- base64(version || nonce || AES-256-GCM(master key, data key)), with
    -- the key's ID and purpose as additional data.
    wrapped       TEXT NOT NULL,
    -- ID (fingerprint) of the master key that wrapped it; safe to show.
    master_key_id TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    -- When it was last wrapped (created or re-wrapped by a rotation).
    wrapped_at    TIMESTAMPTZ NOT NULL,
    -- A retired key no longer seals new values but still opens old ones.
    retired_at    TIMESTAMPTZ
);

-- One key in use per purpose. Nodes that start together on an empty
-- database each insert their own keys with ON CONFLICT DO NOTHING; this
-- index makes exactly one set win, which every node then reads back.
CREATE UNIQUE INDEX vault_keys_active ON vault_keys(purpose) WHERE retired_at IS NULL;
