package app

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/internal/clock"
	"visionflow/net/client"
	"visionflow/net/wire"
)

// An edit's frame does not wait for the stream's next tick: the server's
// clock never moves after the first frame, so only the edit can send the
// frame that shows its node.
func TestAnEditsFrameDoesNotWaitForTheTick(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Unix(1_800_000_000, 0))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(ctx, Config{DB: filepath.Join(t.TempDir(), "p.db"), Addr: ln.Addr().String(), Clock: clk}, ln, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := client.New("http://"+srv.Addr.String(), "tester")
	list, err := c.Graphs(ctx)
	if err != nil || len(list) == 0 {
		t.Fatalf("graphs: %v %v", list, err)
	}
	g := list[0].ID
	st, err := c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Subscribe(ctx, g, wire.StreamPositions); err != nil {
		t.Fatal(err)
	}
	changed := st.Changed(g)
	clk.Advance(time.Second / 30) // the subscription's first frame
	waitFor(t, "the first frame", func() bool {
		select {
		case <-changed:
			return true
		default:
			return false
		}
	})
	ch, err := c.AddNode(ctx, g, graph.Op{ID: "poked"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the edit's frame", func() bool { _, ok := st.Node(g, ch.Node.WireID); return ok })
}
