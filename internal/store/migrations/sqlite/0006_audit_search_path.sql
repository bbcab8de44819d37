-- Nothing to do on SQLite: triggers there have no search path to pin.
-- (The PostgreSQL migration of this number pins the audit functions'.)
SELECT 1;
