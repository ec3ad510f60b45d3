package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"visionflow/agent"
	"visionflow/auth"
	"visionflow/graph"
	"visionflow/net/wire"
	"visionflow/settings"
	"visionflow/task"
)

const (
	writeWait = 10 * time.Second // longest a write to one client may take
	sendQueue = 256              // JSON messages queued per client
	textBytes = 32 << 20         // …and their bytes at most
	// maxDrops is how many position frames in a row a client may miss
	// before it is dropped: about five seconds at 60 Hz.
	maxDrops = 300
	// maxAgentsPerConn bounds the agents one connection reports for (and
	// so receives commands of).
	maxAgentsPerConn = 100_000
)

// wsConn is one WebSocket client: one reader goroutine (its messages, in
// order), one writer goroutine (its JSON queue and its frame mailboxes),
// and its subscriptions.
type wsConn struct {
	hub *Hub
	ws  *websocket.Conn
	id  string
	who auth.Principal // from the token the upgrade carried
	// secret is that token, checked again at every ping: a token revoked
	// or expired ends the connection.
	secret string
	send   chan []byte // JSON messages
	done   chan struct{}
	once   sync.Once

	queued atomic.Int64 // bytes in send

	frameMu sync.Mutex
	frames  map[uint16][]byte // by stream number: the next frame to write
	drops   map[uint16]int    // frames replaced unwritten in a row
	ready   chan struct{}     // a frame is in a mailbox

	mu   sync.Mutex
	subs map[string]subscription // by graph
	// held are the messages of a graph (and of settings) that arrived
	// while a subscription (or the connection) was being answered: they
	// go out after the answer and its replay, those the replay already
	// covered dropped, so a client gets each event once and in order.
	held         map[string][]heldMsg
	holdSettings bool
	heldSettings []heldMsg
	agents       map[agentRef]bool // agents whose status this client reports
	cmdSent      map[string]bool   // commands queued to it (each goes once)
}

// subscription is what a connection follows of one graph.
type subscription struct {
	events, positions, agents bool
}

type agentRef struct{ swarm, agent string }

// heldMsg is an encoded message and the last sequence number (event seq or
// settings change id) it carries.
type heldMsg struct {
	seq int64
	b   []byte
}

// deliver queues a graph's message, or holds it while the graph's
// subscription is being answered.
func (c *wsConn) deliver(graphID string, seq uint64, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.held[graphID]; ok {
		c.held[graphID] = append(h, heldMsg{int64(seq), b})
		return
	}
	c.sendText(b, true)
}

// release sends what was held for a graph after its answer, but for
// messages up to seq, which the answer covered.
func (c *wsConn) release(graphID string, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.held[graphID] {
		if m.seq > int64(seq) {
			c.sendText(m.b, true)
		}
	}
	delete(c.held, graphID)
}

// deliverSettings is deliver for settings changes.
func (c *wsConn) deliverSettings(seq int64, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holdSettings {
		c.heldSettings = append(c.heldSettings, heldMsg{seq, b})
		return
	}
	c.sendText(b, true)
}

func (c *wsConn) releaseSettings(seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.heldSettings {
		if m.seq > seq {
			c.sendText(m.b, true)
		}
	}
	c.holdSettings, c.heldSettings = false, nil
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) error {
	set := s.b.Settings()
	var settingsSince *int64
	if v := r.URL.Query().Get("settingsSince"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return invalid("settingsSince=%q must be the id of a settings change (a whole number, 0 or more)", v)
		}
		settingsSince = &n
	}
	limit := int(set.Float("system.websocket.maxConnections"))
	if !s.hub.reserve(limit) {
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Detail: fmt.Sprintf("the server has its maximum of %d WebSocket clients", limit)}
	}
	up := websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 64 << 10,
		CheckOrigin:     func(r *http.Request) bool { return checkOrigin(r) == nil },
		// A browser sends its token as a second subprotocol
		// (BearerProtocol+token) and must be answered with the first.
		Subprotocols: []string{"visionflow"},
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.hub.admit(nil)
		return nil // Upgrade has answered the client
	}
	c := newConn(s.hub, ws)
	c.holdSettings = true
	c.who = principal(r.Context())
	if !c.who.Anonymous() {
		c.secret, _ = bearer(r)
	}
	if !s.hub.admit(c) {
		ws.Close()
		return nil
	}
	def, _ := s.b.DefaultGraph(r.Context())
	values, seq := set.Values()
	hello, _ := json.Marshal(wire.Hello{Type: wire.TypeHello, Protocol: wire.Version, ClientID: c.id, Server: "visionflow " + s.opt.Version,
		DefaultGraph: def, SettingsSeq: seq})
	c.sendText(hello, false)
	if settingsSince != nil && *settingsSince != seq {
		c.replaySettings(r.Context(), s, *settingsSince, seq, values)
	}
	c.releaseSettings(seq)
	s.hub.wg.Add(2)
	go func() { defer s.hub.wg.Done(); c.writeLoop(s, set.Float("system.websocket.heartbeatInterval")) }()
	// A connection that neither follows a graph nor speaks for an agent
	// only holds a slot: it goes after system.websocket.subscribeTimeout.
	wait := time.Duration(set.Float("system.websocket.subscribeTimeout")) * time.Second
	s.hub.wg.Go(func() {
		t := s.hub.clock.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C():
			if !c.busy() {
				c.shutdown(fmt.Sprintf("no subscribe or agent report within %v", wait))
			}
		case <-c.done:
		}
	})
	go func() { defer s.hub.wg.Done(); c.readLoop(s) }()
	return nil
}

func newConn(h *Hub, ws *websocket.Conn) *wsConn {
	return &wsConn{hub: h, ws: ws, id: newClientID(), send: make(chan []byte, sendQueue), done: make(chan struct{}),
		ready: make(chan struct{}, 1), frames: map[uint16][]byte{}, drops: map[uint16]int{},
		subs: map[string]subscription{}, agents: map[agentRef]bool{}, cmdSent: map[string]bool{}}
}

func newClientID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "c-" + hex.EncodeToString(b)
}

// sendText queues a JSON message. A client that cannot take a message it
// must not miss (structure changes, answers) is dropped instead.
// It reports whether the message was queued.
func (c *wsConn) sendText(b []byte, mustArrive bool) bool {
	if c.queued.Add(int64(len(b))) > textBytes {
		c.queued.Add(-int64(len(b)))
		if mustArrive {
			c.shutdown("too slow to keep up with changes")
		}
		return false
	}
	select {
	case <-c.done:
		c.queued.Add(-int64(len(b)))
		return false
	default:
	}
	select {
	case c.send <- b:
		return true
	case <-c.done:
		c.queued.Add(-int64(len(b)))
	default:
		c.queued.Add(-int64(len(b)))
		if mustArrive {
			c.shutdown("too slow to keep up with changes")
		}
	}
	return false
}

// sendCommand queues an operator's command for the agent this client
// reports, once per connection, and reports whether it did.
func (c *wsConn) sendCommand(cmd agent.Command) bool {
	c.mu.Lock()
	if c.cmdSent[cmd.ID] {
		c.mu.Unlock()
		return false
	}
	c.cmdSent[cmd.ID] = true
	c.mu.Unlock()
	b, err := json.Marshal(wire.CommandMsg{Type: wire.TypeCommand, Command: cmd})
	if err != nil || !c.sendText(b, true) {
		c.mu.Lock()
		delete(c.cmdSent, cmd.ID)
		c.mu.Unlock()
		return false
	}
	return true
}

// offerFrame puts a position frame of stream num in its mailbox. It
// reports false when it replaced a frame the client had not taken yet: the
// client has missed that one and must be sent a full frame. A client that
// misses maxDrops in a row of one stream is dropped.
func (c *wsConn) offerFrame(num uint16, b []byte) bool {
	c.frameMu.Lock()
	_, missed := c.frames[num]
	c.frames[num] = b
	if missed {
		c.drops[num]++
	} else {
		c.drops[num] = 0
	}
	drop := c.drops[num] > maxDrops
	c.frameMu.Unlock()
	if missed && c.hub != nil {
		c.hub.metrics.FrameReplaced()
	}
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

// takeFrame returns a frame waiting in a mailbox, or nil.
func (c *wsConn) takeFrame() []byte {
	c.frameMu.Lock()
	defer c.frameMu.Unlock()
	for num, b := range c.frames {
		delete(c.frames, num)
		return b
	}
	return nil
}

// clearFrame drops an unwritten frame of a stream no longer subscribed.
func (c *wsConn) clearFrame(num uint16) {
	c.frameMu.Lock()
	delete(c.frames, num)
	delete(c.drops, num)
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

func (c *wsConn) subscription(graphID string) (subscription, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sub, ok := c.subs[graphID]
	return sub, ok
}

// subscribe records what the connection follows of a graph, refusing a
// new graph past the limit.
func (c *wsConn) subscribe(graphID string, sub subscription) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.subs[graphID]; !ok && len(c.subs) >= wire.MaxSubscriptions {
		return false
	}
	c.subs[graphID] = sub
	if c.held == nil {
		c.held = map[string][]heldMsg{}
	}
	c.held[graphID] = []heldMsg{} // until release
	return true
}

func (c *wsConn) dropSubscription(graphID string) {
	c.mu.Lock()
	delete(c.subs, graphID)
	delete(c.held, graphID)
	c.mu.Unlock()
}

// subscribed lists the graphs the connection follows.
func (c *wsConn) subscribed() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.subs))
}

// busy reports whether the connection follows a graph or reports agents.
func (c *wsConn) busy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subs) > 0 || len(c.agents) > 0
}

// speaksFor reports whether the client reports this agent's status.
func (c *wsConn) speaksFor(swarm, agentID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.agents[agentRef{swarm, agentID}]
}

// reportsFor records that the client reports these agents' status and
// returns those it did not report before.
func (c *wsConn) reportsFor(refs []agentRef) (added []agentRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range refs {
		if !c.agents[r] && len(c.agents) < maxAgentsPerConn {
			c.agents[r] = true
			added = append(added, r)
		}
	}
	return added
}

func (c *wsConn) writeLoop(s *Server, pingMillis float64) {
	ping := c.hub.clock.NewTicker(time.Duration(pingMillis) * time.Millisecond)
	defer ping.Stop()
	write := func(kind int, b []byte) bool {
		c.ws.SetWriteDeadline(time.Now().Add(writeWait))
		if err := c.ws.WriteMessage(kind, b); err != nil {
			c.shutdown("write failed")
			return false
		}
		if kind == websocket.BinaryMessage {
			s.opt.Metrics.SentFrame(len(b))
		} else {
			s.opt.Metrics.SentJSON(messageType(b), len(b))
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
			// JSON queued before the frame goes first: a subscription's
			// answer precedes its first frame.
			for pending := true; pending; {
				select {
				case b := <-c.send:
					c.queued.Add(-int64(len(b)))
					if !write(websocket.TextMessage, b) {
						return
					}
				default:
					pending = false
				}
			}
			for b := c.takeFrame(); b != nil; b = c.takeFrame() {
				if !write(websocket.BinaryMessage, b) {
					return
				}
			}
		case <-ping.C():
			if reason := c.tokenGone(s); reason != "" {
				c.shutdown(reason)
				return
			}
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
		c.hub.messages.Add(1)
		s.opt.Metrics.Received(len(data))
		if kind != websocket.TextMessage {
			s.opt.Metrics.Message("invalid")
			c.reply(wire.Error{Type: wire.TypeError, Error: "invalid", Detail: "send JSON text messages; binary messages are not accepted"})
		} else if m, err := wire.DecodeClientMessage(data); err != nil {
			s.opt.Metrics.Message("invalid")
			c.reply(wire.Error{Type: wire.TypeError, ID: requestID(data), Error: "invalid", Detail: err.Error()})
		} else {
			s.opt.Metrics.Message(m.Type)
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
	who := "ws:" + c.id
	if !c.who.Anonymous() {
		who = c.who.Name
	}
	if err := c.who.Allow(messageAction(m.Type)); err != nil {
		c.fail(m.ID, err)
		return
	}
	if a := s.opt.Access; a != nil {
		if wait := a.take(c.who); wait > 0 {
			c.reply(wire.Error{Type: wire.TypeError, ID: m.ID, Error: "rate limited", Detail: fmt.Sprintf(
				"token %q sent more than its %g messages a second; this one was not carried out; retry after %v", c.who.Name, a.rate(), wait.Round(time.Millisecond))})
			return
		}
	}
	ok := func() {
		if m.ID != "" {
			c.reply(wire.OK{Type: wire.TypeOK, ID: m.ID})
		}
	}
	switch m.Type {
	case wire.TypePresence:
		c.setPresence(*m.Presence)
		ok()
	case wire.TypePing:
		c.reply(wire.Pong{Type: wire.TypePong, ID: m.ID})
	case wire.TypeSubscribe:
		c.subscribeTo(ctx, s, m)
	case wire.TypeUnsubscribe:
		graphs := []string{m.Graph}
		if m.Graph == "" {
			graphs = c.subscribed()
		}
		for _, id := range graphs {
			c.dropSubscription(id)
			c.hub.leave(c, id)
		}
		c.reply(wire.Unsubscribed{Type: wire.TypeUnsubscribed, ID: m.ID, Graph: m.Graph})
	case wire.TypeFullFrame:
		c.hub.wantFull(c, m.Graph)
	case wire.TypeApply:
		id := m.Graph
		if id == "" {
			if subs := c.subscribed(); len(subs) == 1 {
				id = subs[0]
			}
		}
		if id == "" {
			c.fail(m.ID, &graph.Error{Kind: graph.ErrInvalid, Field: "graph", Detail: "name the graph (the connection does not follow exactly one)"})
			return
		}
		ch, err := s.b.Apply(ctx, who, id, m.Ops)
		if err != nil {
			c.fail(m.ID, err)
			return
		}
		a := wire.Applied{Type: wire.TypeApplied, ID: m.ID, Graph: id, Events: ch.Events}
		if m.Base != nil && len(ch.Events) > 0 && ch.Events[0].Seq > *m.Base {
			a.Rebased = ch.Events[0].Seq - 1 - *m.Base
		}
		c.reply(a)
	case wire.TypeAgentStatus:
		if _, err := s.b.ReportStatus(ctx, who, m.Updates); err != nil {
			c.fail(m.ID, err)
			return
		}
		refs := make([]agentRef, len(m.Updates))
		for i, u := range m.Updates {
			refs[i] = agentRef{u.SwarmID, u.AgentID}
		}
		ok()
		// Commands that are not answered yet — queued before this
		// connection spoke for the agent, or delivered on a connection
		// that went away — go to it now.
		for _, r := range c.reportsFor(refs) {
			pending, err := s.b.PendingCommands(ctx, r.swarm, r.agent)
			if err != nil {
				continue
			}
			for _, cmd := range pending {
				if c.sendCommand(cmd) && cmd.State == agent.Queued {
					if err := s.b.CommandDelivered(ctx, cmd.ID); err != nil {
						c.hub.log.Warn("stream: command delivered but not recorded", "command", cmd.ID, "err", err)
					}
				}
			}
		}
	case wire.TypeSendMessage:
		if _, err := s.b.SendMessage(ctx, who, *m.Message); err != nil {
			c.fail(m.ID, err)
			return
		}
		ok()
	case wire.TypeClaimTask, wire.TypePlanTask, wire.TypeUpdateTask, wire.TypeCompleteTask, wire.TypeFailTask:
		t, err := c.moveTask(ctx, s, who, m)
		if err != nil {
			c.fail(m.ID, err)
			return
		}
		c.reply(wire.TaskMsg{Type: wire.TypeTask, ID: m.ID, Task: t})
	case wire.TypeCommandAck:
		if _, err := s.b.AckCommand(ctx, who, *m.Ack); err != nil {
			c.fail(m.ID, err)
			return
		}
		ok()
	}
}

// messageAction is what a client message needs its token's role to allow.
func messageAction(t string) auth.Action {
	switch t {
	case wire.TypePing, wire.TypeSubscribe, wire.TypeUnsubscribe, wire.TypeFullFrame, wire.TypePresence:
		return auth.Read
	case wire.TypeApply:
		return auth.Edit
	}
	return auth.Work // agent status, messages, task moves, command answers
}

// tokenGone says why the connection's token no longer works, if it does not.
func (c *wsConn) tokenGone(s *Server) string {
	if c.secret == "" || s.opt.Access == nil || s.opt.Access.Tokens == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.opt.Access.Tokens.Authenticate(ctx, c.secret); errors.Is(err, auth.ErrUnauthenticated) {
		return unauthenticated(err).Detail
	}
	return ""
}

// moveTask carries out an agent's move on a task.
func (c *wsConn) moveTask(ctx context.Context, s *Server, who string, m wire.ClientMessage) (*task.Task, error) {
	mv := m.Task
	switch m.Type {
	case wire.TypeClaimTask:
		return s.b.ClaimTask(ctx, who, mv.SwarmID, mv.AgentID, mv.TaskID)
	case wire.TypePlanTask:
		v, err := s.b.PlanTask(ctx, who, mv.AgentID, mv.TaskID, mv.Subtasks)
		return v.Task, err
	case wire.TypeUpdateTask:
		return s.b.UpdateTask(ctx, who, mv.AgentID, mv.TaskID, mv.Progress, mv.Note)
	case wire.TypeCompleteTask:
		return s.b.CompleteTask(ctx, who, mv.AgentID, mv.TaskID, mv.Result)
	}
	return s.b.FailTask(ctx, who, mv.AgentID, mv.TaskID, mv.Error)
}

// replaySettings sends the settings changes after since up to seq, or,
// when they are too many or since is not one of this server's, every
// setting's value.
func (c *wsConn) replaySettings(ctx context.Context, s *Server, since, seq int64, values map[string]json.RawMessage) {
	limit := int64(s.b.Settings().Float("system.websocket.maxReplay"))
	var deltas []settings.Delta
	full := since > seq || seq-since > limit
	for from := since; !full && from < seq; {
		page, err := s.b.SettingsHistory(ctx, "", from, int(min(seq-from, 10_000)))
		if err != nil || len(page) == 0 {
			full = true
			break
		}
		for _, d := range page {
			if d.ID <= seq {
				deltas = append(deltas, d)
			}
		}
		from = page[len(page)-1].ID
	}
	msg := wire.Settings{Type: wire.TypeSettings, Deltas: deltas}
	if full {
		msg = wire.Settings{Type: wire.TypeSettings, Deltas: []settings.Delta{}, Values: values}
	}
	b, err := json.Marshal(msg)
	if err == nil {
		c.sendText(b, true)
	}
}

// subscribeTo follows a graph with the streams m asks for.
func (c *wsConn) subscribeTo(ctx context.Context, s *Server, m wire.ClientMessage) {
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
	sub := subscription{
		events:    slices.Contains(m.Streams, wire.StreamEvents),
		positions: slices.Contains(m.Streams, wire.StreamPositions),
		agents:    slices.Contains(m.Streams, wire.StreamAgents),
	}
	// Follow the events before reading the graph's seq, holding them until
	// the answer is out: every event after the seq the answer gives is
	// then delivered after it, and only those.
	c.hub.leave(c, id)
	if !c.subscribe(id, sub) {
		c.fail(m.ID, &graph.Error{Kind: graph.ErrInvalid, Field: "graph", Detail: fmt.Sprintf("the connection already follows %d graphs, the most it may; unsubscribe from one first", wire.MaxSubscriptions)})
		return
	}
	sum, err := s.b.OpenGraph(ctx, id)
	if err != nil {
		c.dropSubscription(id)
		c.fail(m.ID, err)
		return
	}
	var replay []graph.Event
	stale := false
	if m.Since != nil && sub.events {
		replay, stale = c.replayOf(ctx, s, id, *m.Since, sum.Seq)
	}
	format := frameFormat{v2: m.Frames == wire.FramesV2, velocities: m.Velocities}
	answer := wire.Subscribed{Type: wire.TypeSubscribed, ID: m.ID, Graph: id, GraphType: sum.Type,
		Streams: m.Streams, Seq: sum.Seq, Replayed: len(replay), Stale: stale}
	if sub.positions {
		answer.Frames, answer.Velocities = wire.FramesV1, format.velocities
		if format.v2 {
			answer.Frames = wire.FramesV2
		}
	}
	joined := c.hub.join(c, id, sub.positions, sub.agents, format, func(num uint16) []byte {
		answer.Stream = num
		b, _ := json.Marshal(answer)
		return b
	})
	if !joined {
		c.dropSubscription(id)
		c.fail(m.ID, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Detail: "the server streams 65,535 graphs, the most it can; try again later"})
		return
	}
	for batch := range slices.Chunk(replay, maxEventBatch) {
		b, err := json.Marshal(wire.Events{Type: wire.TypeEvents, Graph: id, Events: batch})
		if err == nil {
			c.sendText(b, true)
		}
	}
	c.release(id, sum.Seq)
	c.hub.presence.touch(id) // who else is here
}

// replayOf reads a graph's events after since up to seq from its log. It
// reports stale when they cannot be replayed: too many, not in the log,
// or since ahead of the graph (a different or restored database).
func (c *wsConn) replayOf(ctx context.Context, s *Server, id string, since, seq uint64) ([]graph.Event, bool) {
	if since == seq {
		return nil, false
	}
	if since > seq || seq-since > uint64(s.b.Settings().Float("system.websocket.maxReplay")) {
		return nil, true
	}
	out := make([]graph.Event, 0, seq-since)
	for from := since; from < seq; {
		page, err := s.b.Events(ctx, id, from, int(min(seq-from, 10_000)))
		if err != nil || len(page) == 0 || page[0].Seq != from+1 {
			return nil, true
		}
		for _, ev := range page {
			if ev.Seq > seq {
				break
			}
			out = append(out, ev)
		}
		from = page[len(page)-1].Seq
	}
	return out, false
}

// errorOf maps an error as the REST API does.
func (h *Hub) errorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return (&Server{}).toError(err)
}

// requestID is the id of a message that was refused as it is, when it has
// one that could be echoed: a client waiting for the answer to its request
// then hears why, rather than nothing.
func requestID(b []byte) string {
	var m struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(b, &m) != nil || len(m.ID) > wire.MaxRequestID {
		return ""
	}
	return m.ID
}

// messageType reads the type of a JSON message the server encoded: its
// first field is "type" (wire's messages are structs that begin with it).
func messageType(b []byte) string {
	rest, ok := bytes.CutPrefix(b, []byte(`{"type":"`))
	if !ok {
		return "other"
	}
	if end := bytes.IndexByte(rest, '"'); end > 0 && end <= 32 {
		return string(rest[:end])
	}
	return "other"
}
