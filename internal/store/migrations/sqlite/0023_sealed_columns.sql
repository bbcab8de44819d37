-- Personal data that no query needs in clear is sealed (docs/security.md,
-- section 4, lists what stays in clear and why). Above the data step: the
-- new sealed columns. The data step (Go, with the vault's key) seals what
-- earlier versions kept in clear into them, in this transaction. Below
-- it: the clear columns go.

-- Risk: an assessment's answers with their comments (risk_answers) and
-- what they scored as two sealed documents; the client's current level.
ALTER TABLE risk_assessments ADD COLUMN score_sealed TEXT;
ALTER TABLE risk_assessments ADD COLUMN answers_sealed TEXT;
ALTER TABLE risk_levels ADD COLUMN level_sealed TEXT;

-- Refuge: a stay's departure (reason, move-on destination), a move-on
-- plan's goal, a housing application's provider, band and status, an
-- event's kind and band, who declined a referral.
ALTER TABLE refuge_stays ADD COLUMN departure_sealed TEXT;
ALTER TABLE refuge_moveon_plans ADD COLUMN goal_sealed TEXT;
ALTER TABLE refuge_housing_applications ADD COLUMN application_sealed TEXT;
ALTER TABLE refuge_housing_events ADD COLUMN event_sealed TEXT;
ALTER TABLE refuge_referrals ADD COLUMN decided_by_sealed TEXT;

-- Outreach: an outcome measure's answers (outreach_outcome_scores, feels
-- safer, abuse stopped) as one document, a need's status, what a partner
-- referral is for and the statuses of its history.
ALTER TABLE outreach_outcomes ADD COLUMN answers_sealed TEXT;
ALTER TABLE outreach_needs ADD COLUMN status_sealed TEXT;
ALTER TABLE partner_referrals ADD COLUMN kind_sealed TEXT;
ALTER TABLE partner_referral_events ADD COLUMN status_sealed TEXT;

-- The front door: how a contact came in and ended, where a referral came
-- from and the risk it gave, a triage decision, why a case closed, each
-- step of a case's history.
ALTER TABLE intake_contacts ADD COLUMN details_sealed TEXT;
ALTER TABLE intake_referrals ADD COLUMN details_sealed TEXT;
ALTER TABLE intake_triage ADD COLUMN decision_sealed TEXT;
ALTER TABLE intake_cases ADD COLUMN close_reason_sealed TEXT;
ALTER TABLE intake_case_events ADD COLUMN change_sealed TEXT;

-- People and matching: how a perpetrator is related to a client, and
-- which kinds of detail a counter-allegation alert matched on.
ALTER TABLE perpetrator_links ADD COLUMN relationship_sealed TEXT;
ALTER TABLE match_alerts ADD COLUMN reasons_sealed TEXT;

-- Every converted row belongs to a client or is a helpline contact.
-- data step: SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM intake_contacts)

DROP TABLE risk_answers;
ALTER TABLE risk_assessments DROP COLUMN police_callouts;
ALTER TABLE risk_assessments DROP COLUMN yes_count;
ALTER TABLE risk_assessments DROP COLUMN scored_level;
ALTER TABLE risk_assessments DROP COLUMN final_level;
ALTER TABLE risk_assessments DROP COLUMN window_callouts;
ALTER TABLE risk_assessments DROP COLUMN escalation_suggested;
ALTER TABLE risk_levels DROP COLUMN level;

-- refuge_stays ties its departure columns to move_out in table checks,
-- which SQLite cannot drop: the table is rebuilt. Its rows wait in a
-- temporary copy while it is re-created, so the foreign keys that point at
-- it (deferred to the commit) find their stays again.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE refuge_stays_0022 AS SELECT id, property_id, unit_id, referral_id, client_id, move_in, expected_move_out, move_out,
    departure_sealed, created_by, created_at, version FROM refuge_stays;
DROP TABLE refuge_stays;
CREATE TABLE refuge_stays (
    id                TEXT PRIMARY KEY,
    property_id       TEXT NOT NULL REFERENCES refuge_properties(id),
    unit_id           TEXT NOT NULL REFERENCES refuge_units(id),
    referral_id       TEXT REFERENCES refuge_referrals(id),
    client_id         TEXT NOT NULL REFERENCES clients(id),
    move_in           TIMESTAMP NOT NULL,
    expected_move_out TIMESTAMP,
    move_out          TIMESTAMP,
    -- Why they left and where they went (one sealed document).
    departure_sealed  TEXT,
    created_by        TEXT REFERENCES staff(id),
    created_at        TIMESTAMP NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK ((move_out IS NULL) = (departure_sealed IS NULL))
);
INSERT INTO refuge_stays (id, property_id, unit_id, referral_id, client_id, move_in, expected_move_out, move_out,
    departure_sealed, created_by, created_at, version)
    SELECT id, property_id, unit_id, referral_id, client_id, move_in, expected_move_out, move_out,
    departure_sealed, created_by, created_at, version FROM refuge_stays_0022;
DROP TABLE refuge_stays_0022;
CREATE INDEX refuge_stays_property ON refuge_stays(property_id, move_in);
CREATE INDEX refuge_stays_client ON refuge_stays(client_id);
CREATE TRIGGER refuge_stays_move_out AFTER UPDATE OF expected_move_out ON refuge_stays BEGIN UPDATE refuge_versions SET claims = claims + 1 WHERE id = 1; END;
ALTER TABLE refuge_moveon_plans DROP COLUMN goal;
DROP INDEX refuge_housing_applications_status;
ALTER TABLE refuge_housing_applications DROP COLUMN provider;
ALTER TABLE refuge_housing_applications DROP COLUMN band;
ALTER TABLE refuge_housing_applications DROP COLUMN status;
ALTER TABLE refuge_housing_events DROP COLUMN kind;
ALTER TABLE refuge_housing_events DROP COLUMN band;
ALTER TABLE refuge_referrals DROP COLUMN decided_by;
DROP TABLE outreach_outcome_scores;
ALTER TABLE outreach_outcomes DROP COLUMN feels_safer;
ALTER TABLE outreach_outcomes DROP COLUMN abuse_stopped;
ALTER TABLE outreach_needs DROP COLUMN status;
ALTER TABLE partner_referrals DROP COLUMN kind;
ALTER TABLE partner_referral_events DROP COLUMN status;
ALTER TABLE intake_contacts DROP COLUMN channel;
ALTER TABLE intake_contacts DROP COLUMN direction;
ALTER TABLE intake_contacts DROP COLUMN caller_type;
ALTER TABLE intake_contacts DROP COLUMN service_line;
ALTER TABLE intake_contacts DROP COLUMN outcome;
ALTER TABLE intake_referrals DROP COLUMN source;
ALTER TABLE intake_referrals DROP COLUMN risk_level;
ALTER TABLE intake_triage DROP COLUMN decision;
ALTER TABLE intake_triage DROP COLUMN service;
ALTER TABLE intake_cases DROP COLUMN close_reason;
ALTER TABLE intake_case_events DROP COLUMN status;
ALTER TABLE intake_case_events DROP COLUMN reason;
ALTER TABLE perpetrator_links DROP COLUMN relationship;
ALTER TABLE match_alerts DROP COLUMN reasons;
