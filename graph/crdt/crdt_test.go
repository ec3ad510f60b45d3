package crdt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"visionflow/graph"
)

// replica is a Doc and the clock its edits are stamped with; its wall
// clock runs with a skew of its own.
type replica struct {
	d     *Doc
	clock *graph.Clock
	now   time.Time
	seq   uint64
}

func newReplica(name string, skew time.Duration) *replica {
	r := &replica{d: New(name), now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC).Add(skew)}
	r.clock = graph.NewClock(func() time.Time { return r.now })
	return r
}

// edit makes one random change a user of this replica could make to the
// graph it sees, as the events the session would commit.
func (r *replica) edit(t *testing.T, rng *rand.Rand) {
	r.now = r.now.Add(time.Duration(rng.IntN(5)) * time.Millisecond)
	v := r.d.View()
	alive := map[string]bool{}
	for _, n := range v.Nodes {
		alive[n.ID] = true
	}
	edgeAlive := map[string]bool{}
	for _, e := range v.Edges {
		edgeAlive[e.ID] = true
	}
	ev := func(e graph.Event) graph.Event {
		r.seq++
		e.Seq, e.Time = r.seq, r.clock.Now()
		return e
	}
	str := func(s string) *string { return &s }
	var evs []graph.Event
	switch k := rng.IntN(10); {
	case k < 3: // add a node (ids from a small pool, so replicas collide and re-add)
		id := fmt.Sprintf("n%d", rng.IntN(12))
		if alive[id] {
			return
		}
		md := map[string]string{}
		if rng.IntN(2) == 0 {
			md["tag"] = fmt.Sprintf("t%d", rng.IntN(3))
		}
		evs = append(evs, ev(graph.Event{Type: graph.NodeAdded, Node: &graph.Node{ID: id, Label: fmt.Sprintf("%s by %s", id, r.d.Replica),
			Type: graph.Knowledge, Metadata: md, Position: graph.Vec3{X: float32(rng.IntN(100))}}}))
	case k < 4 && len(v.Nodes) > 0: // remove a node and its edges
		n := v.Nodes[rng.IntN(len(v.Nodes))]
		for _, e := range v.Edges {
			if e.Source == n.ID || e.Target == n.ID {
				evs = append(evs, ev(graph.Event{Type: graph.EdgeDeleted, Edge: &e}))
			}
		}
		evs = append(evs, ev(graph.Event{Type: graph.NodeRemoved, Node: &n}))
	case k < 6 && len(v.Nodes) > 0: // relabel, retag
		n := v.Nodes[rng.IntN(len(v.Nodes))]
		md := map[string]*string{"tag": str(fmt.Sprintf("t%d", rng.IntN(3)))}
		if rng.IntN(3) == 0 {
			md["tag"] = nil
		}
		evs = append(evs, ev(graph.Event{Type: graph.NodeUpdated, ID: n.ID, Label: str(fmt.Sprintf("%s v%d", n.ID, rng.IntN(100))), Metadata: md}))
	case k < 7 && len(v.Nodes) > 0: // move and pin
		n := v.Nodes[rng.IntN(len(v.Nodes))]
		p, pin := graph.Vec3{Y: float32(rng.IntN(100))}, rng.IntN(2) == 0
		evs = append(evs, ev(graph.Event{Type: graph.NodeMoved, ID: n.ID, Position: &p, Pinned: &pin}))
	case k < 9 && len(v.Nodes) > 1: // link two nodes
		a, b := v.Nodes[rng.IntN(len(v.Nodes))], v.Nodes[rng.IntN(len(v.Nodes))]
		id := fmt.Sprintf("e%d", rng.IntN(8))
		if edgeAlive[id] || a.ID == b.ID {
			return
		}
		evs = append(evs, ev(graph.Event{Type: graph.EdgeCreated, Edge: &graph.Edge{ID: id, Source: a.ID, Target: b.ID, Weight: float32(1 + rng.IntN(3))}}))
	case len(v.Edges) > 0: // reweigh or unlink
		e := v.Edges[rng.IntN(len(v.Edges))]
		if rng.IntN(2) == 0 {
			w := float32(rng.IntN(5))
			evs = append(evs, ev(graph.Event{Type: graph.EdgeWeightChanged, ID: e.ID, Weight: &w}))
		} else {
			evs = append(evs, ev(graph.Event{Type: graph.EdgeDeleted, Edge: &e}))
		}
	}
	if _, err := r.d.FromEvents(evs); err != nil {
		t.Fatal(err)
	}
}

// pull brings into to what from has that to lacks, as a sync does.
func pull(t *testing.T, to, from *replica) {
	if err := to.d.Merge(from.d); err != nil {
		t.Fatal(err)
	}
	// What to learned moves its clock on, as observing a peer's events does.
	for _, op := range from.d.log {
		to.clock.Observe(op.Stamp.T)
	}
}

// Three replicas edit, partitioned and healed at random; in the end, all
// connected, they hold the same graph byte for byte, and merging is
// idempotent and commutative all along.
func TestReplicasConverge(t *testing.T) {
	runs := 1000
	if testing.Short() {
		runs = 100
	}
	for seed := range uint64(runs) {
		rng := rand.New(rand.NewPCG(seed, 7))
		rs := []*replica{newReplica("a", 0), newReplica("b", 3*time.Millisecond), newReplica("c", -2*time.Millisecond)}
		connected := [3][3]bool{}
		for step := range 80 {
			switch k := rng.IntN(10); {
			case k < 6:
				rs[rng.IntN(3)].edit(t, rng)
			case k < 7: // a partition changes
				i, j := rng.IntN(3), rng.IntN(3)
				connected[i][j] = !connected[i][j]
				connected[j][i] = connected[i][j]
			default: // connected replicas sync, one way
				i, j := rng.IntN(3), rng.IntN(3)
				if i != j && connected[i][j] {
					pull(t, rs[i], rs[j])
				}
			}
			if step%20 == 19 {
				checkMergeLaws(t, seed, rs[rng.IntN(3)].d, rs[rng.IntN(3)].d)
			}
		}
		// Heal: everyone syncs with everyone until nothing moves.
		for range 2 {
			for i := range rs {
				for j := range rs {
					if i != j {
						pull(t, rs[i], rs[j])
					}
				}
			}
		}
		want, wantState := rs[0].d.Canonical(), rs[0].d.State()
		for _, r := range rs[1:] {
			if got := r.d.Canonical(); !bytes.Equal(got, want) {
				t.Fatalf("seed %d: %s holds\n%s\n%s holds\n%s", seed, r.d.Replica, got, rs[0].d.Replica, want)
			}
			if !bytes.Equal(r.d.State(), wantState) {
				t.Fatalf("seed %d: %s's state differs from a's", seed, r.d.Replica)
			}
		}
		checkView(t, seed, rs[0].d)
		// Every replica has heard that every other has seen everything:
		// the tombstones go, and nothing changes.
		for _, r := range rs {
			r.d.Compact()
			if r.d.Tombstones() != 0 {
				t.Fatalf("seed %d: %d tombstones left after a full sync", seed, r.d.Tombstones())
			}
			if !bytes.Equal(r.d.Canonical(), want) {
				t.Fatalf("seed %d: compacting changed %s's graph", seed, r.d.Replica)
			}
		}
		// And life goes on after compaction: more edits, one more sync.
		for range 20 {
			rs[rng.IntN(3)].edit(t, rng)
		}
		for i := range rs {
			for j := range rs {
				if i != j {
					pull(t, rs[i], rs[j])
				}
			}
		}
		for i := range rs {
			for j := range rs {
				if i != j {
					pull(t, rs[i], rs[j])
				}
			}
		}
		for _, r := range rs[1:] {
			if !bytes.Equal(r.d.Canonical(), rs[0].d.Canonical()) {
				t.Fatalf("seed %d: after compaction and more edits, %s differs from a", seed, r.d.Replica)
			}
		}
	}
}

// checkMergeLaws: merging a replica with itself changes nothing; a ∪ b
// holds what b ∪ a holds.
func checkMergeLaws(t *testing.T, seed uint64, a, b *Doc) {
	t.Helper()
	self := a.Clone()
	before := self.State()
	if err := self.Merge(a); err != nil || !bytes.Equal(self.State(), before) {
		t.Fatalf("seed %d: merging %s with itself changed it (%v)", seed, a.Replica, err)
	}
	ab, ba := a.Clone(), b.Clone()
	if err := ab.Merge(b); err != nil {
		t.Fatal(err)
	}
	if err := ba.Merge(a); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ab.State(), ba.State()) || !bytes.Equal(ab.Canonical(), ba.Canonical()) {
		t.Fatalf("seed %d: %s∪%s differs from %s∪%s", seed, a.Replica, b.Replica, b.Replica, a.Replica)
	}
}

// checkView: the view is a graph the session accepts, built by Diff.
func checkView(t *testing.T, seed uint64, d *Doc) {
	t.Helper()
	want := d.View()
	g := graph.New(graph.Info{ID: "g", Type: graph.Knowledge})
	tx := g.Begin(graph.NewClock(nil), "merge")
	for _, op := range Diff(graph.Contents{}, want, nil) {
		if _, err := tx.Do(op); err != nil {
			t.Fatalf("seed %d: the merged graph does not apply: %v (%+v)", seed, err, op)
		}
	}
	got := g.Contents()
	slices.SortFunc(got.Nodes, func(a, b graph.Node) int { return compareStr(a.ID, b.ID) })
	slices.SortFunc(got.Edges, func(a, b graph.Edge) int { return compareStr(a.ID, b.ID) })
	if len(got.Nodes) != len(want.Nodes) || len(got.Edges) != len(want.Edges) {
		t.Fatalf("seed %d: built %d nodes %d edges, want %d %d", seed, len(got.Nodes), len(got.Edges), len(want.Nodes), len(want.Edges))
	}
	for i, n := range got.Nodes {
		w := want.Nodes[i]
		if n.ID != w.ID || n.Label != w.Label || n.Pinned != w.Pinned || len(n.Metadata) != len(w.Metadata) {
			t.Fatalf("seed %d: built %+v, want %+v", seed, n, w)
		}
	}
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestOpsOfOneReplicaMustComeInOrder(t *testing.T) {
	d := New("a")
	op := Op{Stamp: Stamp{T: 1, Replica: "b", N: 2}, Kind: AddNode, ID: "x"}
	if err := d.Apply(op); err == nil {
		t.Error("op 2 of b applied before op 1")
	}
	for _, bad := range []Op{{Kind: AddNode, ID: "x"}, {Stamp: Stamp{Replica: "b", N: 1}, Kind: "grow", ID: "x"},
		{Stamp: Stamp{Replica: "b", N: 1}, Kind: SetNode, ID: "x", Field: "label", Value: []byte("{")},
		{Stamp: Stamp{Replica: "b", N: 1}, Kind: AddEdge, ID: "e"}} {
		if err := d.Apply(bad); err == nil {
			t.Errorf("%+v applied", bad)
		}
	}
}

// Add wins: a node removed on one replica while another, not having seen
// the removal, adds it again (or edits it) stays; a re-add after the
// removal was seen is a fresh node without its old metadata.
func TestAddWins(t *testing.T) {
	a, b := newReplica("a", 0), newReplica("b", 0)
	add := func(r *replica, md map[string]string) {
		r.seq++
		r.now = r.now.Add(time.Millisecond)
		if _, err := r.d.FromEvents([]graph.Event{{Seq: r.seq, Time: r.clock.Now(), Type: graph.NodeAdded, Node: &graph.Node{ID: "x", Label: "X", Metadata: md}}}); err != nil {
			t.Fatal(err)
		}
	}
	remove := func(r *replica) {
		r.seq++
		r.now = r.now.Add(time.Millisecond)
		if _, err := r.d.FromEvents([]graph.Event{{Seq: r.seq, Time: r.clock.Now(), Type: graph.NodeRemoved, Node: &graph.Node{ID: "x"}}}); err != nil {
			t.Fatal(err)
		}
	}
	add(a, map[string]string{"old": "1"})
	pull(t, b, a)
	remove(a)   // a removes x …
	remove(b)   // … b too, and then, before hearing of a's removal,
	add(b, nil) // b adds it again
	pull(t, a, b)
	pull(t, b, a)
	v := a.d.View()
	if len(v.Nodes) != 1 || v.Nodes[0].Metadata["old"] != "" {
		t.Fatalf("after a concurrent remove and re-add: %+v", v.Nodes)
	}
	remove(a)
	pull(t, b, a)
	if len(b.d.View().Nodes) != 0 {
		t.Error("a removal that saw every add did not remove")
	}
}

// A removal that arrives before the add it observed (a replica that
// forwards ops out of their origins' order) still wins over that add.
func TestTombstoneStopsALateAdd(t *testing.T) {
	d := New("c")
	tag := Stamp{T: 5, Replica: "a", N: 1}
	if err := d.Apply(Op{Stamp: Stamp{T: 6, Replica: "b", N: 1}, Kind: RemoveNode, ID: "x", Observed: []Stamp{tag}}); err != nil {
		t.Fatal(err)
	}
	if err := d.Apply(Op{Stamp: tag, Kind: AddNode, ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if len(d.View().Nodes) != 0 || d.Tombstones() != 1 {
		t.Errorf("a removed add came back: %+v", d.View().Nodes)
	}
}

// Ops from outside (a sync batch) never panic a replica, and a replica
// that took them still gives a view Diff can build.
func FuzzApplyOps(f *testing.F) {
	f.Add([]byte(`[{"stamp":{"t":1,"r":"p","n":1},"kind":"addNode","id":"a"},{"stamp":{"t":2,"r":"p","n":2},"kind":"setNode","id":"a","field":"label","value":"\"A\""},{"stamp":{"t":3,"r":"p","n":3},"kind":"addEdge","id":"e","source":"a","target":"a"}]`))
	f.Add([]byte(`[{"stamp":{"t":1,"r":"p","n":1},"kind":"removeNode","id":"a","observed":[{"t":0,"r":"q","n":1}]},{"stamp":{"t":1,"r":"q","n":1},"kind":"setNode","id":"a","field":"meta:k","value":"null"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ops []Op
		if json.Unmarshal(b, &ops) != nil {
			return
		}
		d := New("me")
		for _, op := range ops {
			d.Apply(op) // errors are fine; panics are not
		}
		v := d.View()
		Diff(graph.Contents{}, v, nil)
		d.Compact()
		_ = d.State()
	})
}
