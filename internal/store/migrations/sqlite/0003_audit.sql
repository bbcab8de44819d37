-- The audit trail: one append-only, hash-chained (HMAC) list of events, and
-- the chain head. internal/audit writes and verifies it; the triggers below
-- make the database itself refuse to change or remove history.

CREATE TABLE audit_events (
    -- 1, 2, 3, ... with no gaps: assigned under the chain head, so a rolled
    -- back transaction leaves no hole.
    seq         INTEGER PRIMARY KEY CHECK (seq > 0),
    id          TEXT NOT NULL UNIQUE,          -- UUIDv7
    at          TIMESTAMP NOT NULL,            -- UTC, microseconds
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

-- The chain head: the last event's seq and mac. Appenders serialise on it.
CREATE TABLE audit_head (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    mac TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- History is never changed or removed. (DELETE without WHERE is not
-- truncated behind the triggers' back: SQLite turns the truncate
-- optimisation off for a table with triggers.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE of audit_events is refused');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE from audit_events is refused');
END;

-- A new event must extend the chain: the next seq, linked to the last mac,
-- with a new id (which also stops INSERT OR REPLACE from deleting an old
-- event through a conflict on id).
CREATE TRIGGER audit_events_extend BEFORE INSERT ON audit_events
WHEN NEW.seq IS NOT coalesce((SELECT max(seq) FROM audit_events), 0) + 1
  OR NEW.prev_mac IS NOT coalesce((SELECT mac FROM audit_events ORDER BY seq DESC LIMIT 1),
                                  '0000000000000000000000000000000000000000000000000000000000000000')
  OR EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'an audit event must extend the chain: the next seq, linked to the last mac');
END;

-- Each appended event moves the head onto itself.
CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
BEGIN
    UPDATE audit_head SET seq = NEW.seq, mac = NEW.mac WHERE id = 1;
END;

-- The head only ever advances by exactly one, onto an event that links to
-- the old head; it is never deleted or re-inserted.
CREATE TRIGGER audit_head_advance_only BEFORE UPDATE ON audit_head
WHEN NEW.id IS NOT OLD.id
  OR NEW.seq IS NOT OLD.seq + 1
  OR NOT EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq AND mac = NEW.mac AND prev_mac = OLD.mac)
BEGIN
    SELECT RAISE(ABORT, 'audit_head only advances by one, onto the event just appended');
END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'the audit chain head cannot be deleted');
END;
CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'the audit chain head has exactly one row');
END;
