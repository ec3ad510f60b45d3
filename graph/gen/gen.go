// Package gen generates large graphs for tests and benchmarks: seeded, with
// the degree skew of real knowledge graphs (a few hubs with thousands of
// edges, a long tail of nodes with one or two).
package gen

import (
	"fmt"
	"math/rand/v2"

	"visionflow/graph"
)

// Edge is a generated edge between node indices.
type Edge struct{ Source, Target int }

// SkewedEdges returns m edges over n nodes: 5% go to one of ten hubs, the
// rest pick their target by preferential attachment (an end of a random
// earlier edge), which gives a power-law tail. No self-loops; the same seed
// always gives the same edges.
func SkewedEdges(n, m int, seed uint64) []Edge {
	if n < 2 {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	hubs := min(10, n)
	edges := make([]Edge, 0, m)
	for len(edges) < m {
		src := r.IntN(n)
		var dst int
		switch p := r.Float64(); {
		case p < 0.05:
			dst = r.IntN(hubs)
		case p < 0.6 && len(edges) > 0:
			e := edges[r.IntN(len(edges))]
			dst = e.Target
			if r.IntN(2) == 0 {
				dst = e.Source
			}
		default:
			dst = r.IntN(n)
		}
		if dst != src {
			edges = append(edges, Edge{src, dst})
		}
	}
	return edges
}

// NodeID names generated node i.
func NodeID(i int) string { return fmt.Sprintf("n%d", i) }

// Ops returns the ops that build a skewed graph of n nodes and m edges.
func Ops(n, m int, seed uint64) []graph.Op {
	ops := make([]graph.Op, 0, n+m)
	for i := range n {
		label := fmt.Sprintf("Node %d", i)
		ops = append(ops, graph.Op{Op: graph.AddNode, ID: NodeID(i), Label: &label})
	}
	for k, e := range SkewedEdges(n, m, seed) {
		ops = append(ops, graph.Op{Op: graph.AddEdge, ID: fmt.Sprintf("e%d", k), Source: NodeID(e.Source), Target: NodeID(e.Target)})
	}
	return ops
}

// Build returns a skewed graph of n nodes and m edges and the events that
// built it.
func Build(id string, n, m int, seed uint64, clock *graph.Clock) (*graph.Graph, []graph.Event) {
	g := graph.New(graph.Info{ID: id, Name: id, Type: graph.Knowledge, Created: clock.Now().Wall()})
	tx := g.Begin(clock, "gen")
	for _, op := range Ops(n, m, seed) {
		if _, err := tx.Do(op); err != nil {
			panic(fmt.Sprintf("gen: %v: %v", op.String(), err))
		}
	}
	return g, tx.Commit()
}
