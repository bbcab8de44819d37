-- 0015_staff_tokens: an API token may act for one member of staff (the
-- accommodation API). NULL for a partner agency's token. The staff
-- member's current role, organisation and teams are read on every request,
-- so disabling them or changing their teams applies at once.
ALTER TABLE api_tokens ADD COLUMN staff_id TEXT REFERENCES staff(id);
