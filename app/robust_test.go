package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/settings"
)

// dialSilent opens a WebSocket with a tiny receive buffer that subscribes
// and then never reads.
func dialSilent(t *testing.T, s *testServer, subscribe string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(s.url, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.WriteMessage(websocket.TextMessage, []byte(subscribe))
	// Read up to the confirmation, so the subscription is in place before
	// the client goes silent.
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("silent client: no confirmation of %s: %v", subscribe, err)
		}
		if bytes.Contains(msg, []byte(`"type":"subscribed"`)) {
			return ws
		}
	}
}

func TestStuckClientsStallNobody(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	ctx := context.Background()
	for _, id := range []string{"busy", "other"} {
		if _, err := s.c.CreateGraph(ctx, id, "", graph.Knowledge); err != nil {
			t.Fatal(err)
		}
		if _, err := s.c.AddNode(ctx, id, graph.Op{ID: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	for range 8 {
		dialSilent(t, s, `{"type": "subscribe", "graph": "busy", "streams": ["events"]}`)
	}
	// Events big enough to fill the silent clients' buffers quickly.
	big := strings.Repeat("x", 16<<10-32) // within the 16 KiB a value may hold
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			md := map[string]*string{}
			for k := range 3 {
				v := fmt.Sprint(big, i, k)
				md[fmt.Sprint("k", k)] = &v
			}
			if _, err := s.c.UpdateNode(ctx, "busy", "a", graph.Op{Metadata: md}); err != nil {
				t.Errorf("the flood's edit %d: %v", i, err) // it must really flood
				return
			}
		}
	})
	// Edits of another graph go on; the bound is only a guard against a
	// hang (how long they take is the hub's benchmarks' business).
	var worst time.Duration
	for i := range 20 {
		start := time.Now()
		ectx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := s.c.UpdateNode(ectx, "other", "a", graph.Op{Label: str(fmt.Sprint("L", i))})
		cancel()
		if err != nil {
			t.Fatalf("an unrelated edit beside stuck clients: %v", err)
		}
		worst = max(worst, time.Since(start))
	}
	t.Logf("slowest unrelated edit beside 8 stuck clients: %v", worst)
	// Clients that cannot take events cannot miss them: they are dropped.
	waitFor(t, "the stuck clients to be disconnected", func() bool {
		h, err := s.c.Health(ctx)
		return err == nil && h.Clients == 0
	})
	close(stop)
	wg.Wait()
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close hangs after clients got stuck")
	}
}

func TestLayoutFollowsBatchesInOrder(t *testing.T) {
	sess, _, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	imp := &ingest.Import{Ops: []graph.Op{{Op: graph.AddNode, ID: "base"}}}
	if _, err := sess.Import(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, imp, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.OpenGraph(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	at := graph.Vec3{X: 500, Y: 500, Z: 500}
	_, err := sess.Apply(ctx, "t", "g", []graph.Op{
		{Op: graph.AddNode, ID: "x"},
		{Op: graph.UpdateNode, ID: "x", Position: &at, Pinned: new(true)},
		{Op: graph.AddNode, ID: "ghost"},
		{Op: graph.RemoveNode, ID: "ghost"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := sess.Graph(ctx, "g")
	waitFor(t, "the layout to apply the batch", func() bool {
		p := sess.Positions("g")
		return p != nil && p.Seq == c.Seq
	})
	// Let it step a while: the pinned node must not move.
	time.Sleep(300 * time.Millisecond)
	p := sess.Positions("g")
	if len(p.Nodes) != 2 {
		t.Errorf("the layout holds %d nodes, want 2 (no ghost)", len(p.Nodes))
	}
	for _, n := range p.Nodes {
		if n.ID.Index() == 2 && (n.Position != at || n.Flags&wire.FlagPinned == 0) {
			t.Errorf("node x in the layout at %v flags %b; want pinned at %v", n.Position, n.Flags, at)
		}
	}
	c, _ = sess.Graph(ctx, "g")
	for _, n := range c.Nodes {
		if n.ID == "x" && (n.Position != at || !n.Pinned) {
			t.Errorf("node x in the graph: %+v", n)
		}
	}
}

func TestRestingLayoutPublishesChanges(t *testing.T) {
	sess, _, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	if _, err := sess.Settings().Apply(ctx, "t", []settings.Update{{Path: "physics.enabled", Value: json.RawMessage("false")}}); err != nil {
		t.Fatal(err)
	}
	imp := &ingest.Import{Ops: []graph.Op{{Op: graph.AddNode, ID: "a"}}}
	if _, err := sess.Import(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, imp, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Apply(ctx, "t", "g", []graph.Op{{Op: graph.UpdateNode, ID: "a", Label: str("A")}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resting layout to publish the graph's seq", func() bool {
		p := sess.Positions("g")
		return p != nil && p.Seq == 2
	})
}

// Clients that take only positions still learn of removed nodes, replaced
// and deleted graphs.
func TestPositionsOnlyClientsFollowStructureChanges(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	s.c.SetSettings(ctx, settings.Update{Path: "physics.enabled", Value: json.RawMessage("false")})
	var ops []graph.Op
	for i := range 10 {
		ops = append(ops, graph.Op{Op: graph.AddNode, ID: fmt.Sprint("n", i)})
	}
	if _, err := s.c.CreateGraph(ctx, "g", "", graph.Knowledge); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.Batch(ctx, "g", ops); err != nil {
		t.Fatal(err)
	}
	st := openStream(t, s, "g", wire.StreamPositions)
	waitPositions(t, st, 10)
	if _, err := s.c.Batch(ctx, "g", []graph.Op{{Op: graph.RemoveNode, ID: "n1"}, {Op: graph.RemoveNode, ID: "n2"}}); err != nil {
		t.Fatal(err)
	}
	waitPositions(t, st, 8)
	if _, _, err := s.c.Import(ctx, "json", strings.NewReader(`{"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}`), client.ImportOptions{ID: "g", Replace: true}); err != nil {
		t.Fatal(err)
	}
	nodes := waitPositions(t, st, 3)
	if len(nodes) != 3 {
		t.Errorf("after replace: %d nodes", len(nodes))
	}
	if err := s.c.DeleteGraph(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	for m := nextMessage(t, st.Stream, wire.TypeReload); !strings.Contains(string(m.Raw), `"deleted":true`); m = nextMessage(t, st.Stream, wire.TypeReload) {
		// the reload of the replacement comes first
	}
	waitFor(t, "the client to drop the deleted graph", func() bool {
		nodes, _, synced := st.Positions()
		return len(nodes) == 0 && !synced
	})
}

func TestConnectionLimitHoldsUnderConcurrentConnects(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	if _, err := s.c.SetSettings(ctx, settings.Update{Path: "system.websocket.maxConnections", Value: json.RawMessage("5")}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var open []*client.Stream
	var wg sync.WaitGroup
	for range 60 {
		wg.Go(func() {
			st, err := s.c.Stream(ctx)
			if err == nil {
				mu.Lock()
				open = append(open, st)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, st := range open {
		defer st.Close()
	}
	if len(open) != 5 {
		t.Errorf("%d connections accepted with a limit of 5", len(open))
	}
}

func TestImportWhileTheGraphIsEdited(t *testing.T) {
	sess, _, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 5 {
		id := fmt.Sprint("g", i)
		wg.Go(func() {
			imp := &ingest.Import{Ops: []graph.Op{{Op: graph.AddNode, ID: "a"}}}
			sess.Import(ctx, "t", graph.Info{ID: id, Name: id, Type: graph.Knowledge}, imp, ImportOptions{})
		})
		wg.Go(func() {
			for j := range 50 {
				sess.Apply(ctx, "t", id, []graph.Op{{Op: graph.AddNode, ID: fmt.Sprint("n", j)}})
			}
		})
	}
	wg.Wait()
}
