package ingest

import (
	"bytes"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"visionflow/graph"
)

// build applies an import's ops to a new graph.
func build(t testing.TB, imp *Import) *graph.Graph {
	t.Helper()
	g := graph.New(graph.Info{ID: "g", Type: imp.Type})
	tx := g.Begin(graph.NewClock(time.Now), "test")
	for i, op := range imp.Ops {
		if _, err := tx.Do(op); err != nil {
			t.Fatalf("op %d %+v: %v", i, op, err)
		}
	}
	tx.Commit()
	return g
}

// sampleContents has what an export must carry: labels with XML's special
// characters and other scripts, positions, weights, edge labels, metadata
// on both, one metadata key named like a field.
func sampleContents() graph.Contents {
	return graph.Contents{
		Info: graph.Info{ID: "g", Name: "Les <Misérables> & co"},
		Nodes: []graph.Node{
			{ID: "valjean", Label: "Jean Valjean", Position: graph.Vec3{X: 1.5, Y: -2, Z: 3.25}, Metadata: map[string]string{"group": "1", "label": "a field's name", "Label": "capitalised", "X": "ex", "meta.label": "prefixed", "note": "line one\nline \"two\""}},
			{ID: "javert", Label: "Javert <inspector> & 警部", Position: graph.Vec3{X: -7, Y: 0.125, Z: 0}},
			{ID: "cosette", Label: "", Metadata: map[string]string{"group": "2"}},
		},
		Edges: []graph.Edge{
			{ID: "e1", Source: "valjean", Target: "javert", Label: "pursued by", Weight: 17, Metadata: map[string]string{"chapter": "1.2"}},
			{ID: "e2", Source: "valjean", Target: "cosette", Weight: 0.5},
		},
	}
}

// Every export format read back by its reader gives the same graph.
func TestExportsRoundTrip(t *testing.T) {
	want := sampleContents()
	for _, format := range ExportFormats {
		if format == "csv-edges" {
			continue // edges only: TestCSVEdgesRoundTrip
		}
		var buf bytes.Buffer
		if err := Export(&buf, want, format, nil); err != nil {
			t.Fatal(err)
		}
		// Told from its content, as an upload without a format is.
		imp, detected, err := Read(bytes.NewReader(buf.Bytes()), "", "auto", DefaultLimits)
		if err == nil && detected != format {
			t.Errorf("%s export detected as %s", format, detected)
		}
		if err != nil {
			t.Fatalf("%s: reading the export back: %v\n%s", format, err, buf.String())
		}
		if imp.Name != want.Name {
			t.Errorf("%s: name %q", format, imp.Name)
		}
		got := build(t, imp)
		if got.NodeCount() != len(want.Nodes) || got.EdgeCount() != len(want.Edges) || len(imp.Warnings) != 0 {
			t.Fatalf("%s: %d nodes, %d edges, warnings %v", format, got.NodeCount(), got.EdgeCount(), imp.Warnings)
		}
		for _, n := range want.Nodes {
			g, ok := got.Node(n.ID)
			label := n.Label
			if label == "" {
				label = g.Label // a node without a label may take its id
			}
			if !ok || g.Label != label || g.Position != n.Position || !maps.Equal(g.Metadata, n.Metadata) {
				t.Errorf("%s: node %s came back as %+v, want %+v", format, n.ID, g, n)
			}
		}
		for _, e := range want.Edges {
			g, ok := got.Edge(e.ID)
			if !ok || g.Source != e.Source || g.Target != e.Target || g.Label != e.Label || g.Weight != e.Weight || !maps.Equal(g.Metadata, e.Metadata) {
				t.Errorf("%s: edge %s came back as %+v, want %+v", format, e.ID, g, e)
			}
		}
	}
}

// A GraphML file as networkx writes it, with typed keys, defaults, an
// undirected graph and yEd's labels in a shape.
func TestGraphMLFromOtherTools(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:y="http://www.yworks.com/xml/graphml">
  <key id="d0" for="node" attr.name="color" attr.type="string"><default>yellow</default></key>
  <key id="d1" for="edge" attr.name="weight" attr.type="double"/>
  <key id="d2" for="node" attr.name="rank" attr.type="int"/>
  <key id="d3" for="node" yfiles.type="nodegraphics"/>
  <graph id="G" edgedefault="undirected">
    <node id="n0"><data key="d0">green</data><data key="d2">3</data></node>
    <node id="n1"><data key="d3"><y:ShapeNode><y:Geometry x="1" y="2"/><y:NodeLabel>Second</y:NodeLabel></y:ShapeNode></data></node>
    <node id="n2"><port name="p"/></node>
    <edge source="n0" target="n1"><data key="d1">1.5</data></edge>
    <edge source="n1" target="n2"/>
    <hyperedge><endpoint node="n0"/><endpoint node="n1"/><endpoint node="n2"/></hyperedge>
  </graph>
</graphml>`
	imp, err := GraphML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	g := build(t, imp)
	n0, _ := g.Node("n0")
	n1, _ := g.Node("n1")
	n2, _ := g.Node("n2")
	if n0.Metadata["color"] != "green" || n0.Metadata["rank"] != "3" || n2.Metadata["color"] != "yellow" {
		t.Errorf("metadata and defaults: %v %v", n0.Metadata, n2.Metadata)
	}
	if n1.Label != "Second" {
		t.Errorf("yEd label: %q", n1.Label)
	}
	if g.EdgeCount() != 2 {
		t.Fatalf("%d edges", g.EdgeCount())
	}
	for _, e := range g.Edges() {
		if e.Source == "n0" && e.Weight != 1.5 {
			t.Errorf("weight %v", e.Weight)
		}
	}
	if w := strings.Join(imp.Warnings, "; "); !strings.Contains(w, "undirected") || !strings.Contains(w, "hyperedge") {
		t.Errorf("warnings: %v", imp.Warnings)
	}
}

func TestGraphMLRefusesWhatItCannotRead(t *testing.T) {
	head := `<graphml><key id="w" for="edge" attr.name="weight" attr.type="double"/><key id="r" for="node" attr.name="rank" attr.type="int"/><graph>`
	for name, tc := range map[string]struct{ doc, want string }{
		"not xml":        {`{"nodes": []}`, "GraphML:"},
		"not graphml":    {`<gexf><graph/></gexf>`, "the document is <gexf>, not <graphml>"},
		"no graph":       {`<graphml></graphml>`, "no <graph> element"},
		"duplicate node": {head + `<node id="a"/><node id="a"/></graph></graphml>`, `node "a": the id of node 1 too`},
		"dangling edge":  {head + `<node id="a"/><edge source="a" target="b"/></graph></graphml>`, `node "b" is not among the nodes`},
		"typed value":    {head + `<node id="a"><data key="r">three</data></node></graph></graphml>`, `"three" is not an integer`},
		"bad weight":     {head + `<node id="a"/><edge source="a" target="a"><data key="w">-1</data></edge></graph></graphml>`, "weight"},
		"bad type":       {`<graphml><key id="k" attr.type="complex"/><graph/></graphml>`, "not a GraphML type"},
		"no id":          {head + `<node/></graph></graphml>`, "node"},
		"truncated":      {head + `<node id="a">`, "GraphML:"},
	} {
		if _, err := GraphML(strings.NewReader(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
	lim := Limits{MaxNodes: 2, MaxEdges: 1}
	many := `<graphml><graph><node id="a"/><node id="b"/><node id="c"/></graph></graphml>`
	if _, err := GraphMLWithin(strings.NewReader(many), lim); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "system.import.maxNodes") {
		t.Errorf("three nodes past a limit of two: %v", err)
	}
}

func FuzzGraphML(f *testing.F) {
	var buf bytes.Buffer
	WriteGraphML(&buf, sampleContents())
	f.Add(buf.String())
	f.Add(`<graphml><key id="d" for="node" attr.name="x" attr.type="double"><default>1</default></key><graph><node id="a"><data key="d">2</data></node><edge source="a" target="a"/></graph></graphml>`)
	f.Fuzz(func(t *testing.T, doc string) {
		imp, err := GraphMLWithin(strings.NewReader(doc), Limits{MaxNodes: 1000, MaxEdges: 1000})
		if err != nil {
			return
		}
		acceptedGraph(t, imp, "GraphML", true) // duplicate edge ids are the graph's to find
	})
}

// acceptedGraph builds what a fuzz target's reader accepted, failing the
// test if the graph refuses any of its ops: what a reader accepts must be
// a valid graph. dupEdges lets a duplicate edge id through (formats where
// an edge without an id may take one given later, which the graph finds).
func acceptedGraph(t *testing.T, imp *Import, what string, dupEdges bool) *graph.Graph {
	t.Helper()
	g := graph.New(graph.Info{ID: "g", Type: imp.Type})
	tx := g.Begin(graph.NewClock(time.Now), "fuzz")
	for _, op := range imp.Ops {
		if _, err := tx.Do(op); err != nil && !(dupEdges && errors.Is(err, graph.ErrDuplicateID)) {
			t.Fatalf("accepted %s made an op the graph refuses: %+v: %v", what, op, err)
		}
	}
	tx.Commit()
	return g
}
