package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/klauspost/compress/zstd"

	"visionflow/graph"
)

// A new graph's events (an import's, mostly: hundreds of thousands of node
// and edge additions) are stored in blocks, one row per part of the import
// holding its events as zstd-compressed JSON lines, instead of a row per
// event. Row per event, with the time index, an import's log was three
// quarters of the database (93 of 134 MB for a 27 MB file of 100k nodes
// and 300k edges). Blocks are only ever a prefix of a graph's log: later
// commits append rows to the events table. Readers of the log
// (eachEvent, GraphAt) read blocks first, then rows.

const qInsertBlock = "INSERT INTO event_blocks (graph_id, first_seq, last_seq, max_hlc, data) VALUES (?, ?, ?, ?, ?)"

// maxBlockBytes bounds what one block may expand to, so a damaged row
// cannot make a reader allocate without limit. A block holds one part of
// an import (createChunk events), each at most a node or edge at its
// limits.
const maxBlockBytes = 256 << 20

var (
	blockEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	blockDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxBlockBytes))
)

// encodeBlock returns events as one block: their JSON lines, compressed.
func encodeBlock(events []graph.Event) ([]byte, graph.Timestamp, error) {
	var raw []byte
	var latest graph.Timestamp
	for i := range events {
		raw = append(events[i].AppendJSON(raw), '\n') // one event per line; JSON escapes newlines in strings
		latest = max(latest, events[i].Time)
	}
	return blockEncoder.EncodeAll(raw, make([]byte, 0, len(raw)/6)), latest, nil
}

// decodeBlock calls fn for each event of a block with from < seq <= to, in
// order, and checks that the block holds exactly first..last.
func decodeBlock(data []byte, first, last, from, to uint64, fn func(graph.Event) error) error {
	raw, err := blockDecoder.DecodeAll(data, nil)
	if err != nil {
		return fmt.Errorf("decompress the events %d–%d: %w", first, last, err)
	}
	want := first
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if want > to {
			return nil
		}
		if want > last {
			return fmt.Errorf("the block of events %d–%d holds more events: %w", first, last, graph.ErrCorruptEvent)
		}
		if want <= from {
			// Before the range: only its seq is needed, but the line must
			// be read to know where the next one starts, which it is.
			want++
			continue
		}
		var ev graph.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("decode stored event %d: %w", want, err)
		}
		if ev.Seq != want {
			return fmt.Errorf("the block of events %d–%d holds event %d where %d belongs: %w", first, last, ev.Seq, want, graph.ErrCorruptEvent)
		}
		if err := fn(ev); err != nil {
			return err
		}
		want++
	}
	if want <= min(last, to) {
		return fmt.Errorf("the block of events %d–%d ends at %d: %w", first, last, want-1, graph.ErrCorruptEvent)
	}
	return nil
}

// eachBlockEvent calls fn for the events with from < seq <= to that are
// stored in blocks, in order, at most limit of them (0: all). It returns
// how many it gave and the seq of the last block's last event (from when
// there are none), where the rows take over.
func eachBlockEvent(ctx context.Context, q querier, graphID string, from, to uint64, limit int, fn func(graph.Event) error) (given int, through uint64, err error) {
	through = from
	rows, err := q.QueryContext(ctx, "SELECT first_seq, last_seq, data FROM event_blocks WHERE graph_id = ? AND last_seq > ? AND first_seq <= ? ORDER BY first_seq", graphID, from, to)
	if err != nil {
		return 0, from, err
	}
	defer rows.Close()
	errEnough := fmt.Errorf("enough")
	var prev uint64 // the last seq of the block before, 0 before the first
	for rows.Next() {
		var first, last uint64
		var data []byte
		if err := rows.Scan(&first, &last, &data); err != nil {
			return given, through, err
		}
		if (prev != 0 && first != prev+1) || (prev == 0 && first > from+1) || last < first {
			return given, through, fmt.Errorf("the stored blocks of events skip from %d to %d–%d: %w", max(prev, from), first, last, graph.ErrCorruptEvent)
		}
		prev = last
		err := decodeBlock(data, first, last, from, to, func(ev graph.Event) error {
			if limit > 0 && given == limit {
				return errEnough
			}
			given++
			through = ev.Seq
			return fn(ev)
		})
		if err == errEnough {
			return given, through, nil
		}
		if err != nil {
			return given, through, err
		}
		through = max(through, min(last, to))
	}
	return given, through, rows.Err()
}

// firstBlockEventAfter returns the seq of the first event stored in a block
// that is stamped later than t (false when none is).
func firstBlockEventAfter(ctx context.Context, q querier, graphID string, t graph.Timestamp) (uint64, bool, error) {
	var first, last uint64
	var data []byte
	err := q.QueryRowContext(ctx, "SELECT first_seq, last_seq, data FROM event_blocks WHERE graph_id = ? AND max_hlc > ? ORDER BY first_seq LIMIT 1", graphID, int64(t)).
		Scan(&first, &last, &data)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	var found uint64
	errFound := fmt.Errorf("found")
	err = decodeBlock(data, first, last, 0, last, func(ev graph.Event) error {
		if ev.Time > t {
			found = ev.Seq
			return errFound
		}
		return nil
	})
	if err != errFound {
		if err == nil {
			err = fmt.Errorf("the block of events %d–%d has no event after its latest time: %w", first, last, graph.ErrCorruptEvent)
		}
		return 0, false, err
	}
	return found, true, nil
}
