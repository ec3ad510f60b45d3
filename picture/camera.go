package picture

import (
	"fmt"
	"math"

	"visionflow/graph"
)

// Camera is a perspective camera at Eye looking at Target, with the Y
// axis up, as the window's orbit camera is.
type Camera struct {
	Eye, Target graph.Vec3
	FovY        float32 // radians
}

// The window's first view: 50° of height, from yaw 0.6 and pitch 0.35
// (render/view.New).
const (
	defaultFovY  = 50 * math.Pi / 180
	defaultYaw   = 0.6
	defaultPitch = 0.35
)

// fitted frames every shown node from the window's first direction, as
// the window frames a graph it opens.
func fitted(c graph.Contents, hidden func(int) bool, aspect float32) Camera {
	var lo, hi graph.Vec3
	first := true
	for i, n := range c.Nodes {
		if hidden(i) {
			continue
		}
		p := n.Position
		if first {
			lo, hi, first = p, p, false
			continue
		}
		lo = graph.Vec3{X: min(lo.X, p.X), Y: min(lo.Y, p.Y), Z: min(lo.Z, p.Z)}
		hi = graph.Vec3{X: max(hi.X, p.X), Y: max(hi.Y, p.Y), Z: max(hi.Z, p.Z)}
	}
	centre := graph.Vec3{X: (lo.X + hi.X) / 2, Y: (lo.Y + hi.Y) / 2, Z: (lo.Z + hi.Z) / 2}
	var radius float64
	for i, n := range c.Nodes {
		if !hidden(i) {
			radius = max(radius, length(sub(n.Position, centre)))
		}
	}
	half := float64(defaultFovY) / 2
	if aspect < 1 { // the narrower angle decides
		half = math.Atan(math.Tan(half) * float64(aspect))
	}
	dist := max(radius, 1) / math.Sin(half) * 1.05
	cp, sp := math.Cos(defaultPitch), math.Sin(defaultPitch)
	cy, sy := math.Cos(defaultYaw), math.Sin(defaultYaw)
	eye := graph.Vec3{
		X: centre.X + float32(cp*sy*dist),
		Y: centre.Y + float32(sp*dist),
		Z: centre.Z + float32(cp*cy*dist),
	}
	return Camera{Eye: eye, Target: centre, FovY: defaultFovY}
}

// projector maps world points to pixels of a w×h picture (origin top
// left) and their distance along the view; ok is false for points behind
// the camera's near plane.
func (c Camera) projector(w, h int) (func(p graph.Vec3) (x, y, depth float32, ok bool), error) {
	f := sub(c.Target, c.Eye)
	dist := length(f)
	if dist == 0 || !(c.FovY > 0 && c.FovY < math.Pi) {
		return nil, fmt.Errorf("picture: a camera at %v looking at %v with a field of view of %v rad", c.Eye, c.Target, c.FovY)
	}
	fw := scale(f, 1/dist)
	r := cross(fw, [3]float64{0, 1, 0})
	if length(r) < 1e-9 { // looking straight up or down
		r = cross(fw, [3]float64{0, 0, -1})
	}
	r = scale(r, 1/length(r))
	u := cross(r, fw)
	near := max(dist/1000, 0.01)
	ty := math.Tan(float64(c.FovY) / 2)
	tx := ty * float64(w) / float64(h)
	eye := [3]float64{float64(c.Eye.X), float64(c.Eye.Y), float64(c.Eye.Z)}
	return func(p graph.Vec3) (float32, float32, float32, bool) {
		d := [3]float64{float64(p.X) - eye[0], float64(p.Y) - eye[1], float64(p.Z) - eye[2]}
		z := dot(d, fw)
		if z <= near {
			return 0, 0, 0, false
		}
		x := dot(d, r) / (z * tx)
		y := dot(d, u) / (z * ty)
		return float32((x + 1) / 2 * float64(w)), float32((1 - y) / 2 * float64(h)), float32(z), true
	}, nil
}

func sub(a, b graph.Vec3) [3]float64 {
	return [3]float64{float64(a.X - b.X), float64(a.Y - b.Y), float64(a.Z - b.Z)}
}
func length(v [3]float64) float64              { return math.Sqrt(dot(v, v)) }
func dot(a, b [3]float64) float64              { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func scale(v [3]float64, k float64) [3]float64 { return [3]float64{v[0] * k, v[1] * k, v[2] * k} }
func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
