-- The value of every setting someone has set, and every change ever made.
CREATE TABLE settings (
    path  TEXT PRIMARY KEY,
    value TEXT NOT NULL -- JSON
) STRICT;

CREATE TABLE settings_history (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    path   TEXT NOT NULL,
    old    TEXT NOT NULL, -- JSON
    new    TEXT NOT NULL, -- JSON
    at_ms  INTEGER NOT NULL,
    client TEXT NOT NULL
) STRICT;

CREATE INDEX settings_history_by_path ON settings_history (path, id);

-- Small facts about the database itself, such as whether the sample graph
-- was ever loaded.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
