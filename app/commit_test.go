package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"visionflow/graph"
	"visionflow/graph/gen"
	"visionflow/ingest"
	"visionflow/session"
)

// applyReqs makes the requests of a group as Apply would.
func applyReqs(ops ...[]graph.Op) []*applyReq {
	rs := make([]*applyReq, len(ops))
	for i, o := range ops {
		rs[i] = &applyReq{ctx: context.Background(), client: fmt.Sprintf("c%d", i), ops: o, done: make(chan applyResult, 1)}
	}
	return rs
}

func addNode(id, label string) []graph.Op {
	return []graph.Op{{Op: graph.AddNode, ID: id, Label: str(label)}}
}

// nodeIDs is the sorted ids of a graph's nodes.
func nodeIDs(c graph.Contents) []string {
	var ids []string
	for _, n := range c.Nodes {
		ids = append(ids, n.ID)
	}
	slices.Sort(ids)
	return ids
}

// A group commit keeps each edit's own outcome: an edit that fails
// validation is refused alone, the others share one transaction, each
// answer holds its own events, and listeners hear every event once.
func TestGroupCommitKeepsEachEditsOutcome(t *testing.T) {
	s, st, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	var heard []uint64
	var mu sync.Mutex
	cancel, err := s.Subscribe(func(ch session.Change) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range ch.Events {
			heard = append(heard, ev.Seq)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	gone, gcancel := context.WithCancel(ctx)
	gcancel()
	group := applyReqs(
		addNode("a", "A"),
		[]graph.Op{{Op: graph.AddNode, ID: "b", Label: str("B")}, {Op: graph.AddEdge, Source: "a", Target: "b"}},
		[]graph.Op{{Op: graph.AddNode, ID: "c"}, {Op: graph.AddNode, ID: "a"}}, // a exists: all of it refused
		addNode("d", "D"),
		[]graph.Op{{Op: graph.UpdateNode, ID: "a", Label: str("A2")}}, // sees the first edit
		addNode("e", "E"),
	)
	group[5].ctx = gone // its caller gave up before it started
	err = s.onGraph(ctx, "g", func(ctx context.Context, w *worker) error {
		s.commitGroup(w, group)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res := make([]applyResult, len(group))
	for i, r := range group {
		res[i] = <-r.done
	}
	if res[2].err == nil || !errors.Is(res[2].err, graph.ErrDuplicateID) {
		t.Errorf("edit 2: err %v, want a duplicate id", res[2].err)
	}
	if !errors.Is(res[5].err, context.Canceled) {
		t.Errorf("edit 5: err %v, want its context's", res[5].err)
	}
	for _, i := range []int{0, 1, 3, 4} {
		if res[i].err != nil {
			t.Fatalf("edit %d: %v", i, res[i].err)
		}
	}
	// Each answer has its own events, in order, and the nodes as they
	// were after it (the first edit's answer says "A", not "A2").
	seqs := func(r applyResult) (out []uint64) {
		for _, ev := range r.ch.Events {
			out = append(out, ev.Seq)
			if ev.Client == "" {
				t.Errorf("event %d without a client", ev.Seq)
			}
		}
		return out
	}
	if got := [][]uint64{seqs(res[0]), seqs(res[1]), seqs(res[3]), seqs(res[4])}; fmt.Sprint(got) != "[[1] [2 3] [4] [5]]" {
		t.Errorf("events per answer %v", got)
	}
	if res[0].ch.Nodes[0].Label != "A" || res[4].ch.Nodes[0].Label != "A2" {
		t.Errorf("answers' nodes %q, %q; want A, A2", res[0].ch.Nodes[0].Label, res[4].ch.Nodes[0].Label)
	}
	mu.Lock()
	if fmt.Sprint(heard) != "[1 2 3 4 5]" {
		t.Errorf("listeners heard %v", heard)
	}
	mu.Unlock()
	stored, err := st.LoadGraph(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if got := nodeIDs(stored.Contents()); fmt.Sprint(got) != "[a b d]" || stored.Seq != 5 {
		t.Errorf("stored nodes %v at seq %d, want [a b d] at 5", got, stored.Seq)
	}
}

// When the shared transaction fails, every edit in it is rolled back in
// memory and told why, and the graph goes on from the stored state. The
// failure is real: a trigger in the file refuses one of the rows.
func TestGroupCommitFailureRollsBackTheGroup(t *testing.T) {
	s, st, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, "t", "g", addNode("x", "X")); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER poison BEFORE INSERT ON nodes WHEN NEW.label = 'poison'
		BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`); err != nil {
		t.Fatal(err)
	}
	group := applyReqs(addNode("a", "A"), []graph.Op{{Op: graph.UpdateNode, ID: "x", Label: str("X2")}}, addNode("p", "poison"), addNode("b", "B"))
	err = s.onGraph(ctx, "g", func(ctx context.Context, w *worker) error {
		s.commitGroup(w, group)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range group {
		if res := <-r.done; res.err == nil {
			t.Errorf("edit %d succeeded in a failed transaction", i)
		}
	}
	live, err := s.Graph(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if got := nodeIDs(live); fmt.Sprint(got) != "[x]" || live.Nodes[0].Label != "X" {
		t.Errorf("after the failed group the graph holds %v (x labelled %q), want [x] labelled X", got, live.Nodes[0].Label)
	}
	// The next edit gets the next seq, and memory and file agree.
	ch, err := s.Apply(ctx, "t", "g", addNode("a", "A"))
	if err != nil {
		t.Fatal(err)
	}
	if ch.Events[0].Seq != 2 {
		t.Errorf("next edit at seq %d, want 2", ch.Events[0].Seq)
	}
	stored, err := st.LoadGraph(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if got := nodeIDs(stored.Contents()); fmt.Sprint(got) != "[a x]" {
		t.Errorf("stored %v, want [a x]", got)
	}
}

// Many clients editing one graph at once: every acknowledged edit is
// stored once, seqs have no gap, and no answer holds another's events.
func TestConcurrentEditsAreEachStoredOnce(t *testing.T) {
	s, st, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	const clients, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("n%d-%d", c, i)
				ch, err := s.Apply(ctx, fmt.Sprint(c), "g", addNode(id, id))
				if err == nil && (len(ch.Events) != 1 || ch.Events[0].Subject() != id || ch.Nodes[0].ID != id) {
					err = fmt.Errorf("answer for %s holds %+v", id, ch)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	evs, err := st.Events(ctx, "g", 0, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
	stored, err := st.LoadGraph(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if stored.NodeCount() != clients*each || len(evs) != clients*each {
		t.Errorf("stored %d nodes and %d events, want %d", stored.NodeCount(), len(evs), clients*each)
	}
}

// An import whose caller gives up stops between its parts and leaves no
// graph; the session goes on serving.
func TestAbandonedImportStopsAndLeavesNothing(t *testing.T) {
	s, _, stop := newSession(t)
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	imp := &ingest.Import{Ops: gen.Ops(4000, 8000, 1)}
	var last int
	_, err := s.Import(ctx, "t", graph.Info{ID: "big", Name: "big", Type: graph.Knowledge}, imp, ImportOptions{Progress: func(done, total int) {
		last = done
		if done > 0 {
			cancel() // the client went away while the first parts were written
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Import: %v", err)
	}
	if last >= 12000 {
		t.Errorf("the import went on to event %d of 12000 after its caller left", last)
	}
	list, err := s.ListGraphs(context.Background())
	if err != nil || len(list) != 0 {
		t.Errorf("graphs after an abandoned import: %v (%v)", list, err)
	}
	if _, err := s.Import(context.Background(), "t", graph.Info{ID: "big", Name: "big", Type: graph.Knowledge}, imp, ImportOptions{}); err != nil {
		t.Fatalf("the same import again: %v", err)
	}
}
