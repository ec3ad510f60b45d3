package desktop

import (
	"cmp"
	"context"
	"slices"
	"sync/atomic"
	"time"

	"visionflow/graph"
	"visionflow/graph/analysis"
)

// measures are the watched graph's structure (graph/analysis) as the
// window colours, filters and labels by it.
type measures struct {
	scene *scene // what they were measured on: res is by index of its nodes
	res   *analysis.Result
	rank  []int32 // each node's place by PageRank, 1 for the highest (ties share one)
	took  time.Duration
}

// ranks places each node by PageRank, highest first; equal ranks share
// the better place. Made once per measures, off the GL thread (the
// inspector shows it every frame).
func ranks(pr []float64) []int32 {
	order := make([]int32, len(pr))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(pr[b], pr[a]) })
	rank := make([]int32, len(pr))
	for k, i := range order {
		rank[i] = int32(k + 1)
		if k > 0 && pr[i] == pr[order[k-1]] {
			rank[i] = rank[order[k-1]]
		}
	}
	return rank
}

// of is node w's index in the measures, or -1 (a node added since, or
// one of the swarm's).
func (m *measures) of(w graph.WireID) int32 {
	if m == nil {
		return -1
	}
	i, ok := m.scene.byWire[w]
	if !ok || int(i) >= m.scene.graphNodes {
		return -1
	}
	return i
}

// analyser measures scenes on its own goroutine, the newest first: a
// 100k-node graph takes about a second, which the GL thread never waits
// for. While it works, newer scenes replace the one waiting.
type analyser struct {
	jobs chan *scene
	done atomic.Pointer[measures]
}

func newAnalyser() *analyser { return &analyser{jobs: make(chan *scene, 1)} }

// ask queues sc, replacing a scene still waiting.
func (a *analyser) ask(sc *scene) {
	for {
		select {
		case a.jobs <- sc:
			return
		default:
		}
		select {
		case <-a.jobs:
		default:
		}
	}
}

func (a *analyser) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case sc := <-a.jobs:
			if sc == nil {
				a.done.Store(nil)
				continue
			}
			start := time.Now()
			res, err := analysis.Analyze(ctx, sceneNet(sc), analysis.Options{Seed: 1})
			if err != nil {
				continue // cancelled: the window is closing
			}
			a.done.Store(&measures{scene: sc, res: res, rank: ranks(res.PageRank), took: time.Since(start)})
		}
	}
}

// sceneNet is the adjacency of a scene's graph (its swarm left out).
func sceneNet(sc *scene) *analysis.Net {
	links := make([]analysis.Link, 0, sc.graphEdges)
	for _, e := range sc.edges[:sc.graphEdges] {
		a, okA := sc.byWire[e.a]
		b, okB := sc.byWire[e.b]
		if okA && okB && int(a) < sc.graphNodes && int(b) < sc.graphNodes {
			links = append(links, analysis.Link{Source: a, Target: b, Weight: e.weight})
		}
	}
	return analysis.NewNet(sc.graphNodes, links)
}
