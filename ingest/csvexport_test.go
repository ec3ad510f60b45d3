package ingest

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"visionflow/graph"
)

// csvContents is gmlContents with what CSV makes hard: metadata keys that
// name columns the readers take for fields, in any case, delimiters,
// quotes and line breaks in values.
func csvContents() graph.Contents {
	c := gmlContents()
	c.Nodes = append(c.Nodes, graph.Node{ID: "a;b|c", Label: " semi; bar| tab\t", Position: graph.Vec3{X: 3}, Metadata: map[string]string{
		"Label": "L", "ID": "i", "type": "t", "from": "f", "meta.label": "m", "source": "s", "Z": "z", "x": "a \"quoted\", value\nacross lines",
	}})
	c.Edges = append(c.Edges, graph.Edge{ID: "e5", Source: "a;b|c", Target: "42", Weight: 3, Label: "Directed", Metadata: map[string]string{
		"type": "Undirected", "Type": "T", "relation": "r", "to": "x", "Weight": "heavy",
	}})
	return c
}

func TestCSVZipRoundTrip(t *testing.T) {
	want := csvContents()
	var buf bytes.Buffer
	if err := WriteCSVZip(&buf, want); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	heads := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		heads[f.Name], _, _ = strings.Cut(string(b), "\n")
	}
	if !strings.HasPrefix(heads["nodes.csv"], "id,label,x,y,z,") || !strings.HasPrefix(heads["edges.csv"], "id,source,target,weight,label,") || len(heads) != 2 {
		t.Errorf("the zip holds %v", heads)
	}
	for _, col := range []string{"meta.Label", "meta.ID", "meta.type", "meta.from", "meta.meta.label", "meta.source", "meta.x", "meta.Z"} {
		if !strings.Contains(","+heads["nodes.csv"]+",", ","+col+",") {
			t.Errorf("nodes.csv has no column %s: %s", col, heads["nodes.csv"])
		}
	}
	imp, err := CSVZip(buf.Bytes(), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Warnings) != 0 || imp.Name != want.Name {
		t.Errorf("name %q, warnings: %v", imp.Name, imp.Warnings)
	}
	for i, op := range imp.Ops[:len(want.Nodes)] {
		if op.ID != want.Nodes[i].ID {
			t.Fatalf("node %d is %q, want %q: the node table's order is kept", i, op.ID, want.Nodes[i].ID)
		}
	}
	sameGraph(t, "CSV zip", build(t, imp), want)
}

func TestCSVEdgesRoundTrip(t *testing.T) {
	want := csvContents()
	var buf bytes.Buffer
	if err := WriteCSVEdges(&buf, want); err != nil {
		t.Fatal(err)
	}
	imp, err := CSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	g := build(t, imp)
	if g.EdgeCount() != len(want.Edges) || len(imp.Warnings) != 0 {
		t.Fatalf("%d edges, warnings %v", g.EdgeCount(), imp.Warnings)
	}
	wantEdges := graph.Contents{Edges: want.Edges}
	for _, n := range g.Nodes() {
		wantEdges.Nodes = append(wantEdges.Nodes, graph.Node{ID: n.ID, Label: n.ID, Position: n.Position})
	}
	sameGraph(t, "CSV edges", g, wantEdges)
}

func FuzzCSVZip(f *testing.F) {
	for _, c := range []graph.Contents{sampleContents(), csvContents()} {
		var nodes, edges bytes.Buffer
		writeNodeTable(&nodes, c.Nodes)
		writeEdgeTable(&edges, c.Edges)
		f.Add(nodes.String(), edges.String())
	}
	f.Add("Id,Label,x,y,z,Group\na,A,1,2,,g\nb,,,,,\n", "Source,Target,Type,Id,Label,Weight\na,b,Directed,7,knows,2\nb,c,Undirected,,,\n")
	f.Add("name;ID\nAlpha;a\n", "")
	f.Fuzz(func(t *testing.T, nodes, edges string) {
		files := []string{"g/nodes.csv", nodes}
		if edges != "" {
			files = append(files, "g/edges.csv", edges)
		}
		imp, err := CSVZip(zipOf(t, files...), Limits{MaxNodes: 1000, MaxEdges: 1000})
		if err != nil {
			return
		}
		g := acceptedGraph(t, imp, "CSV tables", false)
		// And what it builds, written out, reads back the same.
		c := g.Contents()
		var buf bytes.Buffer
		if err := WriteCSVZip(&buf, c); err != nil {
			t.Fatal(err)
		}
		again, err := CSVZip(buf.Bytes(), DefaultLimits)
		if err != nil {
			t.Fatalf("the graph written as CSV tables does not read back: %v", err)
		}
		sameGraph(t, "fuzz", build(t, again), c)
	})
}
