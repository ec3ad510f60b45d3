package desktop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/go-gl/mathgl/mgl32"

	"visionflow/graph"
	"visionflow/net/wire"
	"visionflow/render/view"
)

func TestNearestLabelsAreInViewNearestFirst(t *testing.T) {
	cam := view.New()
	cam.Yaw, cam.Pitch, cam.Distance = 0, 0, 100 // eye at (0, 0, 100) looking at the origin
	nodes := []wire.NodeState{
		{ID: 1, Position: graph.Vec3{Z: 0}},
		{ID: 2, Position: graph.Vec3{Z: 50}},
		{ID: 3, Position: graph.Vec3{Z: 200}},  // behind the eye
		{ID: 4, Position: graph.Vec3{X: 1000}}, // off to the side
		{ID: 5, Position: graph.Vec3{Z: -50}},  // far
		{ID: 6, Position: graph.Vec3{X: 5, Z: 60}},
	}
	got := nearest(cam, 800, 600, nodes, 3)
	want := []graph.WireID{6, 2, 1}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if all := nearest(cam, 800, 600, nodes, 10); len(all) != 4 {
		t.Errorf("in view: %v, want 4 nodes", all)
	}
	if nearest(cam, 0, 600, nodes, 3) != nil || nearest(cam, 800, 600, nodes, 0) != nil {
		t.Error("nothing to label should give nothing")
	}
}

func TestPlacedDropsOverlaps(t *testing.T) {
	keep := placed([]float32{100, 110, 300, 100}, []float32{100, 105, 100, 140}, 90, 16)
	want := []bool{true, false, true, true}
	for i := range want {
		if keep[i] != want[i] {
			t.Fatalf("keep %v, want %v", keep, want)
		}
	}
}

func TestFlightEasesToItsEnd(t *testing.T) {
	from, to := view.New(), view.New()
	to.Target, to.Distance = mgl32.Vec3{10, 0, 0}, 50
	start := time.Now()
	f := &flight{from: from, to: to, start: start, dur: time.Second}
	if c, done := f.at(start); done || c.Target != from.Target || c.Distance != from.Distance {
		t.Errorf("start: %+v %v", c, done)
	}
	mid, _ := f.at(start.Add(500 * time.Millisecond))
	if mid.Target[0] != 5 || mid.Distance != 75 {
		t.Errorf("half way: %+v", mid)
	}
	if c, done := f.at(start.Add(2 * time.Second)); !done || c != to {
		t.Errorf("end: %+v %v", c, done)
	}
}

func cloud(n int) *wire.Positions {
	p := &wire.Positions{Nodes: make([]wire.NodeState, n)}
	side := float32(math.Cbrt(float64(n))) * 30
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range p.Nodes {
		p.Nodes[i] = wire.NodeState{ID: graph.WireID(i + 1), Value: float32(rng.IntN(5)),
			Position: graph.Vec3{X: (rng.Float32() - 0.5) * side, Y: (rng.Float32() - 0.5) * side, Z: (rng.Float32() - 0.5) * side}}
	}
	return p
}

// BenchmarkNearest is the labeler's choice of the 30 nearest nodes in view
// (on its own goroutine, ten times a second).
func BenchmarkNearest(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			pos := cloud(n)
			cam := view.New()
			cam.Distance = float32(math.Cbrt(float64(n))) * 30
			for b.Loop() {
				nearest(cam, 1280, 800, pos.Nodes, maxLabels)
			}
		})
	}
}

// BenchmarkHoverPick is the hover test of a ray against every node's
// sphere on the CPU (on the GL thread, at most ten times a second).
func BenchmarkHoverPick(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			d := &desk{posNow: cloud(n), cam: view.New(), width: 1280, height: 800}
			d.cam.Distance = float32(math.Cbrt(float64(n))) * 30
			for b.Loop() {
				d.rayPick(640, 400, 1.2)
			}
		})
	}
}
