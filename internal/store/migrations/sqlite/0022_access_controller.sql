-- Break-glass and restrictions name the organisation that holds the
-- record (its controller): that organisation's data protection lead sees
-- every break-glass on its records at once and can lift any restriction.
-- A break-glass reason is chosen from a short list (reason_kind, sealed:
-- which emergency it was says something about the client) with free text.
ALTER TABLE break_glass_grants ADD COLUMN organisation_id TEXT REFERENCES organisations(id);
ALTER TABLE break_glass_grants ADD COLUMN reason_kind_sealed TEXT;
UPDATE break_glass_grants SET organisation_id = (SELECT c.organisation_id FROM clients c WHERE c.id = break_glass_grants.record_id);
CREATE INDEX break_glass_grants_organisation ON break_glass_grants(organisation_id, granted_at);

ALTER TABLE record_restrictions ADD COLUMN organisation_id TEXT REFERENCES organisations(id);
ALTER TABLE record_restrictions ADD COLUMN record_kind TEXT;
UPDATE record_restrictions SET record_kind = 'client',
    organisation_id = (SELECT c.organisation_id FROM clients c WHERE c.id = record_restrictions.record_id)
    WHERE record_id IN (SELECT id FROM clients);
UPDATE record_restrictions SET record_kind = 'perpetrator',
    organisation_id = (SELECT p.organisation_id FROM perpetrators p WHERE p.id = record_restrictions.record_id)
    WHERE record_id IN (SELECT id FROM perpetrators);
CREATE INDEX record_restrictions_organisation ON record_restrictions(organisation_id, record_id);
