package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"visionflow/graph"
)

// The statements of commits (prepared once: writerStatements).
const (
	qUpsertNode = `INSERT INTO nodes (graph_id, id, wire_id, label, pinned, metadata) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (graph_id, id) DO UPDATE SET wire_id = excluded.wire_id, label = excluded.label,
				pinned = excluded.pinned, metadata = excluded.metadata`
	qDeleteNode = "DELETE FROM nodes WHERE graph_id = ? AND id = ?"
	qUpsertEdge = `INSERT INTO edges (graph_id, id, source, target, ord, attrs) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (graph_id, id) DO UPDATE SET source = excluded.source, target = excluded.target,
				ord = excluded.ord, attrs = excluded.attrs`
	qUpdateEdge   = "UPDATE edges SET attrs = ? WHERE graph_id = ? AND id = ?"
	qDeleteEdge   = "DELETE FROM edges WHERE graph_id = ? AND id = ?"
	qWriteChunk   = "INSERT OR REPLACE INTO layout (graph_id, chunk, data) VALUES (?, ?, ?)"
	qGraphSeq     = "SELECT seq FROM graphs WHERE id = ? AND importing = 0"
	qUpdateGraph  = "UPDATE graphs SET seq = ?, next_wire = ?, next_edge = ?, node_count = ?, edge_count = ? WHERE id = ?"
	qLastSnapshot = "SELECT max(seq) FROM snapshots WHERE graph_id = ?"
)

func notFound(id string) error {
	return &graph.Error{Kind: graph.ErrNotFound, Field: "graph", Detail: fmt.Sprintf("%q does not exist", id)}
}

// Progress is told how many of the events of a long write are stored.
type Progress func(done, total int)

// CreateOptions tune CreateGraph.
type CreateOptions struct {
	// IDBase, when set, asks for a free id: IDBase, IDBase-2, IDBase-3…,
	// chosen inside the transaction so concurrent creates cannot collide.
	// g.ID is set to it.
	IDBase string
	// Replace deletes a graph that already has g's id, in the same
	// transaction.
	Replace  bool
	Progress Progress
}

// createChunk is the most events a new graph writes in one transaction:
// a large import is written in several, so that other graphs' commits get
// the one writer between them instead of waiting for the whole import.
// While other writes come in, and for a while after one has
// (writerGate.shared), its parts are smaller still (sharedChunk):
// an edit of another graph waits for the part under way, and its p99 went
// from 3.8–4.8 ms with parts of 512 to 2.3–2.6 ms with parts of 128. The
// import beside it took 30–50% longer in parts that small, so an import
// alone keeps 512.
const (
	createChunk = 512
	sharedChunk = 128
)

// CreateGraph stores a new graph together with the events that built it (none
// for an empty graph): all of it or nothing. A large graph is written in
// several transactions, marked as importing until the last commits, so that
// until then no list, load or read sees it; if ctx ends or a write fails
// half way, what was written is deleted (and a crash leaves a mark that the
// next server clears with DropUnfinished). A replacement is one transaction, because the old
// graph stays until the new one is whole.
func (s *Store) CreateGraph(ctx context.Context, g *graph.Graph, events []graph.Event, opt CreateOptions) error {
	defer func() { s.snapshotAt(g.ID, 0) }() // a replaced graph's snapshots are gone
	chunked := !opt.Replace && len(events) > createChunk
	first := events
	if chunked {
		first = events[:createChunk]
	}
	part := func(lo int) Progress {
		if opt.Progress == nil {
			return nil
		}
		return func(done, _ int) { opt.Progress(lo+done, len(events)) }
	}
	// A graph written in parts is bulk work: each part lets the small
	// writes waiting for the writer go first (writerGate). Only the
	// transaction that makes it whole waits for the disk: until then the
	// graph is marked as importing and a crash's leftovers are deleted
	// (DropUnfinished), and that transaction's fsync covers every part
	// before it. An fsync per part kept the disk busy under other graphs'
	// commits.
	writePart := func(ctx context.Context, whole bool, fn func(*sql.Tx) error) error {
		if !chunked {
			return s.write(ctx, fn)
		}
		return s.writeBulk(ctx, whole, fn)
	}
	// Each part's block is compressed before the part asks for the writer,
	// not while it holds it.
	blk := newBlock(first, importEncoder)
	err := writePart(ctx, !chunked, func(tx *sql.Tx) error {
		if opt.IDBase != "" {
			id, err := freeID(ctx, tx, opt.IDBase)
			if err != nil {
				return err
			}
			g.ID = id
		}
		var exists int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM graphs WHERE id = ?", g.ID).Scan(&exists)
		switch {
		case err == nil && opt.Replace:
			if err := deleteGraph(ctx, tx, g.ID); err != nil {
				return err
			}
		case err == nil:
			return &graph.Error{Kind: graph.ErrDuplicateID, Field: "graph", Detail: fmt.Sprintf("%q already exists", g.ID)}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO graphs (id, name, type, created_ms, importing) VALUES (?, ?, ?, ?, ?)",
			g.ID, g.Name, string(g.Type), g.Created.UnixMilli(), chunked); err != nil {
			return err
		}
		return s.writeChanges(ctx, tx, g, blk, !chunked, part(0))
	})
	if err != nil {
		return fmt.Errorf("create graph %q: %w", g.ID, err)
	}
	// A graph left half written is deleted, and the writer's checkpoint
	// threshold put back, which no later part will do (commitBulk).
	abandon := func(err error) error {
		dctx := context.WithoutCancel(ctx)
		_ = setAutoCheckpoint(dctx, s.w, autoCheckpoint)
		if derr := s.write(dctx, func(tx *sql.Tx) error { return deleteGraph(dctx, tx, g.ID) }); derr != nil {
			err = errors.Join(err, fmt.Errorf("delete the part written: %w", derr))
		}
		return err
	}
	// The snapshot a new graph gets (as maybeSnapshot would decide) is
	// encoded before the last transaction, not while it holds the writer.
	var snapshot []byte
	if chunked && g.Seq >= uint64(max(s.snapshotEvery, g.NodeCount()+g.EdgeCount())) {
		if snapshot, err = encodeSnapshot(g); err != nil {
			return fmt.Errorf("create graph %q: %w", g.ID, abandon(err))
		}
	}
	for lo, hi := createChunk, 0; chunked && lo < len(events); lo = hi {
		hi = min(lo+createChunk, len(events))
		if s.gate.shared() {
			hi = min(lo+sharedChunk, len(events))
		}
		err := ctx.Err()
		if hi == len(events) && snapshot != nil {
			// Before the last part, a part for each of its pieces: in one
			// (1.7 MB for 50k nodes and 100k edges) it held the writer for
			// 11 ms.
			for i, piece := range snapshotPieces(snapshot) {
				if err != nil {
					break
				}
				err = writePart(ctx, false, func(tx *sql.Tx) error {
					return insertSnapshotPiece(ctx, tx, g.ID, g.Seq, events[len(events)-1].Time, i, piece)
				})
			}
		}
		if err == nil {
			blk := newBlock(events[lo:hi], importEncoder)
			err = writePart(ctx, hi == len(events), func(tx *sql.Tx) error {
				if err := s.writeChanges(ctx, tx, g, blk, false, part(lo)); err != nil {
					return err
				}
				if hi < len(events) {
					return nil
				}
				_, err := tx.ExecContext(ctx, "UPDATE graphs SET importing = 0 WHERE id = ?", g.ID)
				return err
			})
		}
		if err != nil {
			return fmt.Errorf("create graph %q (events %d–%d of %d): %w", g.ID, lo+1, hi, len(events), abandon(err))
		}
	}
	return nil
}

// DropUnfinished deletes the graphs a crash left half written. Only the
// process that holds the database's lock may call it: another may be
// writing one now.
func (s *Store) DropUnfinished(ctx context.Context) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id FROM graphs WHERE importing != 0")
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			s.log.Warn("deleting a graph whose import did not finish", "graph", id)
			if err := deleteGraph(ctx, tx, id); err != nil {
				return fmt.Errorf("delete unfinished graph %q: %w", id, err)
			}
		}
		return nil
	})
}

// freeID returns base, or base-2, base-3… whichever no graph has.
func freeID(ctx context.Context, tx *sql.Tx, base string) (string, error) {
	id := base
	for n := 2; ; n++ {
		var exists int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM graphs WHERE id = ?", id).Scan(&exists)
		if errors.Is(err, sql.ErrNoRows) {
			return id, nil
		}
		if err != nil {
			return "", err
		}
		id = fmt.Sprintf("%s-%d", base, n)
	}
}

// Commit durably appends events to a graph's log and writes the state they
// led to, which g already holds, in one transaction. When it returns nil the
// change survives a crash.
func (s *Store) Commit(ctx context.Context, g *graph.Graph, events []graph.Event) error {
	if len(events) == 0 {
		return nil
	}
	blk := newBlock(events, commitEncoder)
	err := s.write(ctx, func(tx *sql.Tx) error { return s.appendEvents(ctx, tx, g, blk) })
	if err != nil {
		return fmt.Errorf("commit %d events to graph %q: %w", len(events), g.ID, err)
	}
	return nil
}

// CommitLater is Commit returning as soon as the transaction is committed,
// with the wait for it to be durable. A caller may take in its next change
// first, but must not acknowledge this one, or tell anyone of it, before
// wait returns nil. An error from wait means the log could not be synced:
// the store refuses every write from then on.
func (s *Store) CommitLater(ctx context.Context, g *graph.Graph, events []graph.Event) (wait func() error, err error) {
	if len(events) == 0 {
		return func() error { return nil }, nil
	}
	blk := newBlock(events, commitEncoder)
	wait, err = s.writeLater(ctx, func(tx *sql.Tx) error { return s.appendEvents(ctx, tx, g, blk) })
	if err != nil {
		return nil, fmt.Errorf("commit %d events to graph %q: %w", len(events), g.ID, err)
	}
	return wait, nil
}

// appendEvents writes the events of blk, which continue the stored log of
// g, and the rows they change.
func (s *Store) appendEvents(ctx context.Context, tx *sql.Tx, g *graph.Graph, blk block) error {
	events := blk.events
	var seq uint64
	q := s.prepared(ctx, tx, qGraphSeq)
	if err := q.QueryRowContext(ctx, g.ID).Scan(&seq); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(g.ID)
		}
		return err
	}
	if events[0].Seq != seq+1 {
		return fmt.Errorf("events start at seq %d but the stored log ends at %d: %w", events[0].Seq, seq, graph.ErrCorruptEvent)
	}
	return s.writeChanges(ctx, tx, g, blk, true, nil)
}

// writeChanges writes the events of blk as one block, and the rows they
// touch, as g holds them now. Only the last part of a graph written in
// parts may snapshot it: before that, its log does not reach g.Seq.
func (s *Store) writeChanges(ctx context.Context, tx *sql.Tx, g *graph.Graph, blk block, last bool, progress Progress) error {
	events := blk.events
	if len(events) > 0 {
		ins := s.prepared(ctx, tx, qInsertBlock)
		if _, err := ins.ExecContext(ctx, g.ID, events[0].Seq, events[len(events)-1].Seq, int64(blk.latest), blk.data); err != nil {
			return fmt.Errorf("append events %d–%d: %w", events[0].Seq, events[len(events)-1].Seq, err)
		}
	}
	nodes := map[string]bool{}
	edges := map[string]uint64{} // touched edge → seq of its creation in this batch, or 0
	chunks := map[uint32]bool{}  // layout rows to rewrite
	var nodeOrder, edgeOrder []string
	for k, ev := range events {
		if progress != nil && k%4096 == 0 {
			progress(k, len(events))
		}
		id := ev.Subject()
		switch {
		case ev.IsEdgeEvent():
			if _, seen := edges[id]; !seen {
				edgeOrder = append(edgeOrder, id)
				edges[id] = 0
			}
			if ev.Type == graph.EdgeCreated {
				edges[id] = ev.Seq
			}
		default:
			if !nodes[id] {
				nodes[id] = true
				nodeOrder = append(nodeOrder, id)
			}
			if ev.Node != nil { // added or removed: its slot changes
				chunks[ev.Node.WireID.Index()/chunkNodes] = true
			} else if n, ok := g.Node(id); ok && ev.Type == graph.NodeMoved {
				chunks[n.WireID.Index()/chunkNodes] = true
			}
		}
	}
	if err := s.writeNodes(ctx, tx, g, nodeOrder); err != nil {
		return err
	}
	if err := s.writeEdges(ctx, tx, g, edgeOrder, edges); err != nil {
		return err
	}
	if err := s.writeChunks(ctx, tx, g, chunks); err != nil {
		return err
	}
	upd := s.prepared(ctx, tx, qUpdateGraph)
	if _, err := upd.ExecContext(ctx,
		g.Seq, g.NextWireIndex(), int64(g.NextEdgeNumber()), g.NodeCount(), g.EdgeCount(), g.ID); err != nil {
		return err
	}
	if last && len(events) > 0 {
		if err := s.maybeSnapshot(ctx, tx, g, events[len(events)-1].Time); err != nil {
			return err
		}
	}
	if progress != nil {
		progress(len(events), len(events))
	}
	return nil
}

func (s *Store) writeNodes(ctx context.Context, tx *sql.Tx, g *graph.Graph, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	up := s.prepared(ctx, tx, qUpsertNode)
	del := s.prepared(ctx, tx, qDeleteNode)
	for _, id := range ids {
		n, ok := g.Node(id)
		if !ok {
			if _, err := del.ExecContext(ctx, g.ID, id); err != nil {
				return fmt.Errorf("delete node %q: %w", id, err)
			}
			continue
		}
		if _, err := up.ExecContext(ctx, g.ID, n.ID, int64(n.WireID), n.Label, n.Pinned, encodeMetadata(n.Metadata)); err != nil {
			return fmt.Errorf("write node %q: %w", id, err)
		}
	}
	return nil
}

func (s *Store) writeEdges(ctx context.Context, tx *sql.Tx, g *graph.Graph, ids []string, created map[string]uint64) error {
	if len(ids) == 0 {
		return nil
	}
	ins := s.prepared(ctx, tx, qUpsertEdge)
	upd := s.prepared(ctx, tx, qUpdateEdge)
	del := s.prepared(ctx, tx, qDeleteEdge)
	for _, id := range ids {
		e, ok := g.Edge(id)
		if !ok {
			if _, err := del.ExecContext(ctx, g.ID, id); err != nil {
				return fmt.Errorf("delete edge %q: %w", id, err)
			}
			continue
		}
		var err error
		if ord := created[id]; ord != 0 {
			_, err = ins.ExecContext(ctx, g.ID, e.ID, e.Source, e.Target, ord, encodeEdgeAttrs(&e))
		} else {
			_, err = upd.ExecContext(ctx, encodeEdgeAttrs(&e), g.ID, e.ID)
		}
		if err != nil {
			return fmt.Errorf("write edge %q: %w", id, err)
		}
	}
	return nil
}

var chunkBufs = sync.Pool{New: func() any { return new([]byte) }}

// writeChunks rewrites layout rows from the graph's current positions.
func (s *Store) writeChunks(ctx context.Context, tx *sql.Tx, g *graph.Graph, chunks map[uint32]bool) error {
	if len(chunks) == 0 {
		return nil
	}
	st := s.prepared(ctx, tx, qWriteChunk)
	// SQLite copies what it binds, so one buffer serves every row; a pool
	// rather than a field because a cancelled transaction can let the next
	// writer in before this loop has returned.
	buf := chunkBufs.Get().(*[]byte)
	defer chunkBufs.Put(buf)
	for _, c := range slices.Sorted(maps.Keys(chunks)) {
		*buf = encodeChunk(*buf, g, c)
		if _, err := st.ExecContext(ctx, g.ID, c, *buf); err != nil {
			return fmt.Errorf("write layout chunk %d: %w", c, err)
		}
	}
	return nil
}

// maybeSnapshot writes a snapshot when enough events have passed since the
// last one: at least SnapshotEvery and at least the graph's size, so the
// cost of snapshots stays proportional to the number of events.
func (s *Store) maybeSnapshot(ctx context.Context, tx *sql.Tx, g *graph.Graph, at graph.Timestamp) error {
	s.snapMu.Lock()
	last, known := s.snapSeq[g.ID]
	s.snapMu.Unlock()
	if !known {
		var seq sql.NullInt64
		q := s.prepared(ctx, tx, qLastSnapshot)
		if err := q.QueryRowContext(ctx, g.ID).Scan(&seq); err != nil {
			return err
		}
		last = uint64(seq.Int64)
		s.snapshotAt(g.ID, last)
	}
	gap := max(s.snapshotEvery, g.NodeCount()+g.EdgeCount())
	if g.Seq < last+uint64(gap) {
		return nil
	}
	if err := writeSnapshot(ctx, tx, g, at); err != nil {
		return err
	}
	s.snapshotAt(g.ID, g.Seq)
	return nil
}

// snapshotAt notes graph id's last snapshot (forgets it with seq 0, for a
// graph deleted or replaced).
func (s *Store) snapshotAt(id string, seq uint64) {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if s.snapSeq == nil {
		s.snapSeq = map[string]uint64{}
	}
	if seq == 0 {
		delete(s.snapSeq, id)
		return
	}
	s.snapSeq[id] = seq
}

func writeSnapshot(ctx context.Context, tx *sql.Tx, g *graph.Graph, at graph.Timestamp) error {
	data, err := encodeSnapshot(g)
	if err != nil {
		return err
	}
	return insertSnapshot(ctx, tx, g, at, data)
}

// Snapshots are stored zstd-compressed: a 50k-node, 100k-edge graph's
// image is 5.3 MB, compressed 1.7 MB in 22 ms, and writing it then takes a
// third of the pages, and the checkpoints after it copy a third. Snapshots
// written before are plain images; decodeSnapshot reads both.

// maxSnapshotBytes bounds what a stored snapshot may expand to, so that a
// damaged row cannot make a reader allocate without limit.
const maxSnapshotBytes = 1 << 30

var snapshotDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxSnapshotBytes))

// snapshotFrame is how much of a snapshot's image one zstd frame holds.
// Between frames the encoder yields its core: on two cores, 22 ms of
// compression in one piece, beside the collector's worker on the other,
// left other graphs' commits waiting for a core for as long.
const snapshotFrame = 256 << 10

func encodeSnapshot(g *graph.Graph) ([]byte, error) {
	data, err := g.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	out := make([]byte, 0, len(data)/3)
	for len(data) > 0 {
		n := min(len(data), snapshotFrame)
		out = commitEncoder.EncodeAll(data[:n], out)
		data = data[n:]
		runtime.Gosched()
	}
	return out, nil
}

// decodeSnapshot returns the image a stored snapshot holds.
func decodeSnapshot(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, zstdMagic) {
		return data, nil
	}
	img, err := snapshotDecoder.DecodeAll(data, nil)
	if err != nil {
		return nil, fmt.Errorf("decompress snapshot: %w", err)
	}
	return img, nil
}

// snapshotPiece is the most of a stored snapshot one row holds: an
// import writes each piece in a transaction of its own, which holds the
// writer for a millisecond or two.
const snapshotPiece = 256 << 10

// snapshotPieces cuts a stored snapshot into the data of its rows.
func snapshotPieces(data []byte) [][]byte {
	var pieces [][]byte
	for len(data) > snapshotPiece {
		pieces = append(pieces, data[:snapshotPiece])
		data = data[snapshotPiece:]
	}
	return append(pieces, data)
}

// insertSnapshot stores data, g encoded at g.Seq, whose event is stamped at.
func insertSnapshot(ctx context.Context, tx *sql.Tx, g *graph.Graph, at graph.Timestamp, data []byte) error {
	// Pieces of an earlier snapshot at this seq would be read as its tail.
	if _, err := tx.ExecContext(ctx, "DELETE FROM snapshots WHERE graph_id = ? AND seq = ?", g.ID, g.Seq); err != nil {
		return err
	}
	for i, piece := range snapshotPieces(data) {
		if err := insertSnapshotPiece(ctx, tx, g.ID, g.Seq, at, i, piece); err != nil {
			return err
		}
	}
	return nil
}

// insertSnapshotPiece stores piece i of graph id's snapshot at seq.
func insertSnapshotPiece(ctx context.Context, tx *sql.Tx, id string, seq uint64, at graph.Timestamp, i int, piece []byte) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO snapshots (graph_id, seq, piece, hlc, data) VALUES (?, ?, ?, ?, ?)", id, seq, i, int64(at), piece)
	if err != nil {
		return fmt.Errorf("store piece %d of the snapshot at %d: %w", i, seq, err)
	}
	return nil
}

// readSnapshot returns graph id's last snapshot at or before seq, as
// stored (its pieces joined), and the seq it was taken at. Without one it
// returns sql.ErrNoRows.
func readSnapshot(ctx context.Context, q querier, id string, seq uint64) (taken uint64, data []byte, err error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, data FROM snapshots WHERE graph_id = ?1
		AND seq = (SELECT max(seq) FROM snapshots WHERE graph_id = ?1 AND seq <= ?2) ORDER BY piece`, id, seq)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	n := 0
	for ; rows.Next(); n++ {
		var piece sql.RawBytes
		if err := rows.Scan(&taken, &piece); err != nil {
			return 0, nil, err
		}
		data = append(data, piece...)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	if n == 0 {
		return 0, nil, sql.ErrNoRows
	}
	return taken, data, nil
}

// ListGraphs returns every stored graph, ordered by id.
func (s *Store) ListGraphs(ctx context.Context) ([]graph.Summary, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, name, type, created_ms, seq, node_count, edge_count FROM graphs WHERE importing = 0 ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list graphs: %w", err)
	}
	defer rows.Close()
	var out []graph.Summary
	for rows.Next() {
		var sm graph.Summary
		var created int64
		if err := rows.Scan(&sm.ID, &sm.Name, &sm.Type, &created, &sm.Seq, &sm.Nodes, &sm.Edges); err != nil {
			return nil, fmt.Errorf("list graphs: %w", err)
		}
		sm.Created = time.UnixMilli(created).UTC()
		out = append(out, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list graphs: %w", err)
	}
	return out, nil
}

// graphRow is a row of the graphs table.
type graphRow struct {
	graph.Summary
	nextWire uint32
	nextEdge uint64
}

// GraphInfo returns the stored description of one graph.
func (s *Store) GraphInfo(ctx context.Context, id string) (graph.Summary, error) {
	row, err := s.graphRow(ctx, id)
	return row.Summary, err
}

func (s *Store) graphRow(ctx context.Context, id string) (graphRow, error) {
	var row graphRow
	var created int64
	err := s.r.QueryRowContext(ctx, "SELECT id, name, type, created_ms, seq, next_wire, next_edge, node_count, edge_count FROM graphs WHERE id = ? AND importing = 0", id).
		Scan(&row.ID, &row.Name, &row.Type, &created, &row.Seq, &row.nextWire, &row.nextEdge, &row.Nodes, &row.Edges)
	if errors.Is(err, sql.ErrNoRows) {
		return graphRow{}, notFound(id)
	}
	if err != nil {
		return graphRow{}, fmt.Errorf("read graph %q: %w", id, err)
	}
	row.Created = time.UnixMilli(created).UTC()
	return row, nil
}

// LoadGraph reads a graph's current state: from its last snapshot and the
// events after it when there are few, else from its rows; positions come
// from the layout rows either way.
func (s *Store) LoadGraph(ctx context.Context, id string) (*graph.Graph, error) {
	row, err := s.graphRow(ctx, id)
	if err != nil {
		return nil, err
	}
	g, err := s.loadFromSnapshot(ctx, row)
	if err != nil || g == nil {
		g, err = s.loadFromRows(ctx, row)
	}
	if err != nil {
		return nil, fmt.Errorf("load graph %q: %w", id, err)
	}
	g.Info = row.Info // the name may have changed without an event
	g.SetNextWireIndex(row.nextWire)
	g.SetNextEdgeNumber(row.nextEdge)
	if err := s.loadLayout(ctx, g); err != nil {
		return nil, fmt.Errorf("load graph %q: %w", id, err)
	}
	return g, nil
}

// loadFromSnapshot builds a graph from its last snapshot and the events
// after it, or returns nil when that would replay too many events. A
// snapshot is one row decoded in one pass, where reading every node and edge
// row costs SQLite a row each: 0.19 s against 0.45–0.65 s for 100k nodes and
// 300k edges. A snapshot that does not decode is logged and the rows are
// read instead, so a damaged snapshot costs time, not the graph.
func (s *Store) loadFromSnapshot(ctx context.Context, row graphRow) (*graph.Graph, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var snap sql.NullInt64
	if err := tx.QueryRowContext(ctx, qLastSnapshot, row.ID).Scan(&snap); err != nil {
		return nil, err
	}
	// Events replay at a few microseconds each, rows read at about one:
	// past a tenth of the graph's size in events, the rows are quicker.
	behind := int64(row.Seq) - snap.Int64
	if !snap.Valid || behind < 0 || behind > int64(max(1000, (row.Nodes+row.Edges)/10)) {
		return nil, nil
	}
	g, err := replayTo(ctx, tx, row.Info, row.Seq, true)
	if err != nil {
		s.log.Warn("the graph's snapshot does not load; reading its rows", "graph", row.ID, "err", err)
		return nil, nil
	}
	if g.NodeCount() != row.Nodes || g.EdgeCount() != row.Edges {
		s.log.Warn("the graph's snapshot and log disagree with its rows; reading its rows", "graph", row.ID,
			"nodes", g.NodeCount(), "rows", row.Nodes, "edges", g.EdgeCount(), "edge rows", row.Edges)
		return nil, nil
	}
	return g, nil
}

// loadFromRows reads a graph's node and edge rows. Nodes and the two halves
// of the edges are read on three reader connections at once, which is
// consistent because only the caller's own Commit writes to this graph and
// it is not writing while it waits here.
func (s *Store) loadFromRows(ctx context.Context, row graphRow) (*graph.Graph, error) {
	sm, id := row.Summary, row.ID
	var split string // edges with ids below it are read by one query, the rest by another
	if sm.Edges > 10_000 {
		err := s.r.QueryRowContext(ctx, "SELECT id FROM edges WHERE graph_id = ? ORDER BY id LIMIT 1 OFFSET ?", id, sm.Edges/2).Scan(&split)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	var (
		wg     sync.WaitGroup
		nodes  []graph.Node
		halves [2][]orderedEdge
		errs   [3]error
	)
	wg.Go(func() { nodes, errs[0] = s.loadNodes(ctx, id, sm.Nodes) })
	if split == "" {
		wg.Go(func() { halves[0], errs[1] = s.loadEdges(ctx, id, "", "", sm.Edges) })
	} else {
		wg.Go(func() { halves[0], errs[1] = s.loadEdges(ctx, id, "", split, sm.Edges/2) })
		wg.Go(func() { halves[1], errs[2] = s.loadEdges(ctx, id, split, "", sm.Edges/2+1) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return graph.Restore(sm.Info, row.nextWire, nodes, creationOrder(halves[0], halves[1]))
}

func (s *Store) loadNodes(ctx context.Context, graphID string, hint int) ([]graph.Node, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, wire_id, label, pinned, metadata FROM nodes WHERE graph_id = ?", graphID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	nodes := make([]graph.Node, 0, hint)
	var md sql.RawBytes
	for rows.Next() {
		var n graph.Node
		var wire int64
		if err := rows.Scan(&n.ID, &wire, &n.Label, &n.Pinned, &md); err != nil {
			return nil, err
		}
		n.WireID = graph.WireID(wire)
		n.Type = n.WireID.Type()
		if n.Metadata, err = decodeMetadata(md); err != nil {
			return nil, fmt.Errorf("node %q: %w", n.ID, err)
		}
		nodes = append(nodes, n)
	}
	return nodes, rows.Err()
}

type orderedEdge struct {
	graph.Edge
	ord int64
}

// loadEdges reads the edges with from <= id < to ("" leaves a bound open).
func (s *Store) loadEdges(ctx context.Context, graphID, from, to string, hint int) ([]orderedEdge, error) {
	query := "SELECT id, source, target, ord, attrs FROM edges WHERE graph_id = ?"
	args := []any{graphID}
	if from != "" {
		query += " AND id >= ?"
		args = append(args, from)
	}
	if to != "" {
		query += " AND id < ?"
		args = append(args, to)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := make([]orderedEdge, 0, hint)
	var attrs sql.RawBytes
	for rows.Next() {
		var e orderedEdge
		if err := rows.Scan(&e.ID, &e.Source, &e.Target, &e.ord, &attrs); err != nil {
			return nil, err
		}
		if err := decodeEdgeAttrs(attrs, &e.Edge); err != nil {
			return nil, fmt.Errorf("edge %q: %w", e.ID, err)
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// creationOrder puts edges back in the order they were created.
func creationOrder(a, b []orderedEdge) []graph.Edge {
	perm := make([]int32, len(a)+len(b))
	at := func(i int32) *orderedEdge {
		if int(i) < len(a) {
			return &a[i]
		}
		return &b[int(i)-len(a)]
	}
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(x, y int32) int { return cmp.Compare(at(x).ord, at(y).ord) })
	edges := make([]graph.Edge, len(perm))
	for k, i := range perm {
		edges[k] = at(i).Edge
	}
	return edges
}

func (s *Store) loadLayout(ctx context.Context, g *graph.Graph) error {
	rows, err := s.r.QueryContext(ctx, "SELECT chunk, data FROM layout WHERE graph_id = ?", g.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var data sql.RawBytes
	for rows.Next() {
		var chunk uint32
		if err := rows.Scan(&chunk, &data); err != nil {
			return err
		}
		if err := applyChunk(g, chunk, data); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DeleteGraph removes a graph with its history (and, for a swarm, its
// agents' history and commands, its tasks and dead letters).
func (s *Store) DeleteGraph(ctx context.Context, id string) error {
	defer s.snapshotAt(id, 0)
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := deleteGraph(ctx, tx, id); err != nil {
			return err
		}
		for _, q := range []string{"DELETE FROM swarms WHERE id = ?", "DELETE FROM agent_history WHERE swarm = ?", "DELETE FROM agent_commands WHERE swarm = ?",
			"DELETE FROM tasks WHERE swarm = ?", "DELETE FROM dead_letters WHERE swarm = ?"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete graph %q: %w", id, err)
	}
	return nil
}

func deleteGraph(ctx context.Context, tx *sql.Tx, id string) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM graphs WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(id)
	}
	for _, table := range []string{"nodes", "layout", "edges", "event_blocks", "snapshots", "crdt_ops", "crdt_cursor"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE graph_id = ?", id); err != nil {
			return err
		}
	}
	return nil
}

// SaveLayout writes the positions and velocities of every node of g.
func (s *Store) SaveLayout(ctx context.Context, g *graph.Graph) error {
	chunks := map[uint32]bool{}
	for c := uint32(0); c*chunkNodes < g.NextWireIndex(); c++ {
		chunks[c] = true
	}
	err := s.write(ctx, func(tx *sql.Tx) error { return s.writeChunks(ctx, tx, g, chunks) })
	if err != nil {
		return fmt.Errorf("save layout of graph %q: %w", g.ID, err)
	}
	return nil
}

// SavePositions writes the layout (positions and velocities) of the given
// nodes of g without touching the event log: layout motion is saved in
// bulk, periodically and at shutdown, as the layout rows that hold them.
func (s *Store) SavePositions(ctx context.Context, g *graph.Graph, ids []string) error {
	chunks := map[uint32]bool{}
	for _, id := range ids {
		if n, ok := g.Node(id); ok {
			chunks[n.WireID.Index()/chunkNodes] = true
		}
	}
	if len(chunks) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error { return s.writeChunks(ctx, tx, g, chunks) })
	if err != nil {
		return fmt.Errorf("save positions of graph %q: %w", g.ID, err)
	}
	return nil
}
