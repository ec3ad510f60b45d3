package lod

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/go-gl/mathgl/mgl32"

	"visionflow/render/view"
)

// A camera looking down -Z at the origin from 100 units, in a 1000×500
// viewport.
func testView() (View, view.Camera) {
	cam := view.New()
	cam.Yaw, cam.Pitch, cam.Distance = 0, 0, 100
	return NewView(cam, 1000, 500), cam
}

// length is an edge's on-screen length, and whether it is in view, for
// a hairline edge.
func length(v View, a, b mgl32.Vec3) (float32, bool) {
	l, _, ok := v.Footprint(a, b, 0)
	return l, ok
}

func near(a, b, tol float32) bool { return float32(math.Abs(float64(a-b))) <= tol }

func TestFootprintOfASegmentInView(t *testing.T) {
	vp, cam := testView()
	a, b := mgl32.Vec3{-10, 0, 0}, mgl32.Vec3{10, 0, 0}
	l, ok := length(vp, a, b)
	xa, _, _, _ := cam.Project(a, 1000, 500)
	xb, _, _, _ := cam.Project(b, 1000, 500)
	if !ok || !near(l, xb-xa, 0.01) {
		t.Errorf("length %v (in view %v), want %v", l, ok, xb-xa)
	}
}

func TestFootprintClipsToTheViewport(t *testing.T) {
	vp, _ := testView()
	// From the centre far out to the right: only the half width shows.
	l, ok := length(vp, mgl32.Vec3{0, 0, 0}, mgl32.Vec3{1e4, 0, 0})
	if !ok || !near(l, 500, 0.5) {
		t.Errorf("length %v (in view %v), want 500", l, ok)
	}
	// Wholly to the right of the view, above it, and behind the camera.
	for _, s := range [][2]mgl32.Vec3{
		{{500, -5, 0}, {600, 5, 0}},
		{{-5, 200, 0}, {5, 300, 0}},
		{{0, 0, 200}, {10, 0, 300}},
	} {
		if l, ok := length(vp, s[0], s[1]); ok {
			t.Errorf("%v: length %v, want out of view", s, l)
		}
	}
	// A ribbon whose centre line is 3 pixels above the top reaches into
	// view when it is more than 6 pixels wide.
	up := vp.ViewProj.Mul4x1(mgl32.Vec4{0, 1, 0, 1})
	perUnit := up[1] / up[3] * 250
	y := (250 + 3) / perUnit
	a, b := mgl32.Vec3{-5, y, 0}, mgl32.Vec3{5, y, 0}
	if _, ok := length(vp, a, b); ok {
		t.Errorf("a line 3 pixels above the view is in it")
	}
	if _, _, ok := vp.Footprint(a, b, 8/perUnit); !ok {
		t.Errorf("an 8-pixel ribbon 3 pixels above the view does not reach into it")
	}
}

func TestFootprintArea(t *testing.T) {
	vp, _ := testView()
	up := vp.ViewProj.Mul4x1(mgl32.Vec4{0, 1, 0, 1})
	perUnit := up[1] / up[3] * 250
	a, b := mgl32.Vec3{-10, 0, 0}, mgl32.Vec3{10, 0, 0}
	// 4 pixels wide: its area is its length times 4; a hairline costs a
	// pixel's width.
	l, area, _ := vp.Footprint(a, b, 4/perUnit)
	if !near(area, 4*l, 0.01*l) {
		t.Errorf("area %v, want %v", area, 4*l)
	}
	if _, area, _ := vp.Footprint(a, b, 0.1/perUnit); !near(area, l, 0.01) {
		t.Errorf("a sub-pixel ribbon's area %v, want its length %v", area, l)
	}
}

func TestFootprintCrossingTheNearPlane(t *testing.T) {
	vp, _ := testView()
	// From in front of the target to behind the eye: what shows is
	// finite and in view.
	l, ok := length(vp, mgl32.Vec3{1, 1, 0}, mgl32.Vec3{1, 1, 300})
	if !ok || l <= 0 || math.IsInf(float64(l), 0) || math.IsNaN(float64(l)) {
		t.Errorf("length %v, in view %v", l, ok)
	}
}

func TestKeepAndOpacity(t *testing.T) {
	if Keep(10, 0) != 1 || Keep(10, 20) != 1 || Keep(40, 20) != 0.5 {
		t.Errorf("Keep: %v %v %v", Keep(10, 0), Keep(10, 20), Keep(40, 20))
	}
	if Opacity(0.5, 1) != 0.5 || !near(Opacity(0.5, 0.5), 0.75, 1e-6) || !near(Opacity(0.5, 0.25), 1-1.0/16, 1e-6) {
		t.Errorf("Opacity: %v %v %v", Opacity(0.5, 1), Opacity(0.5, 0.5), Opacity(0.5, 0.25))
	}
}

// The hash keeps about the share of edges it is asked to, spread over
// the indices (neighbouring edges are not kept or dropped together).
func TestKeptShare(t *testing.T) {
	for _, chance := range []float32{0.05, 0.25, 0.5} {
		kept, runs := 0, 0
		last := false
		for i := range uint32(100_000) {
			k := Kept(i, chance)
			if k {
				kept++
			}
			if k != last {
				runs++
			}
			last = k
		}
		share := float32(kept) / 100_000
		if !near(share, chance, 0.01) {
			t.Errorf("chance %v: kept %v", chance, share)
		}
		// Independent draws change about 2·p·(1-p) of the time.
		if want := 2 * chance * (1 - chance) * 100_000; float32(runs) < 0.9*want {
			t.Errorf("chance %v: %d changes along the indices, want about %.0f", chance, runs, want)
		}
	}
	if !Kept(12345, 1) {
		t.Error("chance 1 must keep")
	}
}

func TestAreaCapMeetsTheBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sample := make([]float32, 1000)
	total := float32(0)
	for i := range sample {
		sample[i] = 1 + rng.Float32()*rng.Float32()*800 // many short, a tail of long
		total += sample[i]
	}
	if c := AreaCap(sample, 10, total*10); c != 0 {
		t.Errorf("everything fits, but cap %v", c)
	}
	budget := total * 10 / 4
	c := AreaCap(sample, 10, budget)
	drawn := float32(0)
	for _, l := range sample {
		drawn += l * Keep(l, c)
	}
	if c <= 0 || !near(drawn*10, budget, budget*1e-3) {
		t.Errorf("cap %v draws %v, budget %v", c, drawn*10, budget)
	}
	// Edges out of view or too short cost nothing and are not counted.
	if c := AreaCap([]float32{0, 0, 0}, 1000, 1); c != 0 {
		t.Errorf("nothing to draw, but cap %v", c)
	}
	// A budget below one pixel per edge still draws a pixel's worth.
	if c := AreaCap([]float32{100, 100}, 1, 0.5); c != MinLength {
		t.Errorf("cap %v, want %v", c, MinLength)
	}
}

func TestCapFromASample(t *testing.T) {
	vp, _ := testView()
	// 100,000 hairline edges of 20 units (≈ 100 px here) across the view.
	n := 100_000
	edge := func(i int) (a, b mgl32.Vec3, w float32, ok bool) {
		x := float32(i%100) - 50
		return mgl32.Vec3{x, -10, 0}, mgl32.Vec3{x, 10, 0}, 0, true
	}
	l, _ := length(vp, mgl32.Vec3{0, -10, 0}, mgl32.Vec3{0, 10, 0})
	if c := vp.Cap(n, edge, float32(n)*l*2); c != 0 {
		t.Errorf("within budget, cap %v", c)
	}
	c := vp.Cap(n, edge, float32(n)*l/4)
	if !near(c, l/4, 0.01*l) {
		t.Errorf("cap %v, want %v", c, l/4)
	}
	if c := vp.Cap(0, edge, 1); c != 0 {
		t.Errorf("no edges, cap %v", c)
	}
	// Edges it is told to leave alone are not measured.
	none := func(int) (a, b mgl32.Vec3, w float32, ok bool) { return a, b, 0, false }
	if c := vp.Cap(n, none, 1); c != 0 {
		t.Errorf("no edges measured, cap %v", c)
	}
}

// BenchmarkCap is the window's measure of a frame's cap on a big graph:
// 2,048 footprints and the water-filling over them.
func BenchmarkCap(b *testing.B) {
	v, _ := testView()
	rng := rand.New(rand.NewPCG(1, 2))
	pos := make([]mgl32.Vec3, 64_000)
	for i := range pos {
		pos[i] = mgl32.Vec3{rng.Float32()*100 - 50, rng.Float32()*100 - 50, rng.Float32()*100 - 50}
	}
	edge := func(i int) (a, c mgl32.Vec3, w float32, ok bool) {
		return pos[i%len(pos)], pos[(i*7919)%len(pos)], 0.5, true
	}
	for b.Loop() {
		v.Cap(245_000, edge, 2*1000*500)
	}
}
