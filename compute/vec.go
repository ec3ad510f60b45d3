package compute

import (
	"math"

	"visionflow/graph"
)

// vec3 is the engine's internal vector: an array, so loops index it and the
// compiler keeps it in registers.
type vec3 [3]float32

func toVec(v graph.Vec3) vec3       { return vec3{v.X, v.Y, v.Z} }
func fromVec(v vec3) graph.Vec3     { return graph.Vec3{X: v[0], Y: v[1], Z: v[2]} }
func sqrt32(x float32) float32      { return float32(math.Sqrt(float64(x))) }
func (v vec3) len2() float32        { return v[0]*v[0] + v[1]*v[1] + v[2]*v[2] }
func (v vec3) sub(w vec3) vec3      { return vec3{v[0] - w[0], v[1] - w[1], v[2] - w[2]} }
func (v vec3) scale(s float32) vec3 { return vec3{v[0] * s, v[1] * s, v[2] * s} }
