package app

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/gen"
	"visionflow/ingest"
	"visionflow/internal/testenv"
)

// BenchmarkStructuralWrite: one durable write that changes the structure
// (a node and an edge to an existing node) on a graph of 1,000 nodes and
// on one of 64,000 nodes and 245,000 edges (the size of the Debian package
// graph of issue 14), with its layout running. A write costs in the size
// of the change, so the two should be close.
func BenchmarkStructuralWrite(b *testing.B) {
	for _, size := range []struct{ n, m int }{{1000, 3800}, {64_000, 245_000}} {
		b.Run(fmt.Sprintf("nodes=%d", size.n), func(b *testing.B) {
			s, _, stop := newSession(b)
			defer stop()
			ctx := context.Background()
			imp := &ingest.Import{Type: graph.Knowledge, Ops: gen.Ops(size.n, size.m, 1)}
			if _, err := s.Import(ctx, "bench", graph.Info{ID: "g", Type: graph.Knowledge}, imp, ImportOptions{}); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				id := fmt.Sprintf("new%d", i)
				ops := []graph.Op{{Op: graph.AddNode, ID: id}, {Op: graph.AddEdge, Source: id, Target: gen.NodeID(i % size.n)}}
				if _, err := s.Apply(ctx, "bench", "g", ops); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkSettleLogseqDocs: how long the Logseq docs graph (837 pages)
// takes to settle from its import, with the CPU engine, as the session runs
// it; steps are paced by their work, not by a rate.
func BenchmarkSettleLogseqDocs(b *testing.B) {
	imp, err := ingest.Logseq(os.DirFS(testenv.LogseqDocs(b)), nil)
	if err != nil {
		b.Fatal(err)
	}
	s, _, stop := newSession(b)
	defer stop()
	ctx := context.Background()
	var steps, secs float64
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("docs%d", i)
		start := time.Now()
		if _, err := s.Import(ctx, "bench", graph.Info{ID: id, Type: graph.Knowledge}, imp, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		l := s.layoutOf(id)
		for !l.settled.Load() {
			time.Sleep(time.Millisecond)
		}
		secs += time.Since(start).Seconds()
		steps += float64(l.latest.Load().Step)
		s.stopLayout(id, true)
	}
	b.ReportMetric(secs/float64(b.N), "s-to-settle")
	b.ReportMetric(steps/float64(b.N), "steps")
}
