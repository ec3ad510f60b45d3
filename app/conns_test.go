package app

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"visionflow/settings"
)

// WebSocket clients that never subscribe are closed, so they cannot hold
// every slot; and one address may hold only so many connections, so that
// the others still get in.
func TestIdleAndCrowdingClientsAreShedOff(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, filepath.Join(t.TempDir(), "c.db"))
	defer ts.Close()
	for path, v := range map[string]string{"system.websocket.subscribeTimeout": "1", "system.websocket.maxConnections": "3"} {
		if _, err := ts.c.SetSettings(ctx, settings.Update{Path: path, Value: json.RawMessage(v)}); err != nil {
			t.Fatal(err)
		}
	}
	wsURL := "ws" + strings.TrimPrefix(ts.url, "http") + "/ws"
	var idle []*websocket.Conn
	for range 3 {
		c, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	// They answer pings (gorilla does by itself) but never subscribe:
	// each is closed, saying why.
	for _, c := range idle {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		var err error
		for err == nil {
			_, _, err = c.ReadMessage()
		}
		var ce *websocket.CloseError
		if !errorsAs(err, &ce) || !strings.Contains(ce.Text, "no subscribe") {
			t.Errorf("an idle client ended with %v", err)
		}
	}
	// Their slots are free again.
	st, err := ts.c.Stream(ctx)
	if err != nil {
		t.Fatalf("a new client after the idle ones went: %v", err)
	}
	st.Close()

	// One address, past its cap: refused at once; others still served.
	if _, err := ts.c.SetSettings(ctx, settings.Update{Path: "system.http.maxConnsPerAddress", Value: json.RawMessage("4")}); err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", ts.Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", ts.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	extra.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := extra.Read(make([]byte, 1)); err == nil || n != 0 {
		t.Errorf("a fifth connection from one address was kept (%d, %v)", n, err)
	}
	extra.Close()
	for _, c := range held {
		c.Close()
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := ts.c.Graphs(ctx); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("after the crowd left, a request failed: %v", err)
		}
	}
}
