package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"visionflow/net/wire"
	"visionflow/settings"
)

// LinkState is where a Link stands with its server.
type LinkState int

const (
	Disconnected LinkState = iota // not connected, and not trying (closed, or refused for good)
	Connecting                    // dialling the server
	Connected                     // the WebSocket is up and greeted
	Subscribed                    // following its graphs again
	Receiving                     // messages or frames are arriving
	Reconnecting                  // the connection dropped: waiting to dial again
)

var linkStateNames = [...]string{"disconnected", "connecting", "connected", "subscribed", "receiving", "reconnecting"}

func (s LinkState) String() string {
	if int(s) < len(linkStateNames) {
		return linkStateNames[s]
	}
	return fmt.Sprintf("LinkState(%d)", int(s))
}

// LinkOptions tune a Link.
type LinkOptions struct {
	// MinBackoff and MaxBackoff bound the wait before each reconnection
	// attempt: it doubles from MinBackoff (default 250 ms) up to
	// MaxBackoff (default 5 s), each wait drawn at random between half
	// and all of it, so that peers of a restarted host do not return in
	// step.
	MinBackoff, MaxBackoff time.Duration
	// OnState is told of every change of state, with the error that
	// caused a drop; it runs on the link's goroutine and must be quick.
	OnState func(LinkState, error)
}

// Link is a Stream that survives dropped connections: when the connection
// ends it dials again with backoff and jitter, follows its graphs again
// from the last event it handed on (the server replays the ones missed,
// or says they are too many and the Link hands on a "reload"), and resumes
// settings from the last change it handed on. Its Messages carry each
// event once, in order: duplicates are dropped, and a gap becomes a
// reload of that graph. Only a refused token (401, 403) ends it for good.
type Link struct {
	c   *Client
	opt LinkOptions

	mu          sync.Mutex
	st          *Stream
	state       LinkState
	subs        map[string]*linkSub
	settingsSeq int64         // the last settings change handed on
	helloSeq    int64         // the last settings change when the connection opened
	switched    chan struct{} // closed and replaced when st is replaced

	messages chan Message
	done     chan struct{}
	err      error
	ctx      context.Context
	cancel   context.CancelFunc
}

type linkSub struct {
	streams    []string
	frames     string // as the server confirmed it
	velocities bool
	seq        uint64 // the last event handed on
}

// Link connects to the server (failing if the first connection does) and
// keeps the connection up until Close.
func (c *Client) Link(ctx context.Context, opt LinkOptions) (*Link, error) {
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 250 * time.Millisecond
	}
	if opt.MaxBackoff < opt.MinBackoff {
		opt.MaxBackoff = max(5*time.Second, opt.MinBackoff)
	}
	l := &Link{c: c, opt: opt, subs: map[string]*linkSub{}, switched: make(chan struct{}),
		messages: make(chan Message, 4096), done: make(chan struct{})}
	l.setState(Connecting, nil)
	st, err := c.stream(ctx, -1)
	if err != nil {
		l.setState(Disconnected, err)
		return nil, err
	}
	l.st, l.settingsSeq = l.watch(st), st.Hello().SettingsSeq
	l.setState(Connected, nil)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	go l.run()
	return l, nil
}

func (l *Link) setState(s LinkState, err error) {
	l.mu.Lock()
	changed := l.state != s
	l.state = s
	l.mu.Unlock()
	if changed && l.opt.OnState != nil {
		l.opt.OnState(s, err)
	}
}

// State is where the link stands now.
func (l *Link) State() LinkState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// Stream is the connection in use now; it changes after a reconnection
// (Switched says when).
func (l *Link) Stream() *Stream {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

// Switched is closed when the link next replaces its connection.
func (l *Link) Switched() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.switched
}

// Messages delivers the server's messages that answer no request, across
// connections; events once each and in order.
func (l *Link) Messages() <-chan Message { return l.messages }

// Done is closed when the link ends for good; Err says why.
func (l *Link) Done() <-chan struct{} { return l.done }

// Err is why the link ended (nil after Close).
func (l *Link) Err() error {
	<-l.done
	return l.err
}

// Close ends the link.
func (l *Link) Close() error {
	l.cancel()
	l.Stream().Close()
	<-l.done
	return nil
}

// Subscribe follows a graph (its events handed on from the answer's seq)
// and keeps following it across reconnections.
func (l *Link) Subscribe(ctx context.Context, graphID string, streams ...string) (wire.Subscribed, error) {
	return l.Stream().Subscribe(ctx, graphID, streams...) // onAnswer keeps count
}

// SubscribeWith is Subscribe with options (the frame format); they are
// asked for again after a reconnection.
func (l *Link) SubscribeWith(ctx context.Context, graphID string, o SubscribeOptions) (wire.Subscribed, error) {
	return l.Stream().SubscribeWith(ctx, graphID, o)
}

// onAnswer records a subscription as its answer arrives, on the stream's
// reading goroutine, so the events after it are counted from its seq. A
// graph followed already keeps its count (the replay runs on from it)
// unless the answer says the replay cannot be made.
func (l *Link) onAnswer(sub wire.Subscribed) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.subs[sub.Graph]
	if s == nil || sub.Stale || !slices.Contains(s.streams, wire.StreamEvents) {
		l.subs[sub.Graph] = &linkSub{streams: sub.Streams, frames: sub.Frames, velocities: sub.Velocities, seq: sub.Seq}
		return
	}
	s.streams, s.frames, s.velocities = sub.Streams, sub.Frames, sub.Velocities
}

func (l *Link) watch(st *Stream) *Stream {
	hook := l.onAnswer
	st.subHook.Store(&hook)
	return st
}

// Unsubscribe stops following a graph ("": every graph).
func (l *Link) Unsubscribe(ctx context.Context, graphID string) error {
	l.mu.Lock()
	if graphID == "" {
		clear(l.subs)
	} else {
		delete(l.subs, graphID)
	}
	l.mu.Unlock()
	return l.Stream().Unsubscribe(ctx, graphID)
}

// Changed is Stream.Changed of the connection in use.
func (l *Link) Changed(graphID string) <-chan struct{} { return l.Stream().Changed(graphID) }

// Nodes is Stream.Nodes of the connection in use.
func (l *Link) Nodes(graphID string, dst []wire.NodeState) ([]wire.NodeState, uint64, bool) {
	return l.Stream().Nodes(graphID, dst)
}

// Seq is the last event of a graph the link has handed on.
func (l *Link) Seq(graphID string) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.subs[graphID]; s != nil {
		return s.seq
	}
	return 0
}

func (l *Link) run() {
	defer close(l.done)
	defer l.setState(Disconnected, nil)
	for {
		st := l.Stream()
		dropped := l.pump(st)
		if l.ctx.Err() != nil {
			return
		}
		l.setState(Reconnecting, dropped)
		next, err := l.reconnect()
		if err != nil || next == nil {
			l.err = err // nil: closed
			return
		}
		l.mu.Lock()
		l.st = l.watch(next)
		close(l.switched)
		l.switched = make(chan struct{})
		l.mu.Unlock()
		if err := l.resubscribe(next); err != nil {
			next.Close()
			if l.ctx.Err() != nil {
				return
			}
			continue
		}
	}
}

// pump hands on st's messages until it ends; it returns why it ended.
func (l *Link) pump(st *Stream) error {
	first := true
	st.OnFrame(func(string, uint8, uint64, int, time.Time) {
		if first {
			first = false
			l.setState(Receiving, nil)
		}
	})
	// forward hands on one message; false when the link is closing.
	forward := func(m Message) bool {
		for _, out := range l.filter(m) {
			select {
			case l.messages <- out:
			case <-l.ctx.Done():
				return false
			}
		}
		return true
	}
	for {
		select {
		case m := <-st.Messages():
			if !forward(m) {
				return nil
			}
			if l.State() != Receiving {
				l.setState(Receiving, nil)
			}
		case <-st.Done():
			// What was queued before the end still counts.
			for drained := false; !drained; {
				select {
				case m := <-st.Messages():
					if !forward(m) {
						return nil
					}
				default:
					drained = true
				}
			}
			err := st.Err()
			if err == nil {
				err = errors.New("the server closed the connection")
			}
			return err
		case <-l.ctx.Done():
			return nil
		}
	}
}

// filter keeps what the consumer has not had: events after the last one
// handed on (a gap becomes a reload), settings changes after the last.
func (l *Link) filter(m Message) []Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch m.Type {
	case wire.TypeEvents:
		var ev wire.Events
		if json.Unmarshal(m.Raw, &ev) != nil || len(ev.Events) == 0 {
			return nil
		}
		s := l.subs[ev.Graph]
		if s == nil {
			return nil // no longer followed
		}
		fresh := ev.Events
		for len(fresh) > 0 && fresh[0].Seq <= s.seq {
			fresh = fresh[1:]
		}
		if len(fresh) == 0 {
			return nil
		}
		last := fresh[len(fresh)-1].Seq
		if fresh[0].Seq != s.seq+1 {
			s.seq = last
			return []Message{reloadMessage(ev.Graph, last)}
		}
		s.seq = last
		if len(fresh) == len(ev.Events) {
			return []Message{m}
		}
		ev.Events = fresh
		b, _ := json.Marshal(ev)
		return []Message{{Type: wire.TypeEvents, Raw: b}}
	case wire.TypeReload:
		var rl wire.Reload
		if json.Unmarshal(m.Raw, &rl) == nil {
			if s := l.subs[rl.Graph]; s != nil {
				s.seq = max(s.seq, rl.Seq)
				if rl.Deleted {
					delete(l.subs, rl.Graph)
				}
			}
		}
	case wire.TypeSettings:
		var set wire.Settings
		if json.Unmarshal(m.Raw, &set) != nil {
			return nil
		}
		if set.Values != nil {
			l.settingsSeq = l.helloSeq // the whole settings, as of the hello
			return []Message{m}
		}
		fresh := slices.DeleteFunc(set.Deltas, func(d settings.Delta) bool { return d.ID <= l.settingsSeq })
		if len(fresh) == 0 {
			return nil
		}
		l.settingsSeq = fresh[len(fresh)-1].ID
		set.Deltas = fresh
		b, _ := json.Marshal(set)
		return []Message{{Type: wire.TypeSettings, Raw: b}}
	}
	return []Message{m}
}

func reloadMessage(graphID string, seq uint64) Message {
	b, _ := json.Marshal(wire.Reload{Type: wire.TypeReload, Graph: graphID, Seq: seq})
	return Message{Type: wire.TypeReload, Raw: b}
}

// reconnect dials until it connects, the link closes, or the server
// refuses the client's token.
func (l *Link) reconnect() (*Stream, error) {
	wait := l.opt.MinBackoff
	for {
		d := wait/2 + rand.N(wait/2+1)
		select {
		case <-time.After(d):
		case <-l.ctx.Done():
			return nil, nil
		}
		l.setState(Connecting, nil)
		l.mu.Lock()
		since := l.settingsSeq
		l.mu.Unlock()
		ctx, cancel := context.WithTimeout(l.ctx, 15*time.Second)
		st, err := l.c.stream(ctx, since)
		cancel()
		if err == nil {
			l.setState(Connected, nil)
			// The changes after settingsSeq (or all settings) come first.
			l.mu.Lock()
			l.helloSeq = st.Hello().SettingsSeq
			l.mu.Unlock()
			return st, nil
		}
		if l.ctx.Err() != nil {
			return nil, nil
		}
		var e *Error
		if errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden) {
			return nil, fmt.Errorf("the server refused this client: %w", err)
		}
		l.setState(Reconnecting, err)
		wait = min(2*wait, l.opt.MaxBackoff)
	}
}

// resubscribe follows every graph again on st from where the link is.
func (l *Link) resubscribe(st *Stream) error {
	l.mu.Lock()
	type want struct {
		graph string
		opt   SubscribeOptions
	}
	var ws []want
	for g, s := range l.subs {
		since := s.seq
		o := SubscribeOptions{Streams: s.streams, Since: &since, Velocities: s.velocities}
		if s.frames == wire.FramesV2 {
			o.Frames = s.frames // v1, the default, is not named: an older server knows no frames
		}
		ws = append(ws, want{g, o})
	}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(l.ctx, time.Minute)
	defer cancel()
	for _, w := range ws {
		// A stale answer comes with a reload message of its own.
		if _, err := st.SubscribeWith(ctx, w.graph, w.opt); err != nil {
			var me *MessageError
			if errors.As(err, &me) && me.Code == "not found" {
				// The graph went while the link was away.
				l.mu.Lock()
				delete(l.subs, w.graph)
				l.mu.Unlock()
				b, _ := json.Marshal(wire.Reload{Type: wire.TypeReload, Graph: w.graph, Deleted: true})
				select {
				case l.messages <- Message{Type: wire.TypeReload, Raw: b}:
				case <-l.ctx.Done():
				}
				continue
			}
			return err
		}
	}
	l.setState(Subscribed, nil)
	return nil
}
