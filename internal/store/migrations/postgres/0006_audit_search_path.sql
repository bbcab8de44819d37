-- Trigger functions resolve table names through the search_path of the
-- session that fires them, where pg_temp comes first unless placed: a
-- session could shadow audit_head with a temporary table. Pin each audit
-- function to the schema it lives in, with pg_temp last.
DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['audit_refuse', 'audit_events_extend', 'audit_events_advance_head', 'audit_head_advance_only'] LOOP
        EXECUTE format('ALTER FUNCTION %I() SET search_path = %I, pg_temp', f, current_schema());
    END LOOP;
END $$;
