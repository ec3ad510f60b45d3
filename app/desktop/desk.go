package desktop

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"gioui.org/gpu"
	"gioui.org/io/input"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"
	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/go-gl/mathgl/mgl32"

	"visionflow/agent"
	"visionflow/app"
	"visionflow/compute"
	"visionflow/graph"
	"visionflow/internal/gioshaders"
	"visionflow/internal/gles"
	"visionflow/internal/window"
	"visionflow/net/wire"
	"visionflow/render"
	"visionflow/render/overlay"
	"visionflow/render/view"
)

// positionBuffer is what the GPU engine offers the renderer: the buffer
// its kernels write positions into, read in place.
type positionBuffer interface {
	PositionBuffer() (buf uint32, order []graph.WireID, version uint64)
}

// desk is the window's state. Everything in it belongs to the GL thread
// (the main thread), except the model and labeler, which run on their own
// goroutines and are reached through atomics and request queues.
type desk struct {
	cfg      app.Config
	log      *slog.Logger
	w        *window.Window
	software bool // the GL renderer is Mesa's CPU rasteriser
	thread   *gles.Thread
	src      Source
	loc      *local // nil when joined
	hooks    hooks

	r      *render.Renderer
	gio    gpu.GPU
	router input.Router
	ui     *overlay.UI
	ops    op.Ops
	m      *model
	lab    *labeler
	an     *analyser
	stop   context.CancelFunc
	wg     sync.WaitGroup
	start  time.Time

	cam     view.Camera
	autoFit bool // fit the camera to the graph until the user moves it
	snapFit bool // fit it at once: a graph was just opened
	flight  *flight

	sceneNow *scene
	valsNow  *values
	setNow   render.Settings
	lookNow  *agentLook
	pulsing  bool      // edges carry fading pulses: re-edge as they fade
	lastEdge time.Time // when the edges were last uploaded
	lod      edgeLOD

	// The graph's and the swarm's positions joined (the swarm's layout is
	// a layout of its own), and what they were joined from.
	joined           *wire.Positions
	joinedA, joinedB *wire.Positions

	// Slots of the renderer's position buffer.
	order  []graph.WireID
	slotOf map[graph.WireID]int32
	orderV uint64
	engNow compute.Engine
	buf    uint32

	// The positions on the CPU: the stream's, or the GPU's copied back.
	posNow   *wire.Positions
	posOrder []graph.WireID
	posIndex map[graph.WireID]int32
	posBuf   [][4]float32
	uploaded *wire.Positions // what the renderer's own buffer holds

	// The sphere around posNow, for fitting the camera.
	boundsOf     *wire.Positions
	boundsCentre mgl32.Vec3
	boundsRadius float32

	// The window's own view of the graph: its lens, the measures it may
	// colour by, and the lens applied to the scene (repainted when any of
	// them, the selection or the hovered node changes).
	lens       lens
	measNow    *measures
	askedScene *scene
	paintNow   *paint
	pictureDue string // "png" or "svg": save a picture of the next frame
	paintFocus [2]graph.WireID
	repaint    bool
	shareView  bool   // the lens goes to the peers with the presence
	following  string // the peer whose view and camera the window follows

	restyle, reedge bool
	hovered         graph.WireID
	touched         []graph.WireID // nodes whose marks changed since the last frame
	glName          string         // the context's OpenGL, for the bar
	selected        graph.WireID
	lastHover       time.Time
	lastLabels      time.Time

	in     inputState
	pres   presenceState
	stats  frameStats
	width  int // framebuffer size of the frame being drawn
	height int
}

type frameStats struct {
	last     time.Time
	fps      float64
	frameMs  float64
	frames   int
	glErrors int
}

// graphics makes the scene renderer and Gio's, before anything else
// starts: if the context cannot run them, nothing has to be undone.
func graphics(d gles.Dialect) (*render.Renderer, gpu.GPU, error) {
	r, err := render.New(d)
	if err != nil {
		return nil, nil, err
	}
	es := d != gles.GL410
	if !es {
		gioshaders.Install()
	}
	g, err := gpu.New(gpu.OpenGL{ES: es, Shared: true})
	if err != nil {
		r.Close()
		return nil, nil, fmt.Errorf("start the Gio renderer: %w", err)
	}
	if !es {
		// Gio's desktop-GL start raises two harmless errors of its own:
		// glGetString(GL_EXTENSIONS), which core profiles lack, and vertex
		// attributes set before it binds its vertex array. Cleared here,
		// so that the first frame's check reports only that frame's.
		_ = gles.Check("starting Gio")
	}
	return r, g, nil
}

// newDesk takes over the renderers and starts the model and labeler.
func newDesk(cfg app.Config, log *slog.Logger, w *window.Window, thread *gles.Thread, src Source, r *render.Renderer, g gpu.GPU, h hooks, remember *recall) *desk {
	d := &desk{cfg: cfg, log: log, w: w, thread: thread, src: src, hooks: h, r: r, gio: g, ui: overlay.New(),
		m: newModel(src, log), lab: newLabeler(), an: newAnalyser(), start: time.Now(), cam: view.New(), autoFit: true, slotOf: map[graph.WireID]int32{}, posIndex: map[graph.WireID]int32{}}
	d.m.first, d.m.remember, d.m.firstNode = cfg.Graph, remember, cfg.Local
	d.lens.hideRest = true // a local graph shows the neighbourhood alone, as Obsidian's does
	if cfg.ColourBy != "" {
		d.lens.colourBy = colourKey(cfg.ColourBy)
		d.ui.ToggleView()
	}
	if cfg.Local != "" {
		d.lens.local = cfg.Depth
	}
	d.loc, _ = src.(*local)
	d.glName = strings.Replace(w.Info.Dialect.String(), "OpenGL", "GL", 1) // the bar is short of room
	r0 := strings.ToLower(w.Info.Renderer)
	d.software = strings.Contains(r0, "llvmpipe") || strings.Contains(r0, "softpipe") || strings.Contains(r0, "software")
	d.r.Software = d.software
	ctx, stop := context.WithCancel(context.Background())
	d.stop = stop
	d.wg.Go(func() { d.m.run(ctx) })
	d.wg.Go(func() { d.lab.run(ctx) })
	d.wg.Go(func() { d.an.run(ctx) })
	d.listen()
	return d
}

func (d *desk) close() {
	// The model may be inside a session command that waits for a layout
	// that waits for this thread: serve it until the model has stopped.
	serveWhile(d.thread, func() {
		d.stop()
		d.wg.Wait()
	})
	d.gio.Release()
	d.r.Close()
}

// loop draws frames until the window closes or ctx ends. Between frames it
// serves the GL calls of the physics, so kernels run on this thread in the
// same context that draws their output.
func (d *desk) loop(ctx context.Context) error {
	shot := d.cfg.Screenshot != ""
	var ready *readiness
	if shot {
		ready = &readiness{deadline: time.Now().Add(2 * time.Minute)}
	}
	frame := 0
	for !d.w.W.ShouldClose() && ctx.Err() == nil {
		glfw.PollEvents()
		begin := time.Now()
		d.thread.Drain()
		if err := d.frame(begin); err != nil {
			return err
		}
		frame++
		if d.hooks.afterFrame != nil && !d.hooks.afterFrame(d, frame) {
			return nil
		}
		if shot && ready.done(d, frame) {
			return d.screenshot()
		}
		d.w.W.SwapBuffers()
		d.pace(ctx, begin, shot)
	}
	return nil
}

// pace serves GL calls until the next frame is due. With vsync the swap
// already waits for the display; this covers displays without it (Xvfb)
// and the hidden screenshot window, which would otherwise spin.
func (d *desk) pace(ctx context.Context, begin time.Time, fast bool) {
	period := time.Second / 60
	if fast {
		period = time.Millisecond
	}
	wait, cancel := context.WithDeadline(ctx, begin.Add(period))
	defer cancel()
	for wait.Err() == nil {
		d.thread.Wait(wait)
	}
}

// frame draws one frame.
func (d *desk) frame(now time.Time) error {
	d.width, d.height = d.w.FramebufferSize()
	if d.width <= 0 || d.height <= 0 {
		return nil // minimised
	}
	d.sync(now)
	d.handleInput(now)
	d.steerCamera(now)
	f := d.renderFrame(now)
	if err := d.r.Draw(f); err != nil {
		d.stats.glErrors++
		d.m.telemetry.failure()
		return err
	}
	if kind := d.pictureDue; kind != "" {
		d.pictureDue = ""
		d.savePicture(kind) // the scene as drawn, before the panels go over it
	}
	d.hover(now, f)
	labels := d.labels(now)
	d.sharePresence(now)
	d.follow()
	d.overlay(now, labels)
	if err := gles.Check("drawing the overlay"); err != nil {
		d.stats.glErrors++
		return err
	}
	d.count(now)
	return nil
}

func (d *desk) renderFrame(now time.Time) *render.Frame {
	t := float32(now.Sub(d.start).Seconds())
	if d.cfg.Screenshot != "" {
		t = 0 // animated effects hold still, so screenshots repeat
	}
	return &render.Frame{Camera: d.cam, Width: d.width, Height: d.height, Time: t, Positions: d.buf, Settings: d.setNow,
		Antialias: d.antialias(), EdgeAreaCap: d.edgeCap()}
}

// softwareAALimit is the node count above which a software renderer
// (Mesa's llvmpipe) draws without multisampling: there it costs more than
// the rest of the frame.
const softwareAALimit = 5000

func (d *desk) antialias() bool {
	if d.valsNow == nil || !d.valsNow.bool("rendering.enableAntialiasing") {
		return false
	}
	return !d.software || len(d.order) <= softwareAALimit
}

func (d *desk) count(now time.Time) {
	s := &d.stats
	s.frames++
	if !s.last.IsZero() {
		dt := now.Sub(s.last).Seconds()
		if dt > 0 {
			s.fps = 0.9*s.fps + 0.1/dt
		}
	}
	ms := float64(time.Since(now).Microseconds()) / 1000
	s.frameMs = 0.9*s.frameMs + 0.1*ms
	s.last = now
	d.m.telemetry.frame(ms)
}

// sync takes in what changed since the last frame: the scene, the
// settings, the selection and the positions; it re-uploads styles and
// edges only when they changed.
func (d *desk) sync(now time.Time) {
	sc := d.m.scene.Load()
	if sc != d.sceneNow {
		if sc == nil || d.sceneNow == nil || sc.graphID != d.sceneNow.graphID {
			d.autoFit, d.snapFit, d.flight, d.hovered = true, true, nil, 0
		}
		d.sceneNow = sc
		d.restyle, d.reedge, d.repaint = true, true, true
	}
	if sc != d.askedScene {
		d.askedScene = sc
		d.an.ask(sc)
	}
	if m := d.an.done.Load(); m != d.measNow {
		d.measNow = m
		d.repaint = true
	}
	if focus := [2]graph.WireID{graph.WireID(d.m.selected.Load()), d.hovered}; focus != d.paintFocus {
		d.paintFocus = focus
		d.repaint = true
	}
	if v := d.m.values.Load(); v != d.valsNow {
		old := d.valsNow
		d.valsNow = v
		d.setNow = sceneSettings(*v)
		for _, k := range styleKeys {
			if old == nil || fmt.Sprint((*old)[k]) != fmt.Sprint((*v)[k]) {
				d.restyle, d.reedge = true, true
			}
		}
	}
	if sel := graph.WireID(d.m.selected.Load()); sel != d.selected {
		d.touched = append(d.touched, d.selected, sel)
		d.selected = sel
	}
	if look := d.m.look.Load(); look != d.lookNow {
		// Agents' states change their nodes' looks, their work their links.
		if old := d.lookNow; old != nil {
			for w := range old.marks {
				d.touched = append(d.touched, w)
			}
			for w := range old.tasks {
				d.touched = append(d.touched, w)
			}
			for w := range old.highlit {
				d.touched = append(d.touched, w)
			}
		}
		active := int64(0)
		if look != nil {
			for w, mk := range look.marks {
				d.touched = append(d.touched, w)
				if !mk.stale {
					active++
				}
			}
			for w := range look.tasks {
				d.touched = append(d.touched, w)
			}
			for w := range look.highlit {
				d.touched = append(d.touched, w)
			}
		}
		d.m.telemetry.agents.Store(active)
		if len(d.touched) > 2000 {
			d.restyle = true
		}
		d.lookNow = look
		d.reedge = true
	}
	if d.pulsing && now.Sub(d.lastEdge) >= 50*time.Millisecond {
		d.reedge = true // the pulses fade
	}
	if d.repaint {
		d.repaint = false
		prev := d.paintNow
		d.paintNow = nil
		if sc := d.sceneNow; sc != nil {
			m := d.measNow
			if m != nil && m.scene.graphID != sc.graphID {
				m = nil // another graph's
			}
			d.paintNow = paintScene(sc, m, &d.lens, d.paintFocus[0], d.paintFocus[1], prev)
		}
		d.restyle, d.reedge = true, true
	}
	d.positions()
	if d.restyle {
		d.r.SetStyles(d.styles())
		d.restyle = false
	} else {
		// Hover and selection change a node or two: only their slots.
		for _, id := range d.touched {
			if slot, ok := d.slotOf[id]; ok && d.valsNow != nil {
				d.r.SetStyle(int(slot), d.styleOf(id, *d.valsNow))
			}
		}
	}
	d.touched = d.touched[:0]
	if d.reedge {
		d.lod.edges = d.edges(now)
		d.lod.version++
		d.r.SetEdges(d.lod.edges)
		d.reedge = false
		d.lastEdge = now
	}
}

// positions finds this frame's positions: in place in the GPU engine's
// buffer, or copied from the CPU engine or the stream.
func (d *desk) positions() {
	pos := d.src.Positions()
	if d.sceneNow != nil && d.sceneNow.swarm != "" {
		pos = d.join(pos, d.src.SwarmPositions())
	}
	if pos != d.posNow {
		d.posNow = pos
		if pos == nil || !sameOrder(pos.Nodes, d.posOrder) {
			d.posOrder = d.posOrder[:0]
			clear(d.posIndex)
			if pos != nil {
				for i, n := range pos.Nodes {
					d.posOrder = append(d.posOrder, n.ID)
					d.posIndex[n.ID] = int32(i)
				}
			}
		}
	}
	var eng compute.Engine
	if d.loc != nil && (d.sceneNow == nil || d.sceneNow.swarm == "") {
		// In place in the GPU engine's buffer, unless a swarm's layout
		// has to be drawn beside it.
		eng = d.loc.engine()
	}
	if pb, ok := eng.(positionBuffer); ok {
		buf, order, version := pb.PositionBuffer()
		if eng != d.engNow || version != d.orderV {
			d.setOrder(order)
			d.engNow, d.orderV = eng, version
		}
		d.buf, d.uploaded = buf, nil
		return
	}
	d.engNow = nil
	if pos == nil {
		if len(d.order) > 0 {
			d.setOrder(nil)
		}
		return
	}
	if pos == d.uploaded {
		return // nothing moved since the last upload
	}
	if !sameOrder(pos.Nodes, d.order) {
		d.setOrder(d.posOrder)
	}
	d.uploaded = pos
	d.posBuf = d.posBuf[:0]
	for _, n := range pos.Nodes {
		d.posBuf = append(d.posBuf, [4]float32{n.Position.X, n.Position.Y, n.Position.Z, 1})
	}
	d.buf = d.r.UploadPositions(d.posBuf)
}

// join puts the swarm's positions after the graph's, once per change of
// either.
func (d *desk) join(a, b *wire.Positions) *wire.Positions {
	if a == d.joinedA && b == d.joinedB && d.joined != nil {
		return d.joined
	}
	d.joinedA, d.joinedB = a, b
	switch {
	case a == nil && b == nil:
		d.joined = nil
	case b == nil:
		d.joined = a
	case a == nil:
		d.joined = b
	default:
		nodes := make([]wire.NodeState, 0, len(a.Nodes)+len(b.Nodes))
		nodes = append(append(nodes, a.Nodes...), b.Nodes...)
		step := uint64(1)
		if d.joined != nil {
			step = d.joined.Step + 1
		}
		d.joined = &wire.Positions{Step: step, Seq: a.Seq, Nodes: nodes}
	}
	return d.joined
}

func sameOrder(nodes []wire.NodeState, order []graph.WireID) bool {
	if len(nodes) != len(order) {
		return false
	}
	for i := range nodes {
		if nodes[i].ID != order[i] {
			return false
		}
	}
	return true
}

func (d *desk) setOrder(order []graph.WireID) {
	d.order = append(d.order[:0], order...)
	clear(d.slotOf)
	for i, id := range d.order {
		d.slotOf[id] = int32(i)
	}
	d.restyle, d.reedge = true, true
}

// styles is every slot's look. Nodes the scene does not know yet (added a
// moment ago) get the base look until it catches up.
func (d *desk) styles() []render.Style {
	if d.valsNow == nil {
		return nil
	}
	v := *d.valsNow
	out := make([]render.Style, len(d.order))
	for i, id := range d.order {
		out[i] = d.styleOf(id, v)
	}
	return out
}

// styleOf is one node's look, with the selection and hover marks.
func (d *desk) styleOf(id graph.WireID, v values) render.Style {
	n := d.sceneNow.node(id)
	if n == nil {
		return nodeStyle(&nodeView{}, v)
	}
	s := nodeStyle(n, v)
	i, known := d.sceneNow.byWire[id]
	if !known {
		i = -1
	}
	if c, ok := d.paintNow.colourOf(i); ok && !n.agent {
		s.Color = [4]uint8{c[0], c[1], c[2], 255}
	}
	if size := d.paintNow.sizeOf(i); size > 0 && !n.agent {
		s.Size = size
	}
	if d.lookNow != nil {
		if mk, ok := d.lookNow.marks[id]; ok {
			s = agentStyle(s, mk, v)
		} else if tk, ok := d.lookNow.tasks[id]; ok {
			s = taskStyle(s, tk)
		}
		if d.lookNow.highlit[id] {
			s = highlitStyle(s)
		}
	}
	if id == d.selected {
		s.Flags |= render.FlagSelected
	}
	if id == d.hovered {
		s.Flags |= render.FlagHovered
	}
	switch d.paintNow.visOf(i) {
	case visHidden:
		s.Size = 0
	case visDim:
		s.Color = dimmed(s.Color, v.rgb("rendering.backgroundColor"))
	}
	return s
}

// dimmed fades a colour three quarters of the way into the background.
func dimmed(c [4]uint8, bg [3]uint8) [4]uint8 {
	for k := range 3 {
		c[k] = uint8((int(c[k]) + 3*int(bg[k])) / 4)
	}
	return c
}

// visible is a node's visibility through the window's lens.
func (d *desk) visible(id graph.WireID) uint8 {
	if d.sceneNow == nil || d.paintNow == nil {
		return visShown
	}
	i, ok := d.sceneNow.byWire[id]
	if !ok {
		return visShown
	}
	return d.paintNow.visOf(i)
}

// edges are the scene's edges, the links of agents to their work (in the
// agent colour, faint) and, on agents' links, the pulses of recent
// messages (bright, fading).
func (d *desk) edges(now time.Time) []render.Edge {
	if d.sceneNow == nil || d.valsNow == nil {
		return nil
	}
	v := *d.valsNow
	look := d.lookNow
	d.pulsing = false
	focus := func(id graph.WireID) bool { return id != 0 && (id == d.paintFocus[0] || id == d.paintFocus[1]) }
	out := make([]render.Edge, 0, len(d.sceneNow.edges))
	for _, e := range d.sceneNow.edges {
		a, okA := d.slotOf[e.a]
		b, okB := d.slotOf[e.b]
		if !okA || !okB {
			continue
		}
		// The selected and hovered nodes' edges are what one looks at:
		// the level of detail never drops them.
		re := render.Edge{A: uint32(a), B: uint32(b), Width: edgeWidth(e.weight, v), Keep: focus(e.a) || focus(e.b)}
		switch max(d.visible(e.a), d.visible(e.b)) {
		case visHidden:
			continue
		case visDim:
			c := v.rgb("edges.color")
			re.Tint = [4]uint8{c[0], c[1], c[2], uint8(min(255, 60*v.float("edges.opacity")+8))}
		}
		if e.link && look != nil {
			if at, ok := look.pulses[wirePair(e.a, e.b)]; ok {
				if age := now.Sub(at); age < pulseLife {
					d.pulsing = true
					fade := 1 - float32(age)/float32(pulseLife)
					re.Tint = [4]uint8{255, 245, 200, uint8(90 + 165*fade)}
					re.Keep = true
					re.Width *= 1 + 1.5*fade
				}
			}
		}
		out = append(out, re)
	}
	if look != nil {
		c := v.rgb("nodes.agentColor")
		for _, w := range look.work {
			a, okA := d.slotOf[w[0]]
			b, okB := d.slotOf[w[1]]
			if okA && okB {
				out = append(out, render.Edge{A: uint32(a), B: uint32(b), Width: 0.6 * v.float("edges.baseWidth"), Tint: [4]uint8{c[0], c[1], c[2], 110}, Keep: true})
			}
		}
	}
	return out
}

// position is a node's latest position on the CPU.
func (d *desk) position(id graph.WireID) (mgl32.Vec3, bool) {
	i, ok := d.posIndex[id]
	if !ok || d.posNow == nil || int(i) >= len(d.posNow.Nodes) {
		return mgl32.Vec3{}, false
	}
	p := d.posNow.Nodes[i].Position
	return mgl32.Vec3{p.X, p.Y, p.Z}, true
}

// labels are the texts drawn next to nodes this frame: the hovered and
// selected nodes', then the nearest ones the labeler chose, leaving out
// those that would overlap.
func (d *desk) labels(now time.Time) []overlay.Label {
	if d.sceneNow == nil || d.posNow == nil {
		return nil
	}
	if now.Sub(d.lastLabels) >= 100*time.Millisecond {
		d.lastLabels = now
		job := labelJob{cam: d.cam, width: d.width, height: d.height, pos: d.posNow, scene: d.sceneNow, paint: d.paintNow, scale: d.w.Scale(), nodeSize: d.setNow.NodeSize}
		if m := d.measNow; m != nil && m.scene.graphID == d.sceneNow.graphID {
			job.meas = m
		}
		d.lab.ask(job)
	}
	ids := []graph.WireID{}
	strong := 0
	for _, id := range []graph.WireID{d.hovered, d.selected} {
		if id != 0 && !slices.Contains(ids, id) {
			ids = append(ids, id)
			strong++
		}
	}
	if chosen := d.lab.chosen.Load(); chosen != nil {
		for _, id := range *chosen {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	var xs, ys []float32
	var out []overlay.Label
	for i, id := range ids {
		n := d.sceneNow.node(id)
		p, ok := d.position(id)
		if n == nil || !ok || (i >= strong && d.visible(id) != visShown) {
			continue
		}
		x, y, _, ok := d.cam.Project(p, d.width, d.height)
		if !ok || x < 0 || y < 0 || x > float32(d.width) || y > float32(d.height) || (i >= strong && d.ui.Over(x, y)) {
			continue // off screen, or under a panel
		}
		xs, ys = append(xs, x), append(ys, y)
		out = append(out, overlay.Label{Text: d.labelOf(n), X: x, Y: y, Strong: i < strong})
	}
	scale := d.w.Scale()
	keep := placed(xs, ys, 90*scale, 16*scale)
	kept := out[:0]
	for i, l := range out {
		if keep[i] || l.Strong {
			kept = append(kept, l)
		}
	}
	return kept
}

// labelOf is a node's label: an agent's says its state and progress.
func (d *desk) labelOf(n *nodeView) string {
	if d.lookNow == nil {
		return n.label
	}
	mk, ok := d.lookNow.marks[n.wire]
	if tk, isTask := d.lookNow.tasks[n.wire]; isTask {
		text := tk.title + " · " + tk.state
		if tk.progress > 0 && tk.state != "done" {
			text += fmt.Sprintf(" %.0f%%", tk.progress)
		}
		return text
	}
	if !ok {
		return n.label
	}
	text := mk.name + " · " + string(mk.state)
	switch {
	case mk.stale:
		text = mk.name + " · silent"
	case mk.hasProg:
		text += fmt.Sprintf(" %.0f%%", mk.progress)
	}
	if mk.control != "" && mk.control != "running" {
		text += " · " + mk.control
	}
	return text
}

// overlay draws the Gio panels over the scene and carries out what the
// user asked for in them.
func (d *desk) overlay(now time.Time, labels []overlay.Label) {
	scale := d.w.Scale()
	d.ops.Reset()
	gtx := layout.Context{Ops: &d.ops, Now: now, Source: d.router.Source(), Metric: unit.Metric{PxPerDp: scale, PxPerSp: scale},
		Constraints: layout.Exact(image.Pt(d.width, d.height))}
	data := overlay.Data{Labels: labels, Peers: d.peerMarks(now), Inspected: d.inspected(), Import: *d.m.imports.Load()}
	if d.valsNow != nil {
		v := *d.valsNow
		data.Setting = func(path string) any { return v[path] }
		if data.Inspected != nil && !v.bool("nodes.enableMetadataVisualisation") {
			in := *data.Inspected
			in.Metadata = nil
			data.Inspected = &in
		}
	}
	if list := d.m.graphs.Load(); list != nil {
		data.Graphs = *list
	}
	st := &data.Stats
	st.FPS, st.FrameMillis, st.Remote, st.Link, st.GL = d.stats.fps, d.stats.frameMs, d.src.Where(), d.src.Link(), d.glName
	if sc := d.sceneNow; sc != nil {
		data.Current, st.Graph, st.Nodes, st.Edges = sc.graphID, sc.name, sc.graphNodes, sc.graphEdges
	}
	if h := d.m.health.Load(); h != nil {
		h := &h.Health
		st.Engine, st.Clients, st.StepMillis, st.StepsPerSecond = engineLabel(h.Engine.Name, h.Engine.Why), h.Clients, h.Engine.StepMillis, h.Engine.StepsPerSecond
	}
	if n := d.m.notice.Load(); n != nil && now.Before(n.until) {
		data.Message = n.text
	}
	if d.lookNow != nil {
		data.Swarm = d.lookNow.panel
	}
	data.Share = d.m.share.Load()
	if d.paintNow != nil {
		lg := d.paintNow.legend
		d.sharing(&lg)
		data.Legend = &lg
	}
	data.Timeline = d.m.timeline.Load()
	act := d.ui.Layout(gtx, &data)
	d.router.Frame(&d.ops)
	if err := d.gio.Frame(&d.ops, gpu.OpenGLRenderTarget{}, image.Pt(d.width, d.height)); err != nil {
		d.log.Error("overlay frame failed", "err", err)
	}
	d.textInput()
	d.act(act)
}

// act hands what the user asked for to the model, off the GL thread.
func (d *desk) act(a overlay.Actions) {
	m := d.m
	if a.SelectGraph != "" {
		id := a.SelectGraph
		m.do(func(ctx context.Context) {
			if err := m.watch(ctx, id); err != nil {
				m.say("%v", err)
			}
		})
	}
	if len(a.Settings) > 0 {
		u := a.Settings
		m.do(func(ctx context.Context) { m.setSettings(ctx, u) })
	}
	if a.Search != "" {
		q := a.Search
		m.do(func(context.Context) { m.search(q) })
	}
	if a.SelectNode != "" {
		id := a.SelectNode
		m.do(func(context.Context) { m.selectNode(id, true) })
	}
	if a.SelectWire != 0 {
		w := a.SelectWire
		m.do(func(context.Context) { m.selectWire(w, true) })
	}
	if a.Command != nil {
		kind, text := agent.CommandKind(a.Command.Kind), a.Command.Text
		m.do(func(ctx context.Context) { m.command(ctx, kind, text) })
	}
	if a.SubmitTask != "" {
		title := a.SubmitTask
		m.do(func(ctx context.Context) { m.submitTask(ctx, title) })
	}
	switch {
	case a.TimelineLive:
		m.do(func(context.Context) { m.live() })
	case a.TimelineAt != 0:
		at := a.TimelineAt
		m.do(func(ctx context.Context) { m.tl.playing = false; m.scrub(ctx, at) })
	case a.TimelinePlay:
		m.do(func(context.Context) { m.tl.playing, m.tl.next = true, time.Time{}; m.publishTimeline() })
	case a.TimelinePause:
		m.do(func(context.Context) { m.tl.playing = false; m.publishTimeline() })
	}
	if a.ShareRole != "" {
		role := a.ShareRole
		m.do(func(ctx context.Context) { m.makeLink(ctx, role) })
	}
	if a.MemorySearch != "" {
		q := a.MemorySearch
		m.do(func(ctx context.Context) { m.searchMemory(ctx, q) })
	}
	if a.ClearMemorySearch {
		m.do(func(context.Context) { m.clearMemorySearch() })
	}
	if a.DeadLetter != nil {
		id, retry := a.DeadLetter.ID, a.DeadLetter.Retry
		m.do(func(ctx context.Context) { m.settleLetter(ctx, id, retry) })
	}
	if a.SelectSwarm != "" {
		id := a.SelectSwarm
		m.do(func(ctx context.Context) {
			m.picked = id
			m.followSwarm(ctx)
		})
	}
	if a.FocusNeighbours {
		m.do(func(context.Context) { m.focusNeighbours() })
	}
	if a.ClearSelection {
		m.do(func(context.Context) { m.selectNode("", false) })
	}
	if a.Unpin {
		m.do(func(ctx context.Context) { m.setPinned(ctx, false) })
	}
	if a.Import {
		dir := a.ImportFolder
		m.do(func(ctx context.Context) { m.importPath(ctx, dir) })
	}
	if a.Fit {
		d.fit(true)
	}
	if a.View != nil {
		d.changeLens(a.View)
	}
}

// changeLens applies what the view panel asked for. Changing the view
// oneself stops following another's.
func (d *desk) changeLens(a *overlay.ViewAction) {
	if a.SavePicture != "" {
		d.pictureDue = a.SavePicture
		return
	}
	if a.ShareView != nil {
		d.shareView = *a.ShareView
	}
	if a.Follow != nil {
		d.following = *a.Follow
		d.pres.peersAt = time.Time{} // read the peers again at once
		return
	}
	if a.ShareView == nil {
		d.following = ""
	}
	l := &d.lens
	if a.ColourBy != nil && *a.ColourBy != l.colourBy {
		l.colourBy, l.hidden, l.only = *a.ColourBy, nil, "" // classes of another colouring
	}
	if a.Toggle != "" {
		if l.hidden == nil {
			l.hidden = map[string]bool{}
		}
		l.hidden[a.Toggle] = !l.hidden[a.Toggle]
	}
	if a.Only != nil {
		l.only = *a.Only
		if l.only != "" {
			delete(l.hidden, l.only)
		}
	}
	if a.LocalDepth != nil {
		l.local = min(max(*a.LocalDepth, 0), 3)
	}
	if a.HideRest != nil {
		l.hideRest = *a.HideRest
	}
	if a.HideOrphans != nil {
		l.orphans = *a.HideOrphans
	}
	if a.HideLinkOnly != nil {
		l.linkOnly = *a.HideLinkOnly
	}
	if a.MinDegree != nil {
		l.minDeg = max(*a.MinDegree, 0)
	}
	if a.SizeBy != nil {
		l.sizeBy = *a.SizeBy
	}
	d.repaint = true
}

// readiness decides when a screenshot is taken: once the graph is shown
// and its layout has settled (or two minutes have passed), after the
// frames --frames asks for.
type readiness struct {
	deadline time.Time
	shownAt  time.Time
	since    int // frame from which the scene was ready; 0 before
	warned   bool
}

func (r *readiness) done(d *desk, frame int) bool {
	if r.since == 0 {
		select {
		case <-d.m.ready:
		default:
			return false
		}
		sc := d.sceneNow
		shown := sc != nil && d.posNow != nil && len(d.posNow.Nodes) == len(sc.nodes) && len(d.order) == len(sc.nodes)
		if sc == nil && d.m.scene.Load() == nil {
			shown = true // an empty session: show what there is
		}
		if sc != nil && sc.graphNodes > 0 && (d.measNow == nil || d.measNow.scene.graphID != sc.graphID || d.lab.rankedBy.Load() != d.measNow) {
			shown = false // the measures (colours, labels by rank) still being made
		}
		if d.cfg.Local != "" && sc != nil && d.selected == 0 && hasNode(sc, d.cfg.Local) {
			shown = false // the local graph's node not selected yet
		}
		if n := d.cfg.DemoAgents; n > 0 {
			// With a demo swarm: once all of it is in the picture.
			shown = shown && sc.swarm != "" && d.lookNow != nil && len(d.lookNow.marks) >= n
		}
		if shown && r.shownAt.IsZero() {
			r.shownAt = time.Now()
		}
		// Settled by a health report taken after the graph was shown. A
		// swarm's layout need not rest: its agents keep moving between
		// the things they work on.
		h := d.m.health.Load()
		settled := h != nil && !r.shownAt.IsZero() && h.at.After(r.shownAt) && (sc == nil || !slices.Contains(h.Engine.MovingGraphs, sc.graphID))
		if shown && settled {
			r.since = frame
		} else if time.Now().After(r.deadline) {
			if !r.warned {
				d.log.Warn("screenshot: the layout has not settled after two minutes; taking it anyway")
				r.warned = true
			}
			r.since = frame
		}
		if r.since != 0 {
			if d.lens.local > 0 && d.selected != 0 {
				d.frameShown()
			} else {
				d.fit(false)
			}
		}
		return false
	}
	return frame-r.since >= d.cfg.Frames
}

// screenshot writes the frame just drawn as a PNG.
func (d *desk) screenshot() error {
	px := render.ReadPixels(d.width, d.height)
	if err := writePNG(d.cfg.Screenshot, px, d.width, d.height); err != nil {
		return err
	}
	d.log.Info("screenshot written", "file", d.cfg.Screenshot, "width", d.width, "height", d.height)
	return nil
}

func hasNode(sc *scene, id string) bool { _, ok := sc.byID[id]; return ok }

// inspected is the inspector's node with its measures, when the graph has
// been measured.
func (d *desk) inspected() *overlay.Inspected {
	in := d.m.inspected.Load()
	m := d.measNow
	if in == nil || m == nil || d.sceneNow == nil || m.scene.graphID != d.sceneNow.graphID {
		return in
	}
	i, ok := m.scene.byID[in.ID]
	if !ok || int(i) >= m.scene.graphNodes {
		return in
	}
	r := m.res
	out := *in
	out.Measures = fmt.Sprintf("PageRank %.4f (#%d of %d) · betweenness %.0f · community %d of %d · component %d of %d",
		r.PageRank[i], m.rank[i], len(r.PageRank), r.Betweenness[i], r.Community[i]+1, r.Communities, r.Component[i]+1, r.Components)
	return &out
}
