package ingest

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"visionflow/graph"
)

// readJSON imports doc and checks that its ops build a valid graph.
func readJSON(t *testing.T, doc string) (*Import, *graph.Graph) {
	t.Helper()
	imp, err := NodeLink(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	g := build(t, imp)
	if g.NodeCount() != imp.Nodes || g.EdgeCount() != imp.Edges {
		t.Fatalf("counts %d/%d, graph has %d/%d", imp.Nodes, imp.Edges, g.NodeCount(), g.EdgeCount())
	}
	return imp, g
}

// edgeList is a graph's edges as "source→target weight label", sorted.
func edgeList(g *graph.Graph) []string {
	var out []string
	for _, e := range g.Edges() {
		out = append(out, fmt.Sprintf("%s→%s %g %s", e.Source, e.Target, e.Weight, e.Label))
	}
	slices.Sort(out)
	return out
}

func warned(imp *Import, part string) bool {
	return slices.ContainsFunc(imp.Warnings, func(w string) bool { return strings.Contains(w, part) })
}

// Zachary's karate club as networkx writes it in each of its dialects
// (testdata/README.md) is the same graph.
func TestJSONKarateFromNetworkx(t *testing.T) {
	var first []string
	for _, file := range []string{"karate-node-link.json", "karate-adjacency.json", "karate-cytoscape.json"} {
		doc, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		imp, g := readJSON(t, string(doc))
		if imp.Name != "Zachary's Karate Club" || imp.Nodes != 34 || imp.Edges != 78 {
			t.Errorf("%s: %q, %d nodes, %d edges; want the karate club's 34 and 78", file, imp.Name, imp.Nodes, imp.Edges)
		}
		hi, _ := g.Node("0")
		officer, _ := g.Node("33")
		if hi.Metadata["club"] != "Mr. Hi" || officer.Metadata["club"] != "Officer" {
			t.Errorf("%s: clubs %v %v", file, hi.Metadata, officer.Metadata)
		}
		var total float32
		for _, e := range g.Edges() {
			total += e.Weight
		}
		if total != 231 {
			t.Errorf("%s: weights sum to %v, want 231", file, total)
		}
		if !warned(imp, "undirected") || len(imp.Warnings) != 1 {
			t.Errorf("%s: warnings %q, want one: undirected", file, imp.Warnings)
		}
		edges := edgeList(g)
		if first == nil {
			first = edges
			if !slices.Contains(edges, "0→1 4 ") {
				t.Errorf("%s: no edge 0→1 of weight 4 in %q", file, edges)
			}
		} else if !slices.Equal(edges, first) {
			t.Errorf("%s: edges differ from the node-link file's:\n%q\n%q", file, edges, first)
		}
		if file == "karate-cytoscape.json" && (hi.Label != "0" || hi.Metadata["value"] != "0") {
			t.Errorf("%s: node 0 %+v", file, hi)
		}
	}
}

// d3 v3's miserables.json: nodes without ids, links by index.
const miserablesV3 = `{
  "nodes": [
    {"name": "Myriel", "group": 1},
    {"name": "Napoleon", "group": 1},
    {"name": "Mlle.Baptistine", "group": 1},
    {"name": "Mme.Magloire", "group": 1}
  ],
  "links": [
    {"source": 1, "target": 0, "value": 1},
    {"source": 2, "target": 0, "value": 8},
    {"source": 3, "target": 0, "value": 10},
    {"source": 3, "target": 2, "value": 6}
  ]
}`

func TestJSOND3(t *testing.T) {
	want := []string{"1→0 1 ", "2→0 8 ", "3→0 10 ", "3→2 6 "}
	check := func(name, doc string, want []string) (*Import, *graph.Graph) {
		t.Helper()
		imp, g := readJSON(t, doc)
		if got := edgeList(g); !slices.Equal(got, want) {
			t.Errorf("%s: edges %q, want %q", name, got, want)
		}
		for i, label := range []string{"Myriel", "Napoleon", "Mlle.Baptistine", "Mme.Magloire"} {
			n, ok := g.Node(fmt.Sprint(i))
			if !ok || n.Label != label || n.Metadata["group"] != "1" {
				t.Errorf("%s: node %d %+v, want %s of group 1", name, i, n, label)
			}
		}
		return imp, g
	}
	if imp, _ := check("v3", miserablesV3, want); len(imp.Warnings) != 0 {
		t.Errorf("v3: warnings %q", imp.Warnings)
	}

	// Links before nodes: resolved once the nodes are known.
	nodes, links, _ := strings.Cut(miserablesV3, `"links"`)
	nodes = strings.TrimSuffix(strings.TrimSpace(nodes), ",")
	check("links first", `{"links"`+strings.TrimSuffix(strings.TrimSpace(links), "}")+", "+strings.TrimPrefix(nodes, "{")+"}", want)

	// Saved after a d3 v3 simulation: positions on the nodes, the nodes
	// themselves (with their index) as the ends of the links.
	_, g := check("simulated", `{"nodes": [
		{"name": "Myriel", "group": 1, "index": 0, "weight": 3, "x": 452.5, "y": 301.25, "px": 452.4, "py": 301.2, "fixed": 0},
		{"name": "Napoleon", "group": 1, "index": 1, "weight": 1, "x": 10, "y": -20, "px": 10, "py": -20},
		{"name": "Mlle.Baptistine", "group": 1, "index": 2},
		{"name": "Mme.Magloire", "group": 1, "index": 3}],
	 "links": [{"source": {"name": "Napoleon", "group": 1, "index": 1, "x": 10, "y": -20}, "target": {"name": "Myriel", "index": 0}, "value": 1}]}`, []string{"1→0 1 "})
	if n, _ := g.Node("0"); n.Position != (graph.Vec3{X: 452.5, Y: 301.25}) || n.Metadata["px"] != "452.4" {
		t.Errorf("simulated node 0 %+v", n)
	}

	// d3 v4+, with forceLink().id(d => d.name): links name the nodes.
	check("by name", `{"nodes": [{"name": "Myriel", "group": 1}, {"name": "Napoleon", "group": 1},
		{"name": "Mlle.Baptistine", "group": 1}, {"name": "Mme.Magloire", "group": 1}],
	 "links": [{"source": "Napoleon", "target": "Myriel", "value": 1}, {"source": 3, "target": "Mlle.Baptistine", "value": 6}]}`,
		[]string{"1→0 1 ", "3→2 6 "})

	// d3 v4+ saved after a simulation: nodes with ids, link ends the
	// nodes themselves.
	imp, g := readJSON(t, `{"nodes": [{"id": "Myriel", "group": 1, "index": 0, "x": 1, "y": 2, "vx": 0.5, "vy": 0, "fx": null},
		{"id": "Napoleon", "group": 1, "index": 1, "x": 3, "y": 4}],
	 "links": [{"source": {"id": "Napoleon", "index": 1}, "target": {"id": "Myriel", "index": 0}, "value": 1, "index": 0}]}`)
	if got := edgeList(g); !slices.Equal(got, []string{"Napoleon→Myriel 1 "}) || len(imp.Warnings) != 0 {
		t.Errorf("v4 saved: %q %q", got, imp.Warnings)
	}
	if n, _ := g.Node("Myriel"); n.Position != (graph.Vec3{X: 1, Y: 2}) || n.Metadata["vx"] != "0.5" || n.Label != "Myriel" {
		t.Errorf("v4 saved node %+v", n)
	}

	// Nodes with string ids and links by index (d3 v3 ignores the ids):
	// an integer that is no id is an index, with a warning.
	imp, g = readJSON(t, `{"nodes": [{"id": "Myriel"}, {"id": "Napoleon"}], "links": [{"source": 1, "target": 0}]}`)
	if got := edgeList(g); !slices.Equal(got, []string{"Napoleon→Myriel 1 "}) || !warned(imp, "links[0].target the first") {
		t.Errorf("ids and indexes: %q %q", got, imp.Warnings)
	}
	// But where nodes have integer ids (networkx), integers are ids only.
	if _, err := NodeLink(strings.NewReader(`{"nodes": [{"id": 5}, {"id": 6}], "links": [{"source": 1, "target": 5}]}`)); !errors.Is(err, graph.ErrDangling) {
		t.Errorf("integer ids and an index: %v", err)
	}
}

// networkx's node-link data: integer ids, the graph's attributes, a
// multigraph's keys, "edges" as networkx 3.4 and later write it.
func TestJSONNetworkxNodeLink(t *testing.T) {
	imp, g := readJSON(t, `{"directed": true, "multigraph": true, "graph": {"name": "multi", "year": 2024},
	 "nodes": [{"id": 1, "color": "red"}, {"id": "two"}],
	 "edges": [{"source": 1, "target": "two", "key": 0}, {"weight": 3, "source": 1, "target": "two", "key": 1}, {"source": "two", "target": "two", "key": 0}]}`)
	if imp.Name != "multi" || imp.Edges != 3 {
		t.Errorf("%q, %d edges", imp.Name, imp.Edges)
	}
	if got := edgeList(g); !slices.Equal(got, []string{"1→two 1 ", "1→two 3 ", "two→two 1 "}) {
		t.Errorf("edges %q", got)
	}
	for _, e := range g.Edges() {
		if e.Metadata["key"] == "" {
			t.Errorf("edge %+v has no key", e)
		}
	}
	if !warned(imp, `"graph.year"`) || warned(imp, "undirected") {
		t.Errorf("warnings %q, want graph.year named", imp.Warnings)
	}
	// The document's own name comes first.
	if imp, _ := readJSON(t, `{"graph": {"name": "inner"}, "name": "outer", "nodes": []}`); imp.Name != "outer" {
		t.Errorf("name %q", imp.Name)
	}
}

func TestJSONNetworkxAdjacency(t *testing.T) {
	// Directed: every entry an edge, adjacency[i] out of nodes[i].
	imp, g := readJSON(t, `{"directed": true, "multigraph": false, "graph": [],
	 "nodes": [{"id": "a"}, {"id": "b"}, {"x": 1, "id": "c"}],
	 "adjacency": [[{"weight": 2, "id": "b"}], [{"id": "a"}, {"id": "c", "label": "to c"}], []]}`)
	if got := edgeList(g); !slices.Equal(got, []string{"a→b 2 ", "b→a 1 ", "b→c 1 to c"}) || len(imp.Warnings) != 0 {
		t.Errorf("directed: %q %q", got, imp.Warnings)
	}
	if c, _ := g.Node("c"); c.Metadata["x"] != "1" {
		t.Errorf("a lone x is metadata: %+v", c)
	}

	// An undirected multigraph lists each edge under both ends, a loop
	// once; the adjacency may come before the nodes.
	imp, g = readJSON(t, `{"adjacency": [[{"id": 2, "key": 0}, {"weight": 3, "id": 2, "key": 1}], [{"id": 1, "key": 0}, {"weight": 3, "id": 1, "key": 1}, {"id": 2, "key": 0}]],
	 "directed": false, "multigraph": true, "graph": [["name", "pairs"], ["kind", "test"]], "nodes": [{"id": 1}, {"id": 2}]}`)
	if got := edgeList(g); !slices.Equal(got, []string{"1→2 1 ", "1→2 3 ", "2→2 1 "}) {
		t.Errorf("undirected multigraph: %q", got)
	}
	if imp.Name != "pairs" || !warned(imp, "undirected") || !warned(imp, `"graph.kind"`) {
		t.Errorf("%q %q", imp.Name, imp.Warnings)
	}

	// Without "directed", nothing is dropped.
	if imp, _ := readJSON(t, `{"nodes": [{"id": "a"}, {"id": "b"}], "adjacency": [[{"id": "b"}], [{"id": "a"}]]}`); imp.Edges != 2 {
		t.Errorf("%d edges, want both", imp.Edges)
	}
}

func TestJSONCytoscape(t *testing.T) {
	// cy.json() of Cytoscape.js: elements by group, the view's state
	// besides.
	imp, g := readJSON(t, `{
	  "elements": {
	    "nodes": [
	      {"data": {"id": "a", "label": "Alpha", "weight": 7, "x": 9}, "position": {"x": 10.5, "y": -3}, "group": "nodes",
	       "removed": false, "selected": false, "selectable": true, "locked": false, "grabbable": true, "pannable": false, "classes": "big red"},
	      {"data": {"id": "b", "name": "Beta", "tags": ["x"]}, "position": {"x": 0, "y": 0}, "classes": ""},
	      {"data": {"id": "c"}}
	    ],
	    "edges": [
	      {"data": {"id": "ab", "source": "a", "target": "b", "weight": 2.5, "label": "knows", "since": 2020}, "classes": ["dashed"]},
	      {"data": {"id": "ca", "source": "c", "target": "a", "name": "named"}, "style": {"width": 3}}
	    ]
	  },
	  "style": [{"selector": "node", "style": {"label": "data(label)"}}],
	  "data": {"name": "cy graph"},
	  "zoomingEnabled": true, "zoom": 1, "pan": {"x": 0, "y": 0}
	}`)
	if imp.Name != "cy graph" || imp.Nodes != 3 || imp.Edges != 2 {
		t.Fatalf("%q, %d nodes, %d edges", imp.Name, imp.Nodes, imp.Edges)
	}
	a, _ := g.Node("a")
	if a.Label != "Alpha" || a.Position != (graph.Vec3{X: 10.5, Y: -3}) || a.Metadata["classes"] != "big red" || a.Metadata["weight"] != "7" || a.Metadata["x"] != "9" {
		t.Errorf("node a %+v", a)
	}
	if b, _ := g.Node("b"); b.Label != "Beta" || b.Metadata["tags"] != `["x"]` || b.Metadata["classes"] != "" {
		t.Errorf("node b %+v", b)
	}
	if ab, _ := g.Edge("ab"); ab.Weight != 2.5 || ab.Label != "knows" || ab.Metadata["since"] != "2020" || ab.Metadata["classes"] != `["dashed"]` {
		t.Errorf("edge ab %+v", ab)
	}
	if ca, _ := g.Edge("ca"); ca.Source != "c" || ca.Label != "named" {
		t.Errorf("edge ca %+v", ca)
	}
	for _, k := range []string{`"style"`, `"zoom"`, `"pan"`, `"zoomingEnabled"`, `"elements.edges[].style"`} {
		if !warned(imp, k) {
			t.Errorf("warnings %q do not name %s", imp.Warnings, k)
		}
	}
	if warned(imp, "selected") || warned(imp, "removed") {
		t.Errorf("view state warned of: %q", imp.Warnings)
	}

	// A flat array: an element is an edge by its group, or by its source.
	imp, g = readJSON(t, `{"elements": [
	  {"group": "edges", "data": {"source": "n1", "target": "n2"}},
	  {"data": {"id": "n1"}},
	  {"group": "nodes", "data": {"id": "n2", "source": "is just data here"}},
	  {"data": {"source": "n2", "target": "n1", "weight": 4}}]}`)
	if got := edgeList(g); !slices.Equal(got, []string{"n1→n2 1 ", "n2→n1 4 "}) || len(imp.Warnings) != 0 {
		t.Errorf("flat: %q %q", got, imp.Warnings)
	}
	if n2, _ := g.Node("n2"); n2.Metadata["source"] != "is just data here" {
		t.Errorf("n2 %+v", n2)
	}

	// Cytoscape's own export: the file's version keys pass quietly; the
	// graph's attributes but its name are not kept.
	imp, g = readJSON(t, `{
	  "format_version": "1.0", "generated_by": "cytoscape-3.10.1", "target_cytoscapejs_version": "~2.1",
	  "data": {"shared_name": "galFiltered", "name": "galFiltered.sif", "SUID": 52, "__Annotations": [], "selected": true},
	  "elements": {
	    "nodes": [
	      {"data": {"id": "129", "shared_name": "YKR026C", "name": "YKR026C", "SUID": 129, "selected": false}, "position": {"x": 1546.5, "y": 1330.25}, "selected": false},
	      {"data": {"id": "130", "shared_name": "YGL122C", "name": "YGL122C", "SUID": 130, "selected": false}, "position": {"x": 1500, "y": 1300}, "selected": false}
	    ],
	    "edges": [
	      {"data": {"id": "350", "source": "129", "target": "130", "shared_name": "YKR026C (pp) YGL122C", "shared_interaction": "pp",
	                "name": "YKR026C (pp) YGL122C", "interaction": "pp", "SUID": 350, "selected": false}, "selected": false}
	    ]
	  }
	}`)
	if imp.Name != "galFiltered.sif" || warned(imp, "format_version") || !warned(imp, `"data.SUID"`) {
		t.Errorf("%q %q", imp.Name, imp.Warnings)
	}
	if n, _ := g.Node("129"); n.Label != "YKR026C" || n.Metadata["SUID"] != "129" || n.Position.X != 1546.5 {
		t.Errorf("node 129 %+v", n)
	}
	if e, _ := g.Edge("350"); e.Label != "YKR026C (pp) YGL122C" || e.Metadata["interaction"] != "pp" {
		t.Errorf("edge 350 %+v", e)
	}
}

// JSON Graph Format (v1): node-link inside a "graph" object.
func TestJSONGraphFormat(t *testing.T) {
	imp, g := readJSON(t, `{"graph": {"label": "JGF", "directed": true, "type": "demo",
	  "nodes": [{"id": "A", "label": "a", "metadata": {"k": 1}}, {"id": "B"}],
	  "edges": [{"source": "A", "target": "B", "relation": "r", "directed": true}]}}`)
	if imp.Name != "JGF" || imp.Edges != 1 || !warned(imp, `"graph.type"`) {
		t.Errorf("%q %d %q", imp.Name, imp.Edges, imp.Warnings)
	}
	if n, _ := g.Node("A"); n.Label != "a" || n.Metadata["k"] != "1" {
		t.Errorf("A %+v", n)
	}
}

// graphology's serialization, as sigma.js and Gephi Lite write it.
func TestJSONGraphology(t *testing.T) {
	imp, g := readJSON(t, `{
	  "attributes": {"name": "sigma", "created": "today"},
	  "options": {"type": "undirected", "multi": false, "allowSelfLoops": true},
	  "nodes": [
	    {"key": "n0", "attributes": {"label": "Zero", "x": 1.5, "y": -2, "size": 4, "color": "#f00"}},
	    {"key": "n1", "attributes": {"label": "One", "x": 0, "y": 0}},
	    {"key": 2}
	  ],
	  "edges": [
	    {"key": "e0", "source": "n0", "target": "n1", "attributes": {"weight": 2, "label": "links"}},
	    {"source": "n1", "target": "2", "undirected": true}
	  ]
	}`)
	if imp.Name != "sigma" || !warned(imp, "undirected") || !warned(imp, `"attributes.created"`) {
		t.Errorf("%q %q", imp.Name, imp.Warnings)
	}
	if n, _ := g.Node("n0"); n.Label != "Zero" || n.Position != (graph.Vec3{X: 1.5, Y: -2}) || n.Metadata["size"] != "4" || n.Metadata["color"] != "#f00" {
		t.Errorf("n0 %+v", n)
	}
	if e, ok := g.Edge("e0"); !ok || e.Weight != 2 || e.Label != "links" || len(e.Metadata) != 0 {
		t.Errorf("e0 %+v", e)
	}
	if got := edgeList(g); !slices.Equal(got, []string{"n0→n1 2 links", "n1→2 1 "}) {
		t.Errorf("edges %q", got)
	}
	if _, err := NodeLink(strings.NewReader(`{"nodes": [{"key": "a"}, {"id": "b"}]}`)); err == nil || !strings.Contains(err.Error(), `nodes[1]: "key" is missing`) {
		t.Errorf("a node without a key among keyed ones: %v", err)
	}
}

// Keys the reader does not use are skipped, with one warning naming them.
func TestJSONUnusedKeys(t *testing.T) {
	imp, _ := readJSON(t, `{"nodes": [{"id": "a"}], "links": [], "meta": {"huge": [1, 2, [3, {"x": 4}]]}, "version": 2, "meta2": null}`)
	if len(imp.Warnings) != 1 || !warned(imp, `"meta", "version", "meta2"`) {
		t.Errorf("warnings %q", imp.Warnings)
	}
}

func TestJSONDialectErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{miserablesV3[:strings.Index(miserablesV3, `"links"`)] + `"links": [{"source": 1, "target": 4}]}`, `links[0].target: there is no node at index 4 ("nodes" holds 4)`},
		{`{"nodes": [{"name": "a"}], "links": [{"source": -1, "target": 0}]}`, `links[0].source: there is no node at index -1`},
		{`{"nodes": [{"name": "a"}, {"name": "a"}], "links": [{"source": "a", "target": 0}]}`, `links[0].source: more than one node is named "a"`},
		{`{"nodes": [{"name": "a"}], "links": [{"source": "b", "target": 0}]}`, `links[0].source: no node is named "b"`},
		{`{"nodes": [{"name": "a"}], "links": [{"source": {"name": "a"}, "target": 0}]}`, `links[0].source: a node given whole needs its "id" or "index"`},
		{`{"nodes": [{"name": "a"}], "links": [{"source": [0], "target": 0}]}`, `links[0].source: must be a string, an integer or a node`},
		{`{"nodes": [{"name": "a"}, {"id": "b"}], "links": []}`, `nodes[1]: has an "id" but nodes[0] has none`},
		{`{"nodes": [{"id": "a"}, {"name": "b"}]}`, `nodes[1]: "id" is missing`},
		{`{"nodes": [{"name": "a"}], "links": []}`, `nodes[0]: "id" is missing (nodes without ids are d3 v3's`},
		{`{}`, `no graph: expected "nodes" (with "links" or "edges"), "elements" (Cytoscape) or "adjacency" (networkx), found an empty object`},
		{`{"vertices": [], "arcs": []}`, `found "vertices", "arcs"`},
		{`{"id": 1, "children": [{"id": 2}]}`, `tree_data) is not read`},
		{`{"elements": [], "nodes": []}`, `"nodes" given with "elements"`},
		{`{"links": [], "elements": {}}`, `"elements" given with "links"`},
		{`{"nodes": [], "links": [], "adjacency": []}`, `both "links" and "adjacency" given`},
		{`{"elements": 3}`, `"elements" must be an array of elements, or an object of "nodes" and "edges"`},
		{`{"elements": [{"id": "a"}]}`, `elements[0]: "data" is missing`},
		{`{"elements": {"nodes": [{"data": {"label": "a"}}]}}`, `elements.nodes[0].data: "id" is missing`},
		{`{"elements": {"nodes": [{"data": {"id": "a"}}, {"data": {"id": "a"}}]}}`, `elements.nodes[1].data.id: "a" is also the id of elements.nodes[0]`},
		{`{"elements": {"nodes": [{"data": {"id": "a"}}], "edges": [{"data": {"source": "a", "target": "b"}}]}}`, `elements.edges[0].data: node "b" is not among the nodes`},
		{`{"elements": [{"data": {"id": "a"}, "position": {"x": 1}}]}`, `elements[0].position: must have x and y`},
		{`{"elements": [{"data": {"id": "a"}, "position": {"x": 1, "y": 1e300}}]}`, `elements[0].position.y`},
		{`{"elements": {"nodes": [], "nodes": []}}`, `"elements.nodes" given twice`},
		{`{"nodes": [{"id": "a"}], "adjacency": [[], []]}`, `"adjacency" has 2 lists but there are 1 nodes`},
		{`{"nodes": [{"id": "a"}], "adjacency": [[{"id": "b"}]]}`, `adjacency[0][0]: node "b" is not among the nodes`},
		{`{"nodes": [{"id": "a"}], "adjacency": [[{"weight": 1}]]}`, `adjacency[0][0]: "id" is missing`},
		{`{"nodes": [{"id": "a"}], "adjacency": [{"id": "a"}]}`, `"adjacency[0]" must start with "["`},
		{`{"adjacency": []}`, `no "nodes" array`},
		{`{"nodes": [], "directed": "yes"}`, `directed: must be true or false`},
		{`{"nodes": [], "graph": [["name"]]}`, `graph[0]: must be a [name, value] pair`},
		{`{"nodes": [{"id": "a", "label": "\u0001"}]}`, `nodes[0].label`},
		{`{"nodes": [{"id": "a"}], "links": [{"source": "a", "target": "a", "id": "\u0007"}]}`, `links[0].id`},
	} {
		_, err := NodeLink(strings.NewReader(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant …%s…", tc.doc, err, tc.want)
		}
	}
	_, err := NodeLink(strings.NewReader(`{"nodes": [{"name": "a"}], "links": [{"source": 0, "target": 1}]}`))
	if !errors.Is(err, graph.ErrDangling) {
		t.Errorf("an index past the nodes does not wrap ErrDangling: %v", err)
	}
}

func TestJSONDialectLimits(t *testing.T) {
	lim := Limits{MaxNodes: 3, MaxEdges: 2}
	for _, tc := range []struct{ doc, want string }{
		// Undirected, two edges listed twice: within the limit.
		{`{"directed": false, "nodes": [{"id": 0}, {"id": 1}, {"id": 2}], "adjacency": [[{"id": 1}, {"id": 2}], [{"id": 0}], [{"id": 0}]]}`, ""},
		// Three edges: refused, as the document is read…
		{`{"directed": false, "nodes": [{"id": 0}, {"id": 1}, {"id": 2}], "adjacency": [[{"id": 1}, {"id": 2}], [{"id": 0}, {"id": 2}], [{"id": 0}, {"id": 1}]]}`, "system.import.maxEdges"},
		// …or, when they were read before "directed", once it is known.
		{`{"nodes": [{"id": 0}, {"id": 1}, {"id": 2}], "adjacency": [[{"id": 1}, {"id": 2}], [{"id": 2}], []], "directed": false}`, "3 edges; the limit is 2 (system.import.maxEdges)"},
		// Directed, said first: the third entry is past the limit.
		{`{"directed": true, "nodes": [{"id": 0}], "adjacency": [[{"id": 0}, {"id": 0}, {"id": 0}]]}`, "more than 2 adjacency entries"},
		{`{"elements": [{"data": {"id": "a"}}, {"data": {"id": "b"}}, {"data": {"id": "c"}}, {"data": {"id": "d"}}]}`, "system.import.maxNodes"},
		{`{"elements": {"edges": [{"data": {"source": "a", "target": "a"}}, {"data": {"source": "a", "target": "a"}}, {"data": {"source": "a", "target": "a"}}]}}`, "more than 2 edges"},
		{`{"links": [{"source": 0, "target": 0}, {"source": 0, "target": 0}, {"source": 0, "target": 0}]}`, "more than 2 links"},
	} {
		imp, err := NodeLinkWithin(strings.NewReader(tc.doc), lim)
		if tc.want == "" {
			if err != nil || imp.Edges != 2 {
				t.Errorf("%s: %v", tc.doc, err)
			}
			continue
		}
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant ErrLimit, …%s…", tc.doc, err, tc.want)
		}
	}
}

// FuzzJSONDialects feeds the reader every dialect: what it accepts must
// build a valid graph.
func FuzzJSONDialects(f *testing.F) {
	// Small seeds: the fuzzer mutates them faster, and minimizes what it
	// finds in them sooner, than the karate club's files.
	f.Add(miserablesV3)
	f.Add(`{"directed": false, "multigraph": false, "graph": {"name": "k"}, "nodes": [{"club": "Mr. Hi", "id": 0}, {"club": "Officer", "id": 1}], "links": [{"weight": 4, "source": 0, "target": 1}]}`)
	f.Add(`{"data": [["name", "k"]], "directed": false, "multigraph": false, "elements": {"nodes": [{"data": {"id": "0", "value": 0, "name": "0"}}, {"data": {"id": "1", "value": 1, "name": "1"}}], "edges": [{"data": {"weight": 4, "source": 0, "target": 1}}]}}`)
	f.Add(`{"links": [{"source": {"index": 1}, "target": {"id": 0}}], "nodes": [{"name": "a", "x": 1, "y": 2}, {"name": "b"}]}`)
	f.Add(`{"nodes": [{"name": "a"}, {"name": "b"}], "links": [{"source": "a", "target": "b"}]}`)
	f.Add(`{"nodes": [{"id": "a"}, {"id": "b"}], "links": [{"source": 1, "target": 0}]}`)
	f.Add(`{"elements": [{"group": "edges", "data": {"id": "e", "source": "n", "target": "n"}}, {"data": {"id": "n", "label": "N"}, "position": {"x": 1, "y": 2}, "classes": "c"}], "data": [["name", "g"]], "zoom": 1}`)
	f.Add(`{"elements": {"nodes": [{"data": {"id": "1"}}], "edges": [{"data": {"source": 1, "target": "1", "weight": 2}}]}}`)
	f.Add(`{"directed": false, "multigraph": true, "graph": [], "nodes": [{"id": 1}, {"id": 2}], "adjacency": [[{"id": 2, "key": 0}], [{"id": 1, "key": 0}, {"id": 2, "key": 0}]]}`)
	f.Add(`{"graph": {"label": "j", "nodes": [{"id": "A", "metadata": {"x": 1, "y": 2}}], "edges": [{"source": "A", "target": "A"}]}}`)
	f.Add(`{"attributes": {"name": "s"}, "options": {"type": "mixed"}, "nodes": [{"key": "a", "attributes": {"label": "A"}}], "edges": [{"key": "e", "source": "a", "target": "a", "attributes": {"weight": 1}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		imp, err := NodeLinkWithin(strings.NewReader(doc), Limits{MaxNodes: 1000, MaxEdges: 1000})
		if err != nil {
			return
		}
		if imp.Nodes+imp.Edges != len(imp.Ops) {
			t.Fatalf("%d nodes and %d edges in %d ops", imp.Nodes, imp.Edges, len(imp.Ops))
		}
		acceptedGraph(t, imp, "JSON", true) // duplicate edge ids are the graph's to find
	})
}
