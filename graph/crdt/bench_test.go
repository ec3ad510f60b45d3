package crdt

import (
	"fmt"
	"testing"
	"time"

	"visionflow/graph"
)

// divergent makes two replicas of a 10,000-node graph that then each make
// n/2 changes of their own: new nodes and edges, relabels of shared nodes
// (conflicting), removals.
func divergent(b *testing.B, n int) (*Doc, *Doc) {
	b.Helper()
	base := newReplica("base", 0)
	var evs []graph.Event
	for i := range 10_000 {
		base.seq++
		evs = append(evs, graph.Event{Seq: base.seq, Time: base.clock.Now(), Type: graph.NodeAdded, Node: &graph.Node{ID: fmt.Sprintf("n%d", i), Label: "n", Type: graph.Knowledge}})
	}
	if _, err := base.d.FromEvents(evs); err != nil {
		b.Fatal(err)
	}
	var docs [2]*Doc
	for k, name := range []string{"a", "b"} {
		r := newReplica(name, time.Duration(k)*time.Millisecond)
		r.d.Merge(base.d)
		evs = evs[:0]
		for i := range n / 2 {
			r.seq++
			r.now = r.now.Add(time.Microsecond * 10)
			e := graph.Event{Seq: r.seq, Time: r.clock.Now()}
			label := fmt.Sprintf("%s%d", name, i)
			switch i % 4 {
			case 0:
				e.Type, e.Node = graph.NodeAdded, &graph.Node{ID: name + label, Label: label, Type: graph.Knowledge}
			case 1:
				e.Type, e.Edge = graph.EdgeCreated, &graph.Edge{ID: "e" + label, Source: fmt.Sprintf("n%d", i%10_000), Target: fmt.Sprintf("n%d", (i*7)%10_000), Weight: 1}
			case 2:
				e.Type, e.ID, e.Label = graph.NodeUpdated, fmt.Sprintf("n%d", i%10_000), &label
			default:
				e.Type, e.Node = graph.NodeRemoved, &graph.Node{ID: fmt.Sprintf("n%d", (i*13+k)%10_000)}
			}
			evs = append(evs, e)
		}
		if _, err := r.d.FromEvents(evs); err != nil {
			b.Fatal(err)
		}
		docs[k] = r.d
	}
	return docs[0], docs[1]
}

// BenchmarkMerge100k merges two replicas that made 100,000 changes apart
// (50,000 each, over ~2.7 ops per change), both ways, as a sync does: each
// side takes the ops it lacks.
func BenchmarkMerge100k(b *testing.B) {
	a0, b0 := divergent(b, 100_000)
	ops := len(a0.OpsAfter(b0.Seen())) + len(b0.OpsAfter(a0.Seen()))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		a, bb := a0.Clone(), b0.Clone()
		b.StartTimer()
		fromB, fromA := bb.OpsAfter(a.Seen()), a.OpsAfter(bb.Seen())
		if err := a.ApplyAll(fromB); err != nil {
			b.Fatal(err)
		}
		if err := bb.ApplyAll(fromA); err != nil {
			b.Fatal(err)
		}
		_ = a.View()
	}
	b.ReportMetric(float64(ops), "ops/merge")
}
