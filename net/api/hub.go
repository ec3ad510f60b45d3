package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"visionflow/graph"
	"visionflow/net/wire"
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
// Queues are per client and bounded: a client that falls behind loses
// position frames (and gets a full frame to catch up), never slows the
// others, and is dropped if it cannot even take structure changes.
type Hub struct {
	b   Backend
	log *slog.Logger

	mu      sync.Mutex
	conns   map[*wsConn]struct{}
	streams map[string]*stream // by graph id; only graphs with position subscribers
	closed  bool
	wg      sync.WaitGroup // connection goroutines
	sent    func(graph string, seq uint64, kind uint8, nodes int, at time.Time)
}

// stream is one graph's position stream.
type stream struct {
	graph    string
	subs     map[*wsConn]bool // → needs a full frame
	seq      uint64           // of the last frame sent
	step     uint64           // layout step of the last frame sent
	sent     map[graph.WireID]wire.NodeState
	lastFull time.Time
}

func newHub(b Backend, log *slog.Logger) *Hub {
	return &Hub{b: b, log: log, conns: map[*wsConn]struct{}{}, streams: map[string]*stream{}}
}

func (h *Hub) clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// run streams until ctx ends, then closes every client.
func (h *Hub) run(ctx context.Context) {
	cancelEvents, err := h.b.Subscribe(h.onEvents)
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

func (h *Hub) add(c *wsConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	return true
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
		st = &stream{graph: graphID, subs: map[*wsConn]bool{}, sent: map[graph.WireID]wire.NodeState{}}
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

// tick sends each stream's news: a delta of the nodes that moved since the
// last frame to clients that are in step, a full frame to those that are
// not (new, lagging, or asking), and a full frame to everyone every
// fullFrameEvery while nodes move.
func (h *Hub) tick(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, st := range h.streams {
		pos := h.b.Positions(st.graph)
		if pos == nil {
			continue
		}
		needFull := false
		for _, full := range st.subs {
			needFull = needFull || full
		}
		if pos.Step == st.step && !needFull {
			continue
		}
		var delta []wire.NodeState
		if pos.Step != st.step {
			for _, n := range pos.Nodes {
				if old, ok := st.sent[n.ID]; !ok || moved(old, n) {
					delta = append(delta, n)
					st.sent[n.ID] = n
				}
			}
			if len(st.sent) > len(pos.Nodes) { // nodes were removed
				clear(st.sent)
				for _, n := range pos.Nodes {
					st.sent[n.ID] = n
				}
			}
			st.step = pos.Step
		}
		if len(delta) == 0 && !needFull {
			continue
		}
		st.seq++
		everyone := len(delta) > 0 && now.Sub(st.lastFull) >= fullFrameEvery
		var full, part []byte
		if needFull || everyone {
			full = wire.AppendFrame(make([]byte, 0, wire.FrameSize(len(pos.Nodes))), wire.FullFrame, st.seq, pos.Nodes)
			if everyone {
				st.lastFull = now
			}
		}
		if len(delta) > 0 && !everyone {
			part = wire.AppendFrame(make([]byte, 0, wire.FrameSize(len(delta))), wire.DeltaFrame, st.seq, delta)
		}
		if h.sent != nil {
			if full != nil {
				h.sent(st.graph, st.seq, wire.FullFrame, len(pos.Nodes), now)
			}
			if part != nil {
				h.sent(st.graph, st.seq, wire.DeltaFrame, len(delta), now)
			}
		}
		for c, wantsFull := range st.subs {
			msg := part
			if wantsFull || everyone {
				msg = full
			}
			if msg == nil {
				continue
			}
			if c.sendFrame(msg) {
				st.subs[c] = false
			} else {
				st.subs[c] = true // it missed a frame: catch up with a full one
			}
		}
	}
}

// moved reports whether a node's state differs enough to send.
func moved(a, b wire.NodeState) bool {
	d := func(x, y float32) bool { return x-y > moveEpsilon || y-x > moveEpsilon }
	return a.Flags != b.Flags || a.Value != b.Value ||
		d(a.Position.X, b.Position.X) || d(a.Position.Y, b.Position.Y) || d(a.Position.Z, b.Position.Z) ||
		d(a.Velocity.X, b.Velocity.X) || d(a.Velocity.Y, b.Velocity.Y) || d(a.Velocity.Z, b.Velocity.Z)
}

// onEvents forwards committed changes (on the session goroutine: it only
// encodes once and queues).
func (h *Hub) onEvents(ch Change) {
	graphID := ch.Graph
	var msg any = wire.Events{Type: wire.TypeEvents, Graph: graphID, Events: ch.Events}
	// A graph that appears or goes whole, or a huge batch, is announced as
	// a reload rather than event by event.
	if ch.Reload || ch.Deleted || len(ch.Events) > maxEventBatch {
		msg = wire.Reload{Type: wire.TypeReload, Graph: graphID, Seq: ch.Seq, Deleted: ch.Deleted}
	}
	b, err := json.Marshal(msg)
	if err != nil {
		h.log.Error("stream: encode events", "err", err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c.wantsEvents(graphID) {
			c.sendText(b, true)
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
