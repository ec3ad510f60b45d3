// Package lod is the level of detail of a big graph's edges: which edges a
// frame draws, and how much each kept edge stands for. The edge shaders
// (assets/shaders/edge_lod.glsl) decide per edge on the GPU; this package
// holds the same math in Go, so that it is tested without a GPU and so that
// the window can pick the frame's area cap from a sample of its edges.
//
// Why: a software rasteriser (Mesa's llvmpipe) spends a big graph's frame
// filling edges, at a cost that follows the pixels they cross, not their
// number (a sub-pixel ribbon still costs each 4×4 block it crosses). A
// settled graph of tens of thousands of nodes covers its part of the
// window with translucent edges many deep, and drawing a share of the
// long ones, each as opaque as the edges it stands for, looks much the
// same at a fraction of the cost. Short edges (a node's neighbourhood, the
// structure one looks at) are always drawn; edges off screen or shorter
// than a pixel never are.
package lod

import (
	"math"
	"slices"

	"github.com/go-gl/mathgl/mgl32"

	"visionflow/render/view"
)

// MinLength is the on-screen length, in pixels, below which an edge is not
// drawn: its two end nodes cover it.
const MinLength = 1

// A View is what a frame sees through: edge_lod.glsl's uniforms.
type View struct {
	ViewProj      mgl32.Mat4
	Width, Height int
	// Focal is the projection's [1][1]: a layout unit at depth w (clip
	// space) spans Focal·Height/2/w pixels.
	Focal float32
}

// NewView is the view of a camera in a viewport of width×height.
func NewView(cam view.Camera, width, height int) View {
	proj := cam.Projection(float32(width) / float32(max(height, 1)))
	return View{ViewProj: proj.Mul4(cam.View()), Width: width, Height: height, Focal: proj[5]}
}

// Footprint is what an edge from a to b (world space), a ribbon width
// layout units wide, covers on screen: the length in pixels of the part
// of it in view, and the area that part costs to fill, in pixels (its
// length times its mean width, but at least one pixel wide: a narrower
// ribbon costs a rasteriser the same blocks). ok is false when none of it
// is in view, counting the ribbon's half width as a margin around the
// viewport. It is what edge_lod.glsl computes.
func (v View) Footprint(a, b mgl32.Vec3, width float32) (length, area float32, ok bool) {
	ca := v.ViewProj.Mul4x1(a.Vec4(1))
	cb := v.ViewProj.Mul4x1(b.Vec4(1))
	// The near plane first (GL clip space: z ≥ -w), so both ends have a
	// positive w to divide by.
	da, db := ca[2]+ca[3], cb[2]+cb[3]
	switch {
	case da < 0 && db < 0:
		return 0, 0, false
	case da < 0:
		ca = lerp4(ca, cb, da/(da-db))
	case db < 0:
		cb = lerp4(cb, ca, db/(db-da))
	}
	if ca[3] <= 0 || cb[3] <= 0 {
		return 0, 0, false
	}
	hw, hh := float32(v.Width)/2, float32(v.Height)/2
	// The ribbon's width in pixels at each end.
	unit := width * v.Focal * hh
	wa, wb := unit/ca[3], unit/cb[3]
	margin := max(wa, wb) / 2
	// In pixels from the viewport's centre.
	px, py := ca[0]/ca[3]*hw, ca[1]/ca[3]*hh
	qx, qy := cb[0]/cb[3]*hw, cb[1]/cb[3]*hh
	t0, t1, in := clipBox(px, py, qx-px, qy-py, hw+margin, hh+margin)
	if !in {
		return 0, 0, false
	}
	dx, dy := (qx-px)*(t1-t0), (qy-py)*(t1-t0)
	length = float32(math.Sqrt(float64(dx*dx + dy*dy)))
	return length, length * max((wa+wb)/2, 1), true
}

func lerp4(a, b mgl32.Vec4, t float32) mgl32.Vec4 { return a.Add(b.Sub(a).Mul(t)) }

// clipBox clips the segment p + t·d, t in [0, 1], to the box |x| ≤ hx,
// |y| ≤ hy (Liang–Barsky), returning the part of t inside.
func clipBox(px, py, dx, dy, hx, hy float32) (t0, t1 float32, ok bool) {
	t0, t1 = 0, 1
	for _, c := range [4][2]float32{{-dx, px + hx}, {dx, hx - px}, {-dy, py + hy}, {dy, hy - py}} {
		p, q := c[0], c[1]
		switch {
		case p == 0:
			if q < 0 {
				return 0, 0, false
			}
		case p < 0:
			t0 = max(t0, q/p)
		default:
			t1 = min(t1, q/p)
		}
	}
	return t0, t1, t0 <= t1
}

// Keep is the chance that an edge whose footprint is area is drawn when
// the frame's cap is areaCap (0: no cap): every edge up to the cap,
// larger ones in inverse proportion, so that each costs at most the cap
// on average.
func Keep(area, areaCap float32) float32 {
	if areaCap <= 0 || area <= areaCap {
		return 1
	}
	return areaCap / area
}

// Hash is edge_lod.glsl's hash of an edge's index (lowbias32, by Chris
// Wellons): a kept edge is one whose hash, as a fraction of 2³², is below
// its chance; the same edges are kept frame after frame while the view
// holds still.
func Hash(i uint32) uint32 {
	i ^= i >> 16
	i *= 0x7feb352d
	i ^= i >> 15
	i *= 0x846ca68b
	i ^= i >> 16
	return i
}

// Kept says whether the edge of index i, with that chance, is drawn; it is
// the shader's test.
func Kept(i uint32, chance float32) bool {
	if chance >= 1 {
		return true
	}
	return float32(Hash(i))*(1.0/4294967296.0) < chance
}

// Opacity is what a kept edge's opacity becomes when it stands for the
// 1/chance edges like it that were dropped: as opaque as that many of
// them drawn one over another.
func Opacity(alpha, chance float32) float32 {
	if chance >= 1 {
		return alpha
	}
	return 1 - float32(math.Pow(float64(1-alpha), float64(1/chance)))
}

// AreaCap is the cap that brings the expected area of a frame's edges to
// about budget pixels, from the footprints of a sample of them (each
// standing for scale edges; areas ≤ 0 are edges out of view or too short
// to draw). It is 0, no cap, when everything fits the budget.
func AreaCap(sample []float32, scale float32, budget float32) float32 {
	as := make([]float32, 0, len(sample))
	total := float32(0)
	for _, a := range sample {
		if a > 0 {
			as = append(as, a)
			total += a
		}
	}
	if total*scale <= budget || len(as) == 0 {
		return 0
	}
	// Water-filling: with the cap c, the drawn area is the sum of the
	// areas below c plus c for each above.
	slices.Sort(as)
	below := float32(0)
	for i, a := range as {
		above := float32(len(as) - i)
		if (below+above*a)*scale >= budget {
			return max((budget/scale-below)/above, MinLength)
		}
		below += a
	}
	return 0
}

// SampleSize is how many edges Cap measures: enough that the cap's
// drawn area lands near the budget, few enough that measuring costs the
// GL thread about 0.4 ms a frame (BenchmarkCap).
const SampleSize = 2048

// Cap is AreaCap for n edges whose ends and ribbon width edge gives (ok
// false: an end not placed, or an edge the level of detail leaves alone),
// measured on up to SampleSize of them spread evenly.
func (v View) Cap(n int, edge func(i int) (a, b mgl32.Vec3, width float32, ok bool), budget float32) float32 {
	if n == 0 || budget <= 0 {
		return 0
	}
	step := max(n/SampleSize, 1)
	sample := make([]float32, 0, min(n, SampleSize))
	for i := 0; i < n && len(sample) < SampleSize; i += step {
		a, b, w, ok := edge(i)
		if !ok {
			continue
		}
		l, area, in := v.Footprint(a, b, w)
		if !in || l < MinLength {
			area = 0
		}
		sample = append(sample, area)
	}
	if len(sample) == 0 {
		return 0
	}
	return AreaCap(sample, float32(n)/float32(len(sample)), budget)
}

// SoftwareBudget is the area of edges, in window areas (width × height),
// that a frame on a software rasteriser fills at most. Past it the
// window's pixels are covered by edges several deep, where drawing a share
// of them changes little. Two was chosen on llvmpipe at 1280×800 on two
// cores: against three it saves a quarter of a 10,000-node frame's CPU
// time and looks the same (docs/BENCHMARKS.md).
const SoftwareBudget = 2
