package api

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"visionflow/compute"
	"visionflow/graph"
	"visionflow/graph/gen"
	"visionflow/net/wire"
)

// wireClient is what one subscriber holds, rebuilt from the frames the hub
// gave it, and what it cost.
type wireClient struct {
	name   string
	c      *wsConn
	held   []graph.Vec3 // by wire index − 1
	synced bool
	bytes  int64
	frames int
	full   int
	maxErr float64 // largest distance between a held and a true position, world units
	maxPx  float64 // …in pixels for the default camera's view of the whole graph
	maxFit float64 // …bounded for any view direction of that fit
	window int64   // bytes since the last report
}

// BenchmarkStreamBytes64k measures the bytes per second one subscriber of
// a 64,000-node / 245,000-edge graph receives while the CPU engine lays it
// out from its first positions (the phase where the layout moves most),
// and how far the positions it holds are from the layout's, in pixels on
// a 1920×1080 view of the whole graph.
//
// The hub's clock is the layout's, at a fixed rate so that runs compare
// whatever else the machine does: VF_WIRE_RATE steps a second (default 8,
// what the CPU engine managed on this graph on 2 cores in issue 14; the
// rate the engine reached here is reported beside it). The hub ticks once
// per step, so every state is offered and taken. Run with -benchtime 1x;
// VF_WIRE_STEPS sets the number of steps (default 150).
func BenchmarkStreamBytes64k(b *testing.B) {
	const n, m = 64_000, 245_000
	steps := 150
	if s, err := strconv.Atoi(os.Getenv("VF_WIRE_STEPS")); err == nil && s > 0 {
		steps = s
	}
	rate := 8.0
	if r, err := strconv.ParseFloat(os.Getenv("VF_WIRE_RATE"), 64); err == nil && r > 0 {
		rate = min(r, 60)
	}
	period := time.Duration(float64(time.Second) / rate)
	for b.Loop() {
		bodies := make([]compute.Body, n)
		for i := range bodies {
			bodies[i] = compute.Body{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1)), Position: graph.InitialPosition(gen.NodeID(i), n)}
		}
		degree := make([]float32, n+1)
		springs := make([]compute.Spring, 0, m)
		for _, e := range gen.SkewedEdges(n, m, 1) {
			springs = append(springs, compute.Spring{Source: bodies[e.Source].ID, Target: bodies[e.Target].ID, Weight: 1})
			degree[e.Source+1]++
			degree[e.Target+1]++
		}
		eng := compute.NewCPU(0)
		if err := eng.Load(bodies, springs); err != nil {
			b.Fatal(err)
		}
		params := compute.DefaultParams()
		be := &positionsBackend{}
		h := newHub(be, nil)
		clients := subscribeWireClients(h, n)
		publish := func(step uint64) []wire.NodeState {
			bodies = eng.Bodies(bodies[:0])
			nodes := make([]wire.NodeState, len(bodies))
			for i, bd := range bodies {
				nodes[i] = wire.NodeState{ID: bd.ID, Position: bd.Position, Velocity: bd.Velocity, Value: degree[bd.ID.Index()]}
			}
			be.pos = &wire.Positions{Step: step, Nodes: nodes}
			return nodes
		}
		now := time.Unix(1_800_000_000, 0)
		start := now
		var engineTime time.Duration
		take := func(truth []wire.NodeState) {
			h.tick(now)
			for _, wc := range clients {
				wc.take(b, truth)
			}
		}
		take(publish(0))
		// One log at the end: go test keeps only the first lines of a
		// benchmark's logs.
		var report strings.Builder
		const every = 50
		for s := 1; s <= steps; s++ {
			st := eng.Step(params)
			engineTime += st.Took
			now = now.Add(period)
			take(publish(uint64(s)))
			if s%every == 0 {
				line := fmt.Sprintf("steps %d–%d (largest move %.2f):", s-every+1, s, st.MaxMove)
				for _, wc := range clients {
					line += fmt.Sprintf(" %s %.2f MB/s", wc.name, float64(wc.bytes-wc.window)/(every*period.Seconds())/1e6)
					wc.window = wc.bytes
				}
				report.WriteString(line + "\n")
			}
		}
		secs := now.Sub(start).Seconds()
		b.ReportMetric(float64(steps)/engineTime.Seconds(), "engine-steps/s")
		for _, wc := range clients {
			b.ReportMetric(float64(wc.bytes)/secs/1e6, wc.name+"-MB/s")
			b.ReportMetric(wc.maxPx, wc.name+"-px")
			b.ReportMetric(wc.maxFit, wc.name+"-px-bound")
			fmt.Fprintf(&report, "%s: %d frames (%d full), %.2f MB in %.1f s of layout (%d steps, %.1f steps/s): %.3f MB/s; largest error %.4g units, %.3f px on the default camera, at most %.3f px from any direction\n",
				wc.name, wc.frames, wc.full, float64(wc.bytes)/1e6, secs, steps, float64(steps)/secs, float64(wc.bytes)/secs/1e6, wc.maxErr, wc.maxPx, wc.maxFit)
		}
		b.Log("\n" + report.String())
	}
}

// take applies the frame waiting for the client, if any, and measures the
// error of what it holds against the layout's positions.
func (wc *wireClient) take(b *testing.B, truth []wire.NodeState) {
	if buf := wc.c.takeFrame(); buf != nil {
		wc.bytes += int64(len(buf))
		wc.frames++
		nodes, full, err := decodeAnyFrame(buf)
		if err != nil {
			b.Fatal(err)
		}
		if full {
			wc.full++
			wc.synced = true
		}
		for _, nd := range nodes {
			wc.held[nd.ID.Index()-1] = nd.Position
		}
	}
	if !wc.synced {
		return
	}
	cam := fitCamera(truth, 1920, 1080)
	for _, nd := range truth {
		h := wc.held[nd.ID.Index()-1]
		d := math.Sqrt(sq(h.X-nd.Position.X) + sq(h.Y-nd.Position.Y) + sq(h.Z-nd.Position.Z))
		if d <= wc.maxErr && d*cam.worstScale <= wc.maxFit {
			continue
		}
		wc.maxErr = max(wc.maxErr, d)
		wc.maxFit = max(wc.maxFit, d*cam.worstScale)
		wc.maxPx = max(wc.maxPx, cam.screenDistance(h, nd.Position))
	}
}

func sq(x float32) float64 { return float64(x) * float64(x) }

// camera is render/view's camera fitted to the whole graph (view.Bounds,
// Camera.Fit: a 50° vertical field of view, the bounding sphere filling
// the narrower angle with 5% to spare), from view.New's direction; net
// may not import render, so its few lines of math are repeated here.
type camera struct {
	eye, right, up, fwd [3]float64
	focal               float64 // pixels per unit of tangent
	w, h                float64
	// worstScale is pixels per world unit at the nearest point of the
	// bounding sphere: a bound on any node's pixel error per unit of
	// position error, whichever way the camera looks at the graph.
	worstScale float64
}

func fitCamera(nodes []wire.NodeState, w, h int) camera {
	lo := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi := [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, nd := range nodes {
		p := [3]float64{float64(nd.Position.X), float64(nd.Position.Y), float64(nd.Position.Z)}
		for k := range 3 {
			lo[k], hi[k] = min(lo[k], p[k]), max(hi[k], p[k])
		}
	}
	var c [3]float64
	for k := range 3 {
		c[k] = (lo[k] + hi[k]) / 2
	}
	r := 0.0
	for _, nd := range nodes {
		r = max(r, math.Sqrt(sq(nd.Position.X-float32(c[0]))+sq(nd.Position.Y-float32(c[1]))+sq(nd.Position.Z-float32(c[2]))))
	}
	fov := 50 * math.Pi / 180
	half := fov / 2
	if aspect := float64(w) / float64(h); aspect < 1 {
		half = math.Atan(math.Tan(half) * aspect)
	}
	dist := max(r, 1) / math.Sin(half) * 1.05
	yaw, pitch := 0.6, 0.35
	dir := [3]float64{math.Cos(pitch) * math.Sin(yaw), math.Sin(pitch), math.Cos(pitch) * math.Cos(yaw)}
	cam := camera{w: float64(w), h: float64(h), focal: float64(h) / 2 / math.Tan(fov/2)}
	for k := range 3 {
		cam.eye[k] = c[k] + dist*dir[k]
		cam.fwd[k] = -dir[k]
	}
	// right = fwd × up(0,1,0), up = right × fwd, as a look-at matrix has them.
	cam.right = normalize([3]float64{-cam.fwd[2], 0, cam.fwd[0]})
	cam.up = cross(cam.right, cam.fwd)
	cam.worstScale = cam.focal / (dist - r)
	return cam
}

func (c camera) project(p graph.Vec3) (x, y float64) {
	v := [3]float64{float64(p.X) - c.eye[0], float64(p.Y) - c.eye[1], float64(p.Z) - c.eye[2]}
	z := dot(v, c.fwd)
	return c.w/2 + c.focal*dot(v, c.right)/z, c.h/2 - c.focal*dot(v, c.up)/z
}

func (c camera) screenDistance(a, b graph.Vec3) float64 {
	ax, ay := c.project(a)
	bx, by := c.project(b)
	return math.Hypot(ax-bx, ay-by)
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func normalize(a [3]float64) [3]float64 {
	l := math.Sqrt(dot(a, a))
	return [3]float64{a[0] / l, a[1] / l, a[2] / l}
}

func TestFitCameraBoundsTheError(t *testing.T) {
	nodes := nodesAt(-100, 201)
	cam := fitCamera(nodes, 1920, 1080)
	// The sphere's nearest point is the worst case: a small move there is
	// at most worstScale pixels per unit.
	for _, nd := range nodes {
		moved := nd.Position
		moved.Y += 0.01
		if px := cam.screenDistance(nd.Position, moved); px > 0.01*cam.worstScale*1.001 {
			t.Fatalf("%v: %.4f px for 0.01 units, bound %.4f", nd.Position, px, 0.01*cam.worstScale)
		}
	}
	if x, y := cam.project(graph.Vec3{}); math.Abs(x-960) > 1e-6 || math.Abs(y-540) > 1e-6 {
		t.Fatalf("the centre projects to %.3f, %.3f", x, y)
	}
}

// subscribeWireClients subscribes the clients the benchmark compares: v1
// frames, v2 frames, v2 frames with velocities.
func subscribeWireClients(h *Hub, n int) []*wireClient {
	var out []*wireClient
	for _, f := range []struct {
		name   string
		format frameFormat
	}{{"v1", frameFormat{}}, {"v2", frameFormat{v2: true}}, {"v2vel", frameFormat{v2: true, velocities: true}}} {
		wc := &wireClient{name: f.name, c: testConn(), held: make([]graph.Vec3, n)}
		wc.c.hub = h
		followAs(h, wc.c, "g", f.format)
		out = append(out, wc)
	}
	return out
}

// decodeAnyFrame decodes a frame of either format into the nodes it
// carries (their positions are all the benchmark looks at).
func decodeAnyFrame(b []byte) ([]wire.NodeState, bool, error) {
	if wire.IsFrameV2(b) {
		var f wire.FrameV2
		if err := wire.DecodeFrameV2(b, &f); err != nil {
			return nil, false, fmt.Errorf("decode: %w", err)
		}
		nodes := make([]wire.NodeState, len(f.Nodes))
		for i := range f.Nodes {
			nodes[i] = f.NodeState(&f.Nodes[i], nil)
		}
		return nodes, f.Kind == wire.FullFrameV2, nil
	}
	var f wire.Frame
	if err := wire.DecodeFrame(b, &f); err != nil {
		return nil, false, fmt.Errorf("decode: %w", err)
	}
	return f.Nodes, f.Kind == wire.FullFrame, nil
}
