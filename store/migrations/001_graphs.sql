-- Graphs, their current state, the event log and snapshots.
CREATE TABLE graphs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    seq        INTEGER NOT NULL DEFAULT 0, -- last event applied
    next_wire  INTEGER NOT NULL DEFAULT 1, -- next wire index; never reused
    next_edge  INTEGER NOT NULL DEFAULT 0, -- hint for generated edge ids, so they are not reused
    node_count INTEGER NOT NULL DEFAULT 0,
    edge_count INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Few columns per row: loading a graph costs per column and row read.
CREATE TABLE nodes (
    graph_id TEXT NOT NULL,
    id       TEXT NOT NULL,
    wire_id  INTEGER NOT NULL, -- its top bits give the node's graph type
    label    TEXT NOT NULL,
    pinned   INTEGER NOT NULL,
    metadata BLOB, -- codec.go; NULL when empty
    PRIMARY KEY (graph_id, id)
) STRICT, WITHOUT ROWID;

-- Positions and velocities of 1024 nodes (by wire index) per row, so that
-- saving a moving layout rewrites a few large rows, not a row per node.
CREATE TABLE layout (
    graph_id TEXT NOT NULL,
    chunk    INTEGER NOT NULL, -- wire index / 1024
    data     BLOB NOT NULL,    -- 1024 × x y z vx vy vz, float32 little-endian
    PRIMARY KEY (graph_id, chunk)
) STRICT, WITHOUT ROWID;

CREATE TABLE edges (
    graph_id TEXT NOT NULL,
    id       TEXT NOT NULL,
    source   TEXT NOT NULL,
    target   TEXT NOT NULL,
    ord      INTEGER NOT NULL, -- seq of the event that created it: listing order
    attrs    BLOB, -- label, weight, metadata (codec.go); NULL when all default
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
