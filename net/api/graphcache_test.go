package api

import (
	"bytes"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"visionflow/graph"
)

// A graph too large to cache is streamed, plain or gzipped, as the same
// bytes a cached answer holds, and is not kept.
func TestLargeGraphsAreStreamedNotCached(t *testing.T) {
	c := graph.Contents{Info: graph.Info{ID: "g", Name: "G", Type: graph.Knowledge, Created: time.Unix(1_800_000_000, 0).UTC(), Seq: 3}}
	for i := range 3000 {
		id := "n" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		c.Nodes = append(c.Nodes, graph.Node{ID: id, WireID: graph.MakeWireID(graph.Knowledge, uint32(i+1)), Label: "label " + id, Type: graph.Knowledge})
	}
	want, err := c.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	gc := newGraphCache()
	gc.limit = 64 << 10 // 3,000 nodes are over it
	for _, gz := range []bool{false, true} {
		r := httptest.NewRequest("GET", "/api/graph/g", nil)
		if gz {
			r.Header.Set("Accept-Encoding", "gzip")
		}
		w := httptest.NewRecorder()
		if err := gc.serve(w, r, c.Info, 1, func() (graph.Contents, error) { return c, nil }); err != nil {
			t.Fatal(err)
		}
		body := w.Body.Bytes()
		if gz {
			if w.Header().Get("Content-Encoding") != "gzip" {
				t.Fatal("not gzipped")
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(body, want) {
			t.Errorf("gzip %v: the streamed answer differs (%d bytes, want %d)", gz, len(body), len(want))
		}
		if w.Header().Get("Content-Length") != "" || w.Header().Get("ETag") == "" {
			t.Errorf("gzip %v: headers %v", gz, w.Header())
		}
	}
	if gc.c.Len() != 0 {
		t.Error("a graph over the limit was cached")
	}
	// Under the limit it is cached.
	gc.limit = 64 << 20
	if err := gc.serve(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/graph/g", nil), c.Info, 1, func() (graph.Contents, error) { return c, nil }); err != nil {
		t.Fatal(err)
	}
	if gc.c.Len() != 1 {
		t.Error("a small graph was not cached")
	}
}
