-- Graphs, their current state, the event log and snapshots.
CREATE TABLE graphs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    seq        INTEGER NOT NULL DEFAULT 0, -- last event applied
    next_wire  INTEGER NOT NULL DEFAULT 1, -- next wire index; never reused
    node_count INTEGER NOT NULL DEFAULT 0,
    edge_count INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE nodes (
    graph_id TEXT NOT NULL,
    id       TEXT NOT NULL,
    wire_id  INTEGER NOT NULL,
    label    TEXT NOT NULL,
    type     TEXT NOT NULL,
    x REAL NOT NULL, y REAL NOT NULL, z REAL NOT NULL,
    vx REAL NOT NULL, vy REAL NOT NULL, vz REAL NOT NULL,
    pinned   INTEGER NOT NULL,
    metadata TEXT, -- JSON object, NULL when empty
    PRIMARY KEY (graph_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE edges (
    graph_id TEXT NOT NULL,
    id       TEXT NOT NULL,
    source   TEXT NOT NULL,
    target   TEXT NOT NULL,
    label    TEXT NOT NULL,
    weight   REAL NOT NULL,
    metadata TEXT,
    ord      INTEGER NOT NULL, -- seq of the event that created it: listing order
    PRIMARY KEY (graph_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE events (
    graph_id TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    hlc      INTEGER NOT NULL,
    type     TEXT NOT NULL,
    body     TEXT NOT NULL, -- the event as JSON
    PRIMARY KEY (graph_id, seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX events_by_time ON events (graph_id, hlc);

CREATE TABLE snapshots (
    graph_id TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    hlc      INTEGER NOT NULL,
    data     BLOB NOT NULL, -- graph.MarshalBinary
    PRIMARY KEY (graph_id, seq)
) STRICT, WITHOUT ROWID;
