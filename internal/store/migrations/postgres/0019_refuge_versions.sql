-- Version counters of the refuge catalogue (properties, units, bedspaces)
-- and of the claims on bedspaces (holds and stays, with expected move-out
-- dates), moved on by triggers in the transaction that changes them. A
-- node keeps the catalogue and the claims in memory and reloads them only
-- when a counter has moved: vacancy search reads one row, not every unit
-- and claim of the service.
CREATE TABLE refuge_versions (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    catalogue BIGINT NOT NULL,
    claims    BIGINT NOT NULL
);
INSERT INTO refuge_versions (id, catalogue, claims) VALUES (1, 0, 0);

CREATE FUNCTION refuge_catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE refuge_versions SET catalogue = catalogue + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE FUNCTION refuge_claims_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE refuge_versions SET claims = claims + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
-- Pinned to this schema, pg_temp last (as the audit functions, 0006).
DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['refuge_catalogue_changed', 'refuge_claims_changed'] LOOP
        EXECUTE format('ALTER FUNCTION %I() SET search_path = %I, pg_temp', f, current_schema());
    END LOOP;
END $$;

CREATE TRIGGER refuge_properties_changed AFTER INSERT OR UPDATE OR DELETE ON refuge_properties
    FOR EACH STATEMENT EXECUTE FUNCTION refuge_catalogue_changed();
CREATE TRIGGER refuge_units_changed AFTER INSERT OR UPDATE OR DELETE ON refuge_units
    FOR EACH STATEMENT EXECUTE FUNCTION refuge_catalogue_changed();
CREATE TRIGGER refuge_bedspaces_changed AFTER INSERT OR UPDATE OR DELETE ON refuge_bedspaces
    FOR EACH STATEMENT EXECUTE FUNCTION refuge_catalogue_changed();
CREATE TRIGGER refuge_claims_changed AFTER INSERT OR UPDATE OR DELETE ON refuge_claims
    FOR EACH STATEMENT EXECUTE FUNCTION refuge_claims_changed();
CREATE TRIGGER refuge_stays_move_out_changed AFTER UPDATE OF expected_move_out ON refuge_stays
    FOR EACH STATEMENT EXECUTE FUNCTION refuge_claims_changed();
