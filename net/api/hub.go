package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/internal/clock"
	"visionflow/metrics"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
)

// Frame policy.
const (
	fullFrameEvery = 2 * time.Second // a full frame to everyone this often, while nodes move
	// tolerance, a fraction of the graph's largest extent, is how far a
	// node may be from where the clients hold it before a delta carries
	// it. A layout moves every node a little at every step: without it
	// every delta held every node. On a 1920×1080 view of the whole graph
	// (render/view's fit: 50° field of view, the bounding sphere filling
	// the height) a world unit is at most 1560/extent pixels, so this is
	// at most 0.38 px (docs/protocol.md has the argument).
	tolerance = 1.0 / 4096
	// moveEpsilon is the least difference from the state sent that makes
	// a node worth refreshing once the layout stops (a new value or flags
	// always go at once).
	moveEpsilon = 1e-3
	// settleAfter is the least time without a new layout state after which
	// the nodes left within the tolerance are sent as they are; it grows
	// to twice the layout's usual interval between states, so a slow
	// layout is not taken for a stopped one.
	settleAfter   = 250 * time.Millisecond
	maxEventBatch = 1000 // larger batches are announced as "reload"
)

// frameFormat is what a subscriber asked its position frames to be.
type frameFormat struct {
	v2, velocities bool
}

// posSub is a position subscriber's state in a stream.
type posSub struct {
	full   bool // needs a full frame at the next tick
	format frameFormat
}

// Hub owns the set of WebSocket clients and streams to them, per graph:
// position frames at the update rate, each encoded once and shared by
// every subscriber; agent status coalesced per tick, also encoded once;
// JSON events, settings, messages and commands as they happen.
//
// Nothing that can wait on the network happens with the hub's lock held or
// on the session's goroutines: frames go into a one-frame mailbox per
// subscription (a newer frame replaces one not yet written, and that
// subscription then gets a full frame), JSON into a bounded queue, and a
// client that cannot keep up is closed without waiting for it.
type Hub struct {
	b   session.Backend
	log *slog.Logger

	mu       sync.Mutex
	conns    map[*wsConn]struct{}
	reserved int                // connection slots taken by upgrades in progress
	streams  map[string]*stream // by graph id; only graphs with position or agent subscribers
	numbers  map[uint16]bool    // stream numbers in use
	nextNum  uint16
	closed   bool

	wg       sync.WaitGroup // connection goroutines, and closers
	messages atomic.Int64   // received from clients, for telemetry
	presence presence
	metrics  *metrics.Set
	clock    clock.Clock
	sent     func(graph string, seq uint64, kind uint8, nodes int, at time.Time)
	// poke asks for a tick now: an edit moved, added or removed nodes of
	// a graph someone follows, and its frame should not wait for the next
	// tick (up to a frame period). At most one such tick per period.
	poke chan struct{}
}

// stream is one graph's streams on this server. subs, agentSubs and
// fullAll are guarded by the hub's lock; the rest belongs to the tick
// goroutine.
type stream struct {
	graph     string
	num       uint16             // in its frames' headers
	subs      map[*wsConn]posSub // position subscribers
	agentSubs map[*wsConn]bool   // agent subscribers → needs every agent
	fullAll   bool               // everyone needs one (the graph was reloaded)

	seq     uint64 // of the last frame sent
	step    uint64 // layout step of the last positions looked at
	sentSeq uint64 // graph event seq of the positions last looked at
	primed  bool   // positions have been looked at
	// held is the state numbered seq, in the layout's order: what every
	// client that took every frame holds (v2 clients within half a
	// quantum of it). A node is sent when the layout's differs from it
	// by more than the tolerance, so clients never drift further.
	held     []wire.NodeState
	behind   bool          // some node differs from held by less than the tolerance
	lastNew  time.Time     // when the layout last published a new state
	interval time.Duration // between the layout's states, smoothed
	lastFull time.Time
	pack     wire.FrameV2 // reused to quantise v2 frames
	agentVer uint64       // swarm version of the agent status last sent
}

func newHub(b session.Backend, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{b: b, log: log, clock: clock.System, conns: map[*wsConn]struct{}{}, streams: map[string]*stream{}, numbers: map[uint16]bool{}, poke: make(chan struct{}, 1)}
}

// queuedBytes is the JSON waiting in every client's queue.
func (h *Hub) queuedBytes() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var n int64
	for c := range h.conns {
		n += c.queued.Load()
	}
	return n
}

func (h *Hub) clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// reserve takes a connection slot before an upgrade, so concurrent
// connects cannot exceed the limit.
func (h *Hub) reserve(limit int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(h.conns)+h.reserved >= limit {
		return false
	}
	h.reserved++
	return true
}

// admit turns a reserved slot into a connection (c nil: the upgrade failed).
func (h *Hub) admit(c *wsConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reserved--
	if c == nil || h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

// Run streams until ctx ends, then closes every client and waits for
// their goroutines.
func (h *Hub) Run(ctx context.Context) {
	cancelEvents, err := h.b.Subscribe(h.onChange)
	if err != nil {
		h.log.Error("stream: cannot follow graph events", "err", err)
	} else {
		defer cancelEvents()
	}
	defer h.b.SubscribeAgents(h.onAgentEvent)()
	defer h.b.Settings().Subscribe(h.onSettings)()

	rate := func() time.Duration {
		return time.Second / time.Duration(max(1, int(h.b.Settings().Float("system.websocket.updateRate"))))
	}
	period := rate()
	ticker := h.clock.NewTicker(period)
	defer ticker.Stop()
	var poked time.Time
	for {
		select {
		case <-ctx.Done():
			h.close()
			return
		case <-h.poke:
			if now := h.clock.Now(); now.Sub(poked) >= period {
				poked = now
				h.tick(now)
			}
		case now := <-ticker.C():
			h.tick(now)
			h.tickPresence(now)
			if p := rate(); p != period {
				period = p
				ticker.Reset(p)
			}
		}
	}
}

// close disconnects every client and waits for their goroutines.
func (h *Hub) close() {
	h.mu.Lock()
	h.closed = true
	conns := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.shutdown("server shutting down")
	}
	h.wg.Wait()
}

// dropToken closes the connections made with a token.
func (h *Hub) dropToken(id, reason string) {
	h.mu.Lock()
	var drop []*wsConn
	for c := range h.conns {
		if c.who.TokenID == id {
			drop = append(drop, c)
		}
	}
	h.mu.Unlock()
	for _, c := range drop {
		c.shutdown(reason)
	}
}

func (h *Hub) remove(c *wsConn) {
	h.presence.drop(c.id)
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
	for id := range h.streams {
		h.leaveLocked(c, id)
	}
}

// streamLocked returns a graph's stream, making it with a free number
// (nil when all 65,535 are taken).
func (h *Hub) streamLocked(graphID string) *stream {
	st := h.streams[graphID]
	if st == nil {
		// Numbers go round rather than reusing the one just freed, so a
		// late frame of an ended subscription is unlikely to be taken for
		// a new one's.
		if len(h.numbers) >= math.MaxUint16 {
			return nil
		}
		for h.numbers[h.nextNum] || h.nextNum == 0 {
			h.nextNum++
		}
		st = &stream{graph: graphID, num: h.nextNum, subs: map[*wsConn]posSub{}, agentSubs: map[*wsConn]bool{}}
		h.numbers[st.num] = true
		h.nextNum++
		h.streams[graphID] = st
	}
	return st
}

// join adds c to a graph's position and agent streams as asked, and
// queues the subscribe answer (made with the stream number) under the
// hub's lock, so that it is queued before the first frame or agent status
// of the new subscription.
func (h *Hub) join(c *wsConn, graphID string, positions, agents bool, format frameFormat, answer func(num uint16) []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leaveLocked(c, graphID)
	var num uint16
	if positions || agents {
		st := h.streamLocked(graphID)
		if st == nil {
			return false
		}
		num = st.num
		if positions {
			st.subs[c] = posSub{full: true, format: format}
		}
		if agents {
			st.agentSubs[c] = true
		}
	}
	c.sendText(answer(num), true)
	return true
}

// leave removes c from a graph's streams.
func (h *Hub) leave(c *wsConn, graphID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leaveLocked(c, graphID)
}

func (h *Hub) leaveLocked(c *wsConn, graphID string) {
	st := h.streams[graphID]
	if st == nil {
		return
	}
	delete(st.subs, c)
	delete(st.agentSubs, c)
	c.clearFrame(st.num)
	if len(st.subs) == 0 && len(st.agentSubs) == 0 {
		delete(h.streams, graphID)
		delete(h.numbers, st.num)
	}
}

// wantFull marks c for a full frame of a graph ("": of every graph) at the
// next tick.
func (h *Hub) wantFull(c *wsConn, graphID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, st := range h.streams {
		if ps, ok := st.subs[c]; ok && (graphID == "" || id == graphID) {
			ps.full = true
			st.subs[c] = ps
		}
	}
}

type subscriber struct {
	c      *wsConn
	full   bool
	format frameFormat
}

// tick sends each stream's news. The hub's lock is held only to copy the
// subscriber lists and to mark clients that missed a frame.
func (h *Hub) tick(now time.Time) {
	type work struct {
		st      *stream
		subs    []subscriber
		agents  []subscriber
		fullAll bool
	}
	h.mu.Lock()
	jobs := make([]work, 0, len(h.streams))
	for _, st := range h.streams {
		w := work{st: st, fullAll: st.fullAll}
		st.fullAll = false
		for c, ps := range st.subs {
			w.subs = append(w.subs, subscriber{c: c, full: ps.full, format: ps.format})
			ps.full = false
			st.subs[c] = ps
		}
		for c, all := range st.agentSubs {
			w.agents = append(w.agents, subscriber{c: c, full: all})
			st.agentSubs[c] = false
		}
		jobs = append(jobs, w)
	}
	h.mu.Unlock()
	for _, w := range jobs {
		if len(w.agents) > 0 {
			h.tickAgents(w.st, w.agents)
		}
		if len(w.subs) == 0 {
			continue
		}
		missed := h.tickStream(w.st, w.subs, w.fullAll, now)
		if len(missed) == 0 {
			continue
		}
		h.mu.Lock()
		for _, c := range missed {
			if ps, ok := w.st.subs[c]; ok {
				ps.full = true
				w.st.subs[c] = ps
			}
		}
		h.mu.Unlock()
	}
}

// tickAgents sends a swarm's agent status: what changed since the last
// tick to those who have the rest, and everything to newcomers.
func (h *Hub) tickAgents(st *stream, subs []subscriber) {
	var delta, all []byte
	encode := func(d session.AgentDelta) []byte {
		b, err := json.Marshal(wire.AgentStatus{Type: wire.TypeAgentStatus, Swarm: st.graph, Agents: nonNil(d.Agents), Removed: d.Removed, Links: d.Links})
		if err != nil {
			h.log.Error("stream: encode agent status", "err", err)
			return nil
		}
		return b
	}
	d := h.b.AgentChanges(st.graph, st.agentVer)
	if !d.Exists {
		// Not live (yet): those waiting for everything still are.
		h.mu.Lock()
		for _, sub := range subs {
			if _, ok := st.agentSubs[sub.c]; ok && sub.full {
				st.agentSubs[sub.c] = true
			}
		}
		h.mu.Unlock()
		return
	}
	if len(d.Agents) > 0 || len(d.Removed) > 0 || len(d.Links) > 0 {
		delta = encode(d)
	}
	for _, s := range subs {
		msg := delta
		if s.full {
			if all == nil {
				all = encode(h.b.AgentChanges(st.graph, 0))
			}
			msg = all
		}
		if msg != nil {
			s.c.sendText(msg, true)
		}
	}
	st.agentVer = d.Version
}

// tickStream sends one graph's frames and returns the clients that missed
// one (their mailbox still held an unwritten frame).
//
// Sequence numbers grow by one for every new state: a delta (or, when nodes
// appeared or went, a full frame for everyone) — so a client that takes
// every frame never sees a gap. A full frame sent only to catch one client
// up repeats the current number and carries the state of that number, so
// every client in step holds the same.
//
// A delta carries the nodes that are further than the tolerance from where
// the clients hold them (or whose value or flags changed); the rest wait
// until they are, until the next periodic full frame, or until the layout
// stops, whichever comes first.
func (h *Hub) tickStream(st *stream, subs []subscriber, fullAll bool, now time.Time) (missed []*wsConn) {
	pos := h.b.Positions(st.graph)
	if pos == nil {
		// No layout (yet): who needed a full frame still does.
		for _, sub := range subs {
			if sub.full || fullAll {
				missed = append(missed, sub.c)
			}
		}
		return missed
	}
	var delta []wire.NodeState
	var deltaState []bool // whether each delta node's value or flags changed
	send := func(n, held *wire.NodeState) {
		delta = append(delta, *n)
		deltaState = append(deltaState, n.Value != held.Value || n.Flags != held.Flags)
		*held = *n
	}
	keyframe := func() {
		fullAll, delta, deltaState = true, nil, nil
		st.held = append(st.held[:0], pos.Nodes...)
		st.behind = false
	}
	if pos.Step != st.step || pos.Seq != st.sentSeq || !st.primed {
		if st.primed {
			// A pause longer than a full frame's period was a stop, not a
			// step: it must not make the next stop wait as long.
			gap := min(now.Sub(st.lastNew), fullFrameEvery)
			st.interval = (3*st.interval + gap) / 4
		}
		st.lastNew = now
		if !st.primed || !st.align(pos.Nodes) {
			// A delta cannot say a node went away: everyone gets the
			// whole graph.
			st.seq++
			keyframe()
		} else {
			tol := tolerance * extent(pos.Nodes)
			tol2 := tol * tol
			for i := range pos.Nodes {
				n, held := &pos.Nodes[i], &st.held[i]
				if *n == *held {
					continue
				}
				if n.Value != held.Value || n.Flags != held.Flags || dist2(n.Position, held.Position) > tol2 {
					send(n, held)
				} else if !st.behind && moved(*n, *held) {
					st.behind = true
				}
			}
			if len(delta) > 0 {
				st.seq++
				if now.Sub(st.lastFull) >= fullFrameEvery {
					keyframe()
				}
			}
		}
		st.primed = true
		st.step, st.sentSeq = pos.Step, pos.Seq
	} else if st.behind && now.Sub(st.lastNew) >= max(settleAfter, 2*st.interval) {
		// The layout has stopped: what it moved within the tolerance goes
		// now, so clients come to rest where it did.
		for i := range pos.Nodes {
			if pos.Nodes[i] != st.held[i] {
				send(&pos.Nodes[i], &st.held[i])
			}
		}
		st.behind = false
		if len(delta) > 0 {
			st.seq++
		}
	}
	type key struct {
		full   bool
		format frameFormat
	}
	encoded := map[key][]byte{}
	encode := func(k key) []byte {
		if b, ok := encoded[k]; ok {
			return b
		}
		nodes, kind := delta, uint8(wire.DeltaFrame)
		if k.full {
			nodes, kind = st.held, wire.FullFrame
		}
		var b []byte
		if k.format.v2 {
			kind += wire.FullFrameV2 - wire.FullFrame
			f := &st.pack
			f.Kind, f.Stream, f.Seq, f.Velocities = kind, st.num, st.seq, k.format.velocities
			var state func(int) bool
			if !k.full {
				state = func(i int) bool { return deltaState[i] }
			}
			f.Pack(nodes, state)
			b = wire.AppendFrameV2(make([]byte, 0, wire.HeaderSizeV2+4+len(nodes)*8), f)
		} else {
			b = wire.AppendFrame(make([]byte, 0, wire.FrameSize(len(nodes))), kind, st.num, st.seq, nodes)
		}
		if k.full && fullAll {
			st.lastFull = now
		}
		h.report(st, kind, len(nodes), now)
		encoded[k] = b
		return b
	}
	for _, s := range subs {
		var msg []byte
		if s.full || fullAll {
			msg = encode(key{true, s.format})
		} else if len(delta) > 0 {
			msg = encode(key{false, s.format})
		}
		if msg != nil && !s.c.offerFrame(st.num, msg) {
			missed = append(missed, s.c)
		}
	}
	return missed
}

// align puts held in the order of the layout's nodes and reports whether
// every node held is still there. An engine may list its nodes in another
// order from one step to the next (sorted for its own speed): that is not
// a change a client needs to be told of. Nodes added since go in the next
// delta; only a node gone needs a full frame, which a delta cannot say.
func (st *stream) align(nodes []wire.NodeState) bool {
	if len(nodes) < len(st.held) {
		return false // some went away
	}
	// A node that is new to the clients is held as a state that differs
	// from it in its flags, so the delta carries it whole.
	fresh := func(n wire.NodeState) wire.NodeState { return wire.NodeState{ID: n.ID, Flags: ^n.Flags} }
	i := 0
	for i < len(st.held) && nodes[i].ID == st.held[i].ID {
		i++
	}
	if i == len(st.held) { // the same nodes, maybe more after them: an edit added some
		for _, n := range nodes[i:] {
			st.held = append(st.held, fresh(n))
		}
		return true
	}
	at := make(map[graph.WireID]int, len(st.held)-i)
	for j := i; j < len(st.held); j++ {
		at[st.held[j].ID] = j
	}
	re := make([]wire.NodeState, len(nodes))
	copy(re, st.held[:i])
	for j := i; j < len(nodes); j++ {
		if k, ok := at[nodes[j].ID]; ok {
			delete(at, nodes[j].ID) // a node listed twice is new the second time
			re[j] = st.held[k]
		} else {
			re[j] = fresh(nodes[j])
		}
	}
	if len(at) > 0 {
		return false // some went away
	}
	st.held = re
	return true
}

// extent is the largest side of the box around the nodes' positions.
func extent(nodes []wire.NodeState) float64 {
	if len(nodes) == 0 {
		return 0
	}
	lo, hi := nodes[0].Position, nodes[0].Position
	for i := range nodes {
		p := &nodes[i].Position
		lo = graph.Vec3{X: min(lo.X, p.X), Y: min(lo.Y, p.Y), Z: min(lo.Z, p.Z)}
		hi = graph.Vec3{X: max(hi.X, p.X), Y: max(hi.Y, p.Y), Z: max(hi.Z, p.Z)}
	}
	return max(float64(hi.X)-float64(lo.X), float64(hi.Y)-float64(lo.Y), float64(hi.Z)-float64(lo.Z))
}

func dist2(a, b graph.Vec3) float64 {
	dx, dy, dz := float64(a.X)-float64(b.X), float64(a.Y)-float64(b.Y), float64(a.Z)-float64(b.Z)
	return dx*dx + dy*dy + dz*dz
}

func (h *Hub) report(st *stream, kind uint8, nodes int, now time.Time) {
	if kind == wire.FullFrame || kind == wire.FullFrameV2 {
		h.metrics.Frame("full")
	} else {
		h.metrics.Frame("delta")
	}
	if h.sent != nil {
		h.sent(st.graph, st.seq, kind, nodes, now)
	}
}

// moved reports whether a node's state differs enough to send.
func moved(a, b wire.NodeState) bool {
	d := func(x, y float32) bool { return x-y > moveEpsilon || y-x > moveEpsilon }
	return a.Flags != b.Flags || a.Value != b.Value ||
		d(a.Position.X, b.Position.X) || d(a.Position.Y, b.Position.Y) || d(a.Position.Z, b.Position.Z) ||
		d(a.Velocity.X, b.Velocity.X) || d(a.Velocity.Y, b.Velocity.Y) || d(a.Velocity.Z, b.Velocity.Z)
}

// onChange forwards a committed change. It runs on the graph's worker:
// it encodes once and queues, nothing more.
func (h *Hub) onChange(ch session.Change) {
	reload := ch.Reload || ch.Deleted || len(ch.Events) > maxEventBatch
	var b []byte // encoded for the first who hears it
	encode := func() []byte {
		if b != nil {
			return b
		}
		if reload {
			b, _ = json.Marshal(wire.Reload{Type: wire.TypeReload, Graph: ch.Graph, Seq: ch.Seq, Deleted: ch.Deleted})
		} else {
			b = (&wire.Events{Type: wire.TypeEvents, Graph: ch.Graph, Events: ch.Events}).AppendJSON(nil)
		}
		return b
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.streams[ch.Graph]; st != nil && !reload && len(st.subs) > 0 && movesNodes(ch.Events) {
		select {
		case h.poke <- struct{}{}:
		default:
		}
	}
	if st := h.streams[ch.Graph]; st != nil && reload {
		st.fullAll = true
		for c := range st.agentSubs {
			st.agentSubs[c] = true
		}
	}
	for c := range h.conns {
		sub, ok := c.subscription(ch.Graph)
		// Everyone following the graph hears of a reload; events go to
		// those who asked for them.
		if ok && (sub.events || reload) {
			c.deliver(ch.Graph, ch.Seq, encode())
			if ch.Deleted {
				c.dropSubscription(ch.Graph)
				h.leaveLocked(c, ch.Graph)
			}
		}
	}
}

// movesNodes tells whether events change where nodes are or which there
// are: what a position frame shows.
func movesNodes(events []graph.Event) bool {
	for _, ev := range events {
		switch ev.Type {
		case graph.NodeAdded, graph.NodeRemoved, graph.NodeMoved:
			return true
		}
	}
	return false
}

// onAgentEvent forwards messages, commands and focus requests. It runs on
// whatever goroutine made them and only queues.
func (h *Hub) onAgentEvent(ev session.AgentEvent) {
	switch {
	case ev.Message != nil:
		h.toSwarm(ev.Swarm, wire.AgentMessage{Type: wire.TypeAgentMessage, Message: *ev.Message, Link: ev.Link})
	case ev.Command != nil:
		h.toSwarm(ev.Swarm, wire.CommandState{Type: wire.TypeCommandState, Command: *ev.Command})
		if ev.Command.State == agent.Queued {
			h.deliver(*ev.Command)
		}
	case ev.Task != nil:
		h.toSwarm(ev.Swarm, wire.TaskProgress{Type: wire.TypeTaskProgress, Task: ev.Task})
	case ev.Offer != nil:
		b, err := json.Marshal(wire.TaskOffer{Type: wire.TypeTaskOffer, AgentID: ev.OfferTo, Task: ev.Offer})
		if err != nil {
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		for c := range h.conns {
			if c.speaksFor(ev.Swarm, ev.OfferTo) {
				c.sendText(b, false)
			}
		}
	case ev.Focus != nil:
		b, err := json.Marshal(wire.Focus{Type: wire.TypeFocus, Graph: ev.Focus.Graph, Nodes: ev.Focus.Nodes, By: ev.By, Note: ev.Focus.Note})
		if err != nil {
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		for c := range h.conns {
			if _, ok := c.subscription(ev.Focus.Graph); ok {
				c.sendText(b, false)
			}
		}
	}
}

// toSwarm sends a message to the subscribers of a swarm's agents stream.
func (h *Hub) toSwarm(swarm string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.streams[swarm]; st != nil {
		for c := range st.agentSubs {
			c.sendText(b, false)
		}
	}
}

// deliver pushes a queued command to the connections that report the
// agent's status, and marks it delivered when one queued it. One that
// none could take stays queued: it goes out when the agent next reports
// on a connection, or when it asks for it.
func (h *Hub) deliver(cmd agent.Command) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sent := false
	for c := range h.conns {
		if c.speaksFor(cmd.Swarm, cmd.Agent) && c.sendCommand(cmd) {
			sent = true
		}
	}
	if sent && !h.closed {
		// Not on the caller's goroutine: it may be a graph's worker.
		h.wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := h.b.CommandDelivered(ctx, cmd.ID); err != nil {
				h.log.Warn("stream: command delivered but not recorded", "command", cmd.ID, "err", err)
			}
		})
	}
}

// onSettings forwards applied settings to every client.
func (h *Hub) onSettings(deltas []settings.Delta) {
	b, err := json.Marshal(wire.Settings{Type: wire.TypeSettings, Deltas: deltas})
	if err != nil || len(deltas) == 0 {
		return
	}
	seq := deltas[len(deltas)-1].ID
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		c.deliverSettings(seq, b)
	}
}
