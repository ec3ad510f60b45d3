package api

import (
	"fmt"
	"slices"
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
	followAs(h, c, graphID, frameFormat{})
}

// followAs subscribes c to a graph's positions in a frame format.
func followAs(h *Hub, c *wsConn, graphID string, format frameFormat) {
	c.subscribe(graphID, subscription{positions: true})
	if !h.join(c, graphID, true, false, format, func(uint16) []byte { return []byte("{}") }) {
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
	h.join(c, "crew", true, true, frameFormat{}, func(uint16) []byte { return []byte("{}") })
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

// spanNodes makes n nodes spread along x over 4096 units, so the hub's
// tolerance (1/4096 of the largest extent) is 1 unit.
func spanNodes(n int) []wire.NodeState {
	ns := make([]wire.NodeState, n)
	for i := range ns {
		ns[i] = wire.NodeState{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1)), Position: graph.Vec3{X: float32(i) * 4096 / float32(n-1)}, Value: 1}
	}
	return ns
}

// A layout moves every node a little at every step: a delta carries only
// the nodes that are more than the tolerance away from where clients hold
// them, measured from what was sent (so slow drift is sent once it adds
// up), a full frame sent to catch one client up carries that same state,
// and when the layout stops what is left goes in one last delta.
func TestHubDeltasSkipMotionWithinTolerance(t *testing.T) {
	nodes := spanNodes(5)
	b := &positionsBackend{pos: &wire.Positions{Step: 1, Nodes: nodes}}
	h := newHub(b, nil)
	a := testConn()
	a.hub = h
	follow(h, a, "g")
	now := time.Unix(1000, 0)
	h.tick(now)
	if f := take(t, a); f == nil || f.Kind != wire.FullFrame || f.Seq != 1 {
		t.Fatalf("first frame %+v", f)
	}
	step := uint64(1)
	publish := func(change func(ns []wire.NodeState)) {
		ns := slices.Clone(b.pos.Nodes)
		change(ns)
		step++
		b.pos = &wire.Positions{Step: step, Nodes: ns}
		now = now.Add(100 * time.Millisecond)
		h.tick(now)
	}
	// Every node moves 0.6: within the tolerance, nothing is sent.
	publish(func(ns []wire.NodeState) {
		for i := range ns {
			ns[i].Position.Y += 0.6
		}
	})
	if f := take(t, a); f != nil {
		t.Fatalf("a move within the tolerance was sent: %+v", f)
	}
	// Node 1 moves 0.6 again: 1.2 from what was sent, so it goes, where
	// it is now; node 2's value changes by a hair, which goes at once.
	publish(func(ns []wire.NodeState) {
		ns[0].Position.Y += 0.6
		ns[1].Value = 1.0001
	})
	f := take(t, a)
	if f == nil || f.Kind != wire.DeltaFrame || f.Seq != 2 || len(f.Nodes) != 2 ||
		f.Nodes[0].Position.Y != 1.2 || f.Nodes[1].Value != 1.0001 || f.Nodes[1].Position.Y != 0.6 {
		t.Fatalf("delta %+v", f)
	}
	// A newcomer gets state 2 — what the others hold — not the layout's.
	late := testConn()
	late.hub = h
	follow(h, late, "g")
	now = now.Add(time.Millisecond)
	h.tick(now)
	f = take(t, late)
	if f == nil || f.Kind != wire.FullFrame || f.Seq != 2 || f.Nodes[0].Position.Y != 1.2 || f.Nodes[2].Position.Y != 0 {
		t.Fatalf("catch-up frame %+v", f)
	}
	if f := take(t, a); f != nil {
		t.Fatalf("a steady client got %+v", f)
	}
	// The layout stops. Nothing goes until it has been still a while;
	// then the nodes left behind go as they are, numbered 3.
	now = now.Add(settleAfter / 2)
	h.tick(now)
	if f := take(t, a); f != nil {
		t.Fatalf("sent %+v before the layout was still for %v", f, settleAfter)
	}
	now = now.Add(settleAfter)
	h.tick(now)
	for _, c := range []*wsConn{a, late} {
		f := take(t, c)
		if f == nil || f.Kind != wire.DeltaFrame || f.Seq != 3 || len(f.Nodes) != 3 {
			t.Fatalf("the last delta %+v", f)
		}
		for _, n := range f.Nodes {
			if n.Position.Y != 0.6 {
				t.Fatalf("node %v at %v after the layout stopped", n.ID, n.Position)
			}
		}
	}
	now = now.Add(time.Second)
	h.tick(now)
	if f := take(t, a); f != nil {
		t.Fatalf("the still layout sent %+v", f)
	}
	// Two seconds after the last full frame, the next state goes whole:
	// exactly the layout's, within tolerance or not.
	now = now.Add(fullFrameEvery)
	publish(func(ns []wire.NodeState) {
		ns[0].Position.Z += 5
		ns[3].Position.Z += 0.5
	})
	f = take(t, a)
	if f == nil || f.Kind != wire.FullFrame || f.Seq != 4 || f.Nodes[3].Position.Z != 0.5 {
		t.Fatalf("periodic full frame %+v", f)
	}
}

// An engine that lists its nodes in another order has not changed the
// graph: deltas go on, matched by id.
func TestHubFollowsNodesByIDWhenReordered(t *testing.T) {
	b := &positionsBackend{pos: &wire.Positions{Step: 1, Nodes: spanNodes(4)}}
	h := newHub(b, nil)
	a := testConn()
	a.hub = h
	follow(h, a, "g")
	now := time.Unix(1000, 0)
	h.tick(now)
	take(t, a)
	ns := slices.Clone(b.pos.Nodes)
	slices.Reverse(ns)
	ns[0].Position.Y = 100 // node 4
	b.pos = &wire.Positions{Step: 2, Nodes: ns}
	h.tick(now.Add(time.Millisecond))
	if f := take(t, a); f == nil || f.Kind != wire.DeltaFrame || len(f.Nodes) != 1 || f.Nodes[0].ID != ns[0].ID {
		t.Fatalf("after reordering: %+v", f)
	}
	// The same count but another node: the graph changed.
	ns = slices.Clone(ns)
	ns[1].ID = graph.MakeWireID(graph.Knowledge, 99)
	b.pos = &wire.Positions{Step: 3, Nodes: ns}
	h.tick(now.Add(2 * time.Millisecond))
	if f := take(t, a); f == nil || f.Kind != wire.FullFrame || f.Seq != 3 {
		t.Fatalf("after a node was replaced: %+v", f)
	}
}

// A node added goes out in a delta, however the engine orders it; a node
// gone needs a full frame.
func TestHubSendsAddedNodesInADelta(t *testing.T) {
	b := &positionsBackend{pos: &wire.Positions{Step: 1, Nodes: spanNodes(4)}}
	h := newHub(b, nil)
	a := testConn()
	a.hub = h
	follow(h, a, "g")
	now := time.Unix(1000, 0)
	h.tick(now)
	take(t, a)
	added := wire.NodeState{ID: graph.MakeWireID(graph.Knowledge, 50)} // at the origin, value and flags 0
	first := append(slices.Clone(b.pos.Nodes), added)                  // after the others
	// Then one listed first, the rest moved along.
	second := append([]wire.NodeState{{ID: graph.MakeWireID(graph.Knowledge, 51)}}, first...)
	for step, ns := range [][]wire.NodeState{first, second} {
		want := ns[len(ns)-1].ID
		if step == 1 {
			want = ns[0].ID
		}
		b.pos = &wire.Positions{Step: uint64(step + 2), Nodes: ns}
		h.tick(now.Add(time.Duration(step+1) * time.Millisecond))
		if f := take(t, a); f == nil || f.Kind != wire.DeltaFrame || len(f.Nodes) != 1 || f.Nodes[0].ID != want {
			t.Fatalf("after adding %v: %+v", want, f)
		}
	}
	b.pos = &wire.Positions{Step: 9, Nodes: b.pos.Nodes[1:]}
	h.tick(now.Add(time.Second))
	if f := take(t, a); f == nil || f.Kind != wire.FullFrame {
		t.Fatalf("after a node went: %+v", f)
	}
}

// takeV2 reads the v2 frame a client's writer would write next.
func takeV2(t *testing.T, c *wsConn) *wire.FrameV2 {
	t.Helper()
	b := c.takeFrame()
	if b == nil {
		return nil
	}
	var f wire.FrameV2
	if err := wire.DecodeFrameV2(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// Subscribers of one graph may take different formats: each state has one
// sequence number whatever the format, each format is encoded once, and
// only those who asked get velocities.
func TestHubSendsEachFormatItsFrames(t *testing.T) {
	nodes := spanNodes(3)
	nodes[2].Velocity = graph.Vec3{X: 3}
	b := &positionsBackend{pos: &wire.Positions{Step: 1, Nodes: nodes}}
	h := newHub(b, nil)
	var encoded []uint8
	h.sent = func(_ string, _ uint64, kind uint8, _ int, _ time.Time) { encoded = append(encoded, kind) }
	v1, v2, v2a, vel := testConn(), testConn(), testConn(), testConn()
	for _, c := range []*wsConn{v1, v2, v2a, vel} {
		c.hub = h
	}
	follow(h, v1, "g")
	followAs(h, v2, "g", frameFormat{v2: true})
	followAs(h, v2a, "g", frameFormat{v2: true})
	followAs(h, vel, "g", frameFormat{v2: true, velocities: true})
	now := time.Unix(1000, 0)
	h.tick(now)
	if f := take(t, v1); f == nil || f.Kind != wire.FullFrame || f.Seq != 1 {
		t.Fatalf("v1: %+v", f)
	}
	for _, c := range []*wsConn{v2, v2a} {
		f := takeV2(t, c)
		if f == nil || f.Kind != wire.FullFrameV2 || f.Seq != 1 || f.Velocities || len(f.Nodes) != 3 || f.Position(&f.Nodes[2]).X != 4096 {
			t.Fatalf("v2: %+v", f)
		}
		if !f.Nodes[0].HasState || f.Nodes[0].Value != 1 {
			t.Fatalf("a full frame without the node's value: %+v", f.Nodes[0])
		}
	}
	if f := takeV2(t, vel); f == nil || !f.Velocities || f.Velocity(&f.Nodes[2]).X != 3 {
		t.Fatalf("v2 with velocities: %+v", f)
	}
	slices.Sort(encoded) // subscribers come in no order
	if !slices.Equal(encoded, []uint8{wire.FullFrame, wire.FullFrameV2, wire.FullFrameV2}) {
		t.Fatalf("encoded %v: each format once (v1, v2, v2 with velocities)", encoded)
	}
	ns := slices.Clone(nodes)
	ns[1].Position.Y = 50
	b.pos = &wire.Positions{Step: 2, Nodes: ns}
	h.tick(now.Add(time.Millisecond))
	if f := take(t, v1); f == nil || f.Kind != wire.DeltaFrame || f.Seq != 2 || len(f.Nodes) != 1 {
		t.Fatalf("v1 delta: %+v", f)
	}
	f := takeV2(t, v2)
	if f == nil || f.Kind != wire.DeltaFrameV2 || f.Seq != 2 || len(f.Nodes) != 1 || f.Nodes[0].HasState {
		t.Fatalf("v2 delta: %+v (the node's value did not change: it is not sent)", f)
	}
	if p := f.Position(&f.Nodes[0]); p.Y != 50 || p.X != 2048 {
		t.Fatalf("v2 delta position %v", p)
	}
}
