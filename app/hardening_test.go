package app

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"visionflow/assets"
	"visionflow/graph"
	"visionflow/net/client"
)

// do sends a request with headers and returns the status and JSON body.
func do(t *testing.T, method, url string, hdr map[string]string, body []byte) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, resp.Header
}

var jsonType = map[string]string{"Content-Type": "application/json"}

// zipWith builds an archive; entries with a negative size are written raw
// with that many bytes declared (as uint64) but a few real bytes stored.
func zipWith(t *testing.T, files map[string]string, lie map[string]uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, text := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(text))
	}
	for name, size := range lie {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CompressedSize64: 4, UncompressedSize64: size, CRC32: 0})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("- x\n"))
	}
	zw.Close()
	return buf.Bytes()
}

func TestHostileRequests(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	if _, err := s.c.CreateGraph(ctx, "g", "G", graph.Knowledge); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.AddNode(ctx, "g", graph.Op{ID: "keep"}); err != nil {
		t.Fatal(err)
	}
	api := s.url + "/api"
	zipType := map[string]string{"Content-Type": "application/zip"}
	huge := uint64(1) << 40
	tests := []struct {
		name, method, path string
		hdr                map[string]string
		body               []byte
		status             int
		detail             string
	}{
		{"zip sizes that overflow a sum", "POST", "/graphs/import?format=logseq", zipType,
			zipWith(t, nil, map[string]uint64{"pages/a.md": huge, "pages/b.md": -huge}), 400, "expands to more than"},
		{"zip entry claiming a terabyte", "POST", "/graphs/import?format=logseq", zipType,
			zipWith(t, nil, map[string]uint64{"pages/a.md": huge}), 400, "expands to more than"},
		{"zip page larger than allowed", "POST", "/graphs/import?format=logseq", zipType,
			zipWith(t, map[string]string{"pages/big.md": strings.Repeat("x", 17<<20)}, nil), 400, "larger than 16777216 bytes"},
		{"zip with an escaping path", "POST", "/graphs/import?format=logseq", zipType,
			zipWith(t, map[string]string{"../pages/a.md": "- x"}, nil), 400, "unsafe path"},
		{"dot-dot node id", "DELETE", "/graph/g/nodes/..", nil, nil, 400, "not in canonical form"},
		{"dot segment", "GET", "/graph/g/./nodes", nil, nil, 400, "not in canonical form"},
		{"wrong method", "PUT", "/graphs", jsonType, []byte(`{}`), 405, "use GET or POST"},
		{"rebinding host", "GET", "/graphs", map[string]string{"Host": "attacker.example:7733"}, nil, 403, `host "attacker.example:7733" is not this machine`},
		{"duplicate key", "POST", "/graph/g/batch", jsonType, []byte(`{"ops": [{"op": "addNode", "op": "removeNode", "id": "keep"}]}`), 400, `the key "op" appears twice`},
		{"duplicate id key", "POST", "/graph/g/nodes", jsonType, []byte(`{"id": "n3", "id": "n4"}`), 400, `the key "id" appears twice`},
		{"utf-16 body", "POST", "/graph/g/nodes", map[string]string{"Content-Type": "application/json; charset=utf-16"}, []byte(`{"id": "x"}`), 415, "bodies must be UTF-8"},
		{"setting whose value is the word updates", "POST", "/settings", jsonType, []byte(`{"path": "system.debug.logLevel", "value": "updates"}`), 400, `must be one of "debug", "info", "warn", "error", got "updates"`},
		{"replace without an id", "POST", "/graphs/import?format=json&replace=true", jsonType, []byte(`{"nodes": []}`), 400, "needs the id of the graph to replace"},
	}
	for _, tc := range tests {
		status, body, hdr := do(t, tc.method, api+tc.path, tc.hdr, tc.body)
		detail, _ := body["detail"].(string)
		if status != tc.status || !strings.Contains(detail, tc.detail) {
			t.Errorf("%s: got %d %v, want %d …%s…", tc.name, status, body, tc.status, tc.detail)
		}
		if status == 405 && hdr.Get("Allow") != "GET, POST" {
			t.Errorf("%s: Allow %q", tc.name, hdr.Get("Allow"))
		}
	}
	c, err := s.c.Graph(ctx, "g")
	if err != nil || len(c.Nodes) != 1 || c.Nodes[0].ID != "keep" {
		t.Errorf("graph g after hostile requests: %v %+v", err, c)
	}
	// The server still answers: nothing crashed it.
	if _, err := s.c.Health(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestArchivesFromOtherTools(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	page := "- links to [[Other]]\n"
	for name, files := range map[string]map[string]string{
		"macOS":   {"notes/pages/Start.md": page, "__MACOSX/notes/pages/._Start.md": "junk", "notes/.DS_Store": "junk"},
		"windows": {`notes\pages\Start.md`: page},
		"flat":    {"pages/Start.md": page},
	} {
		sum, _, err := s.c.Import(context.Background(), "logseq", bytes.NewReader(zipWith(t, files, nil)), client.ImportOptions{})
		if err != nil || sum.Nodes != 2 || sum.Edges != 1 {
			t.Errorf("%s archive: %v %+v", name, err, sum)
		}
	}
}

func TestPagingPastTheLargestPage(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	ops := make([]graph.Op, 10_500)
	for i := range ops {
		ops[i] = graph.Op{Op: graph.AddNode, ID: fmt.Sprint("n", i)}
	}
	if _, err := s.c.CreateGraph(ctx, "big", "", graph.Knowledge); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.Batch(ctx, "big", ops); err != nil {
		t.Fatal(err)
	}
	page, err := s.c.Events(ctx, "big", 0, 10_000)
	if err != nil || len(page.Events) != 10_000 || !page.More || page.Next != 10_000 {
		t.Fatalf("first page: %v, %d events, more %v, next %d", err, len(page.Events), page.More, page.Next)
	}
	all, err := s.c.AllEvents(ctx, "big")
	if err != nil || len(all) != 10_500 {
		t.Errorf("AllEvents: %v, %d events", err, len(all))
	}
}

func TestConcurrentCreatesWithoutIDs(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	var wg sync.WaitGroup
	ids := make(chan string, 12)
	for range 12 {
		wg.Go(func() {
			status, body, _ := do(t, "POST", s.url+"/api/graphs", jsonType, []byte(`{}`))
			if status != 201 {
				t.Errorf("create: %d %v", status, body)
				return
			}
			ids <- body["id"].(string)
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("id %q given twice", id)
		}
		seen[id] = true
	}
}

func TestOneServerPerDatabaseAndImportsGoThroughIt(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vf.db")
	s := startServer(t, db)
	defer s.Close()
	var out, errOut bytes.Buffer
	code := Main([]string{"--headless", "--db", db, "--addr", "127.0.0.1:0"}, &out, &errOut, nil)
	if code != 1 || !strings.Contains(errOut.String(), "a VisionFlow server is using this database at "+s.url) {
		t.Errorf("second server: exit %d, %q", code, errOut.String())
	}
	file := filepath.Join(t.TempDir(), "g.json")
	os.WriteFile(file, []byte(`{"nodes": [{"id": "a"}, {"id": "b"}], "links": [{"source": "a", "target": "b"}]}`), 0o644)
	out.Reset()
	errOut.Reset()
	if code := Main([]string{"import", "--json", file, "--graph", "viaserver", "--db", db}, &out, &errOut, nil); code != 0 {
		t.Fatalf("import: exit %d, %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "sending the import to it at "+s.url) {
		t.Errorf("import did not say it went through the server: %q", errOut.String())
	}
	// The server knows the graph at once, and can change it.
	if _, err := s.c.AddNode(context.Background(), "viaserver", graph.Op{ID: "c"}); err != nil {
		t.Errorf("edit after import through the server: %v", err)
	}
	// Replacing through the server keeps the server consistent too.
	os.WriteFile(file, []byte(`{"nodes": [{"id": "z"}]}`), 0o644)
	if code := Main([]string{"import", "--json", file, "--graph", "viaserver", "--replace", "--db", db}, &out, &errOut, nil); code != 0 {
		t.Fatalf("replace: exit %d, %s", code, errOut.String())
	}
	c, err := s.c.Graph(context.Background(), "viaserver")
	if err != nil || len(c.Nodes) != 1 || c.Nodes[0].ID != "z" {
		t.Errorf("after replace through the server: %v %+v", err, c.Nodes)
	}
	if _, err := s.c.AddNode(context.Background(), "viaserver", graph.Op{ID: "after"}); err != nil {
		t.Errorf("edit after replace: %v", err)
	}
}

func TestFailedReplaceKeepsTheOldGraph(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vf.db")
	good := filepath.Join(t.TempDir(), "good.json")
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(good, []byte(`{"nodes": [{"id": "a"}, {"id": "b"}]}`), 0o644)
	os.WriteFile(bad, []byte(`{"nodes": [{"id": "x", "label": "`+strings.Repeat("L", 2000)+`"}]}`), 0o644)
	var out, errOut bytes.Buffer
	if code := Main([]string{"import", "--json", good, "--graph", "g", "--db", db}, &out, &errOut, nil); code != 0 {
		t.Fatal(errOut.String())
	}
	if code := Main([]string{"import", "--json", bad, "--graph", "g", "--replace", "--db", db}, &out, &errOut, nil); code != 1 || !strings.Contains(errOut.String(), "the limit is 1024") {
		t.Errorf("bad replace: exit %d, %q", code, errOut.String())
	}
	s := startServer(t, db)
	defer s.Close()
	c, err := s.c.Graph(context.Background(), "g")
	if err != nil || len(c.Nodes) != 2 {
		t.Errorf("the old graph is gone after a failed replace: %v %+v", err, c)
	}
}

func TestTheSampleComesOnlyOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vf.db")
	s := startServer(t, db)
	if err := s.c.DeleteGraph(context.Background(), assets.SampleGraphID); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = startServer(t, db)
	defer s.Close()
	if list, _ := s.c.Graphs(context.Background()); len(list) != 0 {
		t.Errorf("the deleted sample came back: %+v", list)
	}
}
