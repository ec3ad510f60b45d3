package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/net/wire"
	"visionflow/session"
)

// positionsBackend serves positions the test sets; the hub needs nothing
// else for ticking.
type positionsBackend struct {
	session.Backend
	pos *wire.Positions
}

func (b *positionsBackend) Positions(string) *wire.Positions { return b.pos }

func testConn() *wsConn { return newConn(nil, nil) }

// follow subscribes c to a graph's positions, as a subscribe message does.
func follow(h *Hub, c *wsConn, graphID string) {
	c.subscribe(graphID, subscription{positions: true})
	if !h.join(c, graphID, true, false, func(uint16) []byte { return []byte("{}") }) {
		panic("no stream number")
	}
	<-c.send // the answer
	c.queued.Store(0)
}

// take reads the frame a client's writer would write next.
func take(t *testing.T, c *wsConn) *wire.Frame {
	t.Helper()
	b := c.takeFrame()
	if b == nil {
		return nil
	}
	var f wire.Frame
	if err := wire.DecodeFrame(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func nodesAt(x float32, n int) []wire.NodeState {
	ns := make([]wire.NodeState, n)
	for i := range ns {
		ns[i] = wire.NodeState{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1)), Position: graph.Vec3{X: x + float32(i)}}
	}
	return ns
}

func TestHubSequenceNumbers(t *testing.T) {
	b := &positionsBackend{pos: &wire.Positions{Step: 1, Nodes: nodesAt(0, 3)}}
	h := newHub(b, nil)
	a, c := testConn(), testConn()
	a.hub, c.hub = h, h
	follow(h, a, "g")
	follow(h, c, "g")
	now := time.Now()
	h.tick(now)
	for _, x := range []*wsConn{a, c} {
		if f := take(t, x); f == nil || f.Kind != wire.FullFrame || f.Seq != 1 || len(f.Nodes) != 3 {
			t.Fatalf("first tick: %+v", f)
		}
	}
	// No new state, but a newcomer: it gets the current state as a full
	// frame with the current number, and the others get nothing.
	late := testConn()
	follow(h, late, "g")
	h.tick(now.Add(time.Millisecond))
	if f := take(t, late); f == nil || f.Kind != wire.FullFrame || f.Seq != 1 {
		t.Fatalf("newcomer: %+v", f)
	}
	if f := take(t, a); f != nil {
		t.Fatalf("a steady client got %+v without a new state", f)
	}
	// A new state with one node moved: a delta numbered 2 for everyone.
	moved := nodesAt(0, 3)
	moved[1].Position.Y = 5
	b.pos = &wire.Positions{Step: 2, Nodes: moved}
	h.tick(now.Add(2 * time.Millisecond))
	for _, x := range []*wsConn{a, c, late} {
		if f := take(t, x); f == nil || f.Kind != wire.DeltaFrame || f.Seq != 2 || len(f.Nodes) != 1 || f.Nodes[0].Position.Y != 5 {
			t.Fatalf("delta: %+v", f)
		}
	}
	// A client that did not take its frame misses the next: it is marked
	// for a full frame, which it gets at the tick after.
	moved2 := nodesAt(0, 3)
	moved2[0].Position.Y = 1
	b.pos = &wire.Positions{Step: 3, Nodes: moved2}
	h.tick(now.Add(3 * time.Millisecond)) // a, c take it; late does not
	take(t, a)
	take(t, c)
	moved3 := nodesAt(0, 3)
	moved3[0].Position.Y = 2
	b.pos = &wire.Positions{Step: 4, Nodes: moved3}
	h.tick(now.Add(4 * time.Millisecond)) // late's mailbox still full: replaced
	if f := take(t, a); f == nil || f.Seq != 4 || f.Kind != wire.DeltaFrame {
		t.Fatalf("steady client at seq 4: %+v", f)
	}
	if f := take(t, late); f == nil || f.Seq != 4 {
		t.Fatalf("lagging client's mailbox: %+v", f)
	}
	h.tick(now.Add(5 * time.Millisecond)) // no new state: the lagging one catches up
	if f := take(t, late); f == nil || f.Kind != wire.FullFrame || f.Seq != 4 {
		t.Fatalf("catch-up frame: %+v", f)
	}
	if f := take(t, a); f != nil {
		t.Fatalf("steady client got %+v", f)
	}
	// A node goes: everyone gets the next state whole.
	b.pos = &wire.Positions{Step: 5, Nodes: moved3[:2]}
	h.tick(now.Add(6 * time.Millisecond))
	for _, x := range []*wsConn{a, c, late} {
		if f := take(t, x); f == nil || f.Kind != wire.FullFrame || f.Seq != 5 || len(f.Nodes) != 2 {
			t.Fatalf("after a removal: %+v", f)
		}
	}
}

// BenchmarkHubTick measures one hub tick for a graph whose every node
// moved, with 8 subscribers: the diff, one delta encoding, 8 mailboxes.
func BenchmarkHubTick(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			be := &positionsBackend{pos: &wire.Positions{Step: 1, Nodes: nodesAt(0, n)}}
			h := newHub(be, nil)
			conns := make([]*wsConn, 8)
			for i := range conns {
				conns[i] = testConn()
				follow(h, conns[i], "g")
			}
			now := time.Now()
			h.tick(now)
			frames := [2]*wire.Positions{{Nodes: nodesAt(1, n)}, {Nodes: nodesAt(2, n)}}
			step := uint64(1)
			for b.Loop() {
				step++
				p := frames[step%2]
				p.Step = step
				be.pos = p
				for _, c := range conns {
					c.takeFrame()
				}
				now = now.Add(time.Millisecond) // within the 2 s between periodic full frames
				h.tick(now)
			}
		})
	}
}

// twoGraphs serves positions for two graphs and agent changes for one.
type twoGraphs struct {
	session.Backend
	pos map[string]*wire.Positions
	ver uint64
}

func (b *twoGraphs) Positions(g string) *wire.Positions { return b.pos[g] }

func (b *twoGraphs) AgentChanges(swarm string, since uint64) session.AgentDelta {
	if swarm != "crew" {
		return session.AgentDelta{}
	}
	d := session.AgentDelta{Exists: true, Version: b.ver}
	if since < b.ver {
		d.Agents = []agent.Agent{{ID: "a", State: agent.Thinking}}
	}
	return d
}

// One connection follows a knowledge graph and a swarm: each graph's
// frames carry its own stream number, the same for every subscriber; the
// swarm's agent status comes once per change, all of it to a newcomer.
func TestHubStreamsSeveralGraphsPerConnection(t *testing.T) {
	b := &twoGraphs{pos: map[string]*wire.Positions{
		"kg":   {Step: 1, Nodes: nodesAt(0, 3)},
		"crew": {Step: 1, Nodes: []wire.NodeState{{ID: graph.MakeWireID(graph.Agents, 1)}}},
	}, ver: 1}
	h := newHub(b, nil)
	c, other := testConn(), testConn()
	c.hub, other.hub = h, h
	follow(h, c, "kg")
	c.subscribe("crew", subscription{positions: true, agents: true})
	h.join(c, "crew", true, true, func(uint16) []byte { return []byte("{}") })
	<-c.send
	follow(h, other, "crew")
	h.tick(time.Now())
	got := map[uint16]int{}
	for f := take(t, c); f != nil; f = take(t, c) {
		got[f.Stream] = len(f.Nodes)
	}
	kg, crew := h.streams["kg"].num, h.streams["crew"].num
	if kg == crew || got[kg] != 3 || got[crew] != 1 || len(got) != 2 {
		t.Fatalf("frames by stream %v; kg is %d, crew %d", got, kg, crew)
	}
	if f := take(t, other); f == nil || f.Stream != crew {
		t.Fatalf("the other subscriber's frame: %+v, want stream %d", f, crew)
	}
	status := func(conn *wsConn) int {
		n := 0
		for {
			select {
			case m := <-conn.send:
				if strings.Contains(string(m), `"agentStatus"`) {
					n++
				}
			default:
				return n
			}
		}
	}
	if n := status(c); n != 1 {
		t.Fatalf("%d agentStatus messages after the first tick, want the whole swarm once", n)
	}
	h.tick(time.Now())
	if n := status(c); n != 0 {
		t.Fatalf("%d agentStatus messages without a change", n)
	}
	b.ver = 2
	h.tick(time.Now())
	if n := status(c); n != 1 {
		t.Fatalf("%d agentStatus messages after a change", n)
	}
	if n := status(other); n != 0 {
		t.Fatalf("a positions-only subscriber got %d agentStatus messages", n)
	}
	// Leaving one graph leaves the other.
	h.leave(c, "kg")
	if _, ok := h.streams["kg"]; ok {
		t.Fatal("a stream without subscribers stays")
	}
	if _, ok := h.streams["crew"].subs[c]; !ok {
		t.Fatal("leaving one graph left the other")
	}
}
