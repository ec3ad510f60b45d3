package desktop

import (
	"cmp"
	"container/heap"
	"context"
	"math"
	"slices"
	"sync/atomic"

	"github.com/go-gl/mathgl/mgl32"

	"visionflow/graph"
	"visionflow/net/wire"
	"visionflow/render/view"
)

// maxLabels is how many nodes get a label, besides the hovered and
// selected ones.
const maxLabels = 30

// labelJob is what the labeler needs to choose labels.
type labelJob struct {
	cam           view.Camera
	width, height int
	pos           *wire.Positions
	scene         *scene
	meas          *measures // nil: rank by degree
	paint         *paint    // what the lens hides
	nodeSize      float32
	scale         float32 // pixels per dp
}

// labeler chooses the nodes to label on its own goroutine, at most as
// often as the GL thread asks (it asks ten times a second); the GL thread
// projects the chosen few every frame.
type labeler struct {
	jobs   chan labelJob
	chosen atomic.Pointer[[]graph.WireID]
	// rankedBy is the measures the last choice ranked by (nil: degree), so
	// a screenshot can wait for labels chosen as they will stay.
	rankedBy atomic.Pointer[measures]
}

func newLabeler() *labeler { return &labeler{jobs: make(chan labelJob, 1)} }

// ask queues a job unless one is waiting already.
func (l *labeler) ask(j labelJob) {
	select {
	case l.jobs <- j:
	default:
	}
}

func (l *labeler) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-l.jobs:
			if j.pos == nil {
				l.chosen.Store(nil)
				continue
			}
			ids := chooseLabels(j, maxLabels)
			l.chosen.Store(&ids)
			l.rankedBy.Store(j.meas)
		}
	}
}

// A candidate is a node in view that could carry a label.
type candidate struct {
	id     graph.WireID
	x, y   float32 // window pixels
	depth  float32 // along the view
	radius float32 // drawn radius, pixels
	rank   float64
}

// chooseLabels picks up to k nodes to label: the most important in view
// first (PageRank when the graph is measured, else degree), for two
// thirds of the labels, then the nearest. A label that would overlap one
// chosen before it, or lie over a node nearer the eye than its own, is
// left out: labels never cover the node in front of them.
func chooseLabels(j labelJob, k int) []graph.WireID {
	if j.width <= 0 || j.height <= 0 || k <= 0 {
		return nil
	}
	m := j.cam.Projection(float32(j.width) / float32(j.height)).Mul4(j.cam.View())
	focal := float32(j.height) / 2 / float32(math.Tan(float64(j.cam.FovY)/2))
	w, h := float32(j.width), float32(j.height)
	var cands []candidate
	for _, n := range j.pos.Nodes {
		c := m.Mul4x1(mgl32.Vec3{n.Position.X, n.Position.Y, n.Position.Z}.Vec4(1))
		if c[3] <= 0 || c[0] < -c[3] || c[0] > c[3] || c[1] < -c[3] || c[1] > c[3] {
			continue
		}
		cd := candidate{id: n.ID, x: (c[0]/c[3] + 1) / 2 * w, y: (1 - c[1]/c[3]) / 2 * h, depth: c[3]}
		degree := float64(n.Value)
		cd.rank = degree
		if j.scene != nil {
			if i, ok := j.scene.byWire[n.ID]; ok {
				if j.paint.visOf(i) != visShown {
					continue
				}
				if mi := j.meas.of(n.ID); mi >= 0 {
					cd.rank = j.meas.res.PageRank[mi]
				}
			}
		}
		r := j.nodeSize * (1 + 0.5*float32(math.Log1p(degree)))
		if n.ID.IsAgent() {
			r = j.nodeSize * 2.2
		}
		cd.radius = min(r*focal/c[3], 200)
		cands = append(cands, cd)
	}
	// The nearest depth drawn over each cell of a coarse grid.
	const cell = 16
	gw, gh := int(w)/cell+1, int(h)/cell+1
	front := make([]float32, gw*gh)
	for i := range front {
		front[i] = math.MaxFloat32
	}
	cells := func(x0, y0, x1, y1 float32, fn func(i int) bool) {
		cx0, cy0 := max(int(x0)/cell, 0), max(int(y0)/cell, 0)
		cx1, cy1 := min(int(x1)/cell, gw-1), min(int(y1)/cell, gh-1)
		for cy := cy0; cy <= cy1; cy++ {
			for cx := cx0; cx <= cx1; cx++ {
				if !fn(cy*gw + cx) {
					return
				}
			}
		}
	}
	for _, c := range cands {
		// The cells whose centres the node's disc covers well: a dot
		// smaller than a cell hides no text.
		r := c.radius * 0.8
		cells(c.x-r, c.y-r, c.x+r, c.y+r, func(i int) bool {
			cx, cy := float32(i%gw*cell+cell/2), float32(i/gw*cell+cell/2)
			if (cx-c.x)*(cx-c.x)+(cy-c.y)*(cy-c.y) <= r*r {
				front[i] = min(front[i], c.depth)
			}
			return true
		})
	}
	// The order: by rank for two thirds, then by nearness. Only the first
	// few of each can be labelled (some are dropped), so only they are
	// sorted.
	byRank := first(cands, 2*k/3, func(a, b candidate) int { return cmp.Compare(b.rank, a.rank) })
	order := append(byRank, first(cands, 8*k, func(a, b candidate) int { return cmp.Compare(a.depth, b.depth) })...)
	labelW, labelH := 90*j.scale, 16*j.scale
	var out []graph.WireID
	var kept []candidate
	seen := map[graph.WireID]bool{}
	for _, c := range order {
		if len(out) >= k {
			break
		}
		if seen[c.id] {
			continue
		}
		seen[c.id] = true
		x0 := c.x + c.radius // labels start right of their node
		covered := false
		cells(x0, c.y-labelH/2, x0+labelW, c.y+labelH/2, func(i int) bool {
			covered = front[i] < c.depth*0.995
			return !covered
		})
		if covered {
			continue
		}
		overlaps := slices.ContainsFunc(kept, func(o candidate) bool {
			return abs32(o.x+o.radius-x0) < labelW && abs32(o.y-c.y) < labelH
		})
		if overlaps {
			continue
		}
		kept = append(kept, c)
		out = append(out, c.id)
	}
	return out
}

// placed drops labels that would overlap one placed before them: labels
// come most important first, and a label needs a box of about w×h pixels.
func placed(xs, ys []float32, w, h float32) []bool {
	keep := make([]bool, len(xs))
	for i := range xs {
		keep[i] = true
		for j := range i {
			if keep[j] && abs32(xs[i]-xs[j]) < w && abs32(ys[i]-ys[j]) < h {
				keep[i] = false
				break
			}
		}
	}
	return keep
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// first returns the m candidates that come first by order, sorted: a
// bounded heap, so choosing 240 of 100,000 costs one pass, not a sort.
func first(cands []candidate, m int, order func(a, b candidate) int) []candidate {
	if len(cands) <= m {
		out := slices.Clone(cands)
		slices.SortFunc(out, order)
		return out
	}
	h := &boundedHeap{order: order}
	for _, c := range cands {
		if len(h.c) < m {
			heap.Push(h, c)
		} else if order(c, h.c[0]) < 0 {
			h.c[0] = c
			heap.Fix(h, 0)
		}
	}
	slices.SortFunc(h.c, order)
	return h.c
}

// boundedHeap keeps the last (by order) of the chosen on top.
type boundedHeap struct {
	c     []candidate
	order func(a, b candidate) int
}

func (h *boundedHeap) Len() int           { return len(h.c) }
func (h *boundedHeap) Less(i, j int) bool { return h.order(h.c[i], h.c[j]) > 0 }
func (h *boundedHeap) Swap(i, j int)      { h.c[i], h.c[j] = h.c[j], h.c[i] }
func (h *boundedHeap) Push(x any)         { h.c = append(h.c, x.(candidate)) }
func (h *boundedHeap) Pop() any {
	x := h.c[len(h.c)-1]
	h.c = h.c[:len(h.c)-1]
	return x
}
