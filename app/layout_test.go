package app

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"visionflow/compute"
	"visionflow/graph"
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
