package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"visionflow/graph"
	"visionflow/net/wire"
)

const (
	writeWait = 10 * time.Second // longest a write to one client may take
	sendQueue = 64               // messages queued per client
	// maxDrops is how many position frames in a row a client may miss
	// before it is dropped: about five seconds at 60 Hz.
	maxDrops = 300
)

// wsConn is one WebSocket client: one reader goroutine (its messages), one
// writer goroutine (its queue), and its subscription.
type wsConn struct {
	hub  *Hub
	ws   *websocket.Conn
	id   string
	send chan outMsg
	done chan struct{}
	once sync.Once

	mu        sync.Mutex
	graph     string // subscribed graph
	events    bool
	positions bool

	drops atomic.Int32 // position frames missed in a row
}

type outMsg struct {
	binary bool
	data   []byte
	close  string // a close message with this reason, then stop
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) error {
	set := s.b.Settings()
	if n := s.hub.clients(); n >= int(set.Float("system.websocket.maxConnections")) {
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Detail: fmt.Sprintf("the server has its maximum of %d WebSocket clients", n)}
	}
	up := websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 64 << 10,
		CheckOrigin:     func(r *http.Request) bool { return checkOrigin(r) == nil },
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return nil // Upgrade has answered the client
	}
	c := &wsConn{hub: s.hub, ws: ws, id: newClientID(), send: make(chan outMsg, sendQueue), done: make(chan struct{})}
	if !s.hub.add(c) {
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
	select {
	case c.send <- outMsg{data: b}:
	case <-c.done:
	default:
		if mustArrive {
			c.shutdown("too slow to keep up with changes")
		}
	}
}

// sendFrame queues a position frame; it reports false when the frame was
// dropped because the client is behind.
func (c *wsConn) sendFrame(b []byte) bool {
	select {
	case c.send <- outMsg{binary: true, data: b}:
		c.drops.Store(0)
		return true
	case <-c.done:
		return true
	default:
		if c.drops.Add(1) > maxDrops {
			c.shutdown("too slow to take position frames")
		}
		return false
	}
}

// shutdown ends the connection with a close message carrying reason.
func (c *wsConn) shutdown(reason string) {
	c.once.Do(func() {
		close(c.done)
		deadline := time.Now().Add(time.Second)
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, reason), deadline)
		c.ws.Close()
	})
}

func (c *wsConn) wantsEvents(graphID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events && c.graph == graphID
}

func (c *wsConn) writeLoop(pingMillis float64) {
	ping := time.NewTicker(time.Duration(pingMillis) * time.Millisecond)
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			return
		case m := <-c.send:
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			kind := websocket.TextMessage
			if m.binary {
				kind = websocket.BinaryMessage
			}
			if err := c.ws.WriteMessage(kind, m.data); err != nil {
				c.shutdown("write failed")
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
		c.ws.SetReadDeadline(time.Now().Add(timeout))
		if kind != websocket.TextMessage {
			c.reply(wire.Error{Type: wire.TypeError, Error: "invalid", Detail: "send JSON text messages; binary messages are not accepted"})
			continue
		}
		m, err := wire.DecodeClientMessage(data)
		if err != nil {
			c.reply(wire.Error{Type: wire.TypeError, Error: "invalid", Detail: err.Error()})
			continue
		}
		c.handle(s, m)
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
		sum, err := s.b.OpenGraph(ctx, id)
		if err != nil {
			c.fail(m.ID, err)
			return
		}
		c.mu.Lock()
		c.graph = id
		c.events, c.positions = false, false
		for _, st := range m.Streams {
			c.events = c.events || st == wire.StreamEvents
			c.positions = c.positions || st == wire.StreamPositions
		}
		c.mu.Unlock()
		c.reply(wire.Subscribed{Type: wire.TypeSubscribed, ID: m.ID, Graph: id, Streams: m.Streams, Seq: sum.Seq})
		if c.positions {
			c.hub.subscribePositions(c, id)
		} else {
			c.hub.unsubscribe(c)
		}
	case wire.TypeUnsubscribe:
		c.hub.unsubscribe(c)
		c.mu.Lock()
		c.graph, c.events, c.positions = "", false, false
		c.mu.Unlock()
		c.reply(wire.Unsubscribed{Type: wire.TypeUnsubscribed, ID: m.ID})
	case wire.TypeFullFrame:
		c.hub.wantFull(c)
	case wire.TypeApply:
		id := m.Graph
		if id == "" {
			c.mu.Lock()
			id = c.graph
			c.mu.Unlock()
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
