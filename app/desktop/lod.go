package desktop

import (
	"github.com/go-gl/mathgl/mgl32"

	"visionflow/net/wire"
	"visionflow/render"
	"visionflow/render/lod"
	"visionflow/render/view"
)

// edgeLOD remembers the frame's edge area cap (render.Frame.EdgeAreaCap)
// and what it was measured for, so it is measured again only when the
// view, the positions or the edges change.
type edgeLOD struct {
	cam           view.Camera
	width, height int
	pos           *wire.Positions
	edges         []render.Edge // as uploaded
	version       uint64        // of edges
	measured      uint64
	cap           float32
}

// edgeCap is the frame's edge area cap: on a software rasteriser, the one
// that keeps the area of the edges it draws within lod.SoftwareBudget
// window areas, measured on a sample of them (about 0.4 ms, BenchmarkCap);
// elsewhere 0, every edge in view drawn.
func (d *desk) edgeCap() float32 {
	l := &d.lod
	if !d.software || len(l.edges) == 0 || d.posNow == nil {
		return 0
	}
	if l.cam == d.cam && l.width == d.width && l.height == d.height && l.pos == d.posNow && l.measured == l.version {
		return l.cap
	}
	l.cam, l.width, l.height, l.pos, l.measured = d.cam, d.width, d.height, d.posNow, l.version
	edge := func(i int) (a, b mgl32.Vec3, width float32, ok bool) {
		e := l.edges[i]
		if e.Keep || int(e.A) >= len(d.order) || int(e.B) >= len(d.order) {
			return a, b, 0, false
		}
		a, okA := d.position(d.order[e.A])
		b, okB := d.position(d.order[e.B])
		return a, b, e.Width, okA && okB
	}
	v := lod.NewView(d.cam, d.width, d.height)
	l.cap = v.Cap(len(l.edges), edge, lod.SoftwareBudget*float32(d.width*d.height))
	return l.cap
}
