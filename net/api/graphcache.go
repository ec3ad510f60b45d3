package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/klauspost/compress/gzip"

	"visionflow/graph"
)

// graphCache keeps the encoded answers of GET /api/graph/{id} by the
// graph's state: its events (seq) and its layout's step. A graph at rest
// is not copied off its worker and encoded again for every client that
// opens it; one whose layout moves is (its positions are part of the
// answer).
type graphCache struct {
	c     *lru.Cache[string, *encodedGraph]
	limit int // graphs whose JSON would be larger are streamed, not cached
}

type encodedGraph struct {
	tag      string
	raw      []byte
	gzipOnce sync.Once // compressed when first asked for, not for every state
	gzip     []byte
}

func (e *encodedGraph) gzipped() []byte {
	e.gzipOnce.Do(func() {
		var zb bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
		zw.Write(e.raw)
		zw.Close()
		e.gzip = zb.Bytes()
	})
	return e.gzip
}

// maxCachedGraphBytes leaves very large graphs out of the cache: they are
// encoded each time rather than held twice.
const maxCachedGraphBytes = 64 << 20

func newGraphCache() *graphCache {
	c, _ := lru.New[string, *encodedGraph](16)
	return &graphCache{c: c, limit: maxCachedGraphBytes}
}

// etagOf names a graph's state: its id, when it was made (a graph deleted
// and made again under the same id is another), its seq and its layout's
// step. Weak: an answer's positions are read a moment after the step.
func etagOf(info graph.Info, step uint64) string {
	return fmt.Sprintf(`W/"%s@%d@%d@%d"`, info.ID, info.Created.UnixNano(), info.Seq, step)
}

// serve answers GET /api/graph/{id}: 304 when the client holds this seq,
// else the cached encoding, or a new one made by contents.
func (gc *graphCache) serve(w http.ResponseWriter, r *http.Request, info graph.Info, step uint64, contents func() (graph.Contents, error)) error {
	id, tag := info.ID, etagOf(info, step)
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "no-cache") // revalidate: the graph may change any time
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, tag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	e, ok := gc.c.Get(id)
	if !ok || e.tag != tag {
		c, err := contents()
		if err != nil {
			return err
		}
		if estimatedJSON(&c) > gc.limit {
			return streamGraph(w, r, &c, etagOf(c.Info, step))
		}
		raw, err := c.AppendJSON(nil)
		if err != nil {
			return err
		}
		e = &encodedGraph{tag: etagOf(c.Info, step), raw: raw}
		if e.tag != tag {
			w.Header().Set("ETag", e.tag) // it moved on meanwhile
		}
		if len(e.raw) <= maxCachedGraphBytes {
			gc.c.Add(id, e)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Add("Vary", "Accept-Encoding")
	body := e.raw
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		body = e.gzipped()
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

// estimatedJSON is about how many bytes c's JSON takes (a node of the
// Logseq docs takes 150 to 200, an edge 60 to 90).
func estimatedJSON(c *graph.Contents) int { return 256 + len(c.Nodes)*160 + len(c.Edges)*80 }

// streamGraph writes a graph too large to cache as it encodes it, gzipped when
// the client takes it, so its JSON is never held whole.
func streamGraph(w http.ResponseWriter, r *http.Request, c *graph.Contents, tag string) error {
	w.Header().Set("ETag", tag)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r) {
		w.WriteHeader(http.StatusOK)
		_ = c.WriteJSON(w) // the client went away if it fails
		return nil
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(http.StatusOK)
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if c.WriteJSON(zw) == nil {
		zw.Close()
	}
	return nil
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
