package app

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"visionflow/agent"
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
	resp, err := http.Get(ts.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
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
	value(`go_goroutines`)
}
