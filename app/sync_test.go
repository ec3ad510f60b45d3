package app

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/crdt"
	"visionflow/net/client"
	"visionflow/session"
)

// view is a server's graph without what the layout and the server itself
// decide (positions, wire ids), sorted, for comparing two servers'.
func view(t *testing.T, c *client.Client, id string) []byte {
	t.Helper()
	g, err := c.Graph(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.Nodes {
		g.Nodes[i].WireID, g.Nodes[i].Velocity, g.Nodes[i].Position = 0, graph.Vec3{}, graph.Vec3{}
	}
	g.Info = graph.Info{}
	slices.SortFunc(g.Nodes, func(a, b graph.Node) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(g.Edges, func(a, b graph.Edge) int { return strings.Compare(a.ID, b.ID) })
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameGraph(t *testing.T, a, b *client.Client, id string) {
	t.Helper()
	if va, vb := view(t, a, id), view(t, b, id); !bytes.Equal(va, vb) {
		t.Fatalf("the two sides differ:\n%.600s\n%.600s", va, vb)
	}
}

func nodeByID(c graph.Contents, id string) *graph.Node {
	for i := range c.Nodes {
		if c.Nodes[i].ID == id {
			return &c.Nodes[i]
		}
	}
	return nil
}

// Two servers that changed the same graph apart end, after a sync, with
// the same graph: both sides' additions, the later of two relabels, a
// removal on one side; syncing again changes nothing.
func TestSyncMergesTwoServersThatChangedApart(t *testing.T) {
	ctx := context.Background()
	a := startServer(t, filepath.Join(t.TempDir(), "a.db"))
	defer a.Close()
	b := startServer(t, filepath.Join(t.TempDir(), "b.db"))
	defer b.Close()
	list, _ := a.c.Graphs(ctx)
	id := list[0].ID
	// b starts from a's graph.
	if _, err := SyncGraph(ctx, a.c, b.c, id); err != nil {
		t.Fatal(err)
	}
	sameGraph(t, a.c, b.c, id)
	ga, _ := a.c.Graph(ctx, id)
	x, y := ga.Nodes[0].ID, ga.Nodes[1].ID

	// Apart: a adds and relabels x; b relabels x later, removes y and
	// adds its own.
	writeNodes(t, a.c, id, "from-a", 3)
	la, lb := "a's name", "b's name"
	if _, err := a.c.UpdateNode(ctx, id, x, graph.Op{Label: &la}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.c.UpdateNode(ctx, id, x, graph.Op{Label: &lb}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.c.RemoveNode(ctx, id, y); err != nil {
		t.Fatal(err)
	}
	writeNodes(t, b.c, id, "from-b", 2)
	st, err := a.c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Subscribe(ctx, id, "events"); err != nil {
		t.Fatal(err)
	}

	// The later of the two relabels, by the hybrid logical clock (the two
	// may fall in one millisecond: the stamps decide, not the test's
	// order), is the one both must keep.
	want := ""
	var best crdt.Stamp
	for _, c := range []*client.Client{a.c, b.c} {
		batch, err := c.SyncOps(ctx, id, nil, session.MaxSyncOps)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range batch.Ops {
			if op.Kind == crdt.SetNode && op.ID == x && op.Field == crdt.FieldLabel && op.Stamp.Compare(best) > 0 {
				best = op.Stamp
				json.Unmarshal(op.Value, &want)
			}
		}
	}
	if want != la && want != lb {
		t.Fatalf("the newest label op says %q", want)
	}
	r, err := SyncGraph(ctx, a.c, b.c, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sent == 0 || r.Received == 0 || r.EventsHere == 0 || r.EventsThere == 0 {
		t.Errorf("report %+v", r)
	}
	sameGraph(t, a.c, b.c, id)
	g, _ := a.c.Graph(ctx, id)
	if n := nodeByID(g, x); n == nil || n.Label != want {
		t.Errorf("x is %+v, want the later label %q", n, want)
	}
	if nodeByID(g, y) != nil || nodeByID(g, "from-a-2") == nil || nodeByID(g, "from-b-1") == nil {
		t.Error("a removal or an addition was lost")
	}
	// a's subscribers saw the merge as events, named for who synced.
	for m := range st.Messages() {
		if m.Type == "events" {
			if !strings.Contains(string(m.Raw), `"client":"tester"`) {
				t.Errorf("merge events: %s", m.Raw)
			}
			break
		}
	}
	// Again: nothing to do.
	r, err = SyncGraph(ctx, a.c, b.c, id)
	if err != nil || r.Sent != 0 || r.Received != 0 || r.EventsHere != 0 || r.EventsThere != 0 {
		t.Errorf("a second sync: %+v %v", r, err)
	}
}

// Bad batches are refused whole and change nothing.
func TestMergeRefusesBadOps(t *testing.T) {
	ctx := context.Background()
	a := startServer(t, filepath.Join(t.TempDir(), "a.db"))
	defer a.Close()
	list, _ := a.c.Graphs(ctx)
	id := list[0].ID
	head, err := a.c.SyncOps(ctx, id, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := a.c.Graph(ctx, id)
	now := graph.MakeTimestamp(time.Now(), 0)
	ok := crdt.Op{Stamp: crdt.Stamp{T: now, Replica: "peer", N: 1}, Kind: crdt.AddNode, ID: "new"}
	for name, ops := range map[string][]crdt.Op{
		"a gap":           {ok, {Stamp: crdt.Stamp{T: now, Replica: "peer", N: 3}, Kind: crdt.AddNode, ID: "z"}},
		"our own replica": {{Stamp: crdt.Stamp{T: now, Replica: head.Replica, N: 999999}, Kind: crdt.AddNode, ID: "z"}},
		"a future clock":  {{Stamp: crdt.Stamp{T: graph.MakeTimestamp(time.Now().Add(24*time.Hour), 0), Replica: "peer", N: 1}, Kind: crdt.AddNode, ID: "z"}},
		"no kind":         {{Stamp: ok.Stamp, ID: "z"}},
	} {
		if _, err := a.c.MergeOps(ctx, id, session.SyncBatch{Replica: "peer", Ops: ops}); statusOf(err) != 400 {
			t.Errorf("%s: %v", name, err)
		}
	}
	after, _ := a.c.Graph(ctx, id)
	if after.Seq != before.Seq {
		t.Errorf("refused merges changed the graph: seq %d → %d", before.Seq, after.Seq)
	}
	// A good one after them still applies (nothing half-applied stuck).
	if res, err := a.c.MergeOps(ctx, id, session.SyncBatch{Replica: "peer", Ops: []crdt.Op{ok}}); err != nil || res.Applied != 1 || res.Events != 1 {
		t.Errorf("a good op: %+v %v", res, err)
	}
}

// The command: this database (no server running) merged with a server.
func TestSyncCommand(t *testing.T) {
	ctx := context.Background()
	dbA := filepath.Join(t.TempDir(), "a.db")
	a := startServer(t, dbA)
	list, _ := a.c.Graphs(ctx)
	id := list[0].ID
	writeNodes(t, a.c, id, "only-a", 2)
	a.Close()
	b := startServer(t, filepath.Join(t.TempDir(), "b.db"))
	defer b.Close()
	writeNodes(t, b.c, id, "only-b", 2)
	var out, errOut bytes.Buffer
	if code := Main([]string{"sync", "--with", b.url, "--db", dbA}, &out, &errOut, nil); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), id+": sent") {
		t.Errorf("output: %q", out.String())
	}
	a2 := startServer(t, dbA)
	defer a2.Close()
	sameGraph(t, a2.c, b.c, id)
	if g, _ := b.c.Graph(ctx, id); nodeByID(g, "only-a-1") == nil {
		t.Error("a's node did not reach b")
	}
	for _, args := range [][]string{{"sync"}, {"sync", "--with", "ftp://x"}, {"sync", "--with", b.url, "--graph", "bad id!"}} {
		out.Reset()
		errOut.Reset()
		if code := Main(append(args, "--db", dbA), &out, &errOut, nil); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}
