package app

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/settings"
)

// notebook zips a Logseq notebook of the given pages.
func notebook(t *testing.T, pages map[string]string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, text := range pages {
		w, err := zw.Create("pages/" + name + ".md")
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(text))
	}
	zw.Close()
	return &buf
}

// A small upload can describe a huge graph: links per page and nodes per
// import are limited by settings, each refusal a 413 naming the limit,
// with nothing stored.
func TestImportLimitsAreWhatTheGraphWouldBe(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, filepath.Join(t.TempDir(), "l.db"))
	defer ts.Close()
	for path, v := range map[string]string{"system.import.maxLinksPerPage": "10", "system.import.maxNodes": "20", "system.import.maxEdges": "30"} {
		if _, err := ts.c.SetSettings(ctx, settings.Update{Path: path, Value: json.RawMessage(v)}); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := ts.c.Graphs(ctx)
	var links strings.Builder
	for i := range 11 {
		fmt.Fprintf(&links, "- [[target %d]]\n", i)
	}
	_, _, err := ts.c.Import(ctx, "logseq", notebook(t, map[string]string{"crowded": links.String()}), client.ImportOptions{ID: "crowded"})
	if statusOf(err) != 413 || !strings.Contains(err.Error(), "system.import.maxLinksPerPage") || !strings.Contains(err.Error(), "crowded") {
		t.Errorf("11 links on one page with a limit of 10: %v", err)
	}
	pages := map[string]string{}
	for p := range 3 {
		var b strings.Builder
		for i := range 8 {
			fmt.Fprintf(&b, "- [[p%d name %d]]\n", p, i)
		}
		pages[fmt.Sprintf("page %d", p)] = b.String()
	}
	_, _, err = ts.c.Import(ctx, "logseq", notebook(t, pages), client.ImportOptions{ID: "wide"})
	if statusOf(err) != 413 || !strings.Contains(err.Error(), "system.import.maxNodes") {
		t.Errorf("3 pages naming 24 others with a limit of 20 nodes: %v", err)
	}
	// JSON: nodes and links are counted as they are read.
	nodeLink := func(nodes, links int) *strings.Reader {
		var ns, ls []string
		for i := range nodes {
			ns = append(ns, fmt.Sprintf(`{"id":"n%d"}`, i))
		}
		for i := range links {
			ls = append(ls, fmt.Sprintf(`{"source":"n0","target":"n%d"}`, i%nodes))
		}
		return strings.NewReader(`{"nodes":[` + strings.Join(ns, ",") + `],"links":[` + strings.Join(ls, ",") + `]}`)
	}
	_, _, err = ts.c.Import(ctx, "json", nodeLink(21, 0), client.ImportOptions{ID: "many"})
	if statusOf(err) != 413 || !strings.Contains(err.Error(), "system.import.maxNodes") {
		t.Errorf("21 JSON nodes with a limit of 20: %v", err)
	}
	_, _, err = ts.c.Import(ctx, "json", nodeLink(20, 31), client.ImportOptions{ID: "linky"})
	if statusOf(err) != 413 || !strings.Contains(err.Error(), "system.import.maxEdges") {
		t.Errorf("31 JSON links with a limit of 30: %v", err)
	}
	if _, _, err := ts.c.Import(ctx, "json", nodeLink(20, 30), client.ImportOptions{ID: "json-fine"}); err != nil {
		t.Errorf("JSON at the limits: %v", err)
	}
	before = append(before, graph.Summary{})
	if after, _ := ts.c.Graphs(ctx); len(after) != len(before) {
		t.Errorf("refused imports made graphs: %d → %d", len(before), len(after))
	}
	// Within the limits, it imports.
	if _, _, err := ts.c.Import(ctx, "logseq", notebook(t, map[string]string{"fine": "- [[a]] [[b]]"}), client.ImportOptions{ID: "fine"}); err != nil {
		t.Errorf("a small notebook: %v", err)
	}
}

// A batch past system.http.maxBatchOps is refused whole with a 413 that
// names the setting; one within it is answered in full (the answer is
// streamed, not built in memory).
func TestBatchLimit(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, filepath.Join(t.TempDir(), "b.db"))
	defer ts.Close()
	if _, err := ts.c.SetSettings(ctx, settings.Update{Path: "system.http.maxBatchOps", Value: json.RawMessage("100")}); err != nil {
		t.Fatal(err)
	}
	sum, err := ts.Session.CreateGraph(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, "")
	if err != nil {
		t.Fatal(err)
	}
	ops := func(n int) []graph.Op {
		var out []graph.Op
		for i := range n {
			out = append(out, graph.Op{Op: graph.AddNode, ID: fmt.Sprintf("n%d", i), Metadata: map[string]*string{"k": str("v")}})
		}
		return out
	}
	_, err = ts.c.Batch(ctx, sum.ID, ops(101))
	if statusOf(err) != 413 || !strings.Contains(err.Error(), "system.http.maxBatchOps") {
		t.Errorf("101 ops with a limit of 100: %v", err)
	}
	ch, err := ts.c.Batch(ctx, sum.ID, ops(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Events) != 100 || len(ch.Nodes) != 100 || len(ch.Edges) != 0 || ch.Nodes[99].ID != "n99" || ch.Nodes[5].Metadata["k"] != "v" {
		t.Errorf("answer to 100 ops: %d events, %d nodes, %d edges", len(ch.Events), len(ch.Nodes), len(ch.Edges))
	}
	if info, _ := ts.Session.store.GraphInfo(ctx, sum.ID); info.Nodes != 100 {
		t.Errorf("%d nodes stored, want 100 (the refused batch must add none)", info.Nodes)
	}
}
