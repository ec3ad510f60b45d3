package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"visionflow/internal/clock"
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

// GET /api/graph/{id} names the graph's state in a weak ETag: the same
// tag answers 304, a change makes a new tag; gzip when asked.
func TestGraphAnswersAreCachedByState(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, filepath.Join(t.TempDir(), "e.db"))
	defer ts.Close()
	// A graph of its own, empty: its layout publishes once when it starts
	// and never again, so its state holds still (a layout that moves
	// changes the step, which is part of the state).
	g := "quiet"
	if _, err := ts.c.CreateGraph(ctx, g, "Quiet", "logseq"); err != nil {
		t.Fatal(err)
	}
	get := func(hdr map[string]string) (int, http.Header, []byte) {
		req, _ := http.NewRequest("GET", ts.url+"/api/graph/"+g, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		// A transport that leaves Accept-Encoding and the body alone.
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	// Wait for the layout's first and only publication.
	code, hdr, body := get(nil)
	for deadline := time.Now().Add(20 * time.Second); ; {
		time.Sleep(100 * time.Millisecond)
		_, hdr2, _ := get(nil)
		if hdr2.Get("ETag") == hdr.Get("ETag") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the empty graph's state kept changing")
		}
		code, hdr, body = get(nil)
	}
	tag := hdr.Get("ETag")
	if code != 200 || !strings.HasPrefix(tag, `W/"`+g+"@") || !json.Valid(body) {
		t.Fatalf("first answer: %d %q", code, tag)
	}
	if code, _, body := get(map[string]string{"If-None-Match": tag}); code != 304 || len(body) != 0 {
		t.Errorf("same state: %d, %d bytes", code, len(body))
	}
	code, hdr, zbody := get(map[string]string{"Accept-Encoding": "gzip"})
	if code != 200 || hdr.Get("Content-Encoding") != "gzip" {
		t.Errorf("gzip: %d %q %d bytes against %d", code, hdr.Get("Content-Encoding"), len(zbody), len(body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zbody))
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if !bytes.Equal(unz, body) {
		t.Error("the gzip answer is not the plain one")
	}
	writeNodes(t, ts.c, g, "new", 1)
	code, hdr, body = get(map[string]string{"If-None-Match": tag})
	if code != 200 || hdr.Get("ETag") == tag || !strings.Contains(string(body), "new-0") {
		t.Errorf("after a change: %d %q", code, hdr.Get("ETag"))
	}
}

// The subscribe timeout runs on the server's clock: a connection that has
// not subscribed is served until the clock reaches the timeout, and closed
// when it does — exactly then, however busy the machine.
func TestSubscribeTimeoutFollowsTheClock(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Unix(1_800_000_000, 0))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(ctx, Config{DB: filepath.Join(t.TempDir(), "t.db"), Addr: ln.Addr().String(), Clock: clk}, ln, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// Pings every 10 minutes: none comes before the 5-minute timeout, so the
	// close is the only thing the server sends.
	if _, err := srv.Settings.Apply(ctx, "t", []settings.Update{
		{Path: "system.websocket.subscribeTimeout", Value: json.RawMessage("300")},
		{Path: "system.websocket.heartbeatInterval", Value: json.RawMessage("600000")},
	}); err != nil {
		t.Fatal(err)
	}
	armed := clk.Waiting() // the hub's ticker
	c, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Addr.String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(30 * time.Second)) // a guard against a hang only
	if _, hello, err := c.ReadMessage(); err != nil || !bytes.Contains(hello, []byte(`"hello"`)) {
		t.Fatalf("hello: %s %v", hello, err)
	}
	// The connection's ping ticker and subscribe timer.
	waitFor(t, "the connection's timers", func() bool { return clk.Waiting() >= armed+2 })
	// Five minutes on the server's clock, a moment on the machine's: a
	// timer on the system's clock would not fire within the read guard.
	clk.Advance(300*time.Second - time.Millisecond)
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadMessage(); err != nil || !bytes.Contains(msg, []byte(`"error"`)) {
		t.Fatalf("just before the timeout the connection is served: %s %v", msg, err)
	}
	clk.Advance(time.Millisecond)
	for err == nil {
		_, _, err = c.ReadMessage()
	}
	var ce *websocket.CloseError
	if !errorsAs(err, &ce) || !strings.Contains(ce.Text, "no subscribe") {
		t.Errorf("at the timeout the connection ended with %v", err)
	}
}
