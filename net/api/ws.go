package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"visionflow/graph"
	"visionflow/net/wire"
)

const (
	writeWait = 10 * time.Second // longest a write to one client may take
	sendQueue = 256              // JSON messages queued per client
	textBytes = 32 << 20         // …and their bytes at most
	// maxDrops is how many position frames in a row a client may miss
	// before it is dropped: about five seconds at 60 Hz.
	maxDrops = 300
)

// wsConn is one WebSocket client: one reader goroutine (its messages, in
// order), one writer goroutine (its JSON queue and its frame mailbox), and
// its subscription.
type wsConn struct {
	hub  *Hub
	ws   *websocket.Conn
	id   string
	send chan []byte // JSON messages
	done chan struct{}
	once sync.Once

	queued atomic.Int64 // bytes in send

	frameMu sync.Mutex
	frame   []byte        // the next position frame to write, if any
	ready   chan struct{} // a frame is in the mailbox
	drops   int           // frames replaced unwritten in a row; guarded by frameMu

	mu     sync.Mutex
	graph  string // subscribed graph
	events bool
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) error {
	set := s.b.Settings()
	limit := int(set.Float("system.websocket.maxConnections"))
	if !s.hub.reserve(limit) {
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Detail: fmt.Sprintf("the server has its maximum of %d WebSocket clients", limit)}
	}
	up := websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 64 << 10,
		CheckOrigin:     func(r *http.Request) bool { return checkOrigin(r) == nil },
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.hub.admit(nil)
		return nil // Upgrade has answered the client
	}
	c := &wsConn{hub: s.hub, ws: ws, id: newClientID(), send: make(chan []byte, sendQueue), done: make(chan struct{}), ready: make(chan struct{}, 1)}
	if !s.hub.admit(c) {
		ws.Close()
		return nil
	}
	def, _ := s.b.DefaultGraph(r.Context())
	hello, _ := json.Marshal(wire.Hello{Type: wire.TypeHello, Protocol: wire.Version, ClientID: c.id, Server: "visionflow " + s.opt.Version, DefaultGraph: def})
	c.sendText(hello, false)
	s.hub.wg.Add(2)
	go func() { defer s.hub.wg.Done(); c.writeLoop(set.Float("system.websocket.heartbeatInterval")) }()
	go func() { defer s.hub.wg.Done(); c.readLoop(s) }()
	return nil
}

func newClientID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "c-" + hex.EncodeToString(b)
}

// sendText queues a JSON message. A client that cannot take a message it
// must not miss (structure changes, answers) is dropped instead.
func (c *wsConn) sendText(b []byte, mustArrive bool) {
	if c.queued.Add(int64(len(b))) > textBytes {
		c.queued.Add(-int64(len(b)))
		if mustArrive {
			c.shutdown("too slow to keep up with changes")
		}
		return
	}
	select {
	case c.send <- b:
	case <-c.done:
		c.queued.Add(-int64(len(b)))
	default:
		c.queued.Add(-int64(len(b)))
		if mustArrive {
			c.shutdown("too slow to keep up with changes")
		}
	}
}

// offerFrame puts a position frame in the mailbox. It reports false when
// it replaced a frame the client had not taken yet: the client has missed
// that one and must be sent a full frame. A client that misses maxDrops in
// a row is dropped.
func (c *wsConn) offerFrame(b []byte) bool {
	c.frameMu.Lock()
	missed := c.frame != nil
	c.frame = b
	if missed {
		c.drops++
	} else {
		c.drops = 0
	}
	drop := c.drops > maxDrops
	c.frameMu.Unlock()
	if drop {
		c.shutdown("too slow to take position frames")
		return false
	}
	select {
	case c.ready <- struct{}{}:
	default:
	}
	return !missed
}

func (c *wsConn) takeFrame() []byte {
	c.frameMu.Lock()
	defer c.frameMu.Unlock()
	b := c.frame
	c.frame = nil
	return b
}

// clearFrame drops an unwritten frame (of a graph no longer subscribed).
func (c *wsConn) clearFrame() {
	c.frameMu.Lock()
	c.frame = nil
	c.frameMu.Unlock()
}

// shutdown ends the connection. It never waits for the client: the close
// message is written (with a one-second limit) by a goroutine of its own,
// after the connection's writer has been stopped by closing the socket.
func (c *wsConn) shutdown(reason string) {
	c.once.Do(func() {
		close(c.done)
		c.hub.wg.Go(func() {
			c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, reason), time.Now().Add(time.Second))
			c.ws.Close()
		})
	})
}

func (c *wsConn) subscription() (graph string, events bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.graph, c.events
}

func (c *wsConn) setSubscription(graph string, events bool) {
	c.mu.Lock()
	c.graph, c.events = graph, events
	c.mu.Unlock()
}

func (c *wsConn) writeLoop(pingMillis float64) {
	ping := time.NewTicker(time.Duration(pingMillis) * time.Millisecond)
	defer ping.Stop()
	write := func(kind int, b []byte) bool {
		c.ws.SetWriteDeadline(time.Now().Add(writeWait))
		if err := c.ws.WriteMessage(kind, b); err != nil {
			c.shutdown("write failed")
			return false
		}
		return true
	}
	for {
		select {
		case <-c.done:
			return
		case b := <-c.send:
			c.queued.Add(-int64(len(b)))
			if !write(websocket.TextMessage, b) {
				return
			}
		case <-c.ready:
			if b := c.takeFrame(); b != nil && !write(websocket.BinaryMessage, b) {
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.shutdown("ping failed")
				return
			}
		}
	}
}

func (c *wsConn) readLoop(s *Server) {
	defer func() {
		c.hub.remove(c)
		c.shutdown("")
	}()
	set := s.b.Settings()
	c.ws.SetReadLimit(int64(set.Float("system.websocket.maxMessageSize")))
	timeout := time.Duration(set.Float("system.websocket.heartbeatTimeout")) * time.Millisecond
	c.ws.SetReadDeadline(time.Now().Add(timeout))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(timeout)) })
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			return // closed, timed out, or over the size limit (gorilla closes with 1009)
		}
		select {
		case <-c.done:
			return // gone: its queued requests are not carried out
		default:
		}
		if kind != websocket.TextMessage {
			c.reply(wire.Error{Type: wire.TypeError, Error: "invalid", Detail: "send JSON text messages; binary messages are not accepted"})
		} else if m, err := wire.DecodeClientMessage(data); err != nil {
			c.reply(wire.Error{Type: wire.TypeError, Error: "invalid", Detail: err.Error()})
		} else {
			c.handle(s, m)
		}
		// Handling may have taken a while (a busy session): the client is
		// not to blame for the silence meanwhile.
		c.ws.SetReadDeadline(time.Now().Add(timeout))
	}
}

func (c *wsConn) reply(v any) {
	b, err := json.Marshal(v)
	if err == nil {
		c.sendText(b, true)
	}
}

func (c *wsConn) fail(id string, err error) {
	e := c.hub.errorOf(err)
	c.reply(wire.Error{Type: wire.TypeError, ID: id, Error: e.Code, Detail: e.Detail})
}

// handle carries out one client message. It runs on the reader goroutine,
// so a client's messages are handled in order.
func (c *wsConn) handle(s *Server, m wire.ClientMessage) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() { // a client that goes away cancels what it asked for
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	switch m.Type {
	case wire.TypePing:
		c.reply(wire.Pong{Type: wire.TypePong, ID: m.ID})
	case wire.TypeSubscribe:
		id := m.Graph
		if id == "" {
			def, err := s.b.DefaultGraph(ctx)
			if err != nil {
				c.fail(m.ID, err)
				return
			}
			if def == "" {
				c.fail(m.ID, &graph.Error{Kind: graph.ErrNotFound, Field: "graph", Detail: "there are no graphs to subscribe to"})
				return
			}
			id = def
		}
		events := slices.Contains(m.Streams, wire.StreamEvents)
		positions := slices.Contains(m.Streams, wire.StreamPositions)
		// Follow the events before reading the graph's seq: every event
		// after the seq the answer gives is then delivered.
		c.hub.unsubscribe(c)
		c.clearFrame()
		c.setSubscription(id, events)
		sum, err := s.b.OpenGraph(ctx, id)
		if err != nil {
			c.setSubscription("", false)
			c.fail(m.ID, err)
			return
		}
		c.reply(wire.Subscribed{Type: wire.TypeSubscribed, ID: m.ID, Graph: id, Streams: m.Streams, Seq: sum.Seq})
		if positions {
			c.hub.subscribePositions(c, id)
		}
	case wire.TypeUnsubscribe:
		c.hub.unsubscribe(c)
		c.clearFrame()
		c.setSubscription("", false)
		c.reply(wire.Unsubscribed{Type: wire.TypeUnsubscribed, ID: m.ID})
	case wire.TypeFullFrame:
		c.hub.wantFull(c)
	case wire.TypeApply:
		id := m.Graph
		if id == "" {
			id, _ = c.subscription()
		}
		if id == "" {
			c.fail(m.ID, &graph.Error{Kind: graph.ErrInvalid, Field: "graph", Detail: "name the graph or subscribe to one first"})
			return
		}
		ch, err := s.b.Apply(ctx, "ws:"+c.id, id, m.Ops)
		if err != nil {
			c.fail(m.ID, err)
			return
		}
		c.reply(wire.Applied{Type: wire.TypeApplied, ID: m.ID, Graph: id, Events: ch.Events})
	}
}

// errorOf maps an error as the REST API does.
func (h *Hub) errorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return (&Server{}).toError(err)
}
