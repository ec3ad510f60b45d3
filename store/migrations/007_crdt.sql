-- The replica id of the database (meta key "replica") is made on first use.

-- The CRDT ops of each graph that has been synced: this replica's own
-- (derived from its events up to the cursor) and those merged in from
-- others, in the order they were applied.
CREATE TABLE crdt_ops (
    ord      INTEGER PRIMARY KEY,
    graph_id TEXT NOT NULL,
    replica  TEXT NOT NULL,
    n        INTEGER NOT NULL,
    body     TEXT NOT NULL, -- the op as JSON
    UNIQUE (graph_id, replica, n)
) STRICT;

-- The last event of each graph turned into ops (or committed by a merge).
CREATE TABLE crdt_cursor (
    graph_id TEXT PRIMARY KEY,
    seq      INTEGER NOT NULL
) STRICT;
