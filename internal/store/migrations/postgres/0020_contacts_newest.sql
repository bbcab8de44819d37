-- The case page reads a client's newest contacts, newest first with the
-- id as tie-break: with the id in the index the database walks the
-- client's entries backwards and stops at the page's fifty, instead of
-- fetching and sorting every contact the client has (a heavy client has
-- hundreds).
DROP INDEX intake_contacts_client;
CREATE INDEX intake_contacts_client ON intake_contacts(client_id, taken_at, id);
