-- Every commit stores its events as one block (blocks.go), so the log has
-- one form: a commit of many edits writes one row, not a row per event and
-- an index entry per event. The rows older versions wrote become blocks of
-- one event each, their JSON stored as it was (a block that does not start
-- with zstd's magic number is plain JSON lines).
INSERT INTO event_blocks (graph_id, first_seq, last_seq, max_hlc, data)
    SELECT graph_id, seq, seq, hlc, CAST(body || char(10) AS BLOB) FROM events;
DROP TABLE events; -- and its index events_by_time

-- The first block stamped after a time: where time travel stops replaying.
-- A graph's events are stamped in the order of their seqs, so the first by
-- time is the first by seq.
CREATE INDEX event_blocks_by_time ON event_blocks (graph_id, max_hlc);
