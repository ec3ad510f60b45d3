package ingest

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"visionflow/graph"
)

// gmlContents is sampleContents with what GML makes hard: metadata keys
// GML's syntax has no room for or that name its fields, colours that go
// into graphics, parallel edges, a node without edges.
func gmlContents() graph.Contents {
	c := sampleContents()
	c.Nodes = append(c.Nodes,
		graph.Node{ID: "Zone 1/é", Label: "& \"quoted\" \t tab", Position: graph.Vec3{X: 1e6, Y: -1e-6, Z: 0.1}, Metadata: map[string]string{
			"created-at": "2024", "Zone": "z", "node_type": "t", "1st": "one", "ключ": "значение", "graphics": "g", "vfid": "v", "key": "k",
			"color": "#ff8800", "meta.x": "literal", "meta.y.z": "m", "name": "n", "x": "not a coordinate",
		}},
		graph.Node{ID: "42", Label: "42", Metadata: map[string]string{"color": "red"}},
	)
	c.Edges = append(c.Edges,
		graph.Edge{ID: "e3", Source: "valjean", Target: "javert", Weight: 1e6, Metadata: map[string]string{"color": "#00FF00", "id": "x", "value": "v"}},
		graph.Edge{ID: "e4", Source: "Zone 1/é", Target: "Zone 1/é", Weight: 0, Label: "self"},
	)
	return c
}

// sameGraph checks that got holds want's nodes and edges, a node without a
// label taking its id.
func sameGraph(t *testing.T, what string, got *graph.Graph, want graph.Contents) {
	t.Helper()
	if got.NodeCount() != len(want.Nodes) || got.EdgeCount() != len(want.Edges) {
		t.Fatalf("%s: %d nodes, %d edges, want %d and %d", what, got.NodeCount(), got.EdgeCount(), len(want.Nodes), len(want.Edges))
	}
	for _, n := range want.Nodes {
		g, ok := got.Node(n.ID)
		label := n.Label
		if label == "" {
			label = n.ID
		}
		if !ok || g.Label != label || g.Position != n.Position || !maps.Equal(g.Metadata, n.Metadata) {
			t.Errorf("%s: node %q came back as %+v, want %+v", what, n.ID, g, n)
		}
	}
	for _, e := range want.Edges {
		g, ok := got.Edge(e.ID)
		if !ok || g.Source != e.Source || g.Target != e.Target || g.Label != e.Label || g.Weight != e.Weight || !maps.Equal(g.Metadata, e.Metadata) {
			t.Errorf("%s: edge %q came back as %+v, want %+v", what, e.ID, g, e)
		}
	}
}

func TestGMLRoundTrip(t *testing.T) {
	want := gmlContents()
	var buf bytes.Buffer
	if err := WriteGML(&buf, want); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	for _, s := range []string{"multigraph 1", `name "Les <Mis&#233;rables> &#38; co"`, "createdZ2Dat", "Z5Aone", "nodeZ5Ftype", "Z31st",
		"metaZ2Egraphics", "metaZ2Evfid", "metaZ2Ekey", `fill "#ff8800"`, `color "red"`, "x 1000000.0", `&#1079;`, "ZD0ZBA"} {
		if !strings.Contains(doc, s) {
			t.Errorf("the GML has no %s:\n%s", s, doc)
		}
	}
	for i, line := range strings.Split(doc, "\n") {
		for _, r := range line {
			if r < ' ' || r > '~' {
				t.Fatalf("line %d is not printable ASCII: %q", i+1, line)
			}
		}
	}
	imp, err := GML(&buf)
	if err != nil {
		t.Fatalf("reading the export back: %v\n%s", err, doc)
	}
	if imp.Name != want.Name || len(imp.Warnings) != 0 {
		t.Errorf("name %q, warnings %v", imp.Name, imp.Warnings)
	}
	sameGraph(t, "GML", build(t, imp), want)
}

// A file networkx 2.8.8 wrote (see testdata/README.md).
func TestGMLFromNetworkx(t *testing.T) {
	f, err := os.Open("testdata/karate-networkx.gml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	imp, err := GML(f)
	if err != nil {
		t.Fatal(err)
	}
	g := build(t, imp)
	if g.NodeCount() != 34 || g.EdgeCount() != 78 || imp.Name != "Zachary's Karate Club" {
		t.Fatalf("%d nodes, %d edges, name %q", g.NodeCount(), g.EdgeCount(), imp.Name)
	}
	n0, _ := g.Node("0")
	n33, _ := g.Node("33")
	if n0.Label != "0" || n0.Metadata["club"] != "Mr. Hi" || n33.Metadata["club"] != "Officer" {
		t.Errorf("nodes: %+v %+v", n0, n33)
	}
	var total float32
	for _, e := range g.Edges() {
		total += e.Weight
		if e.Source == "0" && e.Target == "1" && e.Weight != 4 {
			t.Errorf("0 → 1: %+v", e)
		}
	}
	if total != 231 {
		t.Errorf("the weights add up to %v, want 231", total)
	}
	if w := strings.Join(imp.Warnings, "; "); !strings.Contains(w, "undirected") {
		t.Errorf("warnings: %v", imp.Warnings)
	}
}

// GML as other tools write it: Gephi (Creator, graphics with sizes and a
// fill, edge ids), yEd (label graphics, edge lines), igraph (x and y beside
// the id, a name), networkx (lists, character references, +INF), and files
// in ISO-8859-1.
func TestGMLFromOtherTools(t *testing.T) {
	doc := "\ufeff# a comment\nCreator \"Gephi\"\nVersion 1.0\ngraph\n[ directed 1 label \"tools\"\n" +
		`  node [ id 1 label "Gephi" graphics [ x -1.5E2 y .5 z 0 w 10 h 10 d 10 fill "#FF0000" type "ellipse" ] modularity_class 3 ]
  node [ id 2 label "yEd" graphics [ x 10. y 20 ] LabelGraphics [ text "yEd" fontSize 12 anchor [ x 1 y 2 ] ] ]
  node [ id "three" name "igraph" x 7 y 8 ]
  node [ id 4 label "&#201;mile &amp; &eacute; &bogus; &#xe9;" tags "_networkx_list_start" tags "a" pets "cat" pets "dog" w +INF v NAN
         pos [ x 1.5 y 2 ] fill "#000000" ]
  node [ id 5 label "` + "caf\xe9" + `" graphics [ x 1 ] ]
  edge [ id 7 source 1 target 2 value 2.5 label "knows" graphics [ width 2 fill "#0000FF" Line [ point [ x 1 y 2 ] point [ x 3 y 4 ] ] ] ]
  edge [ source "three" target 4 weight 1.E+2 value 3 ]
  edge [ source 4 target 4 ]
]
graph [ node [ id 9 ] ]
`
	imp, err := GML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if imp.Name != "tools" {
		t.Errorf("name %q", imp.Name)
	}
	g := build(t, imp)
	if g.NodeCount() != 5 || g.EdgeCount() != 3 {
		t.Fatalf("%d nodes, %d edges", g.NodeCount(), g.EdgeCount())
	}
	n := func(id string) graph.Node { v, _ := g.Node(id); return v }
	if v := n("1"); v.Label != "Gephi" || v.Position != (graph.Vec3{X: -150, Y: 0.5}) || v.Metadata["color"] != "#FF0000" || v.Metadata["modularity_class"] != "3" || len(v.Metadata) != 2 {
		t.Errorf("Gephi's node: %+v", v)
	}
	if v := n("2"); v.Position != (graph.Vec3{X: 10, Y: 20}) || len(v.Metadata) != 0 {
		t.Errorf("yEd's node: %+v", v)
	}
	if v := n("three"); v.Label != "igraph" || v.Position != (graph.Vec3{X: 7, Y: 8}) || len(v.Metadata) != 0 {
		t.Errorf("igraph's node: %+v", v)
	}
	if v := n("4"); v.Label != "Émile & é &bogus; é" || v.Metadata["tags"] != `["a"]` || v.Metadata["pets"] != `["cat","dog"]` ||
		v.Metadata["w"] != "+INF" || v.Metadata["v"] != "NAN" || v.Metadata["pos.x"] != "1.5" || v.Metadata["fill"] != "#000000" {
		t.Errorf("networkx's node: %+v", v)
	}
	if v := n("5"); v.Label != "café" || v.Metadata["x"] != "1" {
		t.Errorf("Latin-1 node with half a position: %+v", v)
	}
	for _, e := range g.Edges() {
		switch {
		case e.Source == "1":
			if e.ID != "7" || e.Weight != 2.5 || e.Label != "knows" || e.Metadata["color"] != "#0000FF" || len(e.Metadata) != 1 {
				t.Errorf("Gephi's edge: %+v", e)
			}
		case e.Source == "three":
			if e.Target != "4" || e.Weight != 100 || e.Metadata["value"] != "3" {
				t.Errorf("networkx's edge: %+v", e)
			}
		case e.Source == "4":
			if e.Weight != 1 || e.ID == "7" {
				t.Errorf("a loop: %+v", e)
			}
		}
	}
	w := strings.Join(imp.Warnings, "; ")
	for _, s := range []string{"graphics other than", "second graph", "ISO-8859-1"} {
		if !strings.Contains(w, s) {
			t.Errorf("no warning saying %q: %v", s, imp.Warnings)
		}
	}
	if strings.Contains(w, "undirected") {
		t.Errorf("a directed graph warned of undirected edges: %v", imp.Warnings)
	}
}

func TestGMLRefusesWhatItCannotRead(t *testing.T) {
	big := `graph [ node [ id 0 label "` + strings.Repeat("a", gmlMaxString+1) + `" ] ]`
	deep := "graph [ node [ id 0 " + strings.Repeat("a [ ", gmlMaxDepth) + strings.Repeat("] ", gmlMaxDepth) + "] ]"
	for name, tc := range map[string]struct{ doc, want string }{
		"empty":              {"", "GML: line 1: no graph [ … ] in the document"},
		"not gml":            {`{"nodes": []}`, `GML: line 1: unexpected '{'`},
		"xml":                {`<graphml/>`, `unexpected '<'`},
		"no value":           {"graph [ directed ]", "GML: line 1: key directed has no value: found ]"},
		"bare word":          {"graph [ label Les ]", "key label has no value: found Les"},
		"value without key":  {"graph [ 1 2 ]", "expected a key or ], found 1"},
		"unclosed list":      {"graph [\nnode [ id 0 ]\n", "GML: line 3: the list opened on line 1 is not closed"},
		"unclosed string":    {"graph [ label \"a\n\nb ]", `GML: line 3: the string begun on line 1 is not closed`},
		"bad number":         {"graph [ node [ id 1x ] ]", `"1x" is not a number`},
		"two dots":           {"graph [ x 1.2.3 ]", `"1.2.3" is not a number`},
		"long string":        {big, "GML: line 1: the string begun there is over 1048576 bytes"},
		"too deep":           {deep, "lists nested more than 64 deep"},
		"many ampersands":    {`graph [ node [ id 0 label "` + strings.Repeat("&", gmlMaxString) + `" ] ] ]`, "label: is 1048576 bytes, the limit is 1024"},
		"node not a list":    {"graph [ node 1 ]", "node must be a list [ … ], not 1"},
		"no node id":         {"graph [\nnode [ label \"a\" ] ]", "GML: line 2: a node without an id"},
		"real id":            {"graph [ node [ id 1.5 ] ]", "node id must be an integer or a string, not 1.5"},
		"huge id":            {"graph [ node [ id 99999999999999999999 ] ]", "node id 99999999999999999999 is out of range"},
		"empty id":           {`graph [ node [ id "" ] ]`, `node "" id: must not be empty`},
		"control in id":      {`graph [ node [ id "a&#7;" ] ]`, "control character"},
		"duplicate id":       {"graph [\nnode [ id 1 ]\nnode [ id 1 ] ]", "GML: line 3: node id 1 is also the id of the node on line 2"},
		"duplicate vfid":     {"graph [\nnode [ id 1 vfid \"a\" ]\nnode [ id 2 vfid \"a\" ] ]", `GML: line 3: node "a": the node on line 2 has that id too`},
		"two labels":         {"graph [ node [ id 1 label \"a\"\nlabel \"b\" ] ]", "GML: line 2: the node begun on line 1 has a second label (the first on line 1)"},
		"label list":         {"graph [ node [ id 1 label [ a 1 ] ] ]", "node label must be a number or a string, not a list"},
		"bad label":          {`graph [ node [ id 1 label "a&#0;b" ] ]`, "label: contains control character"},
		"bad x":              {`graph [ node [ id 1 graphics [ x "left" y 1 ] ] ]`, `x "left" is not a finite number`},
		"infinite x":         {`graph [ node [ id 1 graphics [ x +INF y 1 ] ] ]`, `x +INF is not a finite number`},
		"NAN y":              {`graph [ node [ id 1 x 1 y NAN ] ]`, `y NAN is not a finite number`},
		"far x":              {`graph [ node [ id 1 x 1e9 y 0 ] ]`, "coordinates must lie within"},
		"no source":          {"graph [ node [ id 1 ] edge [ target 1 ] ]", "edge 1 has no source"},
		"dangling":           {"graph [\nnode [ id 1 ]\nedge [ source 1 target 2 ] ]", `GML: line 3: edge 1: its target "2" is not the id of any node`},
		"negative weight":    {"graph [ node [ id 1 ] edge [ source 1 target 1 weight -1 ] ]", "weight: is -1; weights must lie in"},
		"infinite weight":    {"graph [ node [ id 1 ] edge [ source 1 target 1 weight +INF ] ]", "weight +INF is not a finite number"},
		"duplicate edge id":  {"graph [ node [ id 1 ]\nedge [ id 5 source 1 target 1 ]\nedge [ vfid \"5\" source 1 target 1 ] ]", `GML: line 3: edge 2: id "5" is also the id of the edge on line 2`},
		"too much metadata":  {"graph [ node [ id 1 " + strings.Repeat(`k "`+strings.Repeat("v", 1000)+`" `, 140) + "] ]", "more than its metadata may hold"},
		"long value":         {"graph [ node [ id 1 " + strings.Repeat(`k "`+strings.Repeat("v", 1000)+`" `, 20) + "] ]", `metadata["k"]: value is 20061 bytes, the limit is 16384`},
		"long metadata key":  {"graph [ node [ id 1 " + strings.Repeat("abcd [ ", 30) + "b 1" + strings.Repeat(" ]", 30) + " ] ]", "key is 151 bytes, the limit is 128"},
		"unexpected unicode": {"graph [ é 1 ]", `unexpected 'é'`},
	} {
		_, err := GML(strings.NewReader(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
	if _, err := GML(strings.NewReader("graph [ node [ id 1 ] edge [ source 1 target 7 ] ]")); !errors.Is(err, graph.ErrDangling) {
		t.Errorf("a dangling edge: %v, want ErrDangling", err)
	}
}

func TestGMLLimits(t *testing.T) {
	lim := Limits{MaxNodes: 2, MaxEdges: 1}
	for doc, setting := range map[string]string{
		"graph [ node [ id 1 ] node [ id 2 ] node [ id 3 ] ]":                           "system.import.maxNodes",
		"graph [ node [ id 1 ] edge [ source 1 target 1 ] edge [ source 1 target 1 ] ]": "system.import.maxEdges",
	} {
		if _, err := GMLWithin(strings.NewReader(doc), lim); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), setting) {
			t.Errorf("%s: %v, want ErrLimit naming %s", doc, err, setting)
		}
	}
	if _, err := GMLWithin(strings.NewReader("graph [ node [ id 1 ] node [ id 2 ] edge [ source 1 target 2 ] ]"), lim); err != nil {
		t.Errorf("at the limits: %v", err)
	}
}

// Edges with ids and edges without: those without get ids the others do
// not have, where the graph would give the first e1 before an edge that
// names itself e1 comes.
func TestGMLEdgeIDsDoNotClash(t *testing.T) {
	doc := `graph [ node [ id 1 ] edge [ source 1 target 1 ] edge [ source 1 target 1 id "e1" ] edge [ source 1 target 1 ] ]`
	imp, err := GML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if g := build(t, imp); g.EdgeCount() != 3 {
		t.Errorf("%d edges", g.EdgeCount())
	}
}

func TestGMLKeys(t *testing.T) {
	for _, k := range []string{"a", "Zone", "created-at", "node_type", "1st", "ключ", "meta.x", "meta.meta.a", "label", "graphics", "x", "Z41", "a b.c"} {
		w := gmlAttrName(k)
		if !isLetter(w[0]) || strings.ContainsFunc(w, func(r rune) bool { return !(r < 128 && (isLetter(byte(r)) || isDigit(byte(r)))) }) {
			t.Errorf("%q is written as %q, not a GML key", k, w)
		}
		if back := gmlMetaKey(w); back != k {
			t.Errorf("%q → %q → %q", k, w, back)
		}
	}
	// Another tool's keys that are not what gmlAttrName writes stay as
	// they are.
	for _, k := range []string{"Zone", "ZA", "Z41bc", "node_type", "ZFF", "Z0A"} {
		if got := gmlMetaKey(k); got != k {
			t.Errorf("%q read as %q", k, got)
		}
	}
}

// networkx reads what WriteGML writes (when python3 with networkx is
// installed): by label, as read_gml does by default, and by vfid.
func TestGMLNetworkxReadsOurs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python3")
	}
	if exec.Command("python3", "-c", "import networkx").Run() != nil {
		t.Skip("no python3 with networkx")
	}
	path := filepath.Join(t.TempDir(), "g.gml")
	var buf bytes.Buffer
	if err := WriteGML(&buf, gmlContents()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, networkx as nx
G = nx.read_gml(sys.argv[1])
H = nx.read_gml(sys.argv[1], label="vfid")
print(G.number_of_nodes(), G.number_of_edges(), G.is_directed(), G.is_multigraph(), G.graph["name"])
print(G.nodes["Jean Valjean"]["vfid"], H.nodes["Zone 1/\u00e9"]["label"], H.nodes["Zone 1/\u00e9"]["createdZ2Dat"], H.nodes["valjean"]["graphics"]["x"])
print(sorted(d["vfid"] for _, _, d in H.edges(data=True)), H["valjean"]["javert"][0]["weight"])
`
	out, err := exec.Command("python3", "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("networkx: %v\n%s", err, out)
	}
	want := "5 4 True True Les <Misérables> & co\nvaljean & \"quoted\" \t tab 2024 1.5\n['e1', 'e2', 'e3', 'e4'] 17.0\n"
	if string(out) != want {
		t.Errorf("networkx read\n%s\nwant\n%s", out, want)
	}
}

func FuzzGML(f *testing.F) {
	for _, c := range []graph.Contents{sampleContents(), gmlContents()} {
		var buf bytes.Buffer
		WriteGML(&buf, c)
		f.Add(buf.String())
	}
	if b, err := os.ReadFile("testdata/karate-networkx.gml"); err == nil {
		f.Add(string(b[:min(len(b), 2000)]) + "]")
	}
	f.Add(`Creator "x" graph [ directed 1 node [ id 1 label "a&amp;&#233;" graphics [ x 1.5 y -2E1 fill "#ff0000" ] l [ a 1 b "c" ] t "_networkx_list_start" t "x" ] node [ id "b" x 1 y 2 ] edge [ source 1 target "b" value 2 id 3 ] ]`)
	f.Add("# c\ngraph [ node [ id 0 vfid \"n\" name \"caf\xe9\" ] edge [ source 0 target 0 weight +INF ] ]")
	f.Fuzz(func(t *testing.T, doc string) {
		imp, err := GMLWithin(strings.NewReader(doc), Limits{MaxNodes: 1000, MaxEdges: 1000})
		if err != nil {
			return
		}
		g := acceptedGraph(t, imp, "GML", false)
		// And what it builds, written out, reads back the same.
		c := g.Contents()
		var buf bytes.Buffer
		if err := WriteGML(&buf, c); err != nil {
			t.Fatal(err)
		}
		again, err := GML(&buf)
		if err != nil {
			t.Fatalf("the graph written as GML does not read back: %v\n%s", err, buf.String())
		}
		sameGraph(t, "fuzz", build(t, again), c)
	})
}
