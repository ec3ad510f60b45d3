package analysis

import (
	"context"
	"math/rand/v2"
)

// Communities finds communities by the Louvain method (Blondel et al.
// 2008): nodes move to the neighbouring community that gains the most
// modularity until none gains, then each community becomes one node and
// the moves repeat on that smaller graph, until a level changes nothing.
// Links are undirected and weighted. The same seed gives the same
// answer. Communities are numbered by size, largest first; the count and
// the partition's modularity are returned with them.
func (net *Net) Communities(ctx context.Context, seed uint64) (label []int32, count int, modularity float64, err error) {
	if net.n == 0 {
		return nil, 0, 0, nil
	}
	first := firstLevel(net)
	r := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	// Rounds: the levels from a partition of the nodes, then the nodes
	// moved once more one by one, which mends what merging whole
	// communities got wrong; again while that moves any.
	var assign []int32
	for round := 0; round < 8; round++ {
		comm, k, moved, err := first.move(ctx, r, assign)
		if err != nil {
			return nil, 0, 0, err
		}
		if !moved && round > 0 {
			break
		}
		assign = comm
		lv := first.aggregate(comm, k)
		for {
			comm, k, moved, err := lv.move(ctx, r, nil)
			if err != nil {
				return nil, 0, 0, err
			}
			if !moved {
				break
			}
			for i, a := range assign {
				assign[i] = comm[a]
			}
			lv = lv.aggregate(comm, k)
		}
	}
	label, count = relabelBySize(assign)
	return label, count, net.Modularity(label), nil
}

// Modularity is Newman's modularity of a partition (label by node) over
// the undirected weighted links: the fraction of link weight inside
// classes less what a random graph with the same degrees would put there.
func (net *Net) Modularity(label []int32) float64 {
	lv := firstLevel(net)
	var m2 float64
	for _, k := range lv.k {
		m2 += k
	}
	if m2 == 0 {
		return 0
	}
	in := map[int32]float64{}
	tot := map[int32]float64{}
	for i := range int32(lv.n) {
		c := label[i]
		tot[c] += lv.k[i]
		in[c] += 2 * lv.self[i]
		nbr, w := lv.neighbours(i)
		for x, j := range nbr {
			if label[j] == c {
				in[c] += w[x]
			}
		}
	}
	var q float64
	for c, t := range tot {
		q += in[c]/m2 - (t/m2)*(t/m2)
	}
	return q
}

// level is one level of the Louvain hierarchy: nodes are communities of
// the level below, links the summed weights between them.
type level struct {
	n    int
	off  []int32
	nbr  []int32
	w    []float64
	self []float64 // weight of the links inside the node, each once
	k    []float64 // weighted degree: links out plus twice self
	m2   float64   // the sum of k: twice the total weight
}

func (lv *level) neighbours(i int32) ([]int32, []float64) {
	a, b := lv.off[i], lv.off[i+1]
	return lv.nbr[a:b], lv.w[a:b]
}

func firstLevel(net *Net) *level {
	lv := &level{n: net.n, off: net.off, nbr: net.nbr, w: make([]float64, len(net.w)), self: make([]float64, net.n), k: make([]float64, net.n)}
	for i, w := range net.w {
		lv.w[i] = float64(w)
	}
	for i := range int32(net.n) {
		lv.self[i] = float64(net.loops[i])
		k := 2 * lv.self[i]
		_, w := lv.neighbours(i)
		for _, x := range w {
			k += x
		}
		lv.k[i] = k
		lv.m2 += k
	}
	return lv
}

// move is Louvain's local phase, visiting nodes from a queue (as Leiden's
// fast local move does): every node once in a random order, then only the
// neighbours of nodes that moved, each joining the neighbouring community
// (or staying) where the modularity gain is largest, until the queue is
// empty. Visits are bounded at 32 per node against endless swaps. It
// starts from the partition from (numbered below n), or each node alone
// when from is nil. It returns the communities numbered 0..k-1 and
// whether any node moved.
func (lv *level) move(ctx context.Context, r *rand.Rand, from []int32) (comm []int32, k int, moved bool, err error) {
	n := lv.n
	comm = make([]int32, n)
	tot := make([]float64, n)
	for i := range comm {
		comm[i] = int32(i)
		if from != nil {
			comm[i] = from[i]
		}
		tot[comm[i]] += lv.k[i]
	}
	queue := make([]int32, n, 2*n)
	for i, o := range r.Perm(n) {
		queue[i] = int32(o)
	}
	queued := make([]bool, n)
	for i := range queued {
		queued[i] = true
	}
	weightTo := make([]float64, n)
	seen := make([]bool, n)
	var touched []int32
	if lv.m2 == 0 {
		return comm, n, false, nil
	}
	for visits, head := 0, 0; head < len(queue) && visits < 32*n; visits++ {
		if visits%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, false, err
			}
		}
		i := queue[head]
		head++
		queued[i] = false
		if head > n && head > len(queue)/2 {
			queue = append(queue[:0], queue[head:]...) // reuse the front
			head = 0
		}
		ci := comm[i]
		nbr, w := lv.neighbours(i)
		for x, j := range nbr {
			c := comm[j]
			if !seen[c] {
				seen[c] = true
				touched = append(touched, c)
			}
			weightTo[c] += w[x]
		}
		ki := lv.k[i]
		tot[ci] -= ki
		best, bestGain := ci, weightTo[ci]-tot[ci]*ki/lv.m2
		for _, c := range touched {
			if gain := weightTo[c] - tot[c]*ki/lv.m2; gain > bestGain+1e-12 {
				best, bestGain = c, gain
			}
		}
		tot[best] += ki
		for _, c := range touched {
			weightTo[c], seen[c] = 0, false
		}
		touched = touched[:0]
		if best == ci {
			continue
		}
		comm[i] = best
		moved = true
		for _, j := range nbr {
			if !queued[j] && comm[j] != best {
				queued[j] = true
				queue = append(queue, j)
			}
		}
	}
	// Number the communities 0..k-1.
	to := make([]int32, n)
	for i := range to {
		to[i] = -1
	}
	for i, c := range comm {
		if to[c] < 0 {
			to[c] = int32(k)
			k++
		}
		comm[i] = to[c]
	}
	return comm, k, moved, nil
}

// aggregate makes each of the k communities one node of the next level.
func (lv *level) aggregate(comm []int32, k int) *level {
	members := make([][]int32, k)
	for i, c := range comm {
		members[c] = append(members[c], int32(i))
	}
	next := &level{n: k, off: make([]int32, k+1), self: make([]float64, k), k: make([]float64, k), m2: lv.m2}
	acc := make([]float64, k)
	seen := make([]bool, k)
	var touched []int32
	for c := range int32(k) {
		for _, i := range members[c] {
			next.self[c] += lv.self[i]
			next.k[c] += lv.k[i]
			nbr, w := lv.neighbours(i)
			for x, j := range nbr {
				d := comm[j]
				if d == c {
					next.self[c] += w[x] / 2 // seen from both ends
					continue
				}
				if !seen[d] {
					seen[d] = true
					touched = append(touched, d)
				}
				acc[d] += w[x]
			}
		}
		for _, d := range touched {
			next.nbr = append(next.nbr, d)
			next.w = append(next.w, acc[d])
			acc[d], seen[d] = 0, false
		}
		touched = touched[:0]
		next.off[c+1] = int32(len(next.nbr))
	}
	return next
}
