package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/net/client"
	"visionflow/settings"
)

// sameContents compares two graphs' nodes (ids, labels, positions, metadata)
// and edges (ids, ends, labels, weights, metadata).
func sameContents(t *testing.T, what string, a, b graph.Contents) {
	t.Helper()
	if len(a.Nodes) != len(b.Nodes) || len(a.Edges) != len(b.Edges) {
		t.Fatalf("%s: %d nodes and %d edges, want %d and %d", what, len(b.Nodes), len(b.Edges), len(a.Nodes), len(a.Edges))
	}
	nodes := map[string]graph.Node{}
	for _, n := range b.Nodes {
		nodes[n.ID] = n
	}
	for _, n := range a.Nodes {
		m := nodes[n.ID]
		if m.Label != n.Label || m.Position != n.Position || fmt.Sprint(m.Metadata) != fmt.Sprint(n.Metadata) {
			t.Fatalf("%s: node %s is %+v, want %+v", what, n.ID, m, n)
		}
	}
	edges := map[string]graph.Edge{}
	for _, e := range b.Edges {
		edges[e.ID] = e
	}
	for _, e := range a.Edges {
		f := edges[e.ID]
		if f.Source != e.Source || f.Target != e.Target || f.Label != e.Label || f.Weight != e.Weight || fmt.Sprint(f.Metadata) != fmt.Sprint(e.Metadata) {
			t.Fatalf("%s: edge %s is %+v, want %+v", what, e.ID, f, e)
		}
	}
}

// GET /api/graph/{id}/export in each format, uploaded again through
// POST /api/graphs/import, gives back the same graph; bad requests are
// refused with what was wrong.
func TestExportAndImportOverREST(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	physicsOff(t, s)
	orig := stableGraph(t, s.c, "visionflow-tour") // the sample: labels, metadata, positions
	for _, format := range ingest.ExportFormats {
		if format == "csv-edges" {
			continue // edges only
		}
		var buf bytes.Buffer
		if err := s.c.Export(ctx, orig.ID, format, &buf); err != nil {
			t.Fatal(err)
		}
		// Uploaded without its format: the server tells it.
		sum, warnings, err := s.c.Import(ctx, "auto", bytes.NewReader(buf.Bytes()), client.ImportOptions{ID: "again-" + format})
		if err != nil || len(warnings) != 0 {
			t.Fatalf("%s: importing the export: %v %v", format, err, warnings)
		}
		again, err := s.c.Graph(ctx, sum.ID)
		if err != nil {
			t.Fatal(err)
		}
		if format == "gexf" {
			// GEXF carries the colours and sizes the window shows; they
			// come back as metadata.
			for i, n := range again.Nodes {
				if !strings.HasPrefix(n.Metadata["color"], "#") || n.Metadata["size"] == "" {
					t.Fatalf("gexf: node %s has no colour or size: %v", n.ID, n.Metadata)
				}
				delete(again.Nodes[i].Metadata, "color")
				delete(again.Nodes[i].Metadata, "size")
				if len(again.Nodes[i].Metadata) == 0 {
					again.Nodes[i].Metadata = nil
				}
			}
		}
		sameContents(t, format, orig, again)
	}
	resp, err := http.Get(s.url + "/api/graph/visionflow-tour/export?format=graphml")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "application/graphml+xml" || cd != `attachment; filename=visionflow-tour.graphml` {
		t.Errorf("headers: %q, %q", ct, cd)
	}
	if status, body := raw(t, "GET", s.url+"/api/graph/visionflow-tour/export?format=pajek", "", ""); status != http.StatusBadRequest || !strings.Contains(body["detail"], "gexf, graphml, json, gml, csv") {
		t.Errorf("an unknown format: %d %v", status, body)
	}
	if status, _ := raw(t, "GET", s.url+"/api/graph/nope/export?format=json", "", ""); status != http.StatusNotFound {
		t.Errorf("an unknown graph: %d", status)
	}
	if status, body := raw(t, "POST", s.url+"/api/graphs/import?format=graphml", "application/graphml+xml", `<graphml><graph><node id="a"/><edge source="a" target="b"/></graph></graphml>`); status != http.StatusBadRequest || !strings.Contains(body["detail"], `node "b" is not among the nodes`) {
		t.Errorf("a dangling edge: %d %v", status, body)
	}
	if status, _ := raw(t, "POST", s.url+"/api/graphs/import?format=graphml", "application/json", `{}`); status != http.StatusUnsupportedMediaType {
		t.Errorf("GraphML sent as JSON: %d", status)
	}
	// A CSV edge list.
	sum, warnings, err := s.c.Import(ctx, "csv", strings.NewReader("Source;Target;Weight\nValjean;Javert;17\nValjean;Cosette;31\n"), client.ImportOptions{ID: "csv"})
	if err != nil || sum.Nodes != 3 || sum.Edges != 2 || len(warnings) != 0 {
		t.Fatalf("CSV import: %v %+v %v", err, sum, warnings)
	}
	if status, body := raw(t, "POST", s.url+"/api/graphs/import?format=csv", "text/csv", "source,target\na,b\nc\n"); status != http.StatusBadRequest || !strings.Contains(body["detail"], "CSV row 3") {
		t.Errorf("a short row: %d %v", status, body)
	}
}

// visionflow export writes a graph to a file (format from its name) that
// visionflow import --graphml reads back the same; with a server on the
// database, both go through it.
func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "vf.db")
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := Main(args, &out, &errOut, nil); code != 0 {
			t.Fatalf("visionflow %v: exit %d: %s", args, code, errOut.String())
		}
		return out.String() + errOut.String()
	}
	// A first start makes the sample graph.
	s := startServer(t, db)
	physicsOff(t, s)
	orig := stableGraph(t, s.c, "visionflow-tour")
	file := filepath.Join(dir, "tour.graphml")
	if out := run("export", "--graph", "visionflow-tour", "--out", file, "--db", db); !strings.Contains(out, "exporting through it") {
		t.Errorf("with a server running: %s", out)
	}
	s.Close()
	if b, err := os.ReadFile(file); err != nil || !bytes.Contains(b, []byte("<graphml")) {
		t.Fatalf("export file: %v %.100s", err, b)
	}
	run("import", "--graphml", file, "--graph", "tour-again", "--db", db)
	jsonFile := filepath.Join(dir, "tour.json")
	run("export", "--graph", "tour-again", "--out", jsonFile, "--db", db)
	run("import", "--json", jsonFile, "--graph", "tour-third", "--db", db)
	// The format from the file's extension, read back from the content.
	ids := []string{"tour-again", "tour-third"}
	for _, ext := range []string{".gml", ".zip", ".gexf"} {
		f := filepath.Join(dir, "tour"+ext)
		run("export", "--graph", "tour-again", "--out", f, "--db", db)
		id := "tour" + strings.ReplaceAll(ext, ".", "-")
		run("import", f, "--graph", id, "--db", db)
		ids = append(ids, id)
	}
	s = startServer(t, db)
	defer s.Close()
	for _, id := range ids {
		c, err := s.c.Graph(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		sameContents(t, id, orig, c)
	}
	var errOut bytes.Buffer
	if code := Main([]string{"export", "--graph", "tour-again", "--format", "pajek", "--db", db}, io.Discard, &errOut, nil); code != 2 || !strings.Contains(errOut.String(), "want one of gexf, graphml, json") {
		t.Errorf("an unknown format: exit %d: %s", code, errOut.String())
	}
}

// physicsOff stops the layouts, so positions hold still to be compared.
func physicsOff(t *testing.T, s *testServer) {
	t.Helper()
	if _, err := s.c.SetSettings(context.Background(), settings.Update{Path: "physics.enabled", Value: json.RawMessage("false")}); err != nil {
		t.Fatal(err)
	}
}
