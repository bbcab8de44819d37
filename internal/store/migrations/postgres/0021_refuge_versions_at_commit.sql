-- The refuge version counters move at commit, not at the change.
--
-- Statement triggers (0019) locked the one counter row at the first change
-- of a refuge table, in the middle of the transaction. A bedspace hold
-- takes the audit trail's head first (serializable transactions do,
-- store.Serializable) and then writes its claim, locking the counters;
-- a departure, a move-out date or the expired-holds sweep changed a refuge
-- table first (the counters) and appended to the audit trail after (the
-- head): the two orders deadlocked, and PostgreSQL broke it after a second.
-- Deferred to commit, the counters are always locked after the head, and
-- held only while the transaction commits. They are still moved in the
-- same transaction as the change, so a reader sees both or neither.
DROP TRIGGER refuge_properties_changed ON refuge_properties;
DROP TRIGGER refuge_units_changed ON refuge_units;
DROP TRIGGER refuge_bedspaces_changed ON refuge_bedspaces;
DROP TRIGGER refuge_claims_changed ON refuge_claims;
DROP TRIGGER refuge_stays_move_out_changed ON refuge_stays;

-- Constraint triggers fire per row: a transaction that changes many rows
-- moves the counter once a row, all at its commit.
CREATE CONSTRAINT TRIGGER refuge_properties_changed AFTER INSERT OR UPDATE OR DELETE ON refuge_properties
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuge_catalogue_changed();
CREATE CONSTRAINT TRIGGER refuge_units_changed AFTER INSERT OR UPDATE OR DELETE ON refuge_units
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuge_catalogue_changed();
CREATE CONSTRAINT TRIGGER refuge_bedspaces_changed AFTER INSERT OR UPDATE OR DELETE ON refuge_bedspaces
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuge_catalogue_changed();
CREATE CONSTRAINT TRIGGER refuge_claims_changed AFTER INSERT OR UPDATE OR DELETE ON refuge_claims
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuge_claims_changed();
CREATE CONSTRAINT TRIGGER refuge_stays_move_out_changed AFTER UPDATE OF expected_move_out ON refuge_stays
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuge_claims_changed();
