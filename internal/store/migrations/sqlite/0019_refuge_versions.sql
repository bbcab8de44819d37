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

CREATE TRIGGER refuge_properties_ins AFTER INSERT ON refuge_properties BEGIN UPDATE refuge_versions SET catalogue = catalogue + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_properties_upd AFTER UPDATE ON refuge_properties BEGIN UPDATE refuge_versions SET catalogue = catalogue + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_properties_del AFTER DELETE ON refuge_properties BEGIN UPDATE refuge_versions SET catalogue = catalogue + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_units_ins AFTER INSERT ON refuge_units BEGIN UPDATE refuge_versions SET catalogue = catalogue + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_units_upd AFTER UPDATE ON refuge_units BEGIN UPDATE refuge_versions SET catalogue = catalogue + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_units_del AFTER DELETE ON refuge_units BEGIN UPDATE refuge_versions SET catalogue = catalogue + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_bedspaces_ins AFTER INSERT ON refuge_bedspaces BEGIN UPDATE refuge_versions SET catalogue = catalogue + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_bedspaces_upd AFTER UPDATE ON refuge_bedspaces BEGIN UPDATE refuge_versions SET catalogue = catalogue + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_bedspaces_del AFTER DELETE ON refuge_bedspaces BEGIN UPDATE refuge_versions SET catalogue = catalogue + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_claims_ins AFTER INSERT ON refuge_claims BEGIN UPDATE refuge_versions SET claims = claims + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_claims_upd AFTER UPDATE ON refuge_claims BEGIN UPDATE refuge_versions SET claims = claims + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_claims_del AFTER DELETE ON refuge_claims BEGIN UPDATE refuge_versions SET claims = claims + 1 WHERE id = 1; END;
CREATE TRIGGER refuge_stays_move_out AFTER UPDATE OF expected_move_out ON refuge_stays BEGIN UPDATE refuge_versions SET claims = claims + 1 WHERE id = 1; END;
