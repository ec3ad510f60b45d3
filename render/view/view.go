// Package view is the 3D camera: an orbit camera around a target, its
// view and projection matrices, projection of points to the screen and
// rays from the screen into the scene, and fitting a bounding sphere. It
// is pure Go so its math is tested without a GPU.
package view

import (
	"math"

	"github.com/go-gl/mathgl/mgl32"
)

// Camera orbits Target at Distance, looking from the direction given by
// Yaw (around Y) and Pitch (up from the XZ plane), in radians.
type Camera struct {
	Target   mgl32.Vec3
	Distance float32
	Yaw      float32
	Pitch    float32
	FovY     float32 // radians
}

// New returns a camera looking at the origin from 100 units away.
func New() Camera {
	return Camera{Distance: 100, Yaw: 0.6, Pitch: 0.35, FovY: mgl32.DegToRad(50)}
}

const maxPitch = math.Pi/2 - 0.01

// Eye is where the camera is.
func (c *Camera) Eye() mgl32.Vec3 {
	cp, sp := float32(math.Cos(float64(c.Pitch))), float32(math.Sin(float64(c.Pitch)))
	cy, sy := float32(math.Cos(float64(c.Yaw))), float32(math.Sin(float64(c.Yaw)))
	return c.Target.Add(mgl32.Vec3{cp * sy, sp, cp * cy}.Mul(c.Distance))
}

// LookFrom points the camera at target from eye (the inverse of Eye): how
// a window takes another's camera.
func (c *Camera) LookFrom(eye, target mgl32.Vec3) {
	d := eye.Sub(target)
	dist := d.Len()
	if dist == 0 {
		return
	}
	c.Target, c.Distance = target, dist
	c.Pitch = mgl32.Clamp(float32(math.Asin(float64(d[1]/dist))), -maxPitch, maxPitch)
	c.Yaw = float32(math.Atan2(float64(d[0]), float64(d[2])))
}

// View is the world-to-camera matrix.
func (c *Camera) View() mgl32.Mat4 {
	return mgl32.LookAtV(c.Eye(), c.Target, mgl32.Vec3{0, 1, 0})
}

// Near and far planes follow the distance, so both small and huge graphs
// keep their depth precision.
func (c *Camera) planes() (near, far float32) {
	return max(c.Distance/1000, 0.01), c.Distance * 100
}

// Projection is the camera-to-clip matrix for a viewport of that aspect.
func (c *Camera) Projection(aspect float32) mgl32.Mat4 {
	near, far := c.planes()
	return mgl32.Perspective(c.FovY, aspect, near, far)
}

// Orbit turns the camera around the target.
func (c *Camera) Orbit(dYaw, dPitch float32) {
	c.Yaw = float32(math.Remainder(float64(c.Yaw+dYaw), 2*math.Pi))
	c.Pitch = mgl32.Clamp(c.Pitch+dPitch, -maxPitch, maxPitch)
}

// Pan moves the target in the view plane by a fraction of the visible
// height (dx right, dy up).
func (c *Camera) Pan(dx, dy float32) {
	height := 2 * c.Distance * float32(math.Tan(float64(c.FovY/2)))
	view := c.View()
	right := mgl32.Vec3{view[0], view[4], view[8]}
	up := mgl32.Vec3{view[1], view[5], view[9]}
	c.Target = c.Target.Add(right.Mul(dx * height)).Add(up.Mul(dy * height))
}

// Zoom multiplies the distance (below 1 comes closer).
func (c *Camera) Zoom(factor float32) {
	c.Distance = mgl32.Clamp(c.Distance*factor, 0.05, 1e8)
}

// Fit places the target at the centre of a sphere and backs off until the
// sphere fills the view.
func (c *Camera) Fit(centre mgl32.Vec3, radius float32, aspect float32) {
	c.Target = centre
	half := c.FovY / 2
	if aspect < 1 { // the narrower angle decides
		half = float32(math.Atan(math.Tan(float64(half)) * float64(aspect)))
	}
	c.Distance = max(radius, 1) / float32(math.Sin(float64(half))) * 1.05
}

// Project maps a world point to window pixels (origin top left) for a
// viewport of width×height; ok is false behind the camera.
func (c *Camera) Project(p mgl32.Vec3, width, height int) (x, y, depth float32, ok bool) {
	m := c.Projection(float32(width) / float32(height)).Mul4(c.View())
	v := m.Mul4x1(p.Vec4(1))
	if v[3] <= 0 {
		return 0, 0, 0, false
	}
	ndc := v.Vec3().Mul(1 / v[3])
	return (ndc[0] + 1) / 2 * float32(width), (1 - ndc[1]) / 2 * float32(height), ndc[2], true
}

// Ray returns the ray from the eye through window pixel (x, y).
func (c *Camera) Ray(x, y float32, width, height int) (origin, dir mgl32.Vec3) {
	inv := c.Projection(float32(width) / float32(height)).Mul4(c.View()).Inv()
	nx, ny := 2*x/float32(width)-1, 1-2*y/float32(height)
	near := inv.Mul4x1(mgl32.Vec4{nx, ny, -1, 1})
	far := inv.Mul4x1(mgl32.Vec4{nx, ny, 1, 1})
	a, b := near.Vec3().Mul(1/near[3]), far.Vec3().Mul(1/far[3])
	return a, b.Sub(a).Normalize()
}

// Bounds returns the centre and radius of a sphere around the points.
func Bounds(points func(yield func(mgl32.Vec3) bool)) (centre mgl32.Vec3, radius float32) {
	var lo, hi mgl32.Vec3
	first := true
	for p := range points {
		if first {
			lo, hi, first = p, p, false
			continue
		}
		for k := range 3 {
			lo[k], hi[k] = min(lo[k], p[k]), max(hi[k], p[k])
		}
	}
	centre = lo.Add(hi).Mul(0.5)
	for p := range points {
		radius = max(radius, p.Sub(centre).Len())
	}
	return centre, radius
}
