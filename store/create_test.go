package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"visionflow/graph"
	"visionflow/graph/gen"
)

// storedEvents is how many events of graph id are in the file, in rows
// and in blocks.
func storedEvents(t *testing.T, s *Store, id string) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow("SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM event_blocks WHERE graph_id = ?", id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// countRows is how many rows of table belong to graph id.
func countRows(t *testing.T, s *Store, table, id string) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow("SELECT count(*) FROM "+table+" WHERE graph_id = ?", id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A large graph is written in parts, and no reader sees it before the
// last one: not in the list, not by id, not its events.
func TestLargeCreateIsInvisibleUntilWhole(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	ctx := context.Background()
	g, events := gen.Build("big", 3000, 6000, 1, graph.NewClock(nil))
	parts, checked := 0, 0
	seen := map[int]bool{}
	opt := CreateOptions{Progress: func(done, total int) {
		if done%createChunk != 0 || done == 0 || done == total || seen[done] {
			return
		}
		seen[done] = true // told at the end of one part and the start of the next
		parts++
		// Called inside a part's transaction, after earlier parts committed.
		list, err := s.ListGraphs(ctx)
		if err != nil || len(list) != 0 {
			t.Errorf("after %d of %d events, the list holds %v (%v)", done, total, list, err)
		}
		if _, err := s.GraphInfo(ctx, "big"); !errors.Is(err, graph.ErrNotFound) {
			t.Errorf("after %d events, GraphInfo: %v", done, err)
		}
		if _, err := s.Events(ctx, "big", 0, 10); !errors.Is(err, graph.ErrNotFound) {
			t.Errorf("after %d events, Events: %v", done, err)
		}
		if storedEvents(t, s, "big") >= done-createChunk {
			checked++ // earlier parts are really in the file
		}
	}}
	if err := s.CreateGraph(ctx, g, events, opt); err != nil {
		t.Fatal(err)
	}
	if parts < len(events)/createChunk-1 || checked != parts {
		t.Errorf("%d parts seen, %d with their events stored, for %d events", parts, checked, len(events))
	}
	back, err := s.LoadGraph(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if back.NodeCount() != 3000 || back.EdgeCount() != g.EdgeCount() || back.Seq != uint64(len(events)) {
		t.Errorf("loaded %d nodes, %d edges at seq %d", back.NodeCount(), back.EdgeCount(), back.Seq)
	}
	// Its snapshot was written with the last part, and ?at= replays from it.
	var snaps int
	if err := s.r.QueryRow("SELECT count(*) FROM snapshots WHERE graph_id = 'big' AND seq = ?", len(events)).Scan(&snaps); err != nil || snaps != 1 {
		t.Errorf("%d snapshots at the last seq (%v)", snaps, err)
	}
}

// An import whose caller gives up half way leaves nothing behind.
func TestAbandonedCreateLeavesNothing(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	g, events := gen.Build("big", 3000, 6000, 1, graph.NewClock(nil))
	opt := CreateOptions{Progress: func(done, total int) {
		if done >= 3*createChunk {
			cancel()
		}
	}}
	err := s.CreateGraph(ctx, g, events, opt)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateGraph after its caller left: %v", err)
	}
	for _, table := range []string{"nodes", "edges", "event_blocks", "layout", "snapshots"} {
		if n := countRows(t, s, table, "big"); n != 0 {
			t.Errorf("%d rows of %s left", n, table)
		}
	}
	// The id is free again.
	if err := s.CreateGraph(context.Background(), g, events, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A graph that a crash left half written is deleted by the next server
// (DropUnfinished), and was never listed.
func TestUnfinishedGraphIsDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vf.db")
	s := openTest(t, path, Options{})
	ctx := context.Background()
	g, events := gen.Build("half", 200, 300, 1, graph.NewClock(nil))
	if err := s.CreateGraph(ctx, g, events, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// What a crash between two parts leaves: the mark still set.
	if _, err := s.w.Exec("UPDATE graphs SET importing = 1 WHERE id = 'half'"); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListGraphs(ctx); len(list) != 0 {
		t.Errorf("an unfinished graph is listed: %v", list)
	}
	s.Close()
	s = openTest(t, path, Options{})
	defer s.Close()
	if countRows(t, s, "nodes", "half") == 0 {
		t.Fatal("Open alone dropped it; only the lock holder may")
	}
	if err := s.DropUnfinished(ctx); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"nodes", "edges", "event_blocks", "layout"} {
		if n := countRows(t, s, table, "half"); n != 0 {
			t.Errorf("%d rows of %s left", n, table)
		}
	}
}
