-- The audit trail: one append-only, hash-chained (HMAC) list of events, and
-- the chain head. internal/audit writes and verifies it; the triggers below
-- make the database itself refuse to change or remove history.

CREATE TABLE audit_events (
    -- 1, 2, 3, ... with no gaps: assigned under the chain head's row lock,
    -- so a rolled back transaction leaves no hole (no SEQUENCE on purpose).
    seq         BIGINT PRIMARY KEY CHECK (seq > 0),
    id          TEXT NOT NULL UNIQUE,          -- UUIDv7
    at          TIMESTAMPTZ NOT NULL,          -- microseconds
    actor_id    TEXT NOT NULL DEFAULT '',      -- staff ID; '' for the system or an anonymous caller
    action      TEXT NOT NULL,                 -- record.read, signin.failed, breakglass.open, ...
    record_kind TEXT NOT NULL DEFAULT '',
    record_id   TEXT NOT NULL DEFAULT '',
    purpose     TEXT NOT NULL DEFAULT '',      -- purpose or reason; encrypted by the caller when it may hold personal data
    request_id  TEXT NOT NULL DEFAULT '',
    prev_mac    TEXT NOT NULL,                 -- the previous event's mac (the genesis value for seq 1)
    mac         TEXT NOT NULL                  -- HMAC-SHA256 over prev_mac and this event's fields, hex
);
CREATE INDEX audit_events_record ON audit_events(record_id, seq);
CREATE INDEX audit_events_actor ON audit_events(actor_id, seq);
CREATE INDEX audit_events_action ON audit_events(action, at);

-- The chain head: the last event's seq and mac. Appenders on every node
-- serialise on this row's lock (SELECT ... FOR UPDATE) until they commit.
CREATE TABLE audit_head (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    mac TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % is refused', TG_OP, TG_TABLE_NAME;
END;
$$;

-- History is never changed or removed.
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();

-- A new event must extend the chain: the next seq, linked to the last mac.
-- (A row-level BEFORE trigger sees the rows inserted earlier by the same
-- statement, so a multi-row INSERT is checked row by row.)
CREATE FUNCTION audit_events_extend() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq BIGINT;
    last_mac TEXT;
BEGIN
    SELECT seq, mac INTO last_seq, last_mac FROM audit_events ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        last_seq := 0;
        last_mac := '0000000000000000000000000000000000000000000000000000000000000000';
    END IF;
    IF NEW.seq IS DISTINCT FROM last_seq + 1 OR NEW.prev_mac IS DISTINCT FROM last_mac THEN
        RAISE EXCEPTION 'an audit event must extend the chain: expected seq % linked to the last mac', last_seq + 1;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_events_extend BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_extend();

-- Each appended event moves the head onto itself.
CREATE FUNCTION audit_events_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head SET seq = NEW.seq, mac = NEW.mac WHERE id = 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the audit chain head is missing';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_advance_head();

-- The head only ever advances by exactly one, onto an event that links to
-- the old head; it is never deleted, truncated or re-inserted.
CREATE FUNCTION audit_head_advance_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id
       OR NEW.seq IS DISTINCT FROM OLD.seq + 1
       OR NOT EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq AND mac = NEW.mac AND prev_mac = OLD.mac) THEN
        RAISE EXCEPTION 'audit_head only advances by one, onto the event just appended';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_head_advance_only BEFORE UPDATE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_advance_only();
CREATE TRIGGER audit_head_no_change BEFORE INSERT OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
