package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
)

// Frame policy.
const (
	fullFrameEvery = 2 * time.Second // a full frame to everyone this often, while nodes move
	moveEpsilon    = 1e-3            // a node moved if a coordinate changed more than this
	maxEventBatch  = 1000            // larger batches are announced as "reload"
)

// Hub owns the set of WebSocket clients and streams to them: position
// frames per graph at the update rate, each encoded once and shared by
// every subscriber, and JSON events and settings as they are committed.
//
// Nothing that can wait on the network happens with the hub's lock held or
// on the session's goroutine: frames go into a one-frame mailbox per client
// (a newer frame replaces one not yet written, and that client then gets a
// full frame), JSON into a bounded queue, and a client that cannot keep up
// is closed without waiting for it.
type Hub struct {
	b   session.Backend
	log *slog.Logger

	mu       sync.Mutex
	conns    map[*wsConn]struct{}
	reserved int                // connection slots taken by upgrades in progress
	streams  map[string]*stream // by graph id; only graphs with position subscribers
	closed   bool

	wg   sync.WaitGroup // connection goroutines, and closers
	sent func(graph string, seq uint64, kind uint8, nodes int, at time.Time)
}

// stream is one graph's position stream. subs and fullAll are guarded by
// the hub's lock; the rest belongs to the tick goroutine.
type stream struct {
	graph   string
	subs    map[*wsConn]bool // → needs a full frame
	fullAll bool             // everyone needs one (the graph was reloaded)

	seq      uint64           // of the last frame sent
	step     uint64           // layout step of the last frame sent
	sentSeq  uint64           // graph event seq of the positions last sent
	last     []wire.NodeState // the state last sent, in the layout's order
	lastFull time.Time
}

func newHub(b session.Backend, log *slog.Logger) *Hub {
	return &Hub{b: b, log: log, conns: map[*wsConn]struct{}{}, streams: map[string]*stream{}}
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
	cancelSettings := h.b.Settings().Subscribe(h.onSettings)
	defer cancelSettings()

	rate := func() time.Duration {
		return time.Second / time.Duration(max(1, int(h.b.Settings().Float("system.websocket.updateRate"))))
	}
	period := rate()
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			h.close()
			return
		case now := <-ticker.C:
			h.tick(now)
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

func (h *Hub) remove(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
	h.unsubscribeLocked(c)
}

// subscribePositions adds c to a graph's position stream; it gets a full
// frame at the next tick.
func (h *Hub) subscribePositions(c *wsConn, graphID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unsubscribeLocked(c)
	st := h.streams[graphID]
	if st == nil {
		st = &stream{graph: graphID, subs: map[*wsConn]bool{}}
		h.streams[graphID] = st
	}
	st.subs[c] = true
}

func (h *Hub) unsubscribe(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unsubscribeLocked(c)
}

func (h *Hub) unsubscribeLocked(c *wsConn) {
	for id, st := range h.streams {
		if _, ok := st.subs[c]; ok {
			delete(st.subs, c)
			if len(st.subs) == 0 {
				delete(h.streams, id)
			}
		}
	}
}

// wantFull marks c for a full frame at the next tick.
func (h *Hub) wantFull(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, st := range h.streams {
		if _, ok := st.subs[c]; ok {
			st.subs[c] = true
		}
	}
}

type subscriber struct {
	c    *wsConn
	full bool
}

// tick sends each stream's news. The hub's lock is held only to copy the
// subscriber lists and to mark clients that missed a frame.
func (h *Hub) tick(now time.Time) {
	type work struct {
		st      *stream
		subs    []subscriber
		fullAll bool
	}
	h.mu.Lock()
	jobs := make([]work, 0, len(h.streams))
	for _, st := range h.streams {
		w := work{st: st, fullAll: st.fullAll}
		st.fullAll = false
		for c, full := range st.subs {
			w.subs = append(w.subs, subscriber{c, full})
			st.subs[c] = false
		}
		jobs = append(jobs, w)
	}
	h.mu.Unlock()
	for _, w := range jobs {
		missed := h.tickStream(w.st, w.subs, w.fullAll, now)
		if len(missed) == 0 {
			continue
		}
		h.mu.Lock()
		for _, c := range missed {
			if _, ok := w.st.subs[c]; ok {
				w.st.subs[c] = true
			}
		}
		h.mu.Unlock()
	}
}

// tickStream sends one graph's frames and returns the clients that missed
// one (their mailbox still held an unwritten frame).
//
// Sequence numbers grow by one for every new state: a delta (or, when nodes
// appeared or went, a full frame for everyone) — so a client that takes
// every frame never sees a gap. A full frame sent only to catch one client
// up repeats the current number.
func (h *Hub) tickStream(st *stream, subs []subscriber, fullAll bool, now time.Time) (missed []*wsConn) {
	pos := h.b.Positions(st.graph)
	if pos == nil {
		return nil
	}
	var delta []wire.NodeState
	if pos.Step != st.step || pos.Seq != st.sentSeq || st.last == nil {
		structural := len(pos.Nodes) != len(st.last)
		for i := 0; i < len(pos.Nodes) && !structural; i++ {
			n := pos.Nodes[i]
			if st.last[i].ID != n.ID {
				structural = true // nodes were added, removed or reordered
			} else if moved(st.last[i], n) {
				delta = append(delta, n)
			}
		}
		if structural {
			// A delta cannot say a node went away: everyone gets the whole graph.
			fullAll, delta = true, nil
		}
		if structural || len(delta) > 0 {
			st.seq++
			if !structural && now.Sub(st.lastFull) >= fullFrameEvery {
				fullAll, delta = true, nil
			}
		}
		st.step, st.sentSeq = pos.Step, pos.Seq
		st.last = append(st.last[:0], pos.Nodes...)
	}
	var full, part []byte
	for _, s := range subs {
		if s.full || fullAll {
			if full == nil {
				full = wire.AppendFrame(make([]byte, 0, wire.FrameSize(len(pos.Nodes))), wire.FullFrame, st.seq, pos.Nodes)
				if fullAll {
					st.lastFull = now
				}
				h.report(st, wire.FullFrame, len(pos.Nodes), now)
			}
		} else if len(delta) > 0 && part == nil {
			part = wire.AppendFrame(make([]byte, 0, wire.FrameSize(len(delta))), wire.DeltaFrame, st.seq, delta)
			h.report(st, wire.DeltaFrame, len(delta), now)
		}
	}
	for _, s := range subs {
		msg := part
		if s.full || fullAll {
			msg = full
		}
		if msg != nil && !s.c.offerFrame(msg) {
			missed = append(missed, s.c)
		}
	}
	return missed
}

func (h *Hub) report(st *stream, kind uint8, nodes int, now time.Time) {
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

// onChange forwards a committed change. It runs on the session goroutine:
// it encodes once and queues, nothing more.
func (h *Hub) onChange(ch session.Change) {
	reload := ch.Reload || ch.Deleted || len(ch.Events) > maxEventBatch
	var msg any = wire.Events{Type: wire.TypeEvents, Graph: ch.Graph, Events: ch.Events}
	if reload {
		msg = wire.Reload{Type: wire.TypeReload, Graph: ch.Graph, Seq: ch.Seq, Deleted: ch.Deleted}
	}
	b, err := json.Marshal(msg)
	if err != nil {
		h.log.Error("stream: encode events", "err", err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.streams[ch.Graph]; st != nil && reload {
		if ch.Deleted {
			delete(h.streams, ch.Graph)
		} else {
			st.fullAll = true
		}
	}
	for c := range h.conns {
		graph, events := c.subscription()
		// Everyone following the graph hears of a reload; events go to
		// those who asked for them.
		if graph == ch.Graph && (events || reload) {
			c.sendText(b, true)
			if ch.Deleted {
				c.setSubscription("", false)
			}
		}
	}
}

// onSettings forwards applied settings to every client.
func (h *Hub) onSettings(deltas []settings.Delta) {
	b, err := json.Marshal(wire.Settings{Type: wire.TypeSettings, Deltas: deltas})
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		c.sendText(b, true)
	}
}
