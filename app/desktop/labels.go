package desktop

import (
	"container/heap"
	"context"
	"sync/atomic"

	"github.com/go-gl/mathgl/mgl32"

	"visionflow/graph"
	"visionflow/net/wire"
	"visionflow/render/view"
)

// maxLabels is how many nearby nodes get a label, besides the hovered and
// selected ones.
const maxLabels = 30

// nearest returns up to k nodes that are in view, nearest to the eye
// first. It costs one projection per node, so the labeler runs it off the
// GL thread.
func nearest(cam view.Camera, width, height int, nodes []wire.NodeState, k int) []graph.WireID {
	if width <= 0 || height <= 0 || k <= 0 {
		return nil
	}
	m := cam.Projection(float32(width) / float32(height)).Mul4(cam.View())
	eye := cam.Eye()
	h := &farHeap{}
	for i := range nodes {
		p := nodes[i].Position
		v := mgl32.Vec3{p.X, p.Y, p.Z}
		c := m.Mul4x1(v.Vec4(1))
		if c[3] <= 0 || c[0] < -c[3] || c[0] > c[3] || c[1] < -c[3] || c[1] > c[3] {
			continue
		}
		d := v.Sub(eye).LenSqr()
		if h.Len() < k {
			heap.Push(h, near{nodes[i].ID, d})
		} else if d < (*h)[0].d {
			(*h)[0] = near{nodes[i].ID, d}
			heap.Fix(h, 0)
		}
	}
	out := make([]graph.WireID, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(near).id
	}
	return out
}

type near struct {
	id graph.WireID
	d  float32
}

// farHeap keeps the farthest of the nearest nodes on top.
type farHeap []near

func (h farHeap) Len() int           { return len(h) }
func (h farHeap) Less(i, j int) bool { return h[i].d > h[j].d }
func (h farHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *farHeap) Push(x any)        { *h = append(*h, x.(near)) }
func (h *farHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// labelJob is what the labeler needs to choose labels.
type labelJob struct {
	cam           view.Camera
	width, height int
	pos           *wire.Positions
}

// labeler chooses the nodes to label on its own goroutine, at most as
// often as the GL thread asks (it asks ten times a second); the GL thread
// projects the chosen few every frame.
type labeler struct {
	jobs   chan labelJob
	chosen atomic.Pointer[[]graph.WireID]
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
			ids := nearest(j.cam, j.width, j.height, j.pos.Nodes, maxLabels)
			l.chosen.Store(&ids)
		}
	}
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
