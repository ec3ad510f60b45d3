package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/net/wire"
)

// karateOps build Zachary's karate club (34 members, 78 ties) as graph
// ops: members k1..k34.
func karateOps() []graph.Op {
	ties := map[int][]int{
		1: {2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 18, 20, 22, 32}, 2: {3, 4, 8, 14, 18, 20, 22, 31},
		3: {4, 8, 9, 10, 14, 28, 29, 33}, 4: {8, 13, 14}, 5: {7, 11}, 6: {7, 11, 17}, 7: {17},
		9: {31, 33, 34}, 10: {34}, 14: {34}, 15: {33, 34}, 16: {33, 34}, 19: {33, 34}, 20: {34},
		21: {33, 34}, 23: {33, 34}, 24: {26, 28, 30, 33, 34}, 25: {26, 28, 32}, 26: {32},
		27: {30, 34}, 28: {34}, 29: {32, 34}, 30: {33, 34}, 31: {33, 34}, 32: {33, 34}, 33: {34},
	}
	var ops []graph.Op
	for i := 1; i <= 34; i++ {
		ops = append(ops, graph.Op{Op: graph.AddNode, ID: fmt.Sprintf("k%d", i), Label: str(fmt.Sprintf("Member %d", i))})
	}
	for s := 1; s <= 34; s++ {
		for _, t := range ties[s] {
			ops = append(ops, graph.Op{Op: graph.AddEdge, ID: fmt.Sprintf("t%d-%d", s, t), Source: fmt.Sprintf("k%d", s), Target: fmt.Sprintf("k%d", t)})
		}
	}
	return ops
}

// GET /api/graph/{id}/metrics on a real server: the karate club's
// communities, modularity and betweenness as published, sorting, the
// cache's ETag, a new answer after an edit, and bad parameters refused.
func TestGraphMetricsOverREST(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	if _, err := s.c.CreateGraph(ctx, "karate", "Karate club", graph.Knowledge); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.Batch(ctx, "karate", karateOps()); err != nil {
		t.Fatal(err)
	}
	m, err := s.c.Metrics(ctx, "karate", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Nodes != 34 || m.Edges != 78 || m.Components != 1 || m.Communities != 4 || math.Abs(m.Modularity-0.4198) > 1e-4 || !m.BetweennessExact || len(m.Metrics) != 34 {
		t.Fatalf("summary %+v (%d lines)", m, len(m.Metrics))
	}
	if m.Metrics[0].ID != "k1" || m.Metrics[0].Degree != 16 || math.Abs(m.Metrics[0].Betweenness-231.0714) > 1e-3 {
		t.Fatalf("graph order, member 1: %+v", m.Metrics[0])
	}
	if m.Metrics[0].Community == m.Metrics[33].Community {
		t.Fatal("members 1 and 34 in one community")
	}

	top, err := s.c.Metrics(ctx, "karate", "betweenness", 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(top.Metrics); got != "k1 k34 k33" {
		t.Fatalf("top 3 by betweenness: %s", got)
	}
	byDegree, _ := s.c.Metrics(ctx, "karate", "degree", 2)
	if got := ids(byDegree.Metrics); got != "k34 k1" {
		t.Fatalf("top 2 by degree: %s", got)
	}
	byRank, _ := s.c.Metrics(ctx, "karate", "", 1) // top alone sorts by PageRank
	if got := ids(byRank.Metrics); got != "k34" {
		t.Fatalf("top by PageRank: %s", got)
	}

	// The answer is cached by the graph's state: a client holding it gets
	// 304; an edit makes a new one.
	status, _, hdr := do(t, "GET", s.url+"/api/graph/karate/metrics", nil, nil)
	tag := hdr.Get("ETag")
	if status != http.StatusOK || tag == "" {
		t.Fatalf("status %d, ETag %q", status, tag)
	}
	if status, _, _ := do(t, "GET", s.url+"/api/graph/karate/metrics", map[string]string{"If-None-Match": tag}, nil); status != http.StatusNotModified {
		t.Fatalf("revalidation: %d", status)
	}
	if _, err := s.c.AddNode(ctx, "karate", graph.Op{ID: "k35", Label: str("Newcomer")}); err != nil {
		t.Fatal(err)
	}
	after, err := s.c.Metrics(ctx, "karate", "", 0)
	if err != nil || after.Nodes != 35 || after.Components != 2 || after.Seq != m.Seq+1 {
		t.Fatalf("after an edit: %v %+v", err, after)
	}

	for q, want := range map[string]string{
		"?by=closeness": "must be one of degree, pagerank, betweenness",
		"?top=-1":       "top",
		"?top=x":        "top",
	} {
		status, body, _ := do(t, "GET", s.url+"/api/graph/karate/metrics"+q, nil, nil)
		if status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error"], body["detail"]), want) {
			t.Errorf("%s: %d %v", q, status, body)
		}
	}
	_, err = s.c.Metrics(ctx, "nope", "", 0)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
		t.Fatalf("unknown graph: %v", err)
	}
}

func ids(ms []wire.NodeMetrics) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return strings.Join(out, " ")
}

// Les Misérables as networkx writes it (GraphML, weighted, undirected):
// imported over REST, its measures are networkx's — Valjean, with 36
// links, lies between the most pairs (1624.47, networkx's
// betweenness_centrality unnormalised).
func TestLesMiserablesFromNetworkx(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	f, err := os.Open(filepath.Join("..", "ingest", "testdata", "lesmis-networkx.graphml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, warnings, err := s.c.Import(ctx, "graphml", f, client.ImportOptions{ID: "lesmis"})
	if err != nil || sum.Nodes != 77 || sum.Edges != 254 || len(warnings) != 1 || !strings.Contains(warnings[0], "undirected") {
		t.Fatalf("import: %v %+v %v", err, sum, warnings)
	}
	m, err := s.c.Metrics(ctx, "lesmis", "betweenness", 3)
	if err != nil {
		t.Fatal(err)
	}
	if ids(m.Metrics) != "Valjean Myriel Gavroche" || m.Metrics[0].Degree != 36 || math.Abs(m.Metrics[0].Betweenness-1624.4688) > 1e-3 {
		t.Fatalf("top by betweenness: %+v", m.Metrics)
	}
	if m.Modularity < 0.55 || m.Communities < 5 || m.Communities > 8 {
		t.Errorf("communities: %d, modularity %.3f", m.Communities, m.Modularity)
	}
}
