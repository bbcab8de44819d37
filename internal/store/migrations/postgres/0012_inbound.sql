-- Referrals from outside: partner agencies' API (idempotent by the
-- Idempotency-Key each POST carries) and the public self-referral page
-- (rate limited by source address).

-- One row per (token, Idempotency-Key) a partner has used: the keyed hash
-- of the body sent (a retry must send the same body; another body under
-- the same key is refused) and the referral the first request created. The
-- row is written first in the transaction that creates the referral, so a
-- concurrent retry waits for it and then finds it.
CREATE TABLE api_idempotency (
    api_token_id    TEXT NOT NULL REFERENCES api_tokens(id),
    idempotency_key TEXT NOT NULL,
    body_hash       TEXT NOT NULL,
    referral_id     TEXT NOT NULL REFERENCES intake_referrals(id) DEFERRABLE INITIALLY DEFERRED,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (api_token_id, idempotency_key)
);

-- Fixed-window request counters shared by every node: bucket is a keyed
-- hash (of a source address) or an API token's ID, never an address in
-- clear; window_start is Unix seconds. Old windows are pruned as new ones
-- open.
CREATE TABLE rate_limits (
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits(window_start);
