-- A graph written in several transactions (a large import) is marked until
-- its last one commits: lists and loads skip it, and one left marked by a
-- crash or an abandoned import is deleted when the file is next opened.
ALTER TABLE graphs ADD COLUMN importing INTEGER NOT NULL DEFAULT 0;
