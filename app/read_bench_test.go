package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/gen"
	"visionflow/ingest"
)

// BenchmarkGraphRead64k: GET /api/graph/{id} of a 64,000-node / 245,000-edge
// graph over HTTP, the body read whole (no gzip), with a write before each
// read so the answer is made anew (live), and the same graph as it stood a
// moment ago (?at=, replayed from the store). Issue 14 asks ?at= for at
// most twice a live read.
func BenchmarkGraphRead64k(b *testing.B) {
	ctx := context.Background()
	ts := startServer(b, filepath.Join(b.TempDir(), "read.db"))
	defer ts.Close()
	imp := &ingest.Import{Type: graph.Knowledge, Ops: gen.Ops(64_000, 245_000, 1)}
	if _, err := ts.Session.Import(ctx, "bench", graph.Info{ID: "g", Type: graph.Knowledge}, imp, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	get := func(b *testing.B, u string) int {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept-Encoding", "identity")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %s", u, resp.Status)
		}
		return int(n)
	}
	i := 0
	b.Run("live", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if _, err := ts.c.AddNode(ctx, "g", graph.Op{ID: fmt.Sprint("r", i)}); err != nil {
				b.Fatal(err)
			}
			i++
			b.StartTimer()
			b.SetBytes(int64(get(b, ts.url+"/api/graph/g")))
		}
	})
	at := time.Now().UTC().Format(time.RFC3339Nano)
	b.Run("at", func(b *testing.B) {
		for b.Loop() {
			b.SetBytes(int64(get(b, ts.url+"/api/graph/g?at="+url.QueryEscape(at))))
		}
	})
}
