package analysis

import (
	"context"
	"fmt"
	"testing"

	"visionflow/graph/gen"
)

// skewedNet is a generated graph of n nodes and 3n links with hubs and a
// power-law tail (graph/gen), the shape of a knowledge graph.
func skewedNet(n int) *Net {
	links := make([]Link, 0, 3*n)
	for _, e := range gen.SkewedEdges(n, 3*n, 1) {
		links = append(links, Link{Source: int32(e.Source), Target: int32(e.Target), Weight: 1})
	}
	return NewNet(n, links)
}

var sizes = []int{10_000, 100_000, 1_000_000}

// BenchmarkCommunities is Louvain on 10k, 100k and 1M nodes (3 links per
// node), reporting the modularity found.
func BenchmarkCommunities(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			net := skewedNet(n)
			var q float64
			var k int
			for b.Loop() {
				_, k, q, _ = net.Communities(context.Background(), 1)
			}
			b.ReportMetric(q, "modularity")
			b.ReportMetric(float64(k), "communities")
		})
	}
}

// BenchmarkPageRank is PageRank to convergence on the same graphs.
func BenchmarkPageRank(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			net := skewedNet(n)
			for b.Loop() {
				net.PageRank(context.Background(), 0.85)
			}
		})
	}
}

// BenchmarkAnalyze is every measure together, as the window and
// GET /api/graph/{id}/metrics ask for them (betweenness sampled within
// DefaultWork).
func BenchmarkAnalyze(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			net := skewedNet(n)
			var res *Result
			for b.Loop() {
				res, _ = Analyze(context.Background(), net, Options{Seed: 1})
			}
			b.ReportMetric(float64(res.Sources), "betweenness-sources")
		})
	}
}
