package api

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/net/wire"
)

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	h, err := s.b.Health(r.Context())
	if err != nil {
		return err
	}
	h.Clients = s.hub.clients()
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) listGraphs(w http.ResponseWriter, r *http.Request) error {
	list, err := s.b.ListGraphs(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"graphs": nonNil(list)})
	return nil
}

// newGraph is the body of POST /api/graphs.
type newGraph struct {
	ID   string     `json:"id"`
	Name string     `json:"name"`
	Type graph.Type `json:"type"`
}

func (s *Server) createGraph(w http.ResponseWriter, r *http.Request) error {
	client, err := clientID(r)
	if err != nil {
		return err
	}
	var req newGraph
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	info, err := graphInfo(req.ID, req.Name, req.Type)
	if err != nil {
		return err
	}
	sum, err := s.b.CreateGraph(r.Context(), client, info, "graph")
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/graph/"+sum.ID)
	writeJSON(w, http.StatusCreated, sum)
	return nil
}

// graphInfo checks the description of a new graph. An empty id is left
// for the session to fill with a free one; an empty name becomes the id.
func graphInfo(id, name string, typ graph.Type) (graph.Info, error) {
	if typ == "" {
		typ = graph.Knowledge
	}
	if err := graph.ValidateType("type", typ); err != nil {
		return graph.Info{}, err
	}
	if id != "" {
		if err := graph.ValidateGraphID(id); err != nil {
			return graph.Info{}, err
		}
	}
	if name == "" {
		name = id
	}
	if err := graph.ValidateName(name); err != nil {
		return graph.Info{}, err
	}
	return graph.Info{ID: id, Name: name, Type: typ}, nil
}

func (s *Server) deleteGraph(w http.ResponseWriter, r *http.Request) error {
	if err := s.b.DeleteGraph(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getGraph(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if at := r.URL.Query().Get("at"); at != "" {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return invalid("query parameter at=%q must be an RFC 3339 time such as 2026-11-27T10:00:00Z", at)
		}
		c, err := s.b.GraphAt(r.Context(), id, t)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_ = c.WriteJSON(w) // streamed; the client went away if it fails
		return nil
	}
	sum, err := s.b.OpenGraph(r.Context(), id)
	if err != nil {
		return err
	}
	var step uint64
	if p := s.b.Positions(id); p != nil {
		step = p.Step
	}
	return s.graphs.serve(w, r, sum.Info, step, func() (graph.Contents, error) { return s.b.Graph(r.Context(), id) })
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	since, err := queryUint(r, "since", 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryUint(r, "limit", 1000, wire.MaxEventPage)
	if err != nil {
		return err
	}
	if limit == 0 {
		return invalid("query parameter limit must be at least 1")
	}
	id := r.PathValue("id")
	evs, err := s.b.Events(r.Context(), id, since, int(limit)+1)
	if err != nil {
		return err
	}
	page := wire.EventPage{Graph: id, Events: make([]wire.Event, 0, len(evs)), Next: since}
	if len(evs) > int(limit) {
		page.More = true
		evs = evs[:limit]
	}
	for _, ev := range evs {
		page.Events = append(page.Events, wire.Event{Event: ev, At: ev.Time.Wall()})
		page.Next = ev.Seq
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// MaxBatchOps bounds one batch.
const MaxBatchOps = 1_000_000

func (s *Server) batch(w http.ResponseWriter, r *http.Request) error {
	client, err := clientID(r)
	if err != nil {
		return err
	}
	var b wire.Batch
	if err := s.decode(w, r, &b); err != nil {
		return err
	}
	if len(b.Ops) == 0 {
		return invalid(`"ops" is empty or missing`)
	}
	if limit := min(int(s.b.Settings().Float("system.http.maxBatchOps")), MaxBatchOps); len(b.Ops) > limit {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too large",
			Detail: fmt.Sprintf("%d ops in one batch; the limit is %d (system.http.maxBatchOps): split it", len(b.Ops), limit)}
	}
	ch, err := s.b.Apply(r.Context(), client, r.PathValue("id"), b.Ops)
	if err != nil {
		return err
	}
	writeChanges(w, http.StatusOK, ch)
	return nil
}

// one applies a single op built from the request body and the path, and
// answers with the node or edge as it now is plus the events.
func (s *Server) one(w http.ResponseWriter, r *http.Request, kind graph.OpKind, pathID string, status int) error {
	client, err := clientID(r)
	if err != nil {
		return err
	}
	var op graph.Op
	if kind != graph.RemoveNode && kind != graph.RemoveEdge {
		if err := s.decode(w, r, &op); err != nil {
			return err
		}
	}
	if op.Op != "" && op.Op != kind {
		return invalid(`"op": %q does not match this route, which does %s`, op.Op, kind)
	}
	op.Op = kind
	if pathID != "" {
		if op.ID != "" && op.ID != pathID {
			return invalid(`"id": %q differs from the id in the path, %q`, op.ID, pathID)
		}
		op.ID = pathID
	}
	ch, err := s.b.Apply(r.Context(), client, r.PathValue("id"), []graph.Op{op})
	if err != nil {
		return err
	}
	buf := answerBufs.Get().(*[]byte)
	defer answerBufs.Put(buf)
	*buf = appendOneAnswer((*buf)[:0], ch)
	writeJSONBytes(w, status, *buf)
	return nil
}

var answerBufs = sync.Pool{New: func() any { return new([]byte) }}

// appendOneAnswer writes the answer to a single edit, {"edge": …,
// "events": […], "node": …} with the edge or node it made or changed, by
// hand: it is what every single write returns.
func appendOneAnswer(b []byte, ch graph.Changes) []byte {
	b = append(b, '{')
	if len(ch.Edges) == 1 {
		b = append(b, `"edge":`...)
		b = ch.Edges[0].AppendJSON(b)
		b = append(b, ',')
	}
	if ch.Events == nil {
		b = append(b, `"events":null`...)
	} else {
		b = append(b, `"events":[`...)
	}
	for i := range ch.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = ch.Events[i].AppendJSON(b)
	}
	if ch.Events != nil {
		b = append(b, ']')
	}
	if len(ch.Nodes) == 1 {
		b = append(b, `,"node":`...)
		b = ch.Nodes[0].AppendJSON(b)
	}
	return append(b, "}\n"...)
}

func (s *Server) addNode(w http.ResponseWriter, r *http.Request) error {
	return s.one(w, r, graph.AddNode, "", http.StatusCreated)
}

func (s *Server) updateNode(w http.ResponseWriter, r *http.Request) error {
	return s.one(w, r, graph.UpdateNode, r.PathValue("nodeId"), http.StatusOK)
}

func (s *Server) removeNode(w http.ResponseWriter, r *http.Request) error {
	return s.one(w, r, graph.RemoveNode, r.PathValue("nodeId"), http.StatusOK)
}

func (s *Server) addEdge(w http.ResponseWriter, r *http.Request) error {
	return s.one(w, r, graph.AddEdge, "", http.StatusCreated)
}

func (s *Server) updateEdge(w http.ResponseWriter, r *http.Request) error {
	return s.one(w, r, graph.UpdateEdge, r.PathValue("edgeId"), http.StatusOK)
}

func (s *Server) removeEdge(w http.ResponseWriter, r *http.Request) error {
	return s.one(w, r, graph.RemoveEdge, r.PathValue("edgeId"), http.StatusOK)
}

// exportGraph answers
//
//	GET /api/graph/{id}/export?format=gexf|graphml|json|gml|csv|csv-edges[&colour=]
//
// with the graph in that format, as a download, written as it is encoded.
// GEXF carries the nodes' colours (by community unless colour= says
// otherwise, as the image endpoint colours them) and sizes as viz
// attributes, so Gephi opens it looking as VisionFlow shows it.
func (s *Server) exportGraph(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	format := q.Get("format")
	if !slices.Contains(ingest.ExportFormats, format) {
		return invalid("query parameter format=%q must be one of %s", format, strings.Join(ingest.ExportFormats, ", "))
	}
	by, err := colourParam(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := s.b.Graph(r.Context(), id)
	if err != nil {
		return err
	}
	var style *ingest.Style
	if format == "gexf" {
		if style, err = s.styleOf(r.Context(), id, c, by); err != nil {
			return err
		}
	}
	ext, typ := ingest.ExportType(format)
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": c.ID + ext}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	return ingest.Export(w, c, format, style)
}
