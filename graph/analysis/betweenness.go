package analysis

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Betweenness is each node's betweenness centrality over the undirected,
// unweighted links: how many shortest paths between other nodes pass
// through it (Brandes' algorithm). With sources < n it is an estimate from
// that many sources drawn with seed, scaled by n/sources (Brandes and
// Pich's sampling), so large graphs cost sources breadth-first searches
// instead of n. Pairs count once (not once each way).
func (net *Net) Betweenness(ctx context.Context, sources int, seed uint64) ([]float64, error) {
	n := net.n
	if n == 0 {
		return nil, nil
	}
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	if sources <= 0 || sources >= n {
		sources = n
	} else {
		r := rand.New(rand.NewPCG(seed, 0xb5ad4eceda1ce2a9))
		r.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		order = order[:sources]
	}
	workers := min(runtime.GOMAXPROCS(0), sources)
	partial := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			b := newBrandes(n)
			for k := w; k < len(order); k += workers {
				if k%64 == w && ctx.Err() != nil {
					return
				}
				b.from(net, order[k])
			}
			partial[w] = b.bc
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bc := partial[0]
	for _, p := range partial[1:] {
		for i, v := range p {
			bc[i] += v
		}
	}
	// Each pair was counted from both ends (undirected), and sampling
	// saw sources of n.
	scale := 0.5 * float64(n) / float64(sources)
	for i := range bc {
		bc[i] *= scale
	}
	return bc, nil
}

// brandes holds one worker's buffers for single-source dependency
// accumulation; bc sums what its sources found.
type brandes struct {
	dist         []int32
	sigma, delta []float64
	stack        []int32
	bc           []float64
}

func newBrandes(n int) *brandes {
	b := &brandes{dist: make([]int32, n), sigma: make([]float64, n), delta: make([]float64, n), stack: make([]int32, 0, n), bc: make([]float64, n)}
	for i := range b.dist {
		b.dist[i] = -1
	}
	return b
}

// from adds the dependencies of every node on shortest paths from s. The
// stack is in breadth-first order, so it doubles as the queue.
func (b *brandes) from(net *Net, s int32) {
	b.stack = append(b.stack[:0], s)
	b.dist[s], b.sigma[s] = 0, 1
	for head := 0; head < len(b.stack); head++ {
		v := b.stack[head]
		nbr, _ := net.neighbours(v)
		for _, w := range nbr {
			if b.dist[w] < 0 {
				b.dist[w] = b.dist[v] + 1
				b.stack = append(b.stack, w)
			}
			if b.dist[w] == b.dist[v]+1 {
				b.sigma[w] += b.sigma[v]
			}
		}
	}
	for k := len(b.stack) - 1; k >= 0; k-- {
		v := b.stack[k]
		nbr, _ := net.neighbours(v)
		for _, w := range nbr {
			if b.dist[w] == b.dist[v]+1 {
				b.delta[v] += b.sigma[v] / b.sigma[w] * (1 + b.delta[w])
			}
		}
		if v != s {
			b.bc[v] += b.delta[v]
		}
	}
	for _, v := range b.stack {
		b.dist[v], b.sigma[v], b.delta[v] = -1, 0, 0
	}
}
