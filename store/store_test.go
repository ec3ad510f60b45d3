package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/settings"
)

func openTest(t *testing.T, path string, opt Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeNow is a wall clock the test moves by hand.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func newGraph(id string, created time.Time) *graph.Graph {
	return graph.New(graph.Info{ID: id, Name: "Graph " + id, Type: graph.Knowledge, Created: created.Truncate(time.Millisecond).UTC()})
}

// build adds n nodes and m random edges in one Tx and returns its events.
func build(g *graph.Graph, clock *graph.Clock, r *rand.Rand, n, m int) []graph.Event {
	tx := g.Begin(clock, "test")
	base := g.NodeCount()
	for i := range n {
		label := fmt.Sprint("Node ", base+i)
		op := graph.Op{Op: graph.AddNode, ID: fmt.Sprint("n", base+i), Label: &label}
		if i%4 == 0 {
			v := fmt.Sprint(i)
			op.Metadata = map[string]*string{"i": &v}
		}
		if _, err := tx.Do(op); err != nil {
			panic(err)
		}
	}
	total := g.NodeCount()
	for range m {
		w := float32(r.IntN(5) + 1)
		if _, err := tx.Do(graph.Op{Op: graph.AddEdge, Source: fmt.Sprint("n", r.IntN(total)), Target: fmt.Sprint("n", r.IntN(total)), Weight: &w}); err != nil {
			panic(err)
		}
	}
	return tx.Commit()
}

func sameGraph(t *testing.T, what string, got, want *graph.Graph) {
	t.Helper()
	if got.Info != want.Info {
		t.Errorf("%s: info %+v, want %+v", what, got.Info, want.Info)
	}
	if !reflect.DeepEqual(got.Nodes(), want.Nodes()) {
		t.Errorf("%s: nodes differ (%d vs %d)", what, got.NodeCount(), want.NodeCount())
	}
	if !reflect.DeepEqual(got.Edges(), want.Edges()) {
		t.Errorf("%s: edges differ (%d vs %d)", what, got.EdgeCount(), want.EdgeCount())
	}
	if got.NextWireIndex() != want.NextWireIndex() {
		t.Errorf("%s: next wire index %d, want %d", what, got.NextWireIndex(), want.NextWireIndex())
	}
}

func TestCommitLoadAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vf.db")
	s := openTest(t, path, Options{})
	now := &fakeNow{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	clock := graph.NewClock(now.now)
	r := rand.New(rand.NewPCG(1, 2))

	g := newGraph("g1", now.t)
	if err := s.CreateGraph(ctx, g, build(g, clock, r, 200, 500), CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Edits of every kind, including a node removal that cascades.
	tx := g.Begin(clock, "editor")
	label := "renamed"
	v := "x"
	pinned := true
	w := float32(9)
	ops := []graph.Op{
		{Op: graph.UpdateNode, ID: "n1", Label: &label, Position: &graph.Vec3{X: 1, Y: 2, Z: 3}, Pinned: &pinned, Metadata: map[string]*string{"i": nil, "k": &v}},
		{Op: graph.RemoveNode, ID: "n2"},
		{Op: graph.UpdateEdge, ID: "e10", Weight: &w, Label: &label},
		{Op: graph.RemoveEdge, ID: "e11"},
		{Op: graph.AddNode, ID: "new"},
		{Op: graph.AddEdge, ID: "newedge", Source: "new", Target: "n1"},
	}
	for _, op := range ops {
		if _, err := tx.Do(op); err != nil {
			t.Fatalf("%v: %v", op.String(), err)
		}
	}
	if err := s.Commit(ctx, g, tx.Commit()); err != nil {
		t.Fatal(err)
	}
	loaded, err := s.LoadGraph(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	sameGraph(t, "loaded", loaded, g)

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, Options{})
	defer s.Close()
	reopened, err := s.LoadGraph(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	sameGraph(t, "after reopening", reopened, g)

	list, err := s.ListGraphs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Nodes != g.NodeCount() || list[0].Edges != g.EdgeCount() || list[0].Seq != g.Seq {
		t.Errorf("ListGraphs = %+v", list)
	}
}

func TestCreateGraphTwiceFails(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	g := newGraph("dup", time.Now())
	if err := s.CreateGraph(ctx, g, nil, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateGraph(ctx, newGraph("dup", time.Now()), nil, CreateOptions{}); !errors.Is(err, graph.ErrDuplicateID) {
		t.Errorf("second create: %v, want ErrDuplicateID", err)
	}
}

func TestCommitRejectsAGapAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	clock := graph.NewClock(nil)
	g := newGraph("g", time.Now())
	if err := s.CreateGraph(ctx, g, build(g, clock, rand.New(rand.NewPCG(1, 1)), 5, 5), CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.LoadGraph(ctx, "g")
	// Events that do not continue the stored log (as if one batch were lost).
	build(g, clock, rand.New(rand.NewPCG(1, 1)), 3, 0)
	evs := build(g, clock, rand.New(rand.NewPCG(1, 1)), 3, 0)
	if err := s.Commit(ctx, g, evs); !errors.Is(err, graph.ErrCorruptEvent) {
		t.Fatalf("got %v, want ErrCorruptEvent", err)
	}
	after, _ := s.LoadGraph(ctx, "g")
	sameGraph(t, "after a refused commit", after, before)
}

func TestGraphAtReplaysHistory(t *testing.T) {
	ctx := context.Background()
	// A small snapshot interval so replays start from snapshots, not only
	// from the beginning.
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{SnapshotEvery: 50})
	defer s.Close()
	now := &fakeNow{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	clock := graph.NewClock(now.now)
	r := rand.New(rand.NewPCG(3, 4))
	g := newGraph("h", now.t)
	if err := s.CreateGraph(ctx, g, build(g, clock, r, 20, 30), CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	type point struct {
		at    time.Time
		state *graph.Graph
	}
	var points []point
	for step := range 30 {
		now.t = now.t.Add(time.Minute)
		tx := g.Begin(clock, "")
		for range 10 {
			_, _ = tx.Do(randomEdit(r, g))
		}
		if err := s.Commit(ctx, g, tx.Commit()); err != nil {
			t.Fatal(err)
		}
		if step%5 == 0 {
			points = append(points, point{now.t.Add(30 * time.Second), g.Clone()})
		}
	}
	var snaps int
	s.r.QueryRow("SELECT count(*) FROM snapshots WHERE graph_id = 'h'").Scan(&snaps)
	if snaps < 3 {
		t.Fatalf("only %d snapshots; the test would not exercise them", snaps)
	}
	for _, p := range points {
		got, err := s.GraphAt(ctx, "h", p.at)
		if err != nil {
			t.Fatal(err)
		}
		sameGraph(t, "at "+p.at.Format(time.TimeOnly), got, p.state)
		// Time travel's answer, replayed without building the graph, is
		// the same.
		c, err := s.ContentsAt(ctx, "h", p.at)
		if err != nil {
			t.Fatal(err)
		}
		if want := got.Contents(); !reflect.DeepEqual(c, want) {
			t.Errorf("at %s: ContentsAt differs from GraphAt's contents", p.at.Format(time.TimeOnly))
		}
	}
	if _, err := s.GraphAt(ctx, "h", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("before creation: %v, want ErrNotFound", err)
	}
	if _, err := s.GraphAt(ctx, "nope", now.t); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("unknown graph: %v, want ErrNotFound", err)
	}
}

func randomEdit(r *rand.Rand, g *graph.Graph) graph.Op {
	nodes := g.Nodes()
	pick := func() string { return nodes[r.IntN(len(nodes))].ID }
	switch r.IntN(5) {
	case 0:
		return graph.Op{Op: graph.AddNode, ID: fmt.Sprint("x", r.IntN(1000))}
	case 1:
		return graph.Op{Op: graph.UpdateNode, ID: pick(), Position: &graph.Vec3{X: r.Float32(), Y: 1, Z: 2}}
	case 2:
		return graph.Op{Op: graph.AddEdge, Source: pick(), Target: pick()}
	case 3:
		return graph.Op{Op: graph.RemoveNode, ID: pick()}
	default:
		l := fmt.Sprint("L", r.IntN(9))
		return graph.Op{Op: graph.UpdateNode, ID: pick(), Label: &l}
	}
}

func TestEventsPaging(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	g := newGraph("p", time.Now())
	all := build(g, graph.NewClock(nil), rand.New(rand.NewPCG(5, 6)), 30, 20)
	if err := s.CreateGraph(ctx, g, all, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got []graph.Event
	var since uint64
	for {
		page, err := s.Events(ctx, "p", since, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 7 {
			t.Fatalf("page of %d", len(page))
		}
		got = append(got, page...)
		since = page[len(page)-1].Seq
	}
	if len(got) != len(all) {
		t.Fatalf("paged %d events, want %d", len(got), len(all))
	}
	for k := range got {
		if got[k].Seq != all[k].Seq || got[k].Type != all[k].Type || got[k].Subject() != all[k].Subject() || got[k].Time != all[k].Time {
			t.Fatalf("event %d: %+v, want %+v", k, got[k], all[k])
		}
	}
	if _, err := s.Events(ctx, "nope", 0, 10); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("unknown graph: %v", err)
	}
}

func TestSavePositionsAndDelete(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	g := newGraph("pos", time.Now())
	if err := s.CreateGraph(ctx, g, build(g, graph.NewClock(nil), rand.New(rand.NewPCG(7, 8)), 50, 60), CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var moved []string
	for k, n := range g.Nodes() {
		g.SetLayout(n.ID, graph.Vec3{X: float32(k), Y: -1, Z: 0.5}, graph.Vec3{X: 0.25})
		moved = append(moved, n.ID)
	}
	if err := s.SavePositions(ctx, g, moved); err != nil {
		t.Fatal(err)
	}
	loaded, err := s.LoadGraph(ctx, "pos")
	if err != nil {
		t.Fatal(err)
	}
	sameGraph(t, "after saving positions", loaded, g)

	if err := s.DeleteGraph(ctx, "pos"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadGraph(ctx, "pos"); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("load after delete: %v", err)
	}
	for _, table := range []string{"nodes", "layout", "edges", "event_blocks", "snapshots"} {
		var n int
		if err := s.r.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
	if err := s.DeleteGraph(ctx, "pos"); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestSettingsPersistence(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vf.db")
	s := openTest(t, path, Options{})
	at := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	saved, err := s.SaveSettings(ctx, []settings.Delta{
		{Path: "physics.springK", Old: json.RawMessage("0.05"), New: json.RawMessage("0.2"), Time: at, Client: "a"},
		{Path: "nodes.baseColor", Old: json.RawMessage(`"#00e5ff"`), New: json.RawMessage(`"#ff0000"`), Time: at, Client: "a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if saved[0].ID == 0 || saved[1].ID <= saved[0].ID {
		t.Errorf("ids %d %d", saved[0].ID, saved[1].ID)
	}
	if _, err := s.SaveSettings(ctx, []settings.Delta{{Path: "physics.springK", Old: json.RawMessage("0.2"), New: json.RawMessage("0.3"), Time: at, Client: "b"}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, path, Options{})
	defer s.Close()
	vals, err := s.LoadSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(vals["physics.springK"]) != "0.3" || string(vals["nodes.baseColor"]) != `"#ff0000"` || len(vals) != 2 {
		t.Errorf("loaded %v", vals)
	}
	hist, err := s.SettingsHistory(ctx, "physics", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || string(hist[1].Old) != "0.2" || hist[1].Client != "b" || !hist[0].Time.Equal(at) {
		t.Errorf("physics history %+v", hist)
	}
	if all, _ := s.SettingsHistory(ctx, "", saved[0].ID, 100); len(all) != 2 {
		t.Errorf("history since the first delta: %d entries, want 2", len(all))
	}
	if none, _ := s.SettingsHistory(ctx, "phys", 0, 100); len(none) != 0 {
		t.Errorf("a path prefix that is not a group matched %d deltas", len(none))
	}
}

func TestOpenSetsPragmas(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "dir with space?#", "vf.db"), Options{})
	defer s.Close()
	var mode string
	var sync, busy int
	s.w.QueryRow("PRAGMA journal_mode").Scan(&mode)
	s.w.QueryRow("PRAGMA synchronous").Scan(&sync)
	s.r.QueryRow("PRAGMA busy_timeout").Scan(&busy)
	wantSync := 2 // FULL
	if externalSync {
		wantSync = 1 // NORMAL, and the store fsyncs the log after each commit
	}
	if mode != "wal" || sync != wantSync || busy != 10000 {
		t.Errorf("journal_mode %q synchronous %d reader busy_timeout %d", mode, sync, busy)
	}
	if _, err := s.r.Exec("CREATE TABLE x (a)"); err == nil {
		t.Error("a reader connection could write")
	}
}

func TestCreateGraphReplacesAndPicksFreeIDs(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	clock := graph.NewClock(nil)
	g := newGraph("g", time.Now())
	if err := s.CreateGraph(ctx, g, build(g, clock, rand.New(rand.NewPCG(1, 1)), 10, 10), CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Replace: the new graph stands in the old one's place, in one go.
	g2 := newGraph("g", time.Now())
	if err := s.CreateGraph(ctx, g2, build(g2, clock, rand.New(rand.NewPCG(2, 2)), 3, 1), CreateOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	loaded, err := s.LoadGraph(ctx, "g")
	if err != nil || loaded.NodeCount() != 3 || loaded.EdgeCount() != 1 {
		t.Fatalf("after replace: %v, %d nodes", err, loaded.NodeCount())
	}
	evs, _ := s.Events(ctx, "g", 0, 100)
	if len(evs) != 4 {
		t.Errorf("after replace the log has %d events, want the new graph's 4", len(evs))
	}
	// Concurrent creates asking for a free id all succeed with distinct ids.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	errs := make([]error, 8)
	for i := range 8 {
		wg.Go(func() {
			g := newGraph("", time.Now())
			errs[i] = s.CreateGraph(ctx, g, nil, CreateOptions{IDBase: "auto"})
			ids[i] = g.ID
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range ids {
		if errs[i] != nil || seen[ids[i]] || !strings.HasPrefix(ids[i], "auto") {
			t.Errorf("create %d: id %q, %v", i, ids[i], errs[i])
		}
		seen[ids[i]] = true
	}
}

func TestOpeningAFreshFileTwiceAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vf.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(context.Background(), path, Options{})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
}

func TestGraphAtEdgesOfTime(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	now := &fakeNow{time.Date(2026, 11, 1, 12, 10, 0, 0, time.UTC)}
	g := newGraph("t", now.t.Add(-time.Hour))
	first := build(g, graph.NewClock(now.now), rand.New(rand.NewPCG(1, 1)), 2, 0)
	if err := s.CreateGraph(ctx, g, first, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A later process whose clock stepped back ten minutes, and which did
	// not learn the log's last time, stamps an event before the others.
	now.t = now.t.Add(-10 * time.Minute)
	late := build(g, graph.NewClock(now.now), rand.New(rand.NewPCG(1, 1)), 1, 0)
	if err := s.Commit(ctx, g, late); err != nil {
		t.Fatal(err)
	}
	at, err := s.GraphAt(ctx, "t", now.t.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if at.Seq != 0 {
		t.Errorf("at 12:01 the graph is at seq %d; the state must be a prefix of the log (seq 0: the first event is stamped 12:10)", at.Seq)
	}
	future, err := s.GraphAt(ctx, "t", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil || future.Seq != g.Seq || future.NodeCount() != 3 {
		t.Errorf("far future: %v, seq %d", err, future.Seq)
	}
	if ts, err := s.MaxTime(ctx); err != nil || ts != first[1].Time {
		t.Errorf("MaxTime %v, %v; want the 12:10 stamp %v", ts, err, first[1].Time)
	}
}

func TestGeneratedEdgeIDsAreNotReusedAfterARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vf.db")
	s := openTest(t, path, Options{})
	clock := graph.NewClock(nil)
	g := newGraph("g", time.Now())
	tx := g.Begin(clock, "")
	tx.Do(graph.Op{Op: graph.AddNode, ID: "a"})
	for range 4 {
		tx.Do(graph.Op{Op: graph.AddEdge, Source: "a", Target: "a"})
	}
	for _, id := range []string{"e2", "e3", "e4"} {
		if _, err := tx.Do(graph.Op{Op: graph.RemoveEdge, ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateGraph(ctx, g, tx.Commit(), CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, path, Options{})
	defer s.Close()
	loaded, err := s.LoadGraph(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	tx = loaded.Begin(clock, "")
	id, err := tx.Do(graph.Op{Op: graph.AddEdge, Source: "a", Target: "a"})
	if err != nil || id != "e5" {
		t.Errorf("next generated edge id after a restart: %q, %v; want e5", id, err)
	}
}
