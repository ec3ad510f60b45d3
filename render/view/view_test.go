package view

import (
	"math"
	"slices"
	"testing"
	"visionflow/graph"
	"visionflow/picture"

	"github.com/go-gl/mathgl/mgl32"
)

func near(a, b, eps float32) bool { return float32(math.Abs(float64(a-b))) <= eps }

func TestProjectAndRayAgree(t *testing.T) {
	c := New()
	c.Target = mgl32.Vec3{3, -2, 5}
	c.Orbit(0.7, -0.2)
	w, h := 800, 600
	for _, p := range []mgl32.Vec3{{3, -2, 5}, {10, 0, 0}, {-20, 15, 8}} {
		x, y, _, ok := c.Project(p, w, h)
		if !ok {
			t.Fatalf("%v behind the camera", p)
		}
		o, d := c.Ray(x, y, w, h)
		// The ray through the projected pixel passes through the point.
		toP := p.Sub(o)
		along := toP.Dot(d)
		miss := toP.Sub(d.Mul(along)).Len()
		if miss > 1e-2*toP.Len() {
			t.Errorf("%v: the ray through its pixel misses it by %v", p, miss)
		}
	}
	// The target is at the centre of the screen.
	x, y, _, _ := c.Project(c.Target, w, h)
	if !near(x, 400, 0.5) || !near(y, 300, 0.5) {
		t.Errorf("target at %v,%v", x, y)
	}
}

func TestFitShowsEveryPoint(t *testing.T) {
	pts := []mgl32.Vec3{{-50, 0, 0}, {50, 0, 0}, {0, 80, 0}, {0, -10, 40}, {0, 0, -40}}
	centre, radius := Bounds(slices.Values(pts))
	for _, aspect := range [][2]int{{800, 600}, {400, 900}} {
		c := New()
		c.Fit(centre, radius, float32(aspect[0])/float32(aspect[1]))
		for _, p := range pts {
			x, y, _, ok := c.Project(p, aspect[0], aspect[1])
			if !ok || x < 0 || y < 0 || x > float32(aspect[0]) || y > float32(aspect[1]) {
				t.Errorf("%v: %v off screen at %v,%v", aspect, p, x, y)
			}
		}
	}
}

func TestOrbitPanZoom(t *testing.T) {
	c := New()
	d0 := c.Eye().Sub(c.Target).Len()
	c.Orbit(1, 10) // pitch is clamped short of the pole
	if c.Pitch >= math.Pi/2 || !near(c.Eye().Sub(c.Target).Len(), d0, 1e-3) {
		t.Errorf("orbit: pitch %v, distance %v", c.Pitch, c.Eye().Sub(c.Target).Len())
	}
	c.Zoom(0.5)
	if !near(c.Distance, 50, 1e-3) {
		t.Errorf("zoom: %v", c.Distance)
	}
	before := c.Target
	x0, y0, _, _ := c.Project(mgl32.Vec3{}, 800, 600)
	c.Pan(0.1, 0)
	x1, y1, _, _ := c.Project(mgl32.Vec3{}, 800, 600)
	if c.Target == before || !(x1 < x0) || !near(y0, y1, 1) {
		t.Errorf("panning right moves the scene left: %v,%v → %v,%v", x0, y0, x1, y1)
	}
}

func TestLookFromUndoesEye(t *testing.T) {
	c := New()
	c.Target, c.Yaw, c.Pitch, c.Distance = mgl32.Vec3{3, -2, 7}, 2.1, -0.4, 55
	var d Camera
	d.FovY = c.FovY
	d.LookFrom(c.Eye(), c.Target)
	if d.Target != c.Target || abs(d.Distance-c.Distance) > 1e-3 || abs(d.Yaw-c.Yaw) > 1e-4 || abs(d.Pitch-c.Pitch) > 1e-4 {
		t.Fatalf("LookFrom(Eye) = %+v, want %+v", d, c)
	}
}

func abs(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// A picture of the view (package picture, which may not use mgl32) puts
// points where the window's camera projects them.
func TestPictureProjectionAgrees(t *testing.T) {
	c := New()
	c.Target = mgl32.Vec3{4, -1, 2}
	c.Distance = 80
	c.Orbit(1.1, 0.3)
	eye := c.Eye()
	cam := picture.Camera{Eye: graph.Vec3{X: eye[0], Y: eye[1], Z: eye[2]}, Target: graph.Vec3{X: 4, Y: -1, Z: 2}, FovY: c.FovY}
	nodes := []graph.Node{{ID: "a", Position: graph.Vec3{X: 10, Y: 5, Z: -3}}, {ID: "b", Position: graph.Vec3{X: -20, Y: 0, Z: 8}}, {ID: "c", Position: graph.Vec3{X: 4, Y: -1, Z: 2}}}
	p, err := picture.Draw(graph.Contents{Nodes: nodes}, picture.Options{Width: 640, Height: 480, Camera: &cam})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Dots) != 3 {
		t.Fatalf("%d dots", len(p.Dots))
	}
	for _, n := range nodes {
		x, y, _, ok := c.Project(mgl32.Vec3{n.Position.X, n.Position.Y, n.Position.Z}, 640, 480)
		if !ok {
			t.Fatalf("%s behind the camera", n.ID)
		}
		found := false
		for _, d := range p.Dots {
			if near(d.X, x, 0.05) && near(d.Y, y, 0.05) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: the window projects it to (%.2f, %.2f), the picture has %+v", n.ID, x, y, p.Dots)
		}
	}
}
