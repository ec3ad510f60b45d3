package gen

import (
	"slices"
	"testing"

	"visionflow/graph"
)

func TestSkewedEdgesHaveHubsAndATail(t *testing.T) {
	const n, m = 100_000, 300_000
	edges := SkewedEdges(n, m, 1)
	if len(edges) != m {
		t.Fatalf("%d edges", len(edges))
	}
	deg := make([]int, n)
	for _, e := range edges {
		if e.Source == e.Target {
			t.Fatal("self-loop")
		}
		deg[e.Source]++
		deg[e.Target]++
	}
	slices.Sort(deg)
	maxDeg, median := deg[n-1], deg[n/2]
	if maxDeg < 1000 || median > 8 {
		t.Errorf("max degree %d, median %d; want hubs with thousands of edges and a small median", maxDeg, median)
	}
	if !slices.Equal(SkewedEdges(1000, 3000, 7), SkewedEdges(1000, 3000, 7)) {
		t.Error("not deterministic")
	}
}

func TestBuild(t *testing.T) {
	g, evs := Build("g", 1000, 3000, 1, graph.NewClock(nil))
	if g.NodeCount() != 1000 || g.EdgeCount() != 3000 || len(evs) != 4000 {
		t.Errorf("%d nodes %d edges %d events", g.NodeCount(), g.EdgeCount(), len(evs))
	}
}
