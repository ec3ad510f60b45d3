package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/session"
	"visionflow/settings"
	"visionflow/store"
)

func newSession(t testing.TB) (*Session, *store.Store, func()) {
	t.Helper()
	s, st, stop := newSessionWith(t, filepath.Join(t.TempDir(), "vf.db"), store.Options{})
	return s, st, func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}
}

// newSessionWith runs a session on the database at path opened with opt;
// stop ends it and returns what Run returned.
func newSessionWith(t testing.TB, path string, opt store.Options) (*Session, *store.Store, func() error) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	set, err := settings.Open(ctx, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(st, set, SessionOptions{})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	return s, st, func() error {
		cancel()
		err := <-done
		st.Close()
		return err
	}
}

func TestSessionPublishesCommittedEventsInOrder(t *testing.T) {
	s, _, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	var got []uint64
	cancel, err := s.Subscribe(func(ch session.Change) {
		for _, ev := range ch.Events {
			got = append(got, ev.Seq)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Apply(ctx, "t", "g", []graph.Op{{Op: graph.AddNode, ID: string(rune('a' + i))}}); err != nil {
			t.Fatal(err)
		}
	}
	// A failing batch publishes nothing.
	if _, err := s.Apply(ctx, "t", "g", []graph.Op{{Op: graph.AddNode, ID: "x"}, {Op: graph.AddNode, ID: "a"}}); !errors.Is(err, graph.ErrDuplicateID) {
		t.Fatalf("duplicate in batch: %v", err)
	}
	cancel()
	if _, err := s.Apply(ctx, "t", "g", []graph.Op{{Op: graph.AddNode, ID: "late"}}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Errorf("listener saw seqs %v, want [1 2 3]", got)
	}
	c, _ := s.Graph(ctx, "g")
	if c.Seq != 4 || len(c.Nodes) != 4 {
		t.Errorf("graph at seq %d with %d nodes; the failed batch must leave no trace", c.Seq, len(c.Nodes))
	}
}

func TestSessionSkipsCommandsOfCallersWhoGaveUp(t *testing.T) {
	s, _, stop := newSession(t)
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	if list, _ := s.ListGraphs(context.Background()); len(list) != 0 {
		t.Errorf("a cancelled create happened: %+v", list)
	}
	if _, err := s.CreateGraph(context.Background(), "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, "t", "g", []graph.Op{{Op: graph.AddNode, ID: "a"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("apply with a cancelled context: %v", err)
	}
	if c, _ := s.Graph(context.Background(), "g"); len(c.Nodes) != 0 {
		t.Errorf("a cancelled apply happened: %+v", c.Nodes)
	}
}

func TestSessionSavesLayoutPeriodically(t *testing.T) {
	s, st, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	imp := &ingest.Import{Ops: []graph.Op{
		{Op: graph.AddNode, ID: "a", Position: &graph.Vec3{}},
		{Op: graph.AddNode, ID: "b", Position: &graph.Vec3{X: 1}},
		{Op: graph.AddEdge, Source: "a", Target: "b"},
	}}
	if _, err := s.Import(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, imp, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Settings().Apply(ctx, "t", []settings.Update{{Path: "system.persistence.positionSaveInterval", Value: json.RawMessage("1")}}); err != nil {
		t.Fatal(err)
	}
	// The physics pushes the two nodes apart to about the rest length; the
	// ticker saves that without a shutdown.
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, err := st.LoadGraph(ctx, "g")
		if err != nil {
			t.Fatal(err)
		}
		a, _ := g.Node("a")
		b, _ := g.Node("b")
		dx, dy, dz := a.Position.X-b.Position.X, a.Position.Y-b.Position.Y, a.Position.Z-b.Position.Z
		if dx*dx+dy*dy+dz*dz > 100 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("layout motion not saved within 5 s at a 1 s interval: a %v b %v", a.Position, b.Position)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A graph that takes long to load must not hold up commands to another:
// each graph has its own worker. The slow load is a hook that waits for
// the test, so nothing here depends on timing.
func TestSlowLoadDoesNotStallOtherGraphs(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "vf.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	set, err := settings.Open(ctx, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	loading := make(chan struct{})
	s := NewSession(st, set, SessionOptions{LoadGraph: func(ctx context.Context, id string) (*graph.Graph, error) {
		if id == "slow" {
			close(loading)
			<-release
		}
		return st.LoadGraph(ctx, id)
	}})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for _, id := range []string{"slow", "fast"} {
		if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: id, Name: id, Type: graph.Knowledge}, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Unload "slow" (as a worker does when the stored log moved on without
	// it), so that the next command loads it from the store.
	if err := s.onGraph(ctx, "slow", func(_ context.Context, w *worker) error {
		s.stopLayout(w.id, true)
		w.g = nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slowDone := make(chan error, 1)
	go func() {
		_, err := s.Apply(ctx, "t", "slow", []graph.Op{{Op: graph.AddNode, ID: "s1"}})
		slowDone <- err
	}()
	<-loading
	// "slow" is stuck in its load; "fast" answers anyway.
	fastCtx, stop := context.WithTimeout(ctx, time.Minute)
	defer stop()
	if _, err := s.Apply(fastCtx, "t", "fast", []graph.Op{{Op: graph.AddNode, ID: "f1"}}); err != nil {
		t.Fatalf("an edit to another graph waited for the slow load: %v", err)
	}
	if c, err := s.Graph(fastCtx, "fast"); err != nil || len(c.Nodes) != 1 {
		t.Fatalf("fast graph: %v, %d nodes", err, len(c.Nodes))
	}
	select {
	case err := <-slowDone:
		t.Fatalf("the slow graph's edit finished before its load: %v", err)
	default:
	}
	close(release)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
}
