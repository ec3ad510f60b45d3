package analysis

import (
	"math"

	"visionflow/graph"
)

// Net is a graph's adjacency by node index, in compressed sparse rows:
// undirected (each edge listed at both ends, parallel edges kept) for
// communities, components and betweenness, and directed (source to
// target) for PageRank. Self-loops count in degree only.
type Net struct {
	n int
	// off[i]..off[i+1] index nbr and w: node i's undirected neighbours.
	off []int32
	nbr []int32
	w   []float32
	// outOff[i]..outOff[i+1] index out: the targets of i's edges.
	outOff []int32
	out    []int32
	loops  []int32 // self-loops by node
}

// Link is an edge between node indices; Weight scales its pull on
// communities (a weight that is not positive and finite counts as 1).
type Link struct {
	Source, Target int32
	Weight         float32
}

// NewNet builds the adjacency of n nodes and links. It panics on an index
// out of range: a caller's bug, not bad input (FromContents checks ids).
func NewNet(n int, links []Link) *Net {
	net := &Net{n: n, off: make([]int32, n+1), outOff: make([]int32, n+1), loops: make([]int32, n)}
	for _, l := range links {
		if int(l.Source) >= n || int(l.Target) >= n || l.Source < 0 || l.Target < 0 {
			panic("analysis: link index out of range")
		}
		if l.Source == l.Target {
			net.loops[l.Source]++
			continue
		}
		net.off[l.Source+1]++
		net.off[l.Target+1]++
		net.outOff[l.Source+1]++
	}
	for i := range n {
		net.off[i+1] += net.off[i]
		net.outOff[i+1] += net.outOff[i]
	}
	net.nbr = make([]int32, net.off[n])
	net.w = make([]float32, net.off[n])
	net.out = make([]int32, net.outOff[n])
	fill := make([]int32, n)
	outFill := make([]int32, n)
	for _, l := range links {
		s, t := l.Source, l.Target
		if s == t {
			continue
		}
		w := l.Weight
		if !(w > 0) || math.IsInf(float64(w), 0) {
			w = 1
		}
		k := net.off[s] + fill[s]
		net.nbr[k], net.w[k] = t, w
		fill[s]++
		k = net.off[t] + fill[t]
		net.nbr[k], net.w[k] = s, w
		fill[t]++
		net.out[net.outOff[s]+outFill[s]] = t
		outFill[s]++
	}
	return net
}

// FromContents builds the Net of a graph's contents; node i of the Net is
// c.Nodes[i]. Edges whose ends are not among the nodes are left out.
func FromContents(c graph.Contents) *Net {
	index := make(map[string]int32, len(c.Nodes))
	for i, n := range c.Nodes {
		index[n.ID] = int32(i)
	}
	links := make([]Link, 0, len(c.Edges))
	for _, e := range c.Edges {
		s, ok1 := index[e.Source]
		t, ok2 := index[e.Target]
		if ok1 && ok2 {
			links = append(links, Link{Source: s, Target: t, Weight: e.Weight})
		}
	}
	return NewNet(len(c.Nodes), links)
}

// Nodes is the number of nodes.
func (net *Net) Nodes() int { return net.n }

// Links is the number of links, self-loops included.
func (net *Net) Links() int {
	var loops int
	for _, l := range net.loops {
		loops += int(l)
	}
	return len(net.out) + loops
}

// neighbours are node i's undirected neighbours and the links' weights.
func (net *Net) neighbours(i int32) ([]int32, []float32) {
	a, b := net.off[i], net.off[i+1]
	return net.nbr[a:b], net.w[a:b]
}

// Degree is each node's number of link ends: a self-loop counts twice.
func (net *Net) Degree() []int32 {
	d := make([]int32, net.n)
	for i := range net.n {
		d[i] = net.off[i+1] - net.off[i] + 2*net.loops[i]
	}
	return d
}
