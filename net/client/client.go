// Package client is a Go client for a VisionFlow server's REST API, used by
// scripts, by the tests and by a desktop instance that joins another host.
package client

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"visionflow/graph"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
)

// Client talks to one VisionFlow server.
type Client struct {
	base  string
	http  *http.Client
	id    string
	token string
}

// SetToken makes every request and stream of c carry a token (a shared
// server needs one); the server then names c by the token, not clientID.
// Call it before c is used.
func (c *Client) SetToken(token string) { c.token = token }

// New returns a client for the server at base (such as
// "http://127.0.0.1:7733"). clientID names this client in the server's event
// log and settings history; it may be empty.
func New(base, clientID string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 5 * time.Minute}, id: clientID}
}

// Error is a failed request: the HTTP status and the server's explanation.
type Error struct {
	Status int
	Code   string `json:"error"`
	Detail string `json:"detail"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Detail)
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	resp, err := c.send(ctx, method, path, contentType, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// send sends a request and returns a successful answer, whose body the
// caller closes; a failed one is an *Error.
func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.id != "" {
		req.Header.Set("X-Client-ID", c.id)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		e := &Error{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, e) != nil || e.Code == "" {
			e.Code, e.Detail = http.StatusText(resp.StatusCode), strings.TrimSpace(string(b))
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, e)
	}
	return resp, nil
}

func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do(ctx, method, path, "application/json", bytes.NewReader(b), out)
}

func graphPath(id string, rest ...string) string {
	p := "/api/graph/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// Health returns the server's health report.
func (c *Client) Health(ctx context.Context) (session.Health, error) {
	var h session.Health
	return h, c.do(ctx, "GET", "/api/health", "", nil, &h)
}

// Graphs lists the server's graphs.
func (c *Client) Graphs(ctx context.Context) ([]graph.Summary, error) {
	var out struct {
		Graphs []graph.Summary `json:"graphs"`
	}
	return out.Graphs, c.do(ctx, "GET", "/api/graphs", "", nil, &out)
}

// CreateGraph creates an empty graph.
func (c *Client) CreateGraph(ctx context.Context, id, name string, typ graph.Type) (graph.Summary, error) {
	var sum graph.Summary
	return sum, c.doJSON(ctx, "POST", "/api/graphs", map[string]any{"id": id, "name": name, "type": typ}, &sum)
}

// ImportOptions name the graph an import creates.
type ImportOptions struct {
	ID      string // empty: the server picks a free one
	Name    string
	Replace bool // replace a graph with the same id
}

// Import uploads a graph: format "logseq" with a zip of the notebook, or
// "json" with node-link JSON.
func (c *Client) Import(ctx context.Context, format string, body io.Reader, opt ImportOptions) (graph.Summary, []string, error) {
	q := url.Values{"format": {format}}
	if opt.ID != "" {
		q.Set("id", opt.ID)
	}
	if opt.Name != "" {
		q.Set("name", opt.Name)
	}
	if opt.Replace {
		q.Set("replace", "true")
	}
	ct := "application/json"
	switch format {
	case "logseq", "obsidian":
		ct = "application/zip"
	case "graphml":
		ct = "application/graphml+xml"
	case "gexf":
		ct = "application/gexf+xml"
	case "gml", "auto":
		ct = "text/plain"
	case "csv":
		ct = "text/csv"
	}
	var out struct {
		Graph    graph.Summary `json:"graph"`
		Warnings []string      `json:"warnings"`
	}
	err := c.do(ctx, "POST", "/api/graphs/import?"+q.Encode(), ct, body, &out)
	return out.Graph, out.Warnings, err
}

// ImportLogseq zips a Logseq notebook folder and uploads it.
func (c *Client) ImportLogseq(ctx context.Context, dir string, opt ImportOptions) (graph.Summary, []string, error) {
	return c.ImportFolder(ctx, "logseq", dir, opt)
}

// ImportFolder zips a folder of notes (format logseq or obsidian) and
// uploads it.
func (c *Client) ImportFolder(ctx context.Context, format, dir string, opt ImportOptions) (graph.Summary, []string, error) {
	z, err := ZipFolder(dir)
	if err != nil {
		return graph.Summary{}, nil, err
	}
	return c.Import(ctx, format, bytes.NewReader(z), opt)
}

// ZipFolder zips a folder's files (not following links), with paths
// relative to it.
func ZipFolder(dir string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("zip %s: %w", dir, err)
	}
	return buf.Bytes(), nil
}

// DeleteGraph deletes a graph and its history.
func (c *Client) DeleteGraph(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", graphPath(id), "", nil, nil)
}

// Graph returns a graph's current state.
func (c *Client) Graph(ctx context.Context, id string) (graph.Contents, error) {
	var g graph.Contents
	return g, c.do(ctx, "GET", graphPath(id), "", nil, &g)
}

// GraphAt returns a graph as it was at time at.
func (c *Client) GraphAt(ctx context.Context, id string, at time.Time) (graph.Contents, error) {
	var g graph.Contents
	return g, c.do(ctx, "GET", graphPath(id)+"?at="+url.QueryEscape(at.UTC().Format(time.RFC3339Nano)), "", nil, &g)
}

// Events returns one page of a graph's events after seq since.
// Metrics is GET /api/graph/{id}/metrics: by sorts the nodes by
// "degree", "pagerank" or "betweenness" (highest first; "" keeps the
// graph's order) and top keeps the first top of them (0: all).
func (c *Client) Metrics(ctx context.Context, id, by string, top int) (wire.GraphMetrics, error) {
	q := url.Values{}
	if by != "" {
		q.Set("by", by)
	}
	if top > 0 {
		q.Set("top", strconv.Itoa(top))
	}
	path := graphPath(id, "metrics")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out wire.GraphMetrics
	err := c.doJSON(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// Export downloads graph id in format (graphml or json) into w.
func (c *Client) Export(ctx context.Context, id, format string, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, graphPath(id, "export")+"?format="+url.QueryEscape(format), "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

func (c *Client) Events(ctx context.Context, id string, since uint64, limit int) (wire.EventPage, error) {
	var p wire.EventPage
	path := graphPath(id, "events") + "?since=" + strconv.FormatUint(since, 10) + "&limit=" + strconv.Itoa(limit)
	return p, c.do(ctx, "GET", path, "", nil, &p)
}

// AllEvents pages through a graph's whole event log.
func (c *Client) AllEvents(ctx context.Context, id string) ([]wire.Event, error) {
	var all []wire.Event
	var since uint64
	for {
		p, err := c.Events(ctx, id, since, wire.MaxEventPage)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Events...)
		if !p.More {
			return all, nil
		}
		since = p.Next
	}
}

// Batch applies ops to a graph, all or nothing.
func (c *Client) Batch(ctx context.Context, graphID string, ops []graph.Op) (graph.Changes, error) {
	var ch graph.Changes
	return ch, c.doJSON(ctx, "POST", graphPath(graphID, "batch"), wire.Batch{Ops: ops}, &ch)
}

// Change is the answer to a single node or edge request.
type Change struct {
	Node   *graph.Node   `json:"node"`
	Edge   *graph.Edge   `json:"edge"`
	Events []graph.Event `json:"events"`
}

// AddNode adds a node; op.Op may be left empty.
func (c *Client) AddNode(ctx context.Context, graphID string, op graph.Op) (Change, error) {
	var ch Change
	return ch, c.doJSON(ctx, "POST", graphPath(graphID, "nodes"), op, &ch)
}

// UpdateNode changes a node's label, position, pinned flag or metadata.
func (c *Client) UpdateNode(ctx context.Context, graphID, nodeID string, op graph.Op) (Change, error) {
	var ch Change
	return ch, c.doJSON(ctx, "PATCH", graphPath(graphID, "nodes", nodeID), op, &ch)
}

// RemoveNode removes a node and its edges.
func (c *Client) RemoveNode(ctx context.Context, graphID, nodeID string) (Change, error) {
	var ch Change
	return ch, c.do(ctx, "DELETE", graphPath(graphID, "nodes", nodeID), "", nil, &ch)
}

// AddEdge adds an edge; op.Op may be left empty.
func (c *Client) AddEdge(ctx context.Context, graphID string, op graph.Op) (Change, error) {
	var ch Change
	return ch, c.doJSON(ctx, "POST", graphPath(graphID, "edges"), op, &ch)
}

// UpdateEdge changes an edge's label, weight or metadata.
func (c *Client) UpdateEdge(ctx context.Context, graphID, edgeID string, op graph.Op) (Change, error) {
	var ch Change
	return ch, c.doJSON(ctx, "PATCH", graphPath(graphID, "edges", edgeID), op, &ch)
}

// RemoveEdge removes an edge.
func (c *Client) RemoveEdge(ctx context.Context, graphID, edgeID string) (Change, error) {
	var ch Change
	return ch, c.do(ctx, "DELETE", graphPath(graphID, "edges", edgeID), "", nil, &ch)
}

// Settings returns the whole settings tree.
func (c *Client) Settings(ctx context.Context) (map[string]any, error) {
	var t map[string]any
	return t, c.do(ctx, "GET", "/api/settings", "", nil, &t)
}

// Setting returns one setting or group.
func (c *Client) Setting(ctx context.Context, path string) (json.RawMessage, error) {
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	return out.Value, c.do(ctx, "GET", "/api/settings/"+path, "", nil, &out)
}

// SetSettings applies updates, all or nothing, and returns the deltas.
func (c *Client) SetSettings(ctx context.Context, updates ...settings.Update) ([]settings.Delta, error) {
	var out struct {
		Applied []settings.Delta `json:"applied"`
	}
	return out.Applied, c.doJSON(ctx, "POST", "/api/settings", updates, &out)
}

// SettingsHistory returns recorded settings changes after id since.
func (c *Client) SettingsHistory(ctx context.Context, path string, since int64) ([]settings.Delta, error) {
	var out struct {
		Deltas []settings.Delta `json:"deltas"`
	}
	q := url.Values{"since": {strconv.FormatInt(since, 10)}}
	if path != "" {
		q.Set("path", path)
	}
	return out.Deltas, c.do(ctx, "GET", "/api/settings/history?"+q.Encode(), "", nil, &out)
}
