package analysis

import (
	"context"
	"math"
)

// PageRank is each node's PageRank over the directed links (source to
// target), with damping d (0.85 is usual): the share of time a random
// surfer spends on the node. A node with no out-links hands its rank to
// every node equally. It iterates until the ranks move less than 1e-10 in
// total (L1) or 200 times. The ranks sum to 1.
func (net *Net) PageRank(ctx context.Context, d float64) ([]float64, error) {
	n := net.n
	if n == 0 {
		return nil, nil
	}
	pr := make([]float64, n)
	next := make([]float64, n)
	for i := range pr {
		pr[i] = 1 / float64(n)
	}
	for iter := 0; iter < 200; iter++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var dangling float64
		clear(next)
		for u := range n {
			out := net.out[net.outOff[u]:net.outOff[u+1]]
			if len(out) == 0 {
				dangling += pr[u]
				continue
			}
			share := pr[u] / float64(len(out))
			for _, v := range out {
				next[v] += share
			}
		}
		base := (1-d)/float64(n) + d*dangling/float64(n)
		var delta float64
		for i := range next {
			v := base + d*next[i]
			delta += math.Abs(v - pr[i])
			next[i] = v
		}
		pr, next = next, pr
		if delta < 1e-10 {
			break
		}
	}
	return pr, nil
}
