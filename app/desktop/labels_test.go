package desktop

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/go-gl/mathgl/mgl32"

	"visionflow/graph"
	"visionflow/graph/analysis"
	"visionflow/graph/gen"
	"visionflow/net/wire"
	"visionflow/render/view"
)

func TestLabelsGoToTheNearestInView(t *testing.T) {
	cam := view.New()
	cam.Yaw, cam.Pitch, cam.Distance = 0, 0, 100 // eye at (0, 0, 100) looking at the origin
	nodes := []wire.NodeState{
		{ID: 1, Position: graph.Vec3{Z: 0}},
		{ID: 2, Position: graph.Vec3{Y: 20, Z: 50}},
		{ID: 3, Position: graph.Vec3{Z: 200}},  // behind the eye
		{ID: 4, Position: graph.Vec3{X: 1000}}, // off to the side
		{ID: 5, Position: graph.Vec3{Y: -40, Z: -50}},
		{ID: 6, Position: graph.Vec3{X: -10, Z: 60}},
	}
	job := labelJob{cam: cam, width: 800, height: 600, pos: &wire.Positions{Nodes: nodes}, nodeSize: 1, scale: 1}
	// All equal in rank: the two thirds by rank keep the nodes' order,
	// then the nearest.
	if got := chooseLabels(job, 10); len(got) != 4 || slices.Contains(got, 3) || slices.Contains(got, 4) {
		t.Fatalf("labelled %v, want the four in view", got)
	}
	if chooseLabels(labelJob{cam: cam, pos: job.pos}, 3) != nil || chooseLabels(job, 0) != nil {
		t.Error("nothing to label should give nothing")
	}
}

// The best-linked nodes get labels before the nearest, even far away;
// a label that would lie over a nearer node is left out.
func TestLabelsGoToImportantNodesUnlessCovered(t *testing.T) {
	cam := view.New()
	cam.Yaw, cam.Pitch, cam.Distance = 0, 0, 100
	var nodes []wire.NodeState
	// Forty near leaves in a row across the middle, and a far hub above.
	for i := range 40 {
		nodes = append(nodes, wire.NodeState{ID: graph.WireID(i + 1), Value: 1, Position: graph.Vec3{X: float32(i-20) * 4, Y: -20, Z: 40}})
	}
	nodes = append(nodes, wire.NodeState{ID: 100, Value: 36, Position: graph.Vec3{X: 0, Y: 30, Z: -60}})
	job := labelJob{cam: cam, width: 1280, height: 800, pos: &wire.Positions{Nodes: nodes}, nodeSize: 1, scale: 1}
	got := chooseLabels(job, 5)
	if len(got) == 0 || got[0] != 100 {
		t.Fatalf("labelled %v: the hub (36 links) first", got)
	}
	// A near node right of the hub, where its label would go, covers it.
	cover := wire.NodeState{ID: 200, Value: 0, Position: graph.Vec3{X: 2.4, Y: 7.5, Z: 60}} // 40 from the eye, where the hub (160 away) projects
	job.pos = &wire.Positions{Nodes: append(slices.Clone(nodes), cover)}
	if got := chooseLabels(job, 5); slices.Contains(got, 100) {
		t.Fatalf("labelled %v: the hub's label would cover node 200, nearer the eye", got)
	}
	// Hidden by the lens: no label.
	sc := &scene{byWire: map[graph.WireID]int32{100: 0}, nodes: []nodeView{{wire: 100}}, graphNodes: 1}
	job.pos, job.scene, job.paint = &wire.Positions{Nodes: nodes}, sc, &paint{vis: []uint8{visHidden}, class: []int32{-1}}
	if got := chooseLabels(job, 5); slices.Contains(got, 100) {
		t.Fatalf("labelled %v: the hub is hidden", got)
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

// BenchmarkChooseLabels is the labeler's choice of 30 labels among the
// nodes in view, by rank and nearness, without overlaps or covered labels
// (on its own goroutine, ten times a second).
func BenchmarkChooseLabels(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			pos := cloud(n)
			cam := view.New()
			cam.Distance = float32(math.Cbrt(float64(n))) * 30
			job := labelJob{cam: cam, width: 1280, height: 800, pos: pos, nodeSize: 1.2, scale: 1}
			for b.Loop() {
				chooseLabels(job, maxLabels)
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

// benchScene is a scene of n generated nodes (3 links each, a kind in
// their metadata) and its measures.
func benchScene(b *testing.B, n int) (*scene, *measures) {
	g, _ := gen.Build("bench", n, 3*n, 1, graph.NewClock(time.Now))
	sc := buildScene(g, nil)
	for i := range sc.nodes {
		sc.nodes[i].meta = map[string]string{"kind": []string{"page", "journal", "reference"}[i%3]}
	}
	res, err := analysis.Analyze(context.Background(), sceneNet(sc), analysis.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return sc, &measures{scene: sc, res: res, rank: ranks(res.PageRank)}
}

// BenchmarkPaintScene is the lens applied to a scene, on the GL thread
// whenever the view, the measures, the selection or the hovered node
// changes: by community, by a metadata field, and with a node hovered.
func BenchmarkPaintScene(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		sc, m := benchScene(b, n)
		for _, by := range []string{"community", "meta:kind", "pagerank"} {
			b.Run(fmt.Sprintf("nodes=%d/by=%s", n, by), func(b *testing.B) {
				l := &lens{colourBy: by, hideRest: true}
				p := paintScene(sc, m, l, 0, 0, nil)
				b.Run("classes", func(b *testing.B) {
					for b.Loop() {
						paintScene(sc, m, l, 0, sc.nodes[0].wire, nil)
					}
				})
				b.Run("hover", func(b *testing.B) { // the classes kept
					for b.Loop() {
						paintScene(sc, m, l, 0, sc.nodes[0].wire, p)
					}
				})
			})
		}
	}
}
