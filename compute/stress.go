package compute

import (
	"math"
	"math/rand/v2"
)

// Stress measures how well a layout shows a graph's distances: for sampled
// source nodes it compares the straight-line distance e to every node
// reachable from the source with the graph distance d (hops), as
// Σ (s·e − d)² / d² over all such pairs, divided by their number, with the
// scale s that makes it smallest. 0 is a perfect layout; lower is better.
// Layouts of different sizes and units compare fairly because of s.
//
// adj lists each node's neighbours (both directions); pos holds each
// node's position.
func Stress(adj [][]int32, pos [][3]float32, sources int, seed uint64) float64 {
	n := len(adj)
	if n < 2 {
		return 0
	}
	r := rand.New(rand.NewPCG(seed, 7))
	dist := make([]int32, n)
	queue := make([]int32, 0, n)
	type pair struct{ e, d float64 }
	var pairs []pair
	for range min(sources, n) {
		src := int32(r.IntN(n))
		for i := range dist {
			dist[i] = -1
		}
		dist[src] = 0
		queue = append(queue[:0], src)
		for h := 0; h < len(queue); h++ {
			u := queue[h]
			for _, v := range adj[u] {
				if dist[v] < 0 {
					dist[v] = dist[u] + 1
					queue = append(queue, v)
				}
			}
		}
		for _, v := range queue[1:] {
			var e float64
			for k := range 3 {
				x := float64(pos[v][k]) - float64(pos[src][k])
				e += x * x
			}
			pairs = append(pairs, pair{math.Sqrt(e), float64(dist[v])})
		}
	}
	if len(pairs) == 0 {
		return 0
	}
	var num, den float64
	for _, p := range pairs {
		num += p.e / p.d
		den += p.e * p.e / (p.d * p.d)
	}
	s := 1.0
	if den > 0 {
		s = num / den
	}
	var sum float64
	for _, p := range pairs {
		x := (s*p.e - p.d) / p.d
		sum += x * x
	}
	return sum / float64(len(pairs))
}
