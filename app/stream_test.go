package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"visionflow/graph"
	"visionflow/internal/testenv"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/settings"
)

// followed is a stream that follows one graph.
type followed struct {
	*client.Stream
	graph string
}

func (f followed) Positions() (map[graph.WireID]wire.NodeState, uint64, bool) {
	return f.Stream.Positions(f.graph)
}

func (f followed) Changed() <-chan struct{} { return f.Stream.Changed(f.graph) }

func openStream(t *testing.T, s *testServer, graphID string, streams ...string) followed {
	t.Helper()
	ctx := context.Background()
	st, err := s.c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sub, err := st.Subscribe(ctx, graphID, streams...)
	if err != nil {
		t.Fatal(err)
	}
	return followed{st, sub.Graph}
}

// spread is the mean distance of the nodes from their centroid.
func spread(nodes map[graph.WireID]wire.NodeState) float64 {
	var c [3]float64
	for _, n := range nodes {
		c[0], c[1], c[2] = c[0]+float64(n.Position.X), c[1]+float64(n.Position.Y), c[2]+float64(n.Position.Z)
	}
	k := float64(len(nodes))
	c[0], c[1], c[2] = c[0]/k, c[1]/k, c[2]/k
	var sum float64
	for _, n := range nodes {
		dx, dy, dz := float64(n.Position.X)-c[0], float64(n.Position.Y)-c[1], float64(n.Position.Z)-c[2]
		sum += math.Sqrt(dx*dx + dy*dy + dz*dz)
	}
	return sum / k
}

// settle waits until a stream's positions stop changing for a second.
func settle(t *testing.T, st followed, within time.Duration) map[graph.WireID]wire.NodeState {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-st.Changed():
		case <-time.After(time.Second):
			nodes, _, synced := st.Positions()
			if synced && len(nodes) > 0 {
				return nodes
			}
		}
	}
	nodes, seq, synced := st.Positions()
	t.Fatalf("the layout did not settle within %v (seq %d, synced %v, %d nodes)", within, seq, synced, len(nodes))
	return nil
}

func TestLiveLayoutStreamsToClients(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	if _, _, err := s.c.ImportLogseq(ctx, testenv.LogseqDocs(t), client.ImportOptions{ID: "docs"}); err != nil {
		t.Fatal(err)
	}
	a := openStream(t, s, "docs")
	b := openStream(t, s, "docs", wire.StreamPositions)

	// Both see positions move, then settle.
	first := waitPositions(t, a, 837)
	settledA := settle(t, a, 60*time.Second)
	settledB := settle(t, b, 10*time.Second)
	if !samePositions(settledA, settledB) {
		t.Error("two clients settled on different positions")
	}
	if samePositions(first, settledA) {
		t.Error("positions never moved")
	}
	sa, sb := a.Stats(), b.Stats()
	t.Logf("client a: %d frames (%d full, %d delta), %d gaps, %d bytes", sa.Frames, sa.FullFrames, sa.DeltaFrames, sa.Gaps, sa.Bytes)
	if sa.DeltaFrames == 0 || sb.FullFrames == 0 {
		t.Errorf("frames a %+v b %+v", sa, sb)
	}
	h, _ := s.c.Health(ctx)
	if h.Engine.Name != "cpu" || h.Engine.Layouts == 0 || h.Clients != 2 {
		t.Errorf("health while streaming: %+v", h)
	}

	// Pin a node somewhere else; then make repulsion much stronger: the
	// layout wakes and spreads out, and the pinned node stays put.
	before := spread(settledA)
	pinAt := graph.Vec3{X: 500, Y: 500, Z: 500}
	ch, err := s.c.UpdateNode(ctx, "docs", "contents", graph.Op{Position: &pinAt, Pinned: new(true)})
	if err != nil {
		t.Fatal(err)
	}
	pinned := ch.Node.WireID
	if _, err := s.c.SetSettings(ctx, settings.Update{Path: "physics.repelK", Value: json.RawMessage("400")}); err != nil {
		t.Fatal(err)
	}
	after := settle(t, a, 60*time.Second)
	if got := spread(after); got < before*1.3 {
		t.Errorf("with 8× the repulsion the layout spread from %.1f to only %.1f", before, got)
	}
	if n := after[pinned]; n.Position != pinAt || n.Flags&wire.FlagPinned == 0 {
		t.Errorf("pinned node at %+v flags %b, want %v and pinned", n.Position, n.Flags, pinAt)
	}
	t.Logf("spread %.1f before, %.1f after repelK 50→400", before, spread(after))
}

func waitPositions(t *testing.T, st followed, n int) map[graph.WireID]wire.NodeState {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		nodes, _, synced := st.Positions()
		if synced && len(nodes) == n {
			return nodes
		}
		if time.Now().After(deadline) {
			t.Fatalf("no full frame of %d nodes (have %d, synced %v)", n, len(nodes), synced)
		}
		select {
		case <-st.Changed():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func samePositions(a, b map[graph.WireID]wire.NodeState) bool {
	if len(a) != len(b) {
		return false
	}
	for id, n := range a {
		if b[id].Position != n.Position {
			return false
		}
	}
	return true
}

func TestStreamEventsSettingsAndApply(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	if _, err := s.c.CreateGraph(ctx, "g", "G", graph.Knowledge); err != nil {
		t.Fatal(err)
	}
	st := openStream(t, s, "g")
	if _, err := s.c.AddNode(ctx, "g", graph.Op{ID: "a", Label: str("A")}); err != nil {
		t.Fatal(err)
	}
	ev := nextMessage(t, st.Stream, wire.TypeEvents)
	var events wire.Events
	json.Unmarshal(ev.Raw, &events)
	if len(events.Events) != 1 || events.Events[0].Type != graph.NodeAdded || events.Events[0].Node.WireID == 0 || events.Graph != "g" {
		t.Errorf("events message %s", ev.Raw)
	}
	if _, err := s.c.SetSettings(ctx, settings.Update{Path: "nodes.baseColor", Value: json.RawMessage(`"#123456"`)}); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, st.Stream, wire.TypeSettings); !strings.Contains(string(m.Raw), `"#123456"`) {
		t.Errorf("settings message %s", m.Raw)
	}
	applied, err := st.Apply(ctx, "", []graph.Op{{Op: graph.AddNode, ID: "b"}, {Op: graph.AddEdge, Source: "a", Target: "b"}})
	if err != nil || len(applied.Events) != 2 {
		t.Fatalf("apply over the stream: %v %+v", err, applied)
	}
	if _, err := st.Apply(ctx, "", []graph.Op{{Op: graph.AddEdge, Source: "a", Target: "nope"}}); err == nil || !strings.Contains(err.Error(), `node "nope" is not in graph "g"`) {
		t.Errorf("bad apply over the stream: %v", err)
	}
	c, _ := s.c.Graph(ctx, "g")
	if len(c.Nodes) != 2 || len(c.Edges) != 1 {
		t.Errorf("after applies: %d nodes, %d edges", len(c.Nodes), len(c.Edges))
	}
	if _, err := st.Subscribe(ctx, "missing"); err == nil || !strings.Contains(err.Error(), `"missing" does not exist`) {
		t.Errorf("subscribe to a missing graph: %v", err)
	}
}

func nextMessage(t *testing.T, st *client.Stream, typ string) client.Message {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-st.Messages():
			if m.Type == typ {
				return m
			}
		case <-timeout:
			t.Fatalf("no %q message", typ)
		}
	}
}

func TestMalformedClientMessagesAreAnsweredNotFatal(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	st, err := s.c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, bad := range []string{`{"type":`, `[]`, `{"type": "launch"}`, `{"type": "subscribe", "streams": ["video"]}`, `{"type": "ping", "extra": 1}`, `{"type": "apply"}`} {
		if err := st.Send([]byte(bad)); err != nil {
			t.Fatal(err)
		}
		if m := nextMessage(t, st, wire.TypeError); !strings.Contains(string(m.Raw), "malformed message") {
			t.Errorf("%s: answer %s", bad, m.Raw)
		}
	}
	if _, err := st.Ping(ctx); err != nil {
		t.Fatalf("connection did not survive malformed messages: %v", err)
	}
	// An oversized message closes this connection cleanly (1009), not the
	// server. (The server may close before the client has written it all.)
	st.Send([]byte(`{"type": "ping", "id": "` + strings.Repeat("x", 2<<20) + `"}`))
	<-st.Done()
	var ce *websocket.CloseError
	if err := st.Err(); !errorsAs(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("oversized message: connection ended with %v, want close 1009", err)
	}
	other, err := s.c.Stream(ctx)
	if err != nil {
		t.Fatalf("server does not take new clients after an oversized message: %v", err)
	}
	other.Close()
}

func TestStreamRefusesOtherOrigins(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	u := "ws" + strings.TrimPrefix(s.url, "http") + "/ws"
	_, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin WebSocket: %v %v", err, resp)
	}
}

// A client that stops reading loses frames and is dropped; it never slows
// the others.
func TestSlowClientDoesNotStallOthers(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	ops := []graph.Op{}
	for i := range 5000 {
		ops = append(ops, graph.Op{Op: graph.AddNode, ID: fmt.Sprint("n", i)})
	}
	for i := 1; i < 5000; i++ {
		ops = append(ops, graph.Op{Op: graph.AddEdge, Source: fmt.Sprint("n", i), Target: fmt.Sprint("n", i/3)})
	}
	if _, err := s.c.CreateGraph(ctx, "big", "", graph.Knowledge); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.Batch(ctx, "big", ops); err != nil {
		t.Fatal(err)
	}
	// Keep it moving for the whole test.
	s.c.SetSettings(ctx, settings.Update{Path: "physics.coolingRate", Value: json.RawMessage("0")})

	u := "ws" + strings.TrimPrefix(s.url, "http") + "/ws"
	slow, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.WriteMessage(websocket.TextMessage, []byte(`{"type": "subscribe", "graph": "big"}`))
	// …and it never reads again.

	fast := openStream(t, s, "big", wire.StreamPositions)
	waitPositions(t, fast, 5000)
	// The reading client keeps getting frames while the other is stuck,
	// until the stuck one is dropped (300 frames missed in a row). Whether
	// frames keep coming is what is checked; their rate is the hub's
	// benchmarks' business (BenchmarkFanout).
	start := fast.Stats()
	waitFor(t, "30 more frames for the reading client beside a silent one", func() bool {
		return fast.Stats().Frames-start.Frames >= 30
	})
	if h, _ := s.c.Health(ctx); h.Clients != 2 {
		t.Fatalf("%d clients while the silent one is still within its allowance; want 2", h.Clients)
	}
	deadline := time.Now().Add(90 * time.Second) // 300 frames at however fast the layout steps
	for {
		if h, _ := s.c.Health(ctx); h.Clients == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the silent client was never dropped")
		}
		time.Sleep(100 * time.Millisecond)
	}
	before := fast.Stats().Frames
	waitFor(t, "frames for the reading client after the silent one is gone", func() bool {
		return fast.Stats().Frames > before
	})
}

func errorsAs(err error, target **websocket.CloseError) bool {
	ce, ok := err.(*websocket.CloseError)
	if ok {
		*target = ce
	}
	return ok
}
