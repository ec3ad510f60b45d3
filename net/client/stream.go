package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/net/wire"
)

// Stream is a live WebSocket connection to a server. It may follow
// several graphs at once; for each graph whose positions it subscribed to
// it keeps the positions up to date from full and delta frames, and when a
// frame's sequence number shows that one was missed, it asks for a full
// frame and ignores deltas until that arrives, so the positions it holds
// are always a state the server sent.
type Stream struct {
	ws    *websocket.Conn
	hello wire.Hello

	mu    sync.Mutex
	subs  map[string]*followed // by graph
	byNum map[uint16]*followed // by the stream number in frame headers
	stats StreamStats

	writeMu  sync.Mutex
	nextID   atomic.Uint64
	waitMu   sync.Mutex
	waiters  map[string]chan Message
	messages chan Message
	done     chan struct{}
	err      error
	frame    wire.Frame
	frameV2  wire.FrameV2
	lostMsgs bool // messages were dropped; reader goroutine only
	hook     atomic.Pointer[func(graph string, kind uint8, seq uint64, nodes int, at time.Time)]
	// subHook is told of every subscription answer on the reading
	// goroutine, before any message that follows it is handed on.
	subHook atomic.Pointer[func(wire.Subscribed)]
}

// followed is the positions held for one subscribed graph.
type followed struct {
	graph   string
	num     uint16
	slots   []wire.NodeState                // by wire index, for indices below slotLimit; ID 0: empty
	far     map[graph.WireID]wire.NodeState // the rest
	count   int                             // nodes held
	seq     uint64
	synced  bool
	changed chan struct{} // closed and replaced when positions change
}

func (f *followed) reset() {
	clear(f.slots)
	f.far = nil
	f.count = 0
}

// Lost is the type of a message the stream makes itself: messages were
// dropped before it because the reader fell more than 4096 behind, so what
// was built from them must be fetched again.
const Lost = "lost"

// Message is a JSON message from the server that is not an answer to a
// request of this stream: events, settings, reloads, errors without id.
type Message struct {
	Type string
	Raw  json.RawMessage
}

// StreamStats count what a stream received.
type StreamStats struct {
	Frames, FullFrames, DeltaFrames int
	Gaps                            int   // missed frames noticed (each led to a full-frame request)
	Bytes                           int64 // of frames
	LastFrame                       time.Time
}

// MessageError is the server's refusal of a stream request.
type MessageError struct {
	Request string // the request's type
	Code    string // "invalid", "not found", "forbidden", …
	Detail  string
}

func (e *MessageError) Error() string { return fmt.Sprintf("%s: %s: %s", e.Request, e.Code, e.Detail) }

// Stream connects to the server's WebSocket and reads its hello.
func (c *Client) Stream(ctx context.Context) (*Stream, error) { return c.stream(ctx, -1) }

// stream connects; with settingsSince ≥ 0 the server first sends the
// settings changes after that one.
func (c *Client) stream(ctx context.Context, settingsSince int64) (*Stream, error) {
	u := "ws" + strings.TrimPrefix(c.base, "http") + "/ws"
	if settingsSince >= 0 {
		u += fmt.Sprintf("?settingsSince=%d", settingsSince)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 64 << 10}
	hdr := http.Header{}
	if c.id != "" {
		hdr.Set("X-Client-ID", c.id)
	}
	if c.token != "" {
		hdr.Set("Authorization", "Bearer "+c.token)
	}
	ws, resp, err := d.DialContext(ctx, u, hdr)
	if err != nil {
		if resp != nil {
			e := &Error{Status: resp.StatusCode}
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if json.Unmarshal(b, e) == nil && e.Code != "" {
				return nil, fmt.Errorf("connect to %s: %w", u, e)
			}
			return nil, fmt.Errorf("connect to %s: %s: %w", u, resp.Status, err)
		}
		return nil, fmt.Errorf("connect to %s: %w", u, err)
	}
	s := &Stream{ws: ws, waiters: map[string]chan Message{}, subs: map[string]*followed{}, byNum: map[uint16]*followed{},
		messages: make(chan Message, 4096), done: make(chan struct{})}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := ws.ReadMessage()
	if err == nil {
		err = json.Unmarshal(b, &s.hello)
	}
	if err != nil || s.hello.Type != wire.TypeHello {
		ws.Close()
		return nil, fmt.Errorf("connect to %s: no hello: %v", u, err)
	}
	if s.hello.Protocol != wire.Version {
		ws.Close()
		return nil, fmt.Errorf("connect to %s: the server speaks protocol %d, this client %d", u, s.hello.Protocol, wire.Version)
	}
	ws.SetReadDeadline(time.Time{})
	go s.read()
	return s, nil
}

// Hello is the server's greeting.
func (s *Stream) Hello() wire.Hello { return s.hello }

// Messages delivers server messages that answer no request. If the reader
// falls more than 4096 behind, later ones are dropped, and a message of
// type Lost says so when there is room again.
func (s *Stream) Messages() <-chan Message { return s.messages }

// Done is closed when the connection ends; Err then says why.
func (s *Stream) Done() <-chan struct{} { return s.done }

// Err is why the connection ended.
func (s *Stream) Err() error {
	<-s.done
	return s.err
}

// Close ends the connection.
func (s *Stream) Close() error {
	s.writeMu.Lock()
	s.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	s.writeMu.Unlock()
	err := s.ws.Close()
	<-s.done
	return err
}

// Send writes a raw text message (for tests of the server's checks).
func (s *Stream) Send(text []byte) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return s.ws.WriteMessage(websocket.TextMessage, text)
}

// request sends m with a fresh id and waits for the answer with that id.
func (s *Stream) request(ctx context.Context, m wire.ClientMessage) (Message, error) {
	m.ID = fmt.Sprintf("r%d", s.nextID.Add(1))
	ch := make(chan Message, 1)
	s.waitMu.Lock()
	s.waiters[m.ID] = ch
	s.waitMu.Unlock()
	defer func() {
		s.waitMu.Lock()
		delete(s.waiters, m.ID)
		s.waitMu.Unlock()
	}()
	b, err := json.Marshal(m)
	if err != nil {
		return Message{}, err
	}
	if err := s.Send(b); err != nil {
		return Message{}, err
	}
	select {
	case reply := <-ch:
		if reply.Type == wire.TypeError {
			var e wire.Error
			json.Unmarshal(reply.Raw, &e)
			return reply, &MessageError{Request: m.Type, Code: e.Error, Detail: e.Detail}
		}
		return reply, nil
	case <-s.done:
		return Message{}, fmt.Errorf("%s: connection closed: %w", m.Type, s.err)
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// Subscribe follows a graph (empty: the server's default) with the given
// streams (none: all of them). Subscribing again to the same graph
// replaces its streams. Positions arrive from the next full frame.
func (s *Stream) Subscribe(ctx context.Context, graphID string, streams ...string) (wire.Subscribed, error) {
	reply, err := s.request(ctx, wire.ClientMessage{Type: wire.TypeSubscribe, Graph: graphID, Streams: streams})
	var sub wire.Subscribed
	if err == nil {
		err = json.Unmarshal(reply.Raw, &sub)
	}
	return sub, err
}

// SubscribeSince follows a graph like Subscribe, as a client that has its
// events up to since: the server sends the events after since first (the
// answer's Replayed says how many), or answers Stale when it cannot.
func (s *Stream) SubscribeSince(ctx context.Context, graphID string, since uint64, streams ...string) (wire.Subscribed, error) {
	return s.SubscribeWith(ctx, graphID, SubscribeOptions{Streams: streams, Since: &since})
}

// SubscribeOptions are what a subscribe may ask beyond the graph.
type SubscribeOptions struct {
	Streams []string // none: all of them
	Since   *uint64  // the last event held (see SubscribeSince)
	// Frames is the position frames' format: wire.FramesV1 (the default)
	// or wire.FramesV2, a fifth of the bytes for large graphs, positions
	// within half a 65535th of the graph's extent plus the server's
	// tolerance; Velocities asks v2 frames to carry velocities.
	Frames     string
	Velocities bool
}

// SubscribeWith follows a graph as the options say. Positions, however
// they travel, are read the same way (Positions, Nodes).
func (s *Stream) SubscribeWith(ctx context.Context, graphID string, o SubscribeOptions) (wire.Subscribed, error) {
	reply, err := s.request(ctx, wire.ClientMessage{Type: wire.TypeSubscribe, Graph: graphID, Streams: o.Streams, Since: o.Since,
		Frames: o.Frames, Velocities: o.Velocities})
	var sub wire.Subscribed
	if err == nil {
		err = json.Unmarshal(reply.Raw, &sub)
	}
	return sub, err
}

// onSubscribed starts following a graph. It runs on the reading goroutine
// as the answer arrives, before any frame of the subscription (the server
// writes the answer first), so the stream number is known when they come.
// It returns the answer when it says the subscription is stale.
func (s *Stream) onSubscribed(b []byte) *wire.Subscribed {
	var sub wire.Subscribed
	if json.Unmarshal(b, &sub) != nil {
		return nil
	}
	if hook := s.subHook.Load(); hook != nil {
		(*hook)(sub)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetLocked(sub.Graph)
	f := &followed{graph: sub.Graph, num: sub.Stream, changed: make(chan struct{})}
	s.subs[sub.Graph] = f
	if slices.Contains(sub.Streams, wire.StreamPositions) {
		s.byNum[sub.Stream] = f
	}
	if sub.Stale {
		return &sub
	}
	return nil
}

// Unsubscribe stops following a graph ("": every graph).
func (s *Stream) Unsubscribe(ctx context.Context, graphID string) error {
	s.mu.Lock()
	if graphID == "" {
		for id := range s.subs {
			s.forgetLocked(id)
		}
	} else {
		s.forgetLocked(graphID)
	}
	s.mu.Unlock()
	_, err := s.request(ctx, wire.ClientMessage{Type: wire.TypeUnsubscribe, Graph: graphID})
	return err
}

func (s *Stream) forgetLocked(graphID string) {
	if f := s.subs[graphID]; f != nil {
		delete(s.subs, graphID)
		if s.byNum[f.num] == f {
			delete(s.byNum, f.num)
		}
		close(f.changed)
	}
}

// Apply sends ops to be applied to a graph as one transaction.
func (s *Stream) Apply(ctx context.Context, graphID string, ops []graph.Op) (wire.Applied, error) {
	reply, err := s.request(ctx, wire.ClientMessage{Type: wire.TypeApply, Graph: graphID, Ops: ops})
	var a wire.Applied
	if err == nil {
		err = json.Unmarshal(reply.Raw, &a)
	}
	return a, err
}

// SetPresence tells the graph's other clients where this one is (its
// selection, camera, what it edits). It does not wait for an answer.
func (s *Stream) SetPresence(p wire.Presence) error {
	b, err := json.Marshal(wire.ClientMessage{Type: wire.TypePresence, Presence: &p})
	if err != nil {
		return err
	}
	return s.Send(b)
}

// ApplyAt is Apply for ops made on the graph as of seq base (an
// optimistic edit): the answer's Rebased says how many events of others
// they were committed after.
func (s *Stream) ApplyAt(ctx context.Context, graphID string, base uint64, ops []graph.Op) (wire.Applied, error) {
	reply, err := s.request(ctx, wire.ClientMessage{Type: wire.TypeApply, Graph: graphID, Ops: ops, Base: &base})
	var a wire.Applied
	if err == nil {
		err = json.Unmarshal(reply.Raw, &a)
	}
	return a, err
}

// ReportStatus sends agents' status updates; the server answers once they
// are recorded. Operator commands for these agents then arrive as
// "command" messages.
func (s *Stream) ReportStatus(ctx context.Context, updates ...agent.Status) error {
	_, err := s.request(ctx, wire.ClientMessage{Type: wire.TypeAgentStatus, Updates: updates})
	return err
}

// SendMessage sends one agent's message to another.
func (s *Stream) SendMessage(ctx context.Context, m agent.Message) error {
	_, err := s.request(ctx, wire.ClientMessage{Type: wire.TypeSendMessage, Message: &m})
	return err
}

// AckCommand answers an operator's command.
func (s *Stream) AckCommand(ctx context.Context, ack agent.Ack) error {
	_, err := s.request(ctx, wire.ClientMessage{Type: wire.TypeCommandAck, Ack: &ack})
	return err
}

// Ping asks the server to answer; it returns the round trip.
func (s *Stream) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	_, err := s.request(ctx, wire.ClientMessage{Type: wire.TypePing})
	return time.Since(start), err
}

// Positions returns a copy of the positions held for a graph, the
// sequence number of the frame they come from, and whether they are in
// step with the server.
func (s *Stream) Positions(graphID string) (map[graph.WireID]wire.NodeState, uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.subs[graphID]
	if f == nil {
		return map[graph.WireID]wire.NodeState{}, 0, false
	}
	nodes := make(map[graph.WireID]wire.NodeState, f.count)
	for _, n := range f.slots {
		if n.ID != 0 {
			nodes[n.ID] = n
		}
	}
	for id, n := range f.far {
		nodes[id] = n
	}
	return nodes, f.seq, f.synced
}

// Nodes appends the positions held for a graph to dst, in wire-index
// order, without the map Positions builds (for a window that copies them
// every frame).
func (s *Stream) Nodes(graphID string, dst []wire.NodeState) ([]wire.NodeState, uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.subs[graphID]
	if f == nil {
		return dst, 0, false
	}
	for _, n := range f.slots {
		if n.ID != 0 {
			dst = append(dst, n)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(f.far)) {
		dst = append(dst, f.far[id])
	}
	return dst, f.seq, f.synced
}

// Node returns the state held of one node of a followed graph, without
// copying the rest (Positions copies every node).
func (s *Stream) Node(graphID string, id graph.WireID) (wire.NodeState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.subs[graphID]; f != nil {
		if n := f.get(id); n != nil {
			return *n, true
		}
	}
	return wire.NodeState{}, false
}

// OnFrame sets a function told about every frame as it arrives (on the
// reading goroutine: it must be quick).
func (s *Stream) OnFrame(fn func(graph string, kind uint8, seq uint64, nodes int, at time.Time)) {
	s.hook.Store(&fn)
}

// Changed returns a channel closed when a graph's positions next change
// or the graph is no longer followed; nil (a channel that never delivers)
// when it is not followed.
func (s *Stream) Changed(graphID string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.subs[graphID]; f != nil {
		return f.changed
	}
	return nil
}

// Stats returns what the stream has received so far.
func (s *Stream) Stats() StreamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Stream) read() {
	defer close(s.done)
	var buf bytes.Buffer // reused for every message: frames are large
	for {
		kind, r, err := s.ws.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		b := buf.Bytes()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code == websocket.CloseNormalClosure {
				err = nil
			}
			s.err = err
			return
		}
		if kind == websocket.BinaryMessage {
			if err := s.onFrame(b); err != nil {
				s.err = err
				s.ws.Close()
				return
			}
			continue
		}
		var head struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			s.err = fmt.Errorf("server sent a malformed message: %w", err)
			s.ws.Close()
			return
		}
		m := Message{Type: head.Type, Raw: bytes.Clone(b)}
		var stale *wire.Subscribed
		if head.Type == wire.TypeSubscribed {
			stale = s.onSubscribed(b)
		}
		if head.ID != "" {
			s.waitMu.Lock()
			ch := s.waiters[head.ID]
			s.waitMu.Unlock()
			if ch != nil {
				select {
				case ch <- m:
				default: // a second answer to one request: not ours to wait for
				}
				if stale != nil {
					// The events since the client's seq cannot be
					// replayed: whatever it built from them is to be
					// fetched again, before any newer event.
					rb, _ := json.Marshal(wire.Reload{Type: wire.TypeReload, Graph: stale.Graph, Seq: stale.Seq})
					s.enqueue(Message{Type: wire.TypeReload, Raw: rb})
				}
				continue
			}
		}
		if head.Type == wire.TypeReload {
			s.onReload(b)
		}
		s.enqueue(m)
	}
}

// enqueue hands m to Messages, or notes that it was lost.
func (s *Stream) enqueue(m Message) {
	if s.lostMsgs {
		// Say so before anything else, once there is room.
		select {
		case s.messages <- Message{Type: Lost}:
			s.lostMsgs = false
		default:
		}
	}
	select {
	case s.messages <- m:
	default:
		s.lostMsgs = true
	}
}

// onReload handles the server's word that a followed graph changed
// whole: the positions held are stale until the full frame that follows.
func (s *Stream) onReload(b []byte) {
	var r wire.Reload
	if json.Unmarshal(b, &r) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.subs[r.Graph]; f != nil {
		f.synced = false
		if r.Deleted {
			s.forgetLocked(r.Graph)
		}
	}
}

// slotLimit is the wire index up to which nodes are kept in a slice (fast
// for the frames of a live layout); nodes beyond it, in a graph that has
// seen very many nodes come and go, are kept in a map.
const slotLimit = 1 << 20

// apply stores node states by wire index.
func (f *followed) apply(nodes []wire.NodeState) {
	for _, n := range nodes {
		f.put(n)
	}
}

// applyV2 stores the nodes of a v2 frame, each completed from what is
// held of it (a v2 delta leaves out what did not change).
func (f *followed) applyV2(fr *wire.FrameV2) {
	for i := range fr.Nodes {
		n := &fr.Nodes[i]
		var prev *wire.NodeState
		if fr.Kind == wire.DeltaFrameV2 {
			prev = f.get(n.ID)
		}
		f.put(fr.NodeState(n, prev))
	}
}

// get returns the state held of a node, or nil.
func (f *followed) get(id graph.WireID) *wire.NodeState {
	i := int(id.Index())
	if i >= slotLimit {
		if n, ok := f.far[id]; ok {
			return &n
		}
		return nil
	}
	if i < len(f.slots) && f.slots[i].ID == id {
		return &f.slots[i]
	}
	return nil
}

func (f *followed) put(n wire.NodeState) {
	i := int(n.ID.Index())
	if i >= slotLimit {
		if f.far == nil {
			f.far = map[graph.WireID]wire.NodeState{}
		}
		if _, ok := f.far[n.ID]; !ok {
			f.count++
		}
		f.far[n.ID] = n
		return
	}
	if i >= len(f.slots) {
		f.slots = append(f.slots, make([]wire.NodeState, max(i+1-len(f.slots), len(f.slots)))...)
	}
	if f.slots[i].ID == 0 {
		f.count++
	}
	f.slots[i] = n
}

// frameHead is what applying a frame needs of either format.
type frameHead struct {
	full   bool
	stream uint16
	seq    uint64
	kind   uint8
	nodes  int
}

func (s *Stream) onFrame(b []byte) error {
	var head frameHead
	var apply func(f *followed)
	if wire.IsFrameV2(b) {
		if err := wire.DecodeFrameV2(b, &s.frameV2); err != nil {
			return err
		}
		fr := &s.frameV2
		head = frameHead{full: fr.Kind == wire.FullFrameV2, stream: fr.Stream, seq: fr.Seq, kind: fr.Kind, nodes: len(fr.Nodes)}
		apply = func(f *followed) { f.applyV2(fr) }
	} else {
		if err := wire.DecodeFrame(b, &s.frame); err != nil {
			return err
		}
		fr := &s.frame
		head = frameHead{full: fr.Kind == wire.FullFrame, stream: fr.Stream, seq: fr.Seq, kind: fr.Kind, nodes: len(fr.Nodes)}
		apply = func(f *followed) { f.apply(fr.Nodes) }
	}
	graphID := s.takeFrame(head, apply, len(b))
	// The hook is told after the lock is let go: it may ask the stream.
	if fn := s.hook.Load(); fn != nil && graphID != "" {
		(*fn)(graphID, head.kind, head.seq, head.nodes, time.Now())
	}
	return nil
}

// takeFrame applies a decoded frame to its graph's positions and returns
// the graph ("" when it is not followed).
func (s *Stream) takeFrame(fr frameHead, apply func(*followed), size int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Frames++
	s.stats.Bytes += int64(size)
	s.stats.LastFrame = time.Now()
	if fr.full {
		s.stats.FullFrames++
	} else {
		s.stats.DeltaFrames++
	}
	f := s.byNum[fr.stream]
	if f == nil {
		return "" // of a graph no longer followed
	}
	switch {
	case fr.full:
		f.reset()
		apply(f)
		f.seq, f.synced = fr.seq, true
	case !f.synced:
		return f.graph // waiting for the full frame already asked for
	case fr.seq != f.seq+1:
		s.stats.Gaps++
		f.synced = false
		req, _ := json.Marshal(wire.ClientMessage{Type: wire.TypeFullFrame, Graph: f.graph})
		go s.Send(req)
		return f.graph
	default:
		apply(f)
		f.seq = fr.seq
	}
	close(f.changed)
	f.changed = make(chan struct{})
	return f.graph
}
