-- A new graph's events (an import's) stored as blocks: one row per part of
-- the import, its events as zstd-compressed JSON lines (blocks.go). Blocks
-- are a prefix of a graph's log; later events are rows of the events table.
CREATE TABLE event_blocks (
    graph_id  TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    max_hlc   INTEGER NOT NULL, -- the latest time of its events
    data      BLOB NOT NULL,
    PRIMARY KEY (graph_id, first_seq)
) STRICT, WITHOUT ROWID;
