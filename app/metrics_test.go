package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/net/wire"
)

// /metrics speaks Prometheus: requests by route and status, WebSocket
// messages and frames, commits and events, and what the session holds.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, filepath.Join(t.TempDir(), "m.db"))
	defer ts.Close()
	list, _ := ts.c.Graphs(ctx)
	g := list[0].ID
	writeNodes(t, ts.c, g, "m", 3)
	ts.c.Graph(ctx, "nope")
	if _, err := ts.c.ReportStatus(ctx, agent.Status{SwarmID: "crew", AgentID: "a1", Name: "A", State: "executing"}); err != nil {
		t.Fatal(err)
	}
	st, err := ts.c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Subscribe(ctx, g, wire.StreamPositions, wire.StreamEvents); err != nil {
		t.Fatal(err)
	}
	<-st.Changed(g) // a frame came
	// The server counts a frame once its write returns, which may be after
	// the client has read it: read /metrics until the count shows.
	var text string
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(ts.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		text = string(body)
		if strings.Contains(text, `visionflow_ws_messages_sent_total{kind="frame"}`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	value := func(series string) float64 {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`).FindStringSubmatch(text)
		if m == nil {
			t.Errorf("no %s in /metrics", series)
			return -1
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	if v := value(`visionflow_http_request_duration_seconds_count{code="201",route="POST /api/graph/{id}/nodes"}`); v != 3 {
		t.Errorf("node POSTs counted %v", v)
	}
	if v := value(`visionflow_http_request_duration_seconds_count{code="404",route="GET /api/graph/{id}"}`); v != 1 {
		t.Errorf("404s counted %v", v)
	}
	if v := value(`visionflow_events_total`); v < 3 {
		t.Errorf("events %v", v)
	}
	// Every commit asked for the writer: the three POSTs at least.
	if v := value(`visionflow_store_writer_wait_seconds_count{kind="small"}`); v < 3 {
		t.Errorf("writes that waited for the writer, counted %v", v)
	}
	if v := value(`visionflow_ws_messages_received_total{type="subscribe"}`); v != 1 {
		t.Errorf("subscribes %v", v)
	}
	if v := value(`visionflow_ws_frames_total{kind="full"}`); v < 1 {
		t.Errorf("full frames %v", v)
	}
	if v := value(`visionflow_ws_clients`); v != 1 {
		t.Errorf("clients %v", v)
	}
	if v := value(`visionflow_agents{state="executing"}`); v != 1 {
		t.Errorf("agents executing %v", v)
	}
	if v := value(`visionflow_graphs`); v < 2 {
		t.Errorf("graphs %v", v)
	}
	// A frame came, so at least one frame and one JSON message (the
	// subscription's answer) were written, and the subscribe was read.
	if v := value(`visionflow_ws_messages_sent_total{kind="frame"}`); v < 1 {
		t.Errorf("frames sent %v", v)
	}
	if n, b := value(`visionflow_ws_messages_sent_total{kind="json"}`), value(`visionflow_ws_sent_bytes_total{kind="json"}`); n < 1 || b < 20*n {
		t.Errorf("JSON sent: %v messages, %v bytes", n, b)
	}
	for _, typ := range []string{"hello", "subscribed"} {
		if v := value(`visionflow_ws_json_sent_bytes_total{type="` + typ + `"}`); v < 10 {
			t.Errorf("bytes of %s messages sent: %v", typ, v)
		}
	}
	if strings.Contains(text, `visionflow_ws_json_sent_bytes_total{type="other"}`) {
		t.Errorf("a JSON message whose type was not read:\n%s", text)
	}
	if v := value(`visionflow_ws_received_bytes_total`); v < float64(len(`{"type":"subscribe"}`)) {
		t.Errorf("bytes received %v", v)
	}
	if v := value(`visionflow_layout_step_seconds{graph="` + g + `"}`); v < 0 {
		t.Errorf("step time of %s: %v", g, v)
	}
	if v := value(`visionflow_ws_queued_bytes`); v < 0 {
		t.Errorf("queued bytes %v", v)
	}
	value(`go_goroutines`)
}

// A graph's queue shows on /metrics: edits waiting behind a busy worker
// are counted, and the count goes back to 0 once they are done.
func TestMetricsShowGraphQueues(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, filepath.Join(t.TempDir(), "q.db"))
	defer ts.Close()
	if _, err := ts.Session.CreateGraph(ctx, "t", graph.Info{ID: "q", Name: "q", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	scrape := func() float64 {
		resp, err := http.Get(ts.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`(?m)^visionflow_graph_commands_waiting\{graph="q"\} ([0-9.]+)$`).FindStringSubmatch(string(body))
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free() // a failed wait must not leave the worker held (Close would wait for it)
	busy := make(chan struct{})
	go ts.Session.onGraph(ctx, "q", func(context.Context, *worker) error {
		close(busy)
		<-release
		return nil
	})
	<-busy
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			if _, err := ts.Session.Apply(ctx, "t", "q", addNode(fmt.Sprint("n", i), "n")); err != nil {
				t.Error(err)
			}
		})
	}
	// Three edits, and maybe the layout's own commands (a save of its
	// positions) behind them.
	waitFor(t, "three edits queued on /metrics", func() bool { return scrape() >= 3 })
	free()
	wg.Wait()
	waitFor(t, "the queue to drain", func() bool { return scrape() == 0 })
}

// The Grafana dashboard in packaging/ asks only for metrics that exist and
// are documented: every visionflow_ name in its queries is in
// docs/metrics.md (histograms by their base name).
func TestDashboardUsesDocumentedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../packaging/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`visionflow_[a-z_]+`)
	seen := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			for _, m := range name.FindAllString(q.Expr, -1) {
				base := m
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					base = strings.TrimSuffix(base, suffix)
				}
				if !strings.Contains(string(doc), "`"+base+"`") {
					t.Errorf("panel %q asks for %s, which docs/metrics.md does not name", p.Title, base)
				}
				seen++
			}
		}
	}
	if seen < 20 {
		t.Errorf("only %d metric references in the dashboard", seen)
	}
}
