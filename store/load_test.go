package store

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/gen"
)

// A graph loads from its snapshot and the events after it exactly as from
// its rows; a damaged snapshot falls back to the rows.
func TestLoadFromSnapshotMatchesRows(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{SnapshotEvery: 10})
	defer s.Close()
	now := &fakeNow{time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	clock := graph.NewClock(now.now)
	g := newGraph("g", now.t)
	if err := s.CreateGraph(ctx, g, build(g, clock, rand.New(rand.NewPCG(3, 4)), 200, 500), CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// After the import's snapshot: the node with the highest wire index
	// goes (its index must not come back), an edge goes (its generated id
	// must not come back), a rename and a move.
	tx := g.Begin(clock, "editor")
	label := "renamed"
	for _, op := range []graph.Op{
		{Op: graph.RemoveNode, ID: "n199"},
		{Op: graph.RemoveEdge, ID: "e500"},
		{Op: graph.UpdateNode, ID: "n3", Label: &label, Position: &graph.Vec3{X: 7, Y: 8, Z: 9}},
		{Op: graph.AddEdge, Source: "n1", Target: "n2"},
	} {
		if _, err := tx.Do(op); err != nil {
			t.Fatalf("%v: %v", op.String(), err)
		}
	}
	if err := s.Commit(ctx, g, tx.Commit()); err != nil {
		t.Fatal(err)
	}
	// Layout motion is in the layout rows only.
	g.SetLayout("n5", graph.Vec3{X: -4, Y: 5, Z: 6}, graph.Vec3{})
	if err := s.SavePositions(ctx, g, []string{"n5"}); err != nil {
		t.Fatal(err)
	}

	row, err := s.graphRow(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	fromSnap, err := s.loadFromSnapshot(ctx, row)
	if err != nil || fromSnap == nil {
		t.Fatalf("the snapshot path was not taken: %v", err)
	}
	loaded, err := s.LoadGraph(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	sameGraph(t, "from the snapshot", loaded, g)
	if loaded.NextEdgeNumber() != g.NextEdgeNumber() {
		t.Errorf("next edge number %d, want %d", loaded.NextEdgeNumber(), g.NextEdgeNumber())
	}
	if n, _ := loaded.Node("n5"); n.Position != (graph.Vec3{X: -4, Y: 5, Z: 6}) {
		t.Errorf("n5 at %v, want the saved layout position", n.Position)
	}

	// Snapshots are stored compressed; the plain images older versions
	// stored load as well.
	var stored []byte
	if err := s.r.QueryRow("SELECT data FROM snapshots WHERE graph_id = 'g' ORDER BY seq DESC LIMIT 1").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(stored, zstdMagic) {
		t.Errorf("the snapshot is stored as %q…, not compressed", stored[:min(8, len(stored))])
	}
	img, err := decodeSnapshot(stored)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, "UPDATE snapshots SET data = ? WHERE graph_id = 'g'", img); err != nil {
		t.Fatal(err)
	}
	if fromSnap, err := s.loadFromSnapshot(ctx, row); err != nil || fromSnap == nil {
		t.Fatalf("a plain snapshot did not load: %v", err)
	}
	if loaded, err = s.LoadGraph(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	sameGraph(t, "from a plain snapshot", loaded, g)

	if _, err := s.w.ExecContext(ctx, "UPDATE snapshots SET data = x'56464731ff' WHERE graph_id = 'g'"); err != nil {
		t.Fatal(err)
	}
	if g2, _ := s.loadFromSnapshot(ctx, row); g2 != nil {
		t.Error("a damaged snapshot loaded")
	}
	loaded, err = s.LoadGraph(ctx, "g")
	if err != nil {
		t.Fatalf("a damaged snapshot lost the graph: %v", err)
	}
	sameGraph(t, "from the rows", loaded, g)
}

// A large snapshot is compressed in several frames (the encoder yields its
// core between them) and reads back as the one image.
func TestSnapshotOfSeveralFramesReadsBack(t *testing.T) {
	g := newGraph("big", time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	tx := g.Begin(graph.NewClock(func() time.Time { return g.Created }), "test")
	for _, op := range gen.Ops(20_000, 20_000, 1) {
		if _, err := tx.Do(op); err != nil {
			t.Fatal(err)
		}
	}
	tx.Commit()
	img, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(img) < 3*snapshotFrame {
		t.Fatalf("the image is %d bytes, too small for three frames", len(img))
	}
	stored, err := encodeSnapshot(g)
	if err != nil {
		t.Fatal(err)
	}
	if frames := bytes.Count(stored, zstdMagic); frames < 3 {
		t.Errorf("%d frames for a %d-byte image", frames, len(img))
	}
	back, err := decodeSnapshot(stored)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, img) {
		t.Fatalf("the image read back differs: %d bytes, want %d", len(back), len(img))
	}
}

// An import writes its snapshot piece by piece, each piece in a
// transaction of its own, and the pieces read back as the snapshot.
func TestImportWritesItsSnapshotPieceByPiece(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	now := &fakeNow{time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	g := newGraph("big", now.t)
	events := build(g, graph.NewClock(now.now), rand.New(rand.NewPCG(5, 6)), 30_000, 60_000)
	before := s.sync.written.Load()
	if err := s.CreateGraph(ctx, g, events, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	commits := s.sync.written.Load() - before
	var pieces, longest int
	if err := s.r.QueryRow("SELECT count(*), max(length(data)) FROM snapshots WHERE graph_id = 'big'").Scan(&pieces, &longest); err != nil {
		t.Fatal(err)
	}
	if pieces < 2 || longest > snapshotPiece {
		t.Fatalf("the snapshot is in %d pieces, the longest %d bytes: want several of at most %d", pieces, longest, snapshotPiece)
	}
	if parts := (len(events) + createChunk - 1) / createChunk; commits != uint64(parts+pieces) {
		t.Errorf("%d commits for %d parts of events and %d pieces of snapshot", commits, parts, pieces)
	}
	seq, data, err := readSnapshot(ctx, s.r, "big", g.Seq)
	if err != nil || seq != g.Seq {
		t.Fatalf("snapshot at %d, want %d: %v", seq, g.Seq, err)
	}
	img, err := decodeSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	want, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img, want) {
		t.Errorf("the snapshot read back is %d bytes, not the graph's %d-byte image", len(img), len(want))
	}
}
