package analysis

import (
	"context"
	"fmt"
	"math"
)

// Result is every measure of one graph, by node index of its Net.
type Result struct {
	Degree      []int32
	PageRank    []float64
	Betweenness []float64
	Component   []int32
	Community   []int32

	Components  int
	Communities int
	Modularity  float64
	// Sources is how many sources the betweenness came from: the node
	// count when it is exact, fewer when it is an estimate.
	Sources int
}

// Options tune Analyze. The zero value is usable.
type Options struct {
	// Seed makes communities and betweenness samples repeatable.
	Seed uint64
	// Work bounds betweenness: sources are drawn until sources × (nodes +
	// links) passes it, so the estimate costs about the same on any graph.
	// 0 means DefaultWork.
	Work int
}

// DefaultWork lets betweenness be exact up to about 3,000 nodes of an
// average degree 3, and samples beyond (about 60 sources on 100k nodes).
const DefaultWork = 30_000_000

// Analyze measures net: degree, PageRank (damping 0.85), betweenness
// (sampled past opt.Work), components and communities (the best of four
// Louvain runs up to 20,000 nodes, one beyond).
func Analyze(ctx context.Context, net *Net, opt Options) (*Result, error) {
	if opt.Work <= 0 {
		opt.Work = DefaultWork
	}
	res := &Result{Degree: net.Degree()}
	res.Component, res.Components = net.Components()
	var err error
	if res.PageRank, err = net.PageRank(ctx, 0.85); err != nil {
		return nil, fmt.Errorf("pagerank: %w", err)
	}
	// Louvain's answer depends on the order nodes are visited in; on
	// graphs where it is cheap, the best of a few orders is kept.
	tries := 1
	if net.n <= 20_000 {
		tries = 4
	}
	res.Modularity = math.Inf(-1)
	for t := range uint64(tries) {
		label, count, q, err := net.Communities(ctx, opt.Seed+t)
		if err != nil {
			return nil, fmt.Errorf("communities: %w", err)
		}
		if q > res.Modularity {
			res.Community, res.Communities, res.Modularity = label, count, q
		}
	}
	res.Sources = net.n
	if per := net.n + 2*len(net.out); per > 0 && res.Sources*per > opt.Work {
		res.Sources = max(opt.Work/per, min(net.n, 16))
	}
	if res.Betweenness, err = net.Betweenness(ctx, res.Sources, opt.Seed); err != nil {
		return nil, fmt.Errorf("betweenness: %w", err)
	}
	return res, nil
}
