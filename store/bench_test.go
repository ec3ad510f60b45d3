package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/gen"
)

// Benchmarks of the store (make bench; figures in docs/BENCHMARKS.md).

func BenchmarkLoadGraph100k(b *testing.B) {
	ctx := context.Background()
	s := openBench(b, Options{})
	g, evs := gen.Build("big", 100_000, 300_000, 1, graph.NewClock(nil))
	if err := s.CreateGraph(ctx, g, evs, CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		loaded, err := s.LoadGraph(ctx, "big")
		if err != nil {
			b.Fatal(err)
		}
		if loaded.NodeCount() != 100_000 || loaded.EdgeCount() != 300_000 {
			b.Fatalf("%d nodes, %d edges", loaded.NodeCount(), loaded.EdgeCount())
		}
	}
}

func openBench(b *testing.B, opt Options) *Store {
	b.Helper()
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), opt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// moves commits a transaction of count NodeMoved events.
func moves(b *testing.B, s *Store, g *graph.Graph, clock *graph.Clock, count, round int) int {
	tx := g.Begin(clock, "bench")
	n := g.NodeCount()
	for k := range count {
		p := graph.Vec3{X: float32(round), Y: float32(k), Z: 1}
		if _, err := tx.Do(graph.Op{Op: graph.UpdateNode, ID: gen.NodeID((round*count + k) % n), Position: &p}); err != nil {
			b.Fatal(err)
		}
	}
	evs := tx.Commit()
	if err := s.Commit(context.Background(), g, evs); err != nil {
		b.Fatal(err)
	}
	return len(evs)
}

// BenchmarkAppendEvents measures durable appends (synchronous=FULL, one
// fsync per transaction), one event per transaction and 1000 per
// transaction.
func BenchmarkAppendEvents(b *testing.B) {
	for _, batch := range []int{1, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			s := openBench(b, Options{})
			clock := graph.NewClock(nil)
			g, evs := gen.Build("g", 10_000, 30_000, 1, clock)
			if err := s.CreateGraph(ctx, g, evs, CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			total := 0
			round := 0
			for b.Loop() {
				total += moves(b, s, g, clock, batch, round)
				round++
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkReplay1M rebuilds a graph as it was after its millionth event:
// from the nearest snapshot (what GET ?at= does) and from the first event.
func BenchmarkReplay1M(b *testing.B) {
	ctx := context.Background()
	s := openBench(b, Options{})
	clock := graph.NewClock(nil)
	g, evs := gen.Build("deep", 10_000, 30_000, 1, clock)
	if err := s.CreateGraph(ctx, g, evs, CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	for round := 0; g.Seq < 1_000_000; round++ {
		moves(b, s, g, clock, min(10_000, int(1_000_000-g.Seq)), round)
	}
	sm, err := s.GraphInfo(ctx, "deep")
	if err != nil || sm.Seq != 1_000_000 {
		b.Fatalf("%v: seq %d", err, sm.Seq)
	}
	for _, fromSnapshot := range []bool{true, false} {
		b.Run(fmt.Sprintf("fromSnapshot=%v", fromSnapshot), func(b *testing.B) {
			for b.Loop() {
				tx, err := s.r.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				got, err := replayTo(ctx, tx, sm.Info, 1_000_000, fromSnapshot)
				tx.Rollback()
				if err != nil {
					b.Fatal(err)
				}
				if got.Seq != 1_000_000 || got.NodeCount() != 10_000 {
					b.Fatalf("seq %d, %d nodes", got.Seq, got.NodeCount())
				}
			}
		})
	}
}

// BenchmarkGraphAt100k reads a 100k-node graph as it was at its last event
// (its import's snapshot, no events to replay).
func BenchmarkGraphAt100k(b *testing.B) {
	ctx := context.Background()
	s := openBench(b, Options{})
	g, evs := gen.Build("big", 100_000, 300_000, 1, graph.NewClock(nil))
	if err := s.CreateGraph(ctx, g, evs, CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Run("latest", func(b *testing.B) {
		for b.Loop() {
			at, err := s.GraphAt(ctx, "big", time.Now())
			if err != nil {
				b.Fatal(err)
			}
			if at.NodeCount() != 100_000 || at.EdgeCount() != 300_000 {
				b.Fatalf("%d nodes, %d edges", at.NodeCount(), at.EdgeCount())
			}
		}
	})
}

// BenchmarkDecodeSnapshot100k decodes the snapshot of a 100k-node graph.
func BenchmarkDecodeSnapshot100k(b *testing.B) {
	g, _ := gen.Build("big", 100_000, 300_000, 1, graph.NewClock(nil))
	data, err := g.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := graph.UnmarshalGraph(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommitGroup is the store's part of a group commit of 19 new
// nodes (what 64 clients' single-node POSTs group into): the edits, the
// transaction and its fsync, per edit.
func BenchmarkCommitGroup(b *testing.B) {
	ctx := context.Background()
	s := openBench(b, Options{})
	g := graph.New(graph.Info{ID: "g", Name: "g", Type: graph.Knowledge})
	if err := s.CreateGraph(ctx, g, nil, CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	clock := graph.NewClock(nil)
	const group = 19
	label := "a node"
	for b.Loop() {
		var evs []graph.Event
		for range group {
			tx := g.Begin(clock, "bench")
			if _, err := tx.Do(graph.Op{Op: graph.AddNode, Label: &label}); err != nil {
				b.Fatal(err)
			}
			evs = append(evs, tx.Commit()...)
		}
		if err := s.Commit(ctx, g, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*group), "µs/edit")
}
