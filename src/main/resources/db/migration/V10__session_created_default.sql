-- A session is saved with one upsert (MERGE on H2, INSERT … ON CONFLICT on PostgreSQL) that leaves
-- created_at out, so an update never moves it: a new row takes the time of its insert.
ALTER TABLE sessions ALTER COLUMN created_at SET DEFAULT CURRENT_TIMESTAMP;
