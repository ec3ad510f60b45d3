package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"visionflow/graph"
)

// The answer to a single edit, written by hand, is what encoding/json
// wrote for it: the same bytes.
func TestOneAnswerMatchesEncodingJSON(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := graph.NewClock(func() time.Time { return now })
	g := graph.New(graph.Info{ID: "g", Type: graph.Knowledge})
	odd := "<b>&\"é\u2028\\"
	weight := float32(1e-7)
	pos := graph.Vec3{X: 1.5, Y: -2e-7, Z: 0}
	ops := []graph.Op{
		{Op: graph.AddNode, ID: "a", Label: &odd, Position: &pos, Metadata: map[string]*string{"k": &odd, odd: &odd}},
		{Op: graph.AddNode, ID: "b"},
		{Op: graph.AddEdge, ID: "e", Source: "a", Target: "b", Label: &odd, Weight: &weight},
		{Op: graph.UpdateNode, ID: "a", Metadata: map[string]*string{"k": nil}},
		{Op: graph.UpdateEdge, ID: "e", Metadata: map[string]*string{"m": &odd}},
		{Op: graph.RemoveNode, ID: "b"},
	}
	for _, op := range ops {
		tx := g.Begin(clock, odd)
		id, err := tx.Do(op)
		if err != nil {
			t.Fatal(err)
		}
		ch := graph.Changes{Events: tx.Commit(), Nodes: []graph.Node{}, Edges: []graph.Edge{}}
		if n, ok := g.Node(id); ok {
			ch.Nodes = append(ch.Nodes, n)
		}
		if e, ok := g.Edge(id); ok {
			ch.Edges = append(ch.Edges, e)
		}
		for _, ch := range []graph.Changes{ch, {}} {
			resp := map[string]any{"events": ch.Events}
			if len(ch.Nodes) == 1 {
				resp["node"] = ch.Nodes[0]
			}
			if len(ch.Edges) == 1 {
				resp["edge"] = ch.Edges[0]
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(resp); err != nil {
				t.Fatal(err)
			}
			if got := appendOneAnswer(nil, ch); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s:\n got %s\nwant %s", op.Op, got, want.Bytes())
			}
		}
	}
}
