package desktop

import (
	"time"

	"github.com/go-gl/mathgl/mgl32"

	"visionflow/render/view"
)

// flight moves the camera smoothly to a new target and distance.
type flight struct {
	from, to view.Camera
	start    time.Time
	dur      time.Duration
}

func (f *flight) at(now time.Time) (view.Camera, bool) {
	t := float32(now.Sub(f.start)) / float32(f.dur)
	if t >= 1 {
		return f.to, true
	}
	t = t * t * (3 - 2*t) // ease in and out
	c := f.to
	c.Target = f.from.Target.Add(f.to.Target.Sub(f.from.Target).Mul(t))
	c.Distance = f.from.Distance + (f.to.Distance-f.from.Distance)*t
	return c, false
}

// bounds is the sphere around the nodes' latest positions, computed once
// per published layout (the camera asks every frame while it follows).
func (d *desk) bounds() (mgl32.Vec3, float32, bool) {
	if d.posNow == nil || len(d.posNow.Nodes) == 0 {
		return mgl32.Vec3{}, 0, false
	}
	if d.boundsOf != d.posNow {
		nodes := d.posNow.Nodes
		d.boundsCentre, d.boundsRadius = view.Bounds(func(yield func(mgl32.Vec3) bool) {
			for _, n := range nodes {
				if !yield(mgl32.Vec3{n.Position.X, n.Position.Y, n.Position.Z}) {
					return
				}
			}
		})
		d.boundsOf = d.posNow
	}
	return d.boundsCentre, d.boundsRadius + d.setNow.NodeSize*2, true
}

// fit frames the whole graph, flying there when animated.
func (d *desk) fit(animated bool) {
	c, r, ok := d.bounds()
	if !ok {
		return
	}
	to := d.cam
	to.Fit(c, r, float32(d.width)/float32(max(d.height, 1)))
	d.flyTo(to, animated)
	d.autoFit = true
}

func (d *desk) flyTo(to view.Camera, animated bool) {
	if !animated || d.cfg.Screenshot != "" {
		d.cam, d.flight = to, nil
		return
	}
	d.flight = &flight{from: d.cam, to: to, start: time.Now(), dur: 600 * time.Millisecond}
}

// steerCamera applies what moves the camera on its own: a flight under
// way, a focus the model asked for (search, "open neighbours"), and while
// the user has not taken the camera, following the graph as it spreads.
func (d *desk) steerCamera(now time.Time) {
	if f := d.m.focus.Swap(nil); f != nil {
		var pts []mgl32.Vec3
		for _, id := range f.nodes {
			if p, ok := d.position(id); ok {
				pts = append(pts, p)
			}
		}
		if len(pts) > 0 {
			// Centred on the node asked for, far enough back to show its
			// neighbourhood (the other nodes of the focus) with room to
			// spare; a lone node with room for neighbours to come.
			c := pts[0]
			var r float32
			for _, p := range pts[1:] {
				r = max(r, p.Sub(c).Len())
			}
			r = max(r+2*d.setNow.NodeSize, 12*d.setNow.NodeSize, 1)
			to := d.cam
			to.Fit(c, r*1.15, float32(d.width)/float32(max(d.height, 1)))
			d.autoFit = false
			d.flyTo(to, true)
		}
	}
	if d.flight != nil {
		var done bool
		d.cam, done = d.flight.at(now)
		if done {
			d.flight = nil
		}
		return
	}
	if d.autoFit {
		if c, r, ok := d.bounds(); ok {
			to := d.cam
			to.Fit(c, r, float32(d.width)/float32(max(d.height, 1)))
			// Follow gently, so a spreading layout does not jitter; but a
			// graph just opened is framed at once, not from inside its cloud.
			k := float32(0.15)
			if d.cfg.Screenshot != "" || d.snapFit {
				k, d.snapFit = 1, false
			}
			d.cam.Target = d.cam.Target.Add(to.Target.Sub(d.cam.Target).Mul(k))
			d.cam.Distance += (to.Distance - d.cam.Distance) * k
		}
	}
}

// frameShown frames the nodes the lens shows (not dimmed or hidden): a
// local graph, a class isolated.
func (d *desk) frameShown() {
	if d.sceneNow == nil {
		return
	}
	c, r := view.Bounds(func(yield func(mgl32.Vec3) bool) {
		for i := range d.sceneNow.graphNodes {
			if d.paintNow.visOf(int32(i)) != visShown {
				continue
			}
			if p, ok := d.position(d.sceneNow.nodes[i].wire); ok && !yield(p) {
				return
			}
		}
	})
	if r == 0 {
		return
	}
	to := d.cam
	to.Fit(c, r+2*d.setNow.NodeSize, float32(d.width)/float32(max(d.height, 1)))
	d.flyTo(to, false)
	d.autoFit = false
}
