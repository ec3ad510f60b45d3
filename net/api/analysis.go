package api

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"visionflow/graph"
	"visionflow/graph/analysis"
	"visionflow/net/wire"
)

// analyses keeps the measures of recently asked graphs by their state
// (id, creation, seq): positions do not change them, so a graph at rest
// is measured once however many clients ask. One analysis runs at a time
// (a 100k-node graph takes about a second and its memory), and
// concurrent requests for one state share it.
type analyses struct {
	c    *lru.Cache[string, *measured]
	sf   singleflight.Group
	slot chan struct{}
}

type measured struct {
	tag   string
	seq   uint64
	edges int
	nodes []graph.Node // id and label only
	res   *analysis.Result
}

func newAnalyses() *analyses {
	c, _ := lru.New[string, *measured](8)
	return &analyses{c: c, slot: make(chan struct{}, 1)}
}

// metricOrders are what GET /api/graph/{id}/metrics can sort by.
var metricOrders = []string{"degree", "pagerank", "betweenness"}

// graphMetrics answers
//
//	GET /api/graph/{id}/metrics[?by=degree|pagerank|betweenness][&top=N]
//
// with the graph's components, communities (Louvain) and modularity, and
// each node's degree, PageRank, betweenness (sampled on large graphs),
// community and component: in the graph's order, or sorted by one
// measure (highest first), the first top of them.
func (s *Server) graphMetrics(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	by := q.Get("by")
	if by != "" && !slices.Contains(metricOrders, by) {
		return invalid("query parameter by=%q must be one of %s", by, strings.Join(metricOrders, ", "))
	}
	top, err := queryUint(r, "top", 0, uint64(graph.MaxWireIndex))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	sum, err := s.b.OpenGraph(r.Context(), id)
	if err != nil {
		return err
	}
	tag := etagOf(sum.Info, 0)
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, tag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	m, err := s.measure(r.Context(), id, tag)
	if err != nil {
		return err
	}
	if m.tag != tag {
		w.Header().Set("ETag", m.tag) // it moved on meanwhile
	}
	res := m.res
	order := make([]int, len(m.nodes))
	for i := range order {
		order[i] = i
	}
	if by == "" && top > 0 {
		by = "pagerank"
	}
	if by != "" {
		key := func(i int) float64 {
			switch by {
			case "degree":
				return float64(res.Degree[i])
			case "betweenness":
				return res.Betweenness[i]
			}
			return res.PageRank[i]
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(key(b), key(a)) })
	}
	if top > 0 && int(top) < len(order) {
		order = order[:top]
	}
	head := wire.GraphMetrics{
		Graph: id, Seq: m.seq, Nodes: len(m.nodes), Edges: m.edges,
		Components: res.Components, Communities: res.Communities, Modularity: res.Modularity,
		BetweennessSources: res.Sources, BetweennessExact: res.Sources == len(m.nodes),
	}
	writeObject(w, http.StatusOK, head, listField{"metrics", len(order), func(k int) any {
		i := order[k]
		return wire.NodeMetrics{ID: m.nodes[i].ID, Label: m.nodes[i].Label, Degree: res.Degree[i], PageRank: res.PageRank[i],
			Betweenness: res.Betweenness[i], Community: res.Community[i], Component: res.Component[i]}
	}})
	return nil
}

// measure returns the analysis of graph id at tag (or newer), from the
// cache or made now.
func (s *Server) measure(ctx context.Context, id, tag string) (*measured, error) {
	if m, ok := s.analyses.c.Get(id); ok && m.tag == tag {
		return m, nil
	}
	for {
		v, err, _ := s.analyses.sf.Do(tag, func() (any, error) {
			select {
			case s.analyses.slot <- struct{}{}:
				defer func() { <-s.analyses.slot }()
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			c, err := s.b.Graph(ctx, id)
			if err != nil {
				return nil, err
			}
			res, err := analysis.Analyze(ctx, analysis.FromContents(c), analysis.Options{Seed: 1})
			if err != nil {
				return nil, err
			}
			m := &measured{tag: etagOf(c.Info, 0), seq: c.Seq, edges: len(c.Edges), nodes: make([]graph.Node, len(c.Nodes)), res: res}
			for i, n := range c.Nodes {
				m.nodes[i] = graph.Node{ID: n.ID, Label: n.Label}
			}
			s.analyses.c.Add(id, m)
			return m, nil
		})
		// Another request started this analysis and gave up; this one
		// has not, so it runs its own.
		if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return v.(*measured), nil
	}
}
