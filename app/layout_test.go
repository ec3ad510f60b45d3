package app

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"testing"

	"visionflow/compute"
	"visionflow/graph"
	"visionflow/net/wire"
)

// The layout's springs follow edge events in the size of each batch
// (no rebuild from the whole graph on the write path), and after every
// batch they are exactly the graph's edges, with the degrees to match:
// edges added, weighed, removed, taken with their node, and added and
// taken in one batch.
func TestLayoutSpringsFollowEdits(t *testing.T) {
	s, _, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "g", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	w := func(v float32) *float32 { return &v }
	node := func(id string) graph.Op { return graph.Op{Op: graph.AddNode, ID: id} }
	edge := func(id, a, b string) graph.Op { return graph.Op{Op: graph.AddEdge, ID: id, Source: a, Target: b} }
	batches := [][]graph.Op{
		{node("a"), node("b"), node("c"), node("d"), edge("ab", "a", "b"), edge("bc", "b", "c"), edge("cd", "c", "d"), edge("da", "d", "a")},
		{{Op: graph.UpdateEdge, ID: "bc", Weight: w(3)}},
		{{Op: graph.RemoveEdge, ID: "ab"}},
		{{Op: graph.RemoveNode, ID: "c"}}, // takes bc and cd
		{node("e"), edge("ea", "e", "a"), edge("ed", "e", "d"), {Op: graph.RemoveNode, ID: "e"}},
		{node("c"), edge("cd", "c", "d"), edge("ca", "c", "a"), {Op: graph.UpdateEdge, ID: "ca", Weight: w(0.5)}},
	}
	for i, ops := range batches {
		if _, err := s.Apply(ctx, "t", "g", ops); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		c, err := s.Graph(ctx, "g")
		if err != nil {
			t.Fatal(err)
		}
		wire := map[string]graph.WireID{}
		for _, n := range c.Nodes {
			wire[n.ID] = n.WireID
		}
		want := map[string]compute.Spring{}
		degree := map[graph.WireID]float32{}
		for _, e := range c.Edges {
			want[e.ID] = compute.Spring{Source: wire[e.Source], Target: wire[e.Target], Weight: e.Weight}
			degree[wire[e.Source]]++
			degree[wire[e.Target]]++
		}
		l := s.layoutOf("g")
		got := make(chan [2]any, 1)
		l.send(ctx, func(compute.Engine) {
			m := map[string]compute.Spring{}
			for k, sp := range l.springs {
				m[l.springIDs[k]] = sp
			}
			got <- [2]any{m, maps.Clone(l.degree)}
		})
		r := <-got
		if fmt.Sprint(r[0]) != fmt.Sprint(want) {
			t.Errorf("after batch %d the springs are %v, want %v", i, r[0], want)
		}
		if fmt.Sprint(r[1]) != fmt.Sprint(degree) {
			t.Errorf("after batch %d the degrees are %v, want %v", i, r[1], degree)
		}
	}
}

// An edit shows in the positions the stream sends before the layout has
// taken it (a step of a large graph takes longer than a frame): a node
// added where its event puts it, a node moved, a node gone; and once the
// layout has taken them, its own positions carry on.
func TestEditsShowBeforeTheLayoutTakesThem(t *testing.T) {
	s, _, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "g", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, "t", "g", []graph.Op{{Op: graph.AddNode, ID: "a"}, {Op: graph.AddNode, ID: "b"}}); err != nil {
		t.Fatal(err)
	}
	l := s.layoutOf("g")
	release := make(chan struct{})
	held := make(chan struct{})
	l.send(ctx, func(compute.Engine) { close(held); <-release }) // the layout is busy, as in a long step
	<-held
	at := graph.Vec3{X: 100, Y: 0, Z: 0}
	cat := graph.Vec3{X: -5, Y: 6, Z: 7}
	ch, err := s.Apply(ctx, "t", "g", []graph.Op{
		{Op: graph.AddNode, ID: "c", Position: &cat},
		{Op: graph.UpdateNode, ID: "a", Position: &at},
		{Op: graph.RemoveNode, ID: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wires := map[string]graph.WireID{}
	for _, ev := range ch.Events {
		if ev.Node != nil {
			wires[ev.Node.ID] = ev.Node.WireID
		}
	}
	c, _ := s.Graph(ctx, "g")
	for _, n := range c.Nodes {
		wires[n.ID] = n.WireID
	}
	byID := func(p *wire.Positions) map[graph.WireID]wire.NodeState {
		m := map[graph.WireID]wire.NodeState{}
		for _, n := range p.Nodes {
			m[n.ID] = n
		}
		return m
	}
	got := byID(s.Positions("g"))
	if n, ok := got[wires["c"]]; !ok || n.Position != cat {
		t.Errorf("the added node is %+v (%v), want it at %v", n, ok, cat)
	}
	if n := got[wires["a"]]; n.Position != at {
		t.Errorf("the moved node is at %v, want %v", n.Position, at)
	}
	if _, ok := got[wires["b"]]; ok {
		t.Error("the removed node is still sent")
	}
	if p := s.Positions("g"); p.Seq != s.mustSeq(t, "g") {
		t.Errorf("positions at seq %d, the graph at %d", p.Seq, s.mustSeq(t, "g"))
	}
	close(release)
	// Once the layout has taken them, its own positions show the same.
	done := make(chan struct{})
	l.send(ctx, func(compute.Engine) { close(done) })
	<-done
	for l.latest.Load().Seq != s.mustSeq(t, "g") {
		runtime.Gosched()
	}
	got = byID(s.Positions("g"))
	if _, ok := got[wires["c"]]; !ok || len(got) != 2 {
		t.Errorf("after the layout took the edit: %v", got)
	}
	if _, ok := got[wires["b"]]; ok {
		t.Error("the removed node came back")
	}
}

func (s *Session) mustSeq(t *testing.T, id string) uint64 {
	t.Helper()
	sum, err := s.OpenGraph(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sum.Seq
}
