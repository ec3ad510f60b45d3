-- A snapshot is stored in pieces of at most 256 KiB, its bytes in the
-- order of piece: an import writes each piece in a transaction of its own,
-- where one row of 1.7 MB held the writer for 11 ms while other graphs'
-- edits waited. Snapshots stored before become piece 0 of themselves.
CREATE TABLE snapshot_pieces (
    graph_id TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    piece    INTEGER NOT NULL DEFAULT 0,
    hlc      INTEGER NOT NULL,
    data     BLOB NOT NULL, -- piece of graph.MarshalBinary, zstd-compressed
    PRIMARY KEY (graph_id, seq, piece)
) STRICT, WITHOUT ROWID;
INSERT INTO snapshot_pieces (graph_id, seq, piece, hlc, data)
    SELECT graph_id, seq, 0, hlc, data FROM snapshots;
DROP TABLE snapshots;
ALTER TABLE snapshot_pieces RENAME TO snapshots;
