-- PostgreSQL's 0021 moves its refuge version counters at commit, to lock
-- them after the audit trail's head. SQLite has one writer at a time and
-- no lock order to keep: its triggers (0019) stay as they are.
SELECT 1;
