package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/settings"
)

// peer is what a joined client builds from a Link: the graph from REST and
// the events after it, the settings likewise. It checks that every event
// it applies follows the one before (nothing missed, nothing twice).
type peer struct {
	t      *testing.T
	c      *client.Client
	l      *client.Link
	graph  string
	mu     sync.Mutex
	g      *graph.Graph
	set    map[string]any
	reload int
	states []client.LinkState
	done   chan struct{}
}

func joinPeer(t *testing.T, url, graphID string) *peer {
	t.Helper()
	ctx := context.Background()
	p := &peer{t: t, c: client.New(url, "peer"), graph: graphID, done: make(chan struct{})}
	l, err := p.c.Link(ctx, client.LinkOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		OnState: func(s client.LinkState, _ error) {
			p.mu.Lock()
			p.states = append(p.states, s)
			p.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	p.l = l
	if _, err := l.Subscribe(ctx, graphID, wire.StreamEvents); err != nil {
		t.Fatal(err)
	}
	p.fetch()
	p.set = flatSettings(t, p.c)
	go p.run()
	t.Cleanup(func() { l.Close(); <-p.done })
	return p
}

// fetch reads the graph whole, as a peer does at first and on a reload.
func (p *peer) fetch() {
	c, err := p.c.Graph(context.Background(), p.graph)
	if err != nil {
		p.t.Errorf("fetch: %v", err)
		return
	}
	var next uint32
	for _, n := range c.Nodes {
		next = max(next, n.WireID.Index()+1)
	}
	g, err := graph.Restore(c.Info, next, c.Nodes, c.Edges)
	if err != nil {
		p.t.Errorf("restore: %v", err)
		return
	}
	p.mu.Lock()
	p.g = g
	p.mu.Unlock()
}

func (p *peer) run() {
	defer close(p.done)
	for {
		var m client.Message
		select {
		case m = <-p.l.Messages():
		case <-p.l.Done():
			return
		}
		switch m.Type {
		case wire.TypeEvents:
			var ev wire.Events
			json.Unmarshal(m.Raw, &ev)
			p.mu.Lock()
			for _, e := range ev.Events {
				if e.Seq <= p.g.Seq {
					continue // before the fetched state
				}
				if e.Seq != p.g.Seq+1 {
					p.t.Errorf("event %d after %d: one was missed", e.Seq, p.g.Seq)
				}
				if err := p.g.Apply(e); err != nil {
					p.t.Errorf("apply %d: %v", e.Seq, err)
				}
			}
			p.mu.Unlock()
		case wire.TypeReload:
			p.mu.Lock()
			p.reload++
			p.mu.Unlock()
			p.fetch()
		case wire.TypeSettings:
			var s wire.Settings
			json.Unmarshal(m.Raw, &s)
			p.mu.Lock()
			for k, v := range s.Values {
				p.set[k] = decodeAny(v)
			}
			for _, d := range s.Deltas {
				p.set[d.Path] = decodeAny(d.New)
			}
			p.mu.Unlock()
		}
	}
}

// caughtUp waits until the peer holds exactly what the host holds.
func (p *peer) caughtUp(host *client.Client) {
	p.t.Helper()
	ctx := context.Background()
	var want graph.Contents
	var wantSet map[string]any
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		want, _ = host.Graph(ctx, p.graph)
		wantSet = flatSettings(p.t, host)
		p.mu.Lock()
		got := p.g.Contents()
		same := got.Seq == want.Seq && reflect.DeepEqual(stripPositions(got), stripPositions(want)) && reflect.DeepEqual(p.set, wantSet)
		p.mu.Unlock()
		if same {
			return
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var diff []string
	for k, v := range wantSet {
		if !reflect.DeepEqual(p.set[k], v) {
			diff = append(diff, fmt.Sprintf("%s: %v, host %v", k, p.set[k], v))
		}
	}
	p.t.Fatalf("the peer is at seq %d with %d nodes, the host at %d with %d; settings that differ: %v",
		p.g.Seq, p.g.NodeCount(), want.Seq, len(want.Nodes), diff)
}

func decodeAny(b json.RawMessage) any {
	var v any
	json.Unmarshal(b, &v)
	return v
}

// flatSettings reads a server's settings by path.
func flatSettings(t *testing.T, c *client.Client) map[string]any {
	tree, err := c.Settings(context.Background())
	if err != nil {
		t.Errorf("settings: %v", err)
		return nil
	}
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, sub := range m {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, sub)
			}
			return
		}
		b, _ := json.Marshal(v)
		out[prefix] = decodeAny(b)
	}
	walk("", tree)
	return out
}

// stripPositions keeps what events decide: the layout moves nodes without
// events.
func stripPositions(c graph.Contents) graph.Contents {
	c.Nodes = append([]graph.Node(nil), c.Nodes...)
	for i := range c.Nodes {
		c.Nodes[i].Position, c.Nodes[i].Velocity = graph.Vec3{}, graph.Vec3{}
	}
	return c
}

func writeNodes(t *testing.T, c *client.Client, graphID, prefix string, n int) {
	t.Helper()
	for i := range n {
		label := fmt.Sprintf("%s %d", prefix, i)
		if _, err := c.AddNode(context.Background(), graphID, graph.Op{ID: fmt.Sprintf("%s-%d", prefix, i), Label: &label}); err != nil {
			t.Fatal(err)
		}
	}
}

func setSetting(t *testing.T, c *client.Client, path, value string) {
	t.Helper()
	if _, err := c.SetSettings(context.Background(), settings.Update{Path: path, Value: json.RawMessage(value)}); err != nil {
		t.Fatal(err)
	}
}

// The host is stopped mid-stream and started again on the same port and
// file: the peer reconnects by itself and ends with exactly the host's
// graph and settings, every event applied once, in order, without a
// reload.
func TestLinkResumesAcrossAHostRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	ts := startServer(t, db)
	addr := ts.Addr.String()
	list, _ := ts.c.Graphs(context.Background())
	g := list[0].ID
	p := joinPeer(t, ts.url, g)
	writeNodes(t, ts.c, g, "before", 20)
	setSetting(t, ts.c, "physics.springK", "0.31")
	p.caughtUp(ts.c)

	ts.Close()
	// While the host is down the peer keeps trying.
	for deadline := time.Now().Add(10 * time.Second); p.l.State() != client.Connecting && p.l.State() != client.Reconnecting; {
		if time.Now().After(deadline) {
			t.Fatalf("the peer is %v with the host down", p.l.State())
		}
		time.Sleep(5 * time.Millisecond)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(context.Background(), Config{DB: db, Addr: addr}, ln, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	host := client.New(ts.url, "writer")
	writeNodes(t, host, g, "after", 20)
	setSetting(t, host, "physics.springK", "0.32")
	setSetting(t, host, "nodes.nodeSize", "1.5")
	p.caughtUp(host)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reload != 0 {
		t.Errorf("%d reloads: the events should have been replayed", p.reload)
	}
	if !containsSeq(p.states, client.Reconnecting, client.Connecting, client.Connected, client.Subscribed) {
		t.Errorf("states %v", p.states)
	}
}

// containsSeq reports whether want appear in order in got.
func containsSeq(got []client.LinkState, want ...client.LinkState) bool {
	i := 0
	for _, s := range got {
		if i < len(want) && s == want[i] {
			i++
		}
	}
	return i == len(want)
}

// proxy is the network between a peer and the host: cut drops every
// connection and refuses new ones until heal.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	down   bool
	wg     sync.WaitGroup
}

func startProxy(t testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			down := p.down
			p.mu.Unlock()
			if down {
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Go(func() { io.Copy(up, c); up.Close() })
			p.wg.Go(func() { io.Copy(c, up); c.Close() })
		}
	})
	t.Cleanup(func() { ln.Close(); p.cut(); p.wg.Wait() })
	return p
}

func (p *proxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) heal() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// The network between peer and host drops while the host goes on
// changing: the peer gets the missed events replayed; when they are more
// than the host replays, a reload.
func TestLinkResumesAcrossADroppedNetwork(t *testing.T) {
	ts := startServer(t, filepath.Join(t.TempDir(), "n.db"))
	defer ts.Close()
	list, _ := ts.c.Graphs(context.Background())
	g := list[0].ID
	px := startProxy(t, ts.Addr.String())
	p := joinPeer(t, px.url(), g)
	writeNodes(t, ts.c, g, "a", 5)
	p.caughtUp(ts.c)

	px.cut()
	writeNodes(t, ts.c, g, "b", 30)
	setSetting(t, ts.c, "edges.color", `"#ff00ff"`)
	px.heal()
	p.caughtUp(ts.c)
	p.mu.Lock()
	if p.reload != 0 {
		t.Errorf("%d reloads after 30 missed events", p.reload)
	}
	p.mu.Unlock()

	// Past what the host replays: a reload, and the peer is right again.
	setSetting(t, ts.c, "system.websocket.maxReplay", "10")
	p.caughtUp(ts.c)
	px.cut()
	writeNodes(t, ts.c, g, "c", 30)
	px.heal()
	p.caughtUp(ts.c)
	p.mu.Lock()
	if p.reload != 1 {
		t.Errorf("%d reloads after 30 missed events with a replay limit of 10", p.reload)
	}
	p.mu.Unlock()
	// Settings likewise: past the limit, the settings come whole.
	px.cut()
	for i := range 12 {
		setSetting(t, ts.c, "nodes.nodeSize", fmt.Sprintf("%d", 2+i%2))
	}
	setSetting(t, ts.c, "edges.color", `"#00ff00"`)
	px.heal()
	p.caughtUp(ts.c)
}

// The protocol itself: subscribe with since replays the missed events in
// order before newer ones; since ahead of the graph or too far back is
// stale (with a reload message); /ws?settingsSince= replays settings.
func TestSubscribeSinceReplays(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, filepath.Join(t.TempDir(), "r.db"))
	defer ts.Close()
	list, _ := ts.c.Graphs(ctx)
	g := list[0].ID
	before := list[0].Seq
	writeNodes(t, ts.c, g, "x", 5)
	st, err := ts.c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sub, err := st.SubscribeSince(ctx, g, before+2, wire.StreamEvents)
	if err != nil || sub.Replayed != 3 || sub.Stale || sub.Seq != before+5 {
		t.Fatalf("subscribe since %d: %+v %v", before+2, sub, err)
	}
	writeNodes(t, ts.c, g, "y", 1)
	var seqs []uint64
	for len(seqs) < 4 {
		m := <-st.Messages()
		if m.Type != wire.TypeEvents {
			continue
		}
		var ev wire.Events
		json.Unmarshal(m.Raw, &ev)
		for _, e := range ev.Events {
			seqs = append(seqs, e.Seq)
		}
	}
	if want := []uint64{before + 3, before + 4, before + 5, before + 6}; !reflect.DeepEqual(seqs, want) {
		t.Errorf("events %v, want %v", seqs, want)
	}
	for _, since := range []uint64{before + 100, 0} {
		if since == 0 {
			setSetting(t, ts.c, "system.websocket.maxReplay", "2")
		}
		sub, err = st.SubscribeSince(ctx, g, since, wire.StreamEvents)
		if err != nil || !sub.Stale || sub.Replayed != 0 {
			t.Errorf("subscribe since %d: %+v %v", since, sub, err)
		}
		for m := range st.Messages() {
			if m.Type == wire.TypeReload {
				break
			}
			if m.Type == wire.TypeEvents {
				t.Errorf("events after a stale answer: %s", m.Raw)
			}
		}
	}
	if err := st.Send([]byte(`{"type":"ping","since":3}`)); err != nil {
		t.Fatal(err)
	}
	// The answer is the next error; presence lists may come before it at
	// any time (they follow the graph's subscribers).
	for m := range st.Messages() {
		if m.Type == wire.TypePresence {
			continue
		}
		if m.Type != wire.TypeError || !strings.Contains(string(m.Raw), "ping takes no since") {
			t.Errorf("since on a ping: %s", m.Raw)
		}
		break
	}
}

// The host is killed (kill -9) mid-stream and started again on the same
// port and file: the peer reconnects and ends with exactly the host's graph
// and settings, every event once, without a reload.
func TestLinkResumesAcrossAKill9(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd, c := serverProcessAt(t, db, addr)
	list, err := c.Graphs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	g := list[0].ID
	p := joinPeer(t, "http://"+addr, g)
	writeNodes(t, c, g, "before", 10)
	setSetting(t, c, "physics.springK", "0.33")
	p.caughtUp(c)
	cmd.Process.Kill()
	cmd.Wait()
	cmd2, c2 := serverProcessAt(t, db, addr)
	defer func() { cmd2.Process.Kill(); cmd2.Wait() }()
	writeNodes(t, c2, g, "after", 10)
	setSetting(t, c2, "physics.springK", "0.34")
	p.caughtUp(c2)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reload != 0 {
		t.Errorf("%d reloads after a kill -9", p.reload)
	}
}
