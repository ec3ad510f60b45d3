package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"

	"visionflow/graph"
)

// A graph's log is stored in blocks: each transaction that writes events
// (an edit or a group of edits committed together, a part of an import)
// writes them as one row, their JSON lines, zstd-compressed when they are
// long enough for that to pay. Row per event, with a time index, an
// import's log was three quarters of the database (93 of 134 MB for a 27
// MB file of 100k nodes and 300k edges), and a group commit of 19 new
// nodes wrote 17.6 pages of the write-ahead log, 8 of them for its events;
// as one block, 3 (the block's and the time index's).

const qInsertBlock = "INSERT INTO event_blocks (graph_id, first_seq, last_seq, max_hlc, data) VALUES (?, ?, ?, ?, ?)"

// maxBlockBytes bounds what one block may expand to, so a damaged row
// cannot make a reader allocate without limit. A block holds one
// transaction's events: a part of an import (createChunk events) or a
// group commit (at most maxGroupOps ops in the session), each event at
// most a node or edge at its limits.
const maxBlockBytes = 256 << 20

// minCompressed is the shortest block worth compressing: a lone edit's one
// event is stored as it is, which costs less than compressing it saves.
const minCompressed = 512

// zstdMagic starts every zstd frame; a block of plain JSON lines starts with
// '{'.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

var (
	// Imports write large blocks rarely: they take the better ratio.
	importEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	// Commits write small blocks often, on the graphs' own workers: they
	// take the fastest level (9 µs for a group of 19 new nodes, 4.4 kB of
	// JSON to 0.7 kB) and encoders apart from the import's, so a commit
	// does not wait while an import compresses its parts. Snapshots use
	// them too (encodeSnapshot): on these images the fastest level also
	// compresses best.
	commitEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(2))
	blockDecoder, _  = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxBlockBytes))
)

// encodeBlock returns events as one block: their JSON lines, compressed by
// enc when they are long enough.
func encodeBlock(events []graph.Event, enc *zstd.Encoder) ([]byte, graph.Timestamp) {
	buf := rawBlocks.Get().(*[]byte)
	defer rawBlocks.Put(buf)
	raw := (*buf)[:0]
	var latest graph.Timestamp
	for i := range events {
		raw = append(events[i].AppendJSON(raw), '\n') // one event per line; JSON escapes newlines in strings
		latest = max(latest, events[i].Time)
	}
	if cap(raw) <= maxPooledBlock {
		*buf = raw
	}
	if len(raw) < minCompressed {
		return bytes.Clone(raw), latest
	}
	return enc.EncodeAll(raw, make([]byte, 0, len(raw)/4)), latest
}

// A block is a run of events encoded for event_blocks, ready before the
// transaction that stores it.
type block struct {
	events []graph.Event
	data   []byte
	latest graph.Timestamp // of its latest event
}

func newBlock(events []graph.Event, enc *zstd.Encoder) block {
	if len(events) == 0 {
		return block{}
	}
	data, latest := encodeBlock(events, enc)
	return block{events, data, latest}
}

// rawBlocks holds the buffers blocks are written into before they are
// compressed: a commit's block would otherwise grow a new one each time.
// An import's large ones are not kept.
var rawBlocks = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBlock = 256 << 10

// decodeBlock calls fn for each event of a block with from < seq <= to, in
// order, and checks that the block holds exactly first..last.
func decodeBlock(data []byte, first, last, from, to uint64, fn func(graph.Event) error) error {
	raw := data
	if bytes.HasPrefix(data, zstdMagic) {
		var err error
		if raw, err = blockDecoder.DecodeAll(data, nil); err != nil {
			return fmt.Errorf("decompress the events %d–%d: %w", first, last, err)
		}
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

// qBlocksFrom reads the blocks that hold events from < seq <= to: from
// the one holding from+1, found by one seek, not by reading every block
// before it.
const qBlocksFrom = `SELECT first_seq, last_seq, data FROM event_blocks
	WHERE graph_id = ?1 AND first_seq <= ?3 AND last_seq > ?2 AND first_seq >= coalesce(
		(SELECT first_seq FROM event_blocks WHERE graph_id = ?1 AND first_seq <= ?2 + 1 ORDER BY first_seq DESC LIMIT 1), 0)
	ORDER BY first_seq`

// eachEvent calls fn for every event with from < seq <= to, in order, at
// most limit of them (0: all). Events are decoded a block at a time, so a
// replay over millions of them runs in bounded memory.
func eachEvent(ctx context.Context, q querier, graphID string, from, to uint64, limit int, fn func(graph.Event) error) error {
	rows, err := q.QueryContext(ctx, qBlocksFrom, graphID, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	errEnough := fmt.Errorf("enough")
	given := 0
	var prev uint64 // the last seq of the block before, 0 before the first
	for rows.Next() {
		var first, last uint64
		var data []byte
		if err := rows.Scan(&first, &last, &data); err != nil {
			return err
		}
		if (prev != 0 && first != prev+1) || (prev == 0 && first > from+1) || last < first {
			return fmt.Errorf("the stored blocks of events skip from %d to %d–%d: %w", max(prev, from), first, last, graph.ErrCorruptEvent)
		}
		prev = last
		err := decodeBlock(data, first, last, from, to, func(ev graph.Event) error {
			if limit > 0 && given == limit {
				return errEnough
			}
			given++
			return fn(ev)
		})
		if err == errEnough {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return rows.Err()
}

// firstBlockEventAfter returns the seq of the first event stamped later
// than t (false when none is). Events are stamped in the order of their
// seqs, so the block that holds it is the first by time (one seek in
// event_blocks_by_time).
func firstBlockEventAfter(ctx context.Context, q querier, graphID string, t graph.Timestamp) (uint64, bool, error) {
	var first, last uint64
	var data []byte
	err := q.QueryRowContext(ctx, "SELECT first_seq, last_seq, data FROM event_blocks WHERE graph_id = ? AND max_hlc > ? ORDER BY max_hlc, first_seq LIMIT 1", graphID, int64(t)).
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
