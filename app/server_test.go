package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"visionflow/assets"
	"visionflow/graph"
	"visionflow/internal/testenv"
	"visionflow/net/client"
	"visionflow/settings"
)

func TestMain(m *testing.M) {
	mcpMain()
	goleak.VerifyTestMain(m)
}

type testServer struct {
	*Server
	url string
	c   *client.Client
}

func startServer(t testing.TB, db string) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := Start(context.Background(), Config{DB: db, Addr: ln.Addr().String()}, ln, log)
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + srv.Addr.String()
	return &testServer{Server: srv, url: url, c: client.New(url, "tester")}
}

func str(s string) *string { return &s }

// raw sends a request and returns the status and decoded error body.
func raw(t *testing.T, method, url, contentType, body string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// The whole life of a graph through the real server: import over REST,
// edits, bad input, restart on the same file, history and replay.
func TestServerEndToEnd(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "vf.db")
	s := startServer(t, db)

	// Physics off while edits are compared: a moving layout would make every
	// read different. It is switched on later to check that motion is saved.
	if _, err := s.c.SetSettings(ctx, settings.Update{Path: "physics.enabled", Value: json.RawMessage("false")}); err != nil {
		t.Fatal(err)
	}
	// First start: the sample graph is there.
	list, err := s.c.Graphs(ctx)
	if err != nil || len(list) != 1 || list[0].ID != assets.SampleGraphID || list[0].Nodes == 0 {
		t.Fatalf("first start: %v %+v", err, list)
	}

	// Import the Logseq docs over REST as a zip.
	sum, warnings, err := s.c.ImportLogseq(ctx, testenv.LogseqDocs(t), client.ImportOptions{ID: "docs", Name: "Logseq docs"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ID != "docs" || sum.Nodes != 837 || sum.Edges != 1426 || len(warnings) != 0 {
		t.Fatalf("import: %+v, warnings %v", sum, warnings)
	}
	before, err := s.c.Graph(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // so "before the edits" is a distinct millisecond
	beforeEdits := time.Now()
	time.Sleep(5 * time.Millisecond)

	// Edits of every kind.
	add, err := s.c.AddNode(ctx, "docs", graph.Op{ID: "visionflow", Label: str("VisionFlow"), Metadata: map[string]*string{"kind": str("tool")}})
	if err != nil || add.Node == nil || add.Node.WireID.Index() != 838 || len(add.Events) != 1 {
		t.Fatalf("add node: %v %+v", err, add)
	}
	if _, err := s.c.AddEdge(ctx, "docs", graph.Op{ID: "vf-logseq", Source: "visionflow", Target: "logseq", Label: str("imports"), Weight: new(float32(2))}); err != nil {
		t.Fatal(err)
	}
	upd, err := s.c.UpdateNode(ctx, "docs", "contents", graph.Op{Label: str("Table of contents"), Position: &graph.Vec3{X: 10, Y: 20, Z: 30}, Pinned: new(true)})
	if err != nil || upd.Node.Label != "Table of contents" || !upd.Node.Pinned || len(upd.Events) != 2 {
		t.Fatalf("update node: %v %+v", err, upd)
	}
	// Node ids with "/" and spaces travel escaped in the path.
	if _, err := s.c.UpdateNode(ctx, "docs", "whiteboard/action bar", graph.Op{Metadata: map[string]*string{"reviewed": str("yes")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.UpdateEdge(ctx, "docs", "vf-logseq", graph.Op{Weight: new(float32(5))}); err != nil {
		t.Fatal(err)
	}
	degree := 0
	for _, e := range before.Edges {
		if e.Source == "term/alias" || e.Target == "term/alias" {
			degree++
		}
	}
	rm, err := s.c.RemoveNode(ctx, "docs", "term/alias")
	if err != nil || len(rm.Events) != degree+1 {
		t.Fatalf("remove node with %d edges: %v, %d events", degree, err, len(rm.Events))
	}
	if _, err := s.c.RemoveEdge(ctx, "docs", "whiteboard/action bar -> whiteboard"); err != nil {
		t.Fatal(err)
	}
	batch, err := s.c.Batch(ctx, "docs", []graph.Op{
		{Op: graph.AddNode, ID: "b1"},
		{Op: graph.AddNode, ID: "b2"},
		{Op: graph.AddEdge, ID: "b1-b2", Source: "b1", Target: "b2"},
	})
	if err != nil || len(batch.Events) != 3 || len(batch.Nodes) != 2 || len(batch.Edges) != 1 {
		t.Fatalf("batch: %v %+v", err, batch)
	}
	if _, err := s.c.SetSettings(ctx, settings.Update{Path: "physics.repelK", Value: json.RawMessage("120")}); err != nil {
		t.Fatal(err)
	}

	// Bad input: a 4xx that says what was wrong, and nothing changes.
	afterEdits, err := s.c.Graph(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	api := s.url + "/api"
	bad := []struct {
		method, path, ctype, body string
		status                    int
		detail                    string
	}{
		{"POST", "/graph/docs/nodes", "application/json", `{"id": "x", "label": `, 400, "ends early"},
		{"POST", "/graph/docs/nodes", "application/json", `{"id": "x", "position": {"x": NaN, "y": 0, "z": 0}}`, 400, "invalid character 'N'"},
		{"POST", "/graph/docs/nodes", "application/json", `{"id": "x", "position": {"x": 1e39, "y": 0, "z": 0}}`, 400, "position.x"},
		{"POST", "/graph/docs/nodes", "application/json", `{"id": "x", "colour": "red"}`, 400, `unknown field "colour"`},
		{"POST", "/graph/docs/nodes", "application/json", `{"id": "contents"}`, 409, `"contents" is already in graph "docs"`},
		{"POST", "/graph/docs/nodes", "application/json", `{"id": "x"} {"id": "y"}`, 400, "unexpected data after"},
		{"POST", "/graph/docs/nodes", "text/plain", `{"id": "x"}`, 415, "Content-Type must be application/json"},
		{"POST", "/graph/docs/nodes", "application/json", `{"id": "x", "label": "` + strings.Repeat("L", 2000) + `"}`, 400, "label: is 2000 bytes, the limit is 1024"},
		{"POST", "/graph/docs/edges", "application/json", `{"source": "contents", "target": "no such page"}`, 400, `node "no such page" is not in graph "docs"`},
		{"POST", "/graph/nope/nodes", "application/json", `{"id": "x"}`, 404, `"nope" does not exist`},
		{"GET", "/graph/nope", "", "", 404, `"nope" does not exist`},
		{"PATCH", "/graph/docs/nodes/ghost", "application/json", `{"label": "x"}`, 404, `"ghost" is not in graph`},
		{"PATCH", "/graph/docs/edges/vf-logseq", "application/json", `{"weight": -3}`, 400, "weights must lie in [0, 1e+06]"},
		{"POST", "/graph/docs/batch", "application/json", `{"ops": [{"op": "addNode", "id": "ok"}, {"op": "addEdge", "source": "ok", "target": "missing"}]}`, 400, `ops[1] (addEdge "ok"→"missing")`},
		{"POST", "/graph/docs/batch", "application/json", `{"ops": []}`, 400, `"ops" is empty`},
		{"POST", "/graph/docs/batch", "application/json", `{"ops": [{"op": "fly", "id": "x"}]}`, 400, `"fly" is not an operation`},
		{"POST", "/graph/docs/nodes", "application/json", `{"id": "big", "label": "` + strings.Repeat("x", 9<<20) + `"}`, 413, "larger than 8388608 bytes"},
		{"POST", "/settings", "application/json", `{"path": "physics.springK", "value": 99}`, 400, "physics.springK: must be between 0 and 10, got 99"},
		{"POST", "/settings", "application/json", `[{"path": "physics.gravity", "value": 0.5}, {"path": "nodes.baseColor", "value": "blue"}]`, 400, "nodes.baseColor: must be a hex colour"},
		{"POST", "/settings", "application/json", `{"path": "physics.springK"}`, 400, `"value" is missing`},
		{"GET", "/settings/physics.nothing", "", "", 404, "physics.nothing: is not a setting"},
		{"GET", "/graph/docs?at=yesterday", "", "", 400, "must be an RFC 3339 time"},
		{"GET", "/graph/docs/events?since=-1", "", "", 400, "since=\"-1\" must be a whole number"},
		{"GET", "/graph/docs/events?limit=100000", "", "", 400, "from 0 to 10000"},
		{"POST", "/graphs/import?format=logseq", "application/zip", "not a zip", 400, "not a zip archive"},
		{"POST", "/graphs/import?format=pajek", "text/plain", "*Vertices 1", 400, "format=\"pajek\" must be auto, logseq, obsidian or one of json, graphml, gexf, gml, csv"},
		{"POST", "/graphs/import?format=json", "application/json", `<graphml><graph/></graphml>`, 400, "the file looks like graphml"},
		{"POST", "/graphs/import", "text/xml", `<svg><g/></svg>`, 400, "neither <graphml> nor <gexf>"},
		{"POST", "/graphs/import?format=json&id=docs", "application/json", `{"nodes": [{"id": "a"}]}`, 409, `"docs" already exists`},
		{"POST", "/graphs/import?format=json", "application/json", `{"nodes": [{"id": "a"}], "links": [{"source": "a", "target": "b"}]}`, 400, `links[0]: node "b" is not among the nodes`},
		{"POST", "/graphs", "application/json", `{"id": "bad id!"}`, 400, "character ' ' at byte 3 is not allowed"},
		{"POST", "/graphs", "application/json", `{"id": "g2", "type": "mindmap"}`, 400, `"mindmap" is not a graph type`},
		{"DELETE", "/graph/nope", "", "", 404, `"nope" does not exist`},
		{"GET", "/nothing/here", "", "", 404, "no API route GET /api/nothing/here"},
	}
	for _, b := range bad {
		status, body := raw(t, b.method, api+b.path, b.ctype, b.body)
		if status != b.status || !strings.Contains(body["detail"], b.detail) || body["error"] == "" {
			t.Errorf("%s %s %.60s\n got %d %v\nwant %d …%s…", b.method, b.path, b.body, status, body, b.status, b.detail)
		}
	}
	// A cross-site page may not post to the local server.
	req, _ := http.NewRequest("POST", api+"/graph/docs/nodes", strings.NewReader(`{"id": "csrf"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("cross-origin POST: %v %v", err, resp.Status)
	} else {
		resp.Body.Close()
	}
	unchanged, err := s.c.Graph(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(unchanged, afterEdits) {
		t.Error("rejected requests changed the graph")
	}
	if v, _ := s.c.Setting(ctx, "physics.gravity"); string(v) != "0.01" {
		t.Errorf("gravity is %s after a rejected batch; want the default 0.01", v)
	}

	// Layout motion from the physics is saved at shutdown: run it a while,
	// stop it, and keep what it settled on.
	if _, err := s.c.SetSettings(ctx, settings.Update{Path: "physics.enabled", Value: json.RawMessage("true")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the layout to move", func() bool {
		c, _ := s.c.Graph(ctx, "docs")
		return !reflect.DeepEqual(c.Nodes, afterEdits.Nodes)
	})
	if _, err := s.c.SetSettings(ctx, settings.Update{Path: "physics.enabled", Value: json.RawMessage("false")}); err != nil {
		t.Fatal(err)
	}
	final := stableGraph(t, s.c, "docs")
	history, err := s.c.AllEvents(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart on the same file: everything acknowledged is there.
	s = startServer(t, db)
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	again, err := s.c.Graph(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, final) {
		t.Error("the graph after a restart differs from before it (layout positions included)")
	}
	byID := map[string]graph.Node{}
	for _, n := range again.Nodes {
		byID[n.ID] = n
	}
	if n := byID["contents"]; n.Position != (graph.Vec3{X: 10, Y: 20, Z: 30}) || !n.Pinned || n.Label != "Table of contents" {
		t.Errorf("edited node after restart: %+v", n)
	}
	if _, ok := byID["term/alias"]; ok {
		t.Error("removed node is back")
	}
	if v, _ := s.c.Setting(ctx, "physics.repelK"); string(v) != "120" {
		t.Errorf("repelK after restart: %s", v)
	}
	hist, _ := s.c.SettingsHistory(ctx, "physics.repelK", 0)
	if len(hist) != 1 || hist[0].Client != "tester" || string(hist[0].Old) != "50" {
		t.Errorf("settings history after restart: %+v", hist)
	}
	history2, err := s.c.AllEvents(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	if len(history2) != len(history) || uint64(len(history2)) != again.Seq {
		t.Errorf("%d events after restart, %d before, seq %d", len(history2), len(history), again.Seq)
	}
	for k := range history2 {
		if history2[k].Seq != uint64(k+1) || history2[k].Type != history[k].Type {
			t.Fatalf("event %d differs after restart", k)
		}
	}
	for _, ev := range history2 {
		if ev.Client != "tester" || ev.At.IsZero() {
			t.Fatalf("event %d: client %q, time %v; want the X-Client-ID of the request and a time", ev.Seq, ev.Client, ev.At)
		}
	}

	// Replay to before the edits gives the graph as imported.
	past, err := s.c.GraphAt(ctx, "docs", beforeEdits)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(past, before) {
		t.Errorf("graph at %v differs from the graph as imported (%d nodes, seq %d; want %d, %d)",
			beforeEdits, len(past.Nodes), past.Seq, len(before.Nodes), before.Seq)
	}
	var apiErr *client.Error
	if _, err := s.c.GraphAt(ctx, "docs", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)); !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Errorf("replay to before the graph existed: %v", err)
	}

	h, err := s.c.Health(ctx)
	if err != nil || h.Graphs != 2 || h.Nodes != len(again.Nodes)+list[0].Nodes || h.Version != Version {
		t.Errorf("health %+v %v", h, err)
	}
}

// waitFor polls cond for up to thirty seconds (CI machines are slow, the
// race detector slower).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stableGraph reads a graph until two reads agree: the layout has stopped.
func stableGraph(t *testing.T, c *client.Client, id string) graph.Contents {
	t.Helper()
	var last graph.Contents
	waitFor(t, "the layout to stop", func() bool {
		g, err := c.Graph(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		same := reflect.DeepEqual(g, last)
		last = g
		return same
	})
	return last
}
