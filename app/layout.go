package app

import (
	"context"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"visionflow/compute"
	"visionflow/graph"
	"visionflow/net/wire"
)

// maxPublishRate is the most times a second a layout publishes its
// positions: a publish copies every position, and no stream or screen
// shows more than 60 frames a second. Steps themselves are not paced: a
// graph settles as fast as its steps run (the Logseq docs in 0.7 s of
// compute, which a cap of 60 steps a second stretched to 4.8 s). An engine
// that needs pacing gets it from what it waits for (the GPU engine steps
// on the GL thread, between frames).
const maxPublishRate = 60

// restingPublishRate is the most times a second a layout whose physics is
// off publishes the changes edits make. Those edits show at once without
// it, laid over the published positions (current); publishing folds them
// in, and costs a copy of every position, which a large graph growing by
// many small edits should not pay 60 times a second.
const restingPublishRate = 10

// layout runs one graph's physics on its own goroutine. The session sends
// it structure changes as commands, in commit order; settings reach it
// through an atomic, so a change applies from the next step. After every
// step it publishes the positions, which the stream and the periodic save
// read without stopping it. It rests when the layout has settled and wakes
// on any command or settings change.
type layout struct {
	graphID string
	log     *slog.Logger
	engine  compute.Engine

	cmds    chan func(compute.Engine)
	wake    chan struct{} // settings changed
	params  atomic.Pointer[compute.Params]
	enabled atomic.Bool
	reheat  atomic.Bool
	latest  atomic.Pointer[wire.Positions]
	rate    atomic.Uint64 // steps per second, float64 bits
	stepMs  atomic.Uint64 // recent step time in ms, float64 bits
	settled atomic.Bool

	// Edits the engine has not taken yet (it takes them between steps,
	// a step of a large graph lasts 100 ms or more): where they put
	// nodes, laid over the latest positions by current, so an edit shows
	// in the next frame rather than after the step.
	pendMu   sync.Mutex
	pending  map[graph.WireID]pendingNode
	pendVer  uint64          // bumped by every change of pending
	merged   *wire.Positions // latest with pending laid over it, for
	mergedOf [2]uint64       // the latest's step and pendVer it was made from

	// Owned by the layout goroutine.
	degree    map[graph.WireID]float32
	springs   []compute.Spring            // as the graph's edges say, in no order
	springIDs []string                    // the edge of each spring
	springAt  map[string]int              // where each edge's spring is
	weights   map[[2]graph.WireID]float32 // live weights that override them (a swarm's links)
	// A swarm's anchors: pinned stand-ins for the knowledge nodes its agents
	// work on, where the knowledge graph's layout has them, and springs
	// from each agent to its nodes. They are never published.
	ghosts map[graph.WireID]graph.Vec3
	extra  []compute.Spring
	bodies []compute.Body // publish's scratch: a growing graph publishes up to 60 times a second
	seq    uint64         // graph event applied last; layout goroutine only
	cancel context.CancelFunc
	done   chan struct{}
}

func newLayout(graphID string, engine compute.Engine, p compute.Params, enabled bool, log *slog.Logger) *layout {
	l := &layout{
		graphID:  graphID,
		log:      log,
		engine:   engine,
		cmds:     make(chan func(compute.Engine), 1024),
		wake:     make(chan struct{}, 1),
		degree:   map[graph.WireID]float32{},
		springAt: map[string]int{},
		done:     make(chan struct{}),
	}
	l.params.Store(&p)
	l.enabled.Store(enabled)
	return l
}

// bodiesAndSprings describes g for a physics engine: its bodies, and its
// springs with the edge each comes from.
func bodiesAndSprings(g *graph.Graph) ([]compute.Body, []compute.Spring, []string) {
	nodes := g.Nodes()
	bodies := make([]compute.Body, len(nodes))
	for i, n := range nodes {
		bodies[i] = compute.Body{ID: n.WireID, Position: n.Position, Velocity: n.Velocity, Pinned: n.Pinned}
	}
	edges := g.Edges()
	springs := make([]compute.Spring, 0, len(edges))
	ids := make([]string, 0, len(edges))
	for _, e := range edges {
		s, _ := g.Node(e.Source)
		t, _ := g.Node(e.Target)
		springs = append(springs, compute.Spring{Source: s.WireID, Target: t.WireID, Weight: e.Weight})
		ids = append(ids, e.ID)
	}
	return bodies, springs, ids
}

// springChange is what a batch of edge events does to the springs, found
// on the command goroutine in the size of the batch (never a pass over
// the graph) and applied on the layout goroutine.
type springChange struct {
	steps []springStep
}

type springStep struct {
	edge   string
	add    bool // else removed, or with weight set only its weight changed
	spring compute.Spring
	weight *float32
}

// apply changes the springs and the degrees in the size of the change,
// and returns the springs it removed and added, for an engine that takes
// them as a patch.
func (l *layout) apply(c *springChange) (removed, added []compute.Spring) {
	for _, st := range c.steps {
		i, have := l.springAt[st.edge]
		switch {
		case st.weight != nil:
			if have {
				removed = append(removed, l.springs[i])
				l.springs[i].Weight = *st.weight
				added = append(added, l.springs[i])
			}
		case st.add:
			if have {
				continue
			}
			added = append(added, st.spring)
			l.springAt[st.edge] = len(l.springs)
			l.springs = append(l.springs, st.spring)
			l.springIDs = append(l.springIDs, st.edge)
			l.degree[st.spring.Source]++
			l.degree[st.spring.Target]++
		case have:
			old := l.springs[i]
			removed = append(removed, old)
			for _, w := range []graph.WireID{old.Source, old.Target} {
				if l.degree[w]--; l.degree[w] <= 0 {
					delete(l.degree, w)
				}
			}
			last := len(l.springs) - 1
			l.springs[i], l.springIDs[i] = l.springs[last], l.springIDs[last]
			l.springAt[l.springIDs[i]] = i
			l.springs, l.springIDs = l.springs[:last], l.springIDs[:last]
			delete(l.springAt, st.edge)
		}
	}
	return removed, added
}

// send queues a command for the layout goroutine. It blocks when the queue
// is full, which slows the session rather than losing a change.
func (l *layout) send(ctx context.Context, cmd func(compute.Engine)) {
	select {
	case l.cmds <- cmd:
	case <-l.done:
	case <-ctx.Done():
	}
}

// setParams applies new physics settings from the next step on. It never
// blocks: it is called from whoever applied the settings.
func (l *layout) setParams(p compute.Params, enabled bool) {
	l.params.Store(&p)
	l.enabled.Store(enabled)
	l.reheat.Store(true)
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// setSprings replaces every spring (a graph just loaded).
func (l *layout) setSprings(springs []compute.Spring, ids []string) func(compute.Engine) {
	return func(e compute.Engine) {
		l.springs, l.springIDs = springs, ids
		clear(l.springAt)
		clear(l.degree)
		for i, s := range springs {
			l.springAt[ids[i]] = i
			l.degree[s.Source]++
			l.degree[s.Target]++
		}
		l.install(e)
	}
}

// springKey names the spring between two bodies, in either direction.
func springKey(a, b graph.WireID) [2]graph.WireID {
	if b < a {
		a, b = b, a
	}
	return [2]graph.WireID{a, b}
}

// install gives the engine the graph's springs with the live weights
// applied, and the anchors' springs.
func (l *layout) install(e compute.Engine) {
	springs := l.springs
	if len(l.weights) > 0 || len(l.extra) > 0 {
		springs = slices.Clone(springs)
		for i, s := range springs {
			if w, ok := l.weights[springKey(s.Source, s.Target)]; ok {
				springs[i].Weight = w
			}
		}
		springs = append(springs, l.extra...)
	}
	err := e.SetSprings(springs)
	if err != nil && len(l.extra) > 0 {
		// An agent of an anchor went away before the anchors were
		// updated: without them until the next update.
		l.extra = nil
		err = e.SetSprings(springs[:len(l.springs)])
	}
	if err != nil {
		l.log.Error("layout: springs refused", "graph", l.graphID, "err", err)
	}
}

// anchor sets a swarm layout's anchors: ghosts (knowledge nodes, pinned
// where the knowledge graph's layout has them) and springs from agents to
// them. Unchanged anchors cost nothing, so a resting layout stays at rest.
func (s *Session) anchor(ctx context.Context, graphID string, ghosts map[graph.WireID]graph.Vec3, springs []compute.Spring) {
	l := s.layoutOf(graphID)
	if l == nil {
		return
	}
	l.send(ctx, func(e compute.Engine) {
		var gone []graph.WireID
		for id := range l.ghosts {
			if _, ok := ghosts[id]; !ok {
				gone = append(gone, id)
			}
		}
		if len(gone) > 0 {
			e.RemoveBodies(gone)
		}
		var add []compute.Body
		for id, p := range ghosts {
			old, had := l.ghosts[id]
			switch {
			case !had:
				add = append(add, compute.Body{ID: id, Position: p, Pinned: true})
			case distance(old, p) > 0.5:
				e.Move(id, p)
			default:
				ghosts[id] = old // too small a move to disturb the layout
			}
		}
		if len(add) > 0 {
			// A node of the swarm graph with a knowledge wire id (a client
			// may add one) is not to be shadowed by an anchor.
			real := map[graph.WireID]bool{}
			for _, b := range e.Bodies(nil) {
				if _, ghost := l.ghosts[b.ID]; !ghost {
					real[b.ID] = true
				}
			}
			add = slices.DeleteFunc(add, func(b compute.Body) bool {
				if real[b.ID] {
					delete(ghosts, b.ID)
					return true
				}
				return false
			})
			springs = slices.DeleteFunc(springs, func(s compute.Spring) bool { _, ok := ghosts[s.Target]; return !ok })
			if err := e.AddBodies(add); err != nil {
				l.log.Error("layout: anchors refused", "graph", l.graphID, "err", err)
			}
		}
		l.ghosts = ghosts
		if !slices.Equal(springs, l.extra) {
			l.extra = springs
			l.install(e)
		}
	})
}

func distance(a, b graph.Vec3) float32 {
	dx, dy, dz := a.X-b.X, a.Y-b.Y, a.Z-b.Z
	return float32(math.Sqrt(float64(dx*dx + dy*dy + dz*dz)))
}

// reweigh sets live spring weights of a graph's layout (a swarm's link
// weights, which change too often to be graph events).
func (s *Session) reweigh(ctx context.Context, graphID string, weights map[[2]graph.WireID]float32) {
	l := s.layoutOf(graphID)
	if l == nil {
		return
	}
	l.send(ctx, func(e compute.Engine) {
		l.weights = weights
		l.install(e)
	})
}

// drain applies every queued command, and a pending reheat, and reports
// whether anything changed.
func (l *layout) drain() bool {
	changed := false
	for {
		select {
		case cmd := <-l.cmds:
			cmd(l.engine)
			changed = true
		default:
			if l.reheat.Swap(false) {
				l.engine.Heat()
				changed = true
			}
			return changed
		}
	}
}

// run steps until ctx ends, then applies what is still queued and
// publishes once more, so the last positions reflect every change.
func (l *layout) run(ctx context.Context) {
	defer close(l.done)
	defer func() {
		l.drain()
		l.sync()
		l.publish(0)
		if c, ok := l.engine.(interface{ Close() }); ok {
			c.Close()
		}
	}()
	l.publish(0)
	published := time.Now()
	// A change or a step shows at most maxPublishRate times a second; one
	// held back is published when the time comes, by the timer flush while
	// resting, or with a later step.
	var flush <-chan time.Time
	publishAt := func(step uint64, every time.Duration) {
		if wait := every - time.Since(published); wait > 0 {
			if flush == nil {
				flush = time.After(wait)
			}
			return
		}
		l.publish(step)
		published, flush = time.Now(), nil
	}
	publishChange := func() {
		every := time.Second / maxPublishRate
		if !l.enabled.Load() {
			every = time.Second / restingPublishRate
		}
		publishAt(0, every)
	}
	settledFor := 0
	pending := false // a command or settings change arrived while resting
	for {
		if l.drain() || pending {
			pending = false
			settledFor = 0
			l.settled.Store(false)
			publishChange()
		}
		if l.settled.Load() || !l.enabled.Load() || l.engine.Len() == 0 {
			l.rate.Store(0)
			select {
			case cmd := <-l.cmds:
				cmd(l.engine)
				pending = true
			case <-l.wake:
				pending = true
			case <-flush:
				l.publish(0)
				published, flush = time.Now(), nil
			case <-ctx.Done():
				return
			}
			continue
		}
		p := *l.params.Load()
		start := time.Now()
		st := l.engine.Step(p)
		if took := time.Since(start).Seconds(); took > 0 {
			rate := 1 / took
			old := math.Float64frombits(l.rate.Load())
			l.rate.Store(math.Float64bits(0.8*old + 0.2*rate))
			oldMs := math.Float64frombits(l.stepMs.Load())
			l.stepMs.Store(math.Float64bits(0.8*oldMs + 0.2*took*1000))
		}
		publishAt(st.Step, time.Second/maxPublishRate)
		// Unpaced steps must not crowd out the session's command
		// goroutines on a small machine.
		runtime.Gosched()
		if st.MaxMove < 0.01*p.RestLength {
			settledFor++
		} else {
			settledFor = 0
		}
		if settledFor >= 10 {
			// The positions rest here: publish the last step's, not the
			// one a GPU engine had copied back so far.
			l.sync()
			l.publish(0)
			published, flush = time.Now(), nil
			l.settled.Store(true)
			l.log.Debug("layout settled", "graph", l.graphID, "step", st.Step)
		}
		select {
		case <-ctx.Done():
			return
		default:
		}
	}
}

// sync waits for an engine that returns positions late (the GPU's) to
// catch up with its last step.
func (l *layout) sync() {
	if s, ok := l.engine.(interface{ Sync() }); ok {
		s.Sync()
	}
}

// publish makes the engine's current state the latest positions.
func (l *layout) publish(step uint64) {
	l.bodies = l.engine.Bodies(l.bodies[:0])
	bodies := l.bodies
	nodes := make([]wire.NodeState, 0, len(bodies))
	for _, b := range bodies {
		if _, ghost := l.ghosts[b.ID]; ghost {
			continue
		}
		var flags uint16
		if b.Pinned {
			flags |= wire.FlagPinned
		}
		nodes = append(nodes, wire.NodeState{ID: b.ID, Position: b.Position, Velocity: b.Velocity, Value: l.degree[b.ID], Flags: flags})
	}
	// Steps grow monotonically across publishes even when the engine was
	// reloaded, so readers can tell new from old.
	if prev := l.latest.Load(); prev != nil && step <= prev.Step {
		step = prev.Step + 1
	}
	l.latest.Store(&wire.Positions{Step: step, Seq: l.seq, Nodes: nodes})
}

// pendingNode is an edit's node the engine has not taken yet.
type pendingNode struct {
	state wire.NodeState
	gone  bool   // removed
	moved bool   // only its position and flags changed: the layout's value stays
	seq   uint64 // the event's; taken once the layout has applied it
}

// expect notes where a batch of events puts nodes, until the layout takes
// the batch. Called on the graph's goroutine.
func (l *layout) expect(seq uint64, nodes []pendingNode) {
	if len(nodes) == 0 {
		return
	}
	l.pendMu.Lock()
	defer l.pendMu.Unlock()
	if l.pending == nil {
		l.pending = map[graph.WireID]pendingNode{}
	}
	for _, n := range nodes {
		n.seq = seq
		l.pending[n.state.ID] = n
	}
	l.pendVer++
}

// current returns the latest positions with the edits the engine has not
// taken yet laid over them. Merging copies every position, so it is done
// at most once per (publish, edit), by whoever reads first (the hub, at its
// frame rate).
func (l *layout) current() *wire.Positions {
	p := l.latest.Load()
	if p == nil {
		return nil
	}
	l.pendMu.Lock()
	defer l.pendMu.Unlock()
	for id, n := range l.pending {
		if n.seq <= p.Seq {
			delete(l.pending, id) // the engine has it, and p shows it
		}
	}
	if len(l.pending) == 0 {
		return p
	}
	if l.merged != nil && l.mergedOf == [2]uint64{p.Step, l.pendVer} {
		return l.merged
	}
	nodes := make([]wire.NodeState, 0, len(p.Nodes)+len(l.pending))
	seen := map[graph.WireID]bool{}
	for _, n := range p.Nodes {
		if e, ok := l.pending[n.ID]; ok {
			seen[n.ID] = true
			if e.gone {
				continue
			}
			v := n.Value
			n = e.state
			if e.moved {
				n.Value = v
			}
		}
		nodes = append(nodes, n)
	}
	for id, e := range l.pending {
		if !e.gone && !seen[id] {
			nodes = append(nodes, e.state) // added
		}
	}
	var maxSeq uint64
	for _, e := range l.pending {
		maxSeq = max(maxSeq, e.seq)
	}
	l.merged = &wire.Positions{Step: p.Step, Seq: maxSeq, Nodes: nodes}
	l.mergedOf = [2]uint64{p.Step, l.pendVer}
	return l.merged
}

// stepsPerSecond is the recent stepping rate (0 while resting).
func (l *layout) stepsPerSecond() float64 { return math.Float64frombits(l.rate.Load()) }

// stepMillis is the recent time of a step.
func (l *layout) stepMillis() float64 { return math.Float64frombits(l.stepMs.Load()) }

// startLayout runs physics for a graph the session has just loaded.
func (s *Session) startLayout(g *graph.Graph) {
	engine := s.newEngine(g.ID)
	bodies, springs, ids := bodiesAndSprings(g)
	if err := engine.Load(bodies, nil); err != nil {
		s.log.Error("layout: cannot load graph", "graph", g.ID, "err", err)
		return
	}
	p, on := s.physics()
	l := newLayout(g.ID, engine, p, on, s.log)
	l.setSprings(springs, ids)(engine)
	l.seq = g.Seq
	ctx, cancel := context.WithCancel(s.runCtx)
	l.cancel = cancel
	s.layoutMu.Lock()
	s.layouts[g.ID] = l
	s.layoutMu.Unlock()
	s.layoutsWG.Go(func() { l.run(ctx) })
}

// newEngine makes a graph's physics engine: the one the options ask for,
// else the CPU engine.
func (s *Session) newEngine(graphID string) compute.Engine {
	if s.engines != nil {
		e, err := s.engines()
		if err == nil {
			return e
		}
		s.log.Warn("layout: using the CPU engine", "graph", graphID, "err", err)
	}
	// One core is left to the session, the stream and the clients: with
	// every core stepping a large graph, an edit waited for the scheduler
	// (a 64k-node layout on 2 cores: events to 16 clients p99 200 ms).
	return compute.NewCPU(max(1, runtime.GOMAXPROCS(0)-1))
}

// stopLayout stops a graph's physics, waiting for its goroutine to finish
// when wait is set (Run waits for every layout before it returns).
func (s *Session) stopLayout(id string, wait bool) {
	s.layoutMu.Lock()
	l := s.layouts[id]
	delete(s.layouts, id)
	s.layoutMu.Unlock()
	if l != nil {
		l.cancel()
		if wait {
			<-l.done
		}
	}
}

// feedLayout tells a graph's physics about committed events: one command
// that replays them in order (adds and removes grouped where they are
// consecutive), then installs the graph's springs if the structure
// changed, then records the graph's seq.
func (s *Session) feedLayout(ctx context.Context, g *graph.Graph, events []graph.Event) {
	l := s.layoutOf(g.ID)
	if l == nil || len(events) == 0 {
		return
	}
	var steps []func(compute.Engine)
	var adds []compute.Body
	var removes []graph.WireID
	flush := func() {
		if len(adds) > 0 {
			batch := adds
			steps = append(steps, func(e compute.Engine) {
				if err := e.AddBodies(batch); err != nil {
					s.log.Error("layout: bodies refused", "graph", g.ID, "err", err)
				}
			})
			adds = nil
		}
		if len(removes) > 0 {
			batch := removes
			steps = append(steps, func(e compute.Engine) { e.RemoveBodies(batch) })
			removes = nil
		}
	}
	structural := false
	change := &springChange{}
	// Wire ids of the batch's own nodes: one may be gone from g by now.
	var wires map[string]graph.WireID
	wireOf := func(id string) (graph.WireID, bool) {
		if w, ok := wires[id]; ok {
			return w, true
		}
		n, ok := g.Node(id)
		return n.WireID, ok
	}
	for _, ev := range events {
		switch ev.Type {
		case graph.NodeAdded, graph.NodeRemoved:
			if wires == nil {
				wires = map[string]graph.WireID{}
			}
			wires[ev.Node.ID] = ev.Node.WireID
		}
		switch ev.Type {
		case graph.NodeAdded:
			if len(removes) > 0 {
				flush()
			}
			n := ev.Node
			adds = append(adds, compute.Body{ID: n.WireID, Position: n.Position, Velocity: n.Velocity, Pinned: n.Pinned})
			structural = true
		case graph.NodeRemoved:
			if len(adds) > 0 {
				flush()
			}
			removes = append(removes, ev.Node.WireID)
			structural = true
		case graph.NodeMoved:
			n, ok := g.Node(ev.ID)
			if !ok {
				continue // removed later in the batch
			}
			flush()
			pos, pinned := ev.Position, ev.Pinned
			steps = append(steps, func(e compute.Engine) {
				if pos != nil {
					e.Move(n.WireID, *pos)
				}
				if pinned != nil {
					e.Pin(n.WireID, *pinned)
				}
			})
		case graph.EdgeCreated:
			src, okS := wireOf(ev.Edge.Source)
			dst, okT := wireOf(ev.Edge.Target)
			if okS && okT {
				change.steps = append(change.steps, springStep{edge: ev.Edge.ID, add: true, spring: compute.Spring{Source: src, Target: dst, Weight: ev.Edge.Weight}})
			}
			structural = true
		case graph.EdgeDeleted:
			change.steps = append(change.steps, springStep{edge: ev.Edge.ID})
			structural = true
		case graph.EdgeWeightChanged:
			change.steps = append(change.steps, springStep{edge: ev.ID, weight: ev.Weight})
			structural = true
		}
	}
	flush()
	seq := g.Seq
	l.expect(seq, expected(g, events))
	l.send(ctx, func(e compute.Engine) {
		for _, step := range steps {
			step(e)
		}
		if structural {
			// The springs change in the size of the batch, and so do the
			// engine's where it takes a patch and no live weights or
			// anchors (a swarm's) are laid over them.
			removed, added := l.apply(change)
			p, ok := e.(compute.SpringPatcher)
			if !ok || len(l.weights) > 0 || len(l.extra) > 0 || p.PatchSprings(removed, added) != nil {
				l.install(e)
			}
		}
		l.seq = seq
	})
}

// expected is where events put nodes, as frames should show them before
// the layout has taken the events.
func expected(g *graph.Graph, events []graph.Event) []pendingNode {
	var out []pendingNode
	for _, ev := range events {
		switch ev.Type {
		case graph.NodeAdded:
			n := ev.Node
			out = append(out, pendingNode{state: wire.NodeState{ID: n.WireID, Position: n.Position, Velocity: n.Velocity, Flags: pinFlag(n.Pinned)}})
		case graph.NodeRemoved:
			out = append(out, pendingNode{state: wire.NodeState{ID: ev.Node.WireID}, gone: true})
		case graph.NodeMoved:
			n, ok := g.Node(ev.ID)
			if !ok || ev.Position == nil {
				continue // gone later in the batch, or only pinned
			}
			var v graph.Vec3
			if ev.Velocity != nil {
				v = *ev.Velocity
			}
			out = append(out, pendingNode{state: wire.NodeState{ID: n.WireID, Position: *ev.Position, Velocity: v, Flags: pinFlag(n.Pinned)}, moved: true})
		}
	}
	return out
}

func pinFlag(pinned bool) uint16 {
	if pinned {
		return wire.FlagPinned
	}
	return 0
}

// layoutOf returns a graph's running layout, or nil.
func (s *Session) layoutOf(id string) *layout {
	s.layoutMu.RLock()
	defer s.layoutMu.RUnlock()
	return s.layouts[id]
}

// positions returns a graph's latest layout positions, or nil.
func (s *Session) positions(id string) *wire.Positions {
	if l := s.layoutOf(id); l != nil {
		return l.current()
	}
	return nil
}

// syncPositions copies the latest layout positions into the graph, if the
// layout has caught up with the graph's events (else an older layout
// could undo a move the graph already holds).
func (s *Session) syncPositions(g *graph.Graph) (step uint64, ok bool) {
	p := s.positions(g.ID)
	if p == nil || p.Seq != g.Seq {
		return 0, false
	}
	for _, n := range p.Nodes {
		g.SetLayoutAt(n.ID.Index(), n.Position, n.Velocity)
	}
	return p.Step, true
}
