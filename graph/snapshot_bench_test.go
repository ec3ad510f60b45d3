package graph_test

import (
	"testing"

	"visionflow/graph"
	"visionflow/graph/gen"
)

// BenchmarkMarshalBinary100k encodes the snapshot of a 100k-node,
// 200k-edge graph, as a store does every so many events.
func BenchmarkMarshalBinary100k(b *testing.B) {
	g, _ := gen.Build("big", 100_000, 200_000, 1, graph.NewClock(nil))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}
