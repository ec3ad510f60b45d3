package ingest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image/color"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"visionflow/graph"
)

// sameContents reports how got differs from want, node by node and edge
// by edge, as TestExportsRoundTrip checks the other formats.
func sameContents(t *testing.T, what string, want graph.Contents, got *graph.Graph) {
	t.Helper()
	if got.NodeCount() != len(want.Nodes) || got.EdgeCount() != len(want.Edges) {
		t.Fatalf("%s: %d nodes, %d edges, want %d and %d", what, got.NodeCount(), got.EdgeCount(), len(want.Nodes), len(want.Edges))
	}
	for _, n := range want.Nodes {
		g, ok := got.Node(n.ID)
		if !ok || g.Label != n.Label || g.Position != n.Position || !maps.Equal(g.Metadata, n.Metadata) {
			t.Errorf("%s: node %s came back as %+v, want %+v", what, n.ID, g, n)
		}
	}
	for _, e := range want.Edges {
		g, ok := got.Edge(e.ID)
		if !ok || g.Source != e.Source || g.Target != e.Target || g.Label != e.Label || g.Weight != e.Weight || !maps.Equal(g.Metadata, e.Metadata) {
			t.Errorf("%s: edge %s came back as %+v, want %+v", what, e.ID, g, e)
		}
	}
}

func TestGEXFRoundTrip(t *testing.T) {
	want := sampleContents()
	var buf bytes.Buffer
	if err := WriteGEXF(&buf, want, nil); err != nil {
		t.Fatal(err)
	}
	imp, err := GEXF(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("reading the export back: %v\n%s", err, buf.String())
	}
	if imp.Name != want.Name || len(imp.Warnings) != 0 {
		t.Errorf("name %q, warnings %v", imp.Name, imp.Warnings)
	}
	// Even an empty label comes back as it was.
	sameContents(t, "GEXF", want, build(t, imp))
}

// A style's colours and sizes are written as viz and read back as
// metadata, which a second export writes as viz again.
func TestGEXFStyleRoundTrip(t *testing.T) {
	c := sampleContents()
	style := &Style{Colours: []color.NRGBA{{R: 255, G: 128, B: 0, A: 255}, {R: 1, G: 2, B: 3, A: 128}}, Sizes: []float32{12.5}}
	var buf bytes.Buffer
	if err := WriteGEXF(&buf, c, style); err != nil {
		t.Fatal(err)
	}
	imp, err := GEXF(&buf)
	if err != nil {
		t.Fatal(err)
	}
	g := build(t, imp)
	valjean, _ := g.Node("valjean")
	javert, _ := g.Node("javert")
	cosette, _ := g.Node("cosette")
	if valjean.Metadata["color"] != "#ff8000" || valjean.Metadata["size"] != "12.5" || javert.Metadata["color"] != "#01020380" {
		t.Errorf("viz as metadata: %v, %v", valjean.Metadata, javert.Metadata)
	}
	if _, ok := cosette.Metadata["color"]; ok {
		t.Errorf("a node the style gives no colour: %v", cosette.Metadata)
	}
	// Once more, without a style: the metadata is written as viz too.
	again := g.Contents()
	buf.Reset()
	if err := WriteGEXF(&buf, again, nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`<viz:color r="255" g="128" b="0" a="1"/>`, `<viz:color r="1" g="2" b="3" a="0.502"/>`, `<viz:size value="12.5"/>`} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("second export lacks %s:\n%s", s, buf.String())
		}
	}
	imp, err = GEXF(&buf)
	if err != nil {
		t.Fatal(err)
	}
	sameContents(t, "second round", again, build(t, imp))
}

// The writer's output is GEXF 1.3 in the shape the schema asks for: meta
// before graph, attributes before nodes before edges, and in a node its
// attvalues before its viz elements.
func TestWriteGEXFShape(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteGEXF(&buf, sampleContents(), &Style{Sizes: []float32{3}}); err != nil {
		t.Fatal(err)
	}
	const ns, viz = "http://gexf.net/1.3", "http://gexf.net/1.3/viz"
	dec := xml.NewDecoder(&buf)
	var path []string
	var order []string // elements under graph and under the first node, in turn
	nodes := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if len(path) == 0 {
				v, _ := attr(e, "version")
				if e.Name != (xml.Name{Space: ns, Local: "gexf"}) || v != "1.3" {
					t.Errorf("root %v version %q", e.Name, v)
				}
			}
			parent := ""
			if len(path) > 0 {
				parent = path[len(path)-1]
			}
			switch {
			case e.Name.Local == "creator" || e.Name.Local == "description":
				if parent != "meta" {
					t.Errorf("<%s> in <%s>", e.Name.Local, parent)
				}
			case parent == "gexf" || parent == "graph":
				order = append(order, e.Name.Local)
			case parent == "node" && nodes == 1:
				order = append(order, e.Name.Local)
			}
			if e.Name.Local == "node" {
				nodes++
			}
			want := ns
			if slices.Contains([]string{"color", "position", "size"}, e.Name.Local) {
				want = viz
			}
			if e.Name.Space != want {
				t.Errorf("<%s> in namespace %q, want %q", e.Name.Local, e.Name.Space, want)
			}
			path = append(path, e.Name.Local)
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
	want := []string{"meta", "graph", "attributes", "attributes", "nodes", "attvalues", "position", "size", "edges"}
	if !slices.Equal(order, want) {
		t.Errorf("elements in order %v, want %v", order, want)
	}
}

// A GEXF 1.2 file shaped as Gephi writes it: XML header, namespaces,
// schemaLocation, typed attributes with a default, viz size, position and
// colour, weights, an undirected graph.
func TestGEXFFromGephi(t *testing.T) {
	f, err := os.Open("testdata/lesmis-gephi.gexf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	imp, err := GEXF(f)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Name != "Les Misérables co-appearances" || imp.Nodes != 5 || imp.Edges != 4 {
		t.Errorf("name %q, %d nodes, %d edges", imp.Name, imp.Nodes, imp.Edges)
	}
	g := build(t, imp)
	myriel, _ := g.Node("0")
	valjean, _ := g.Node("11")
	cosette, _ := g.Node("25")
	if myriel.Label != "Myriel" || myriel.Position != (graph.Vec3{X: -266.82776, Y: 299.6904}) {
		t.Errorf("Myriel: %+v", myriel)
	}
	wantMyriel := map[string]string{"Modularity Class": "1", "Eigenvector Centrality": "0.0715", "Gender": "M", "color": "#eb5148", "size": "28.685715"}
	if !maps.Equal(myriel.Metadata, wantMyriel) {
		t.Errorf("Myriel's metadata %v, want %v", myriel.Metadata, wantMyriel)
	}
	if valjean.Metadata["Gender"] != "unknown" || cosette.Metadata["color"] != "#44a1d6cc" || cosette.Metadata["Eigenvector Centrality"] != "NaN" {
		t.Errorf("default, alpha, NaN: %v %v", valjean.Metadata, cosette.Metadata)
	}
	e13, _ := g.Edge("13")
	e59, _ := g.Edge("59")
	e0, _ := g.Edge("0")
	if e13.Weight != 5 || e13.Metadata["Chapters"] != "[1.2.3, 1.2.4]" || e59.Label != "adopted by" || e59.Weight != 31 || e0.Weight != 1 {
		t.Errorf("edges: %+v %+v %+v", e13, e59, e0)
	}
	if w := strings.Join(imp.Warnings, "; "); len(imp.Warnings) != 1 || !strings.Contains(w, "undirected") {
		t.Errorf("warnings: %v", imp.Warnings)
	}
}

func TestGEXFVizAndTypes(t *testing.T) {
	doc := `<gexf xmlns="http://gexf.net/1.3" xmlns:v="http://gexf.net/1.3/viz" version="1.3">
  <meta><title>Types</title><description>not this one</description></meta>
  <graph defaultedgetype="directed">
    <attributes class="node">
      <attribute id="i" title="count" type="integer"><default>7</default></attribute>
      <attribute id="b" title="flag" type="boolean"/>
      <attribute id="d" title="born" type="date"/>
      <attribute id="u" title="" type="anyURI"/>
      <attribute id="l" title="tags" type="liststring"/>
      <attribute id="c" title="initial" type="char"/>
      <attribute id="color" title="color" type="string"/>
    </attributes>
    <attributes class="edge"><attribute id="0" title="since" type="long"><default>1999</default></attribute></attributes>
    <nodes>
      <node id="a" label="A">
        <attvalues><attvalue for="b" value="true"/><attvalue for="d" value="1802-02-26"/><attvalue for="u" value="http://x"/><attvalue for="l" value="a|b"/><attvalue for="c" value="é"/></attvalues>
        <v:color hex="#FF8000" a="0.5"/>
        <v:position x="1" y="2"/>
        <v:size value="3"/>
      </node>
      <node id="b"><attvalues><attvalue for="i" value="-3"/><attvalue for="color" value="red"/></attvalues><v:color r="0" g="0" b="255"/></node>
    </nodes>
    <edges><edge source="a" target="b"/><edge id="x" source="b" target="a"><attvalues><attvalue for="0" value="2001"/></attvalues></edge></edges>
  </graph>
</gexf>`
	imp, err := GEXF(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if imp.Name != "Types" || len(imp.Warnings) != 0 {
		t.Errorf("name %q, warnings %v", imp.Name, imp.Warnings)
	}
	g := build(t, imp)
	a, _ := g.Node("a")
	b, _ := g.Node("b")
	wantA := map[string]string{"count": "7", "flag": "true", "born": "1802-02-26", "u": "http://x", "tags": "a|b", "initial": "é", "color": "#ff800080", "size": "3"}
	if !maps.Equal(a.Metadata, wantA) || a.Position != (graph.Vec3{X: 1, Y: 2}) {
		t.Errorf("a: %v at %v, want %v", a.Metadata, a.Position, wantA)
	}
	// An attribute named color is what the file says: it wins over viz.
	if b.Label != "b" || b.Metadata["count"] != "-3" || b.Metadata["color"] != "red" {
		t.Errorf("b: %+v", b)
	}
	x, _ := g.Edge("x")
	if x.Metadata["since"] != "2001" || len(g.Edges()) != 2 {
		t.Errorf("edges: %+v", g.Edges())
	}
	for _, e := range g.Edges() {
		if e.ID != "x" && e.Metadata["since"] != "1999" {
			t.Errorf("edge default: %+v", e)
		}
	}
}

func TestGEXFRefusesWhatItCannotRead(t *testing.T) {
	head := `<gexf><graph><attributes class="node"><attribute id="r" title="rank" type="integer"/><attribute id="f" title="fine" type="boolean"/><attribute id="w" title="weight" type="double"/></attributes>
<nodes>
<node id="a"/>
`
	for name, tc := range map[string]struct{ doc, want string }{
		"not xml":         {`{"nodes": []}`, "GEXF: no <gexf> element"},
		"not gexf":        {`<graphml><graph/></graphml>`, "the document is <graphml>, not <gexf>"},
		"no graph":        {`<gexf><meta/></gexf>`, "no <graph> element"},
		"truncated":       {head, "GEXF:"},
		"after the root":  {`<gexf><graph/></gexf><gexf/>`, "after </gexf>"},
		"duplicate node":  {head + `<node id="b"/>` + "\n" + `<node id="a"/></nodes></graph></gexf>`, `node "a" (line 5): the id of node 1 (line 3) too`},
		"no node id":      {head + `<node label="x"/></nodes></graph></gexf>`, `node "" (line 4) id: must not be empty`},
		"dangling source": {head + `</nodes><edges><edge source="z" target="a"/></edges></graph></gexf>`, `edge 1 (z → a, line 4): node "z" is not among the nodes`},
		"dangling target": {head + `</nodes><edges><edge source="a" target="z"/></edges></graph></gexf>`, `node "z" is not among the nodes`},
		"no target":       {head + `</nodes><edges><edge source="a"/></edges></graph></gexf>`, "source and target are both needed"},
		"duplicate edge":  {head + `</nodes><edges><edge id="e" source="a" target="a"/><edge id="e" source="a" target="a"/></edges></graph></gexf>`, `id "e" is also the id of the edge on line 4`},
		"integer":         {head + `<node id="b"><attvalues><attvalue for="r" value="three"/></attvalues></node></nodes></graph></gexf>`, `node "b" (line 4): attribute "rank": "three" is not an integer`},
		"boolean":         {head + `<node id="b"><attvalues><attvalue for="f" value="yes"/></attvalues></node></nodes></graph></gexf>`, `attribute "fine": "yes" is not a boolean`},
		"double":          {head + `<node id="b"><attvalues><attvalue for="w" value="1,5"/></attvalues></node></nodes></graph></gexf>`, `attribute "weight": "1,5" is not a number`},
		"date":            {`<gexf><graph><attributes class="edge"><attribute id="d" title="on" type="date"/></attributes><nodes><node id="a"/></nodes><edges><edge source="a" target="a"><attvalues><attvalue for="d" value="yesterday"/></attvalues></edge></edges></graph></gexf>`, `edge 1 (a → a, line 1): attribute "on": "yesterday" is not a date`},
		"bad default":     {`<gexf><graph><attributes class="node"><attribute id="r" title="rank" type="integer"><default>x</default></attribute></attributes></graph></gexf>`, `node attribute "r": default: "x" is not an integer`},
		"bad type":        {`<gexf><graph><attributes class="node"><attribute id="r" title="rank" type="complex"/></attributes></graph></gexf>`, `type "complex" is not a GEXF attribute type`},
		"declared twice":  {`<gexf><graph><attributes class="node"><attribute id="r"/><attribute id="r"/></attributes></graph></gexf>`, `node attribute "r" is declared twice`},
		"bad weight":      {head + `</nodes><edges><edge source="a" target="a" weight="-1"/></edges></graph></gexf>`, "weight"},
		"weight not num":  {head + `</nodes><edges><edge source="a" target="a" weight="heavy"/></edges></graph></gexf>`, `weight "heavy" is not a number`},
		"bad colour":      {head + `<node id="b"><color r="300" g="0" b="0"/></node></nodes></graph></gexf>`, `node "b" (line 4): viz:color: r "300" is not a number from 0 to 255`},
		"bad hex":         {head + `<node id="b"><color hex="#ff80"/></node></nodes></graph></gexf>`, `hex "#ff80" is not a colour`},
		"bad alpha":       {head + `<node id="b"><color r="1" g="1" b="1" a="255"/></node></nodes></graph></gexf>`, `a "255" is not a number from 0 to 1`},
		"far position":    {head + `<node id="b"><position x="1e9" y="0"/></node></nodes></graph></gexf>`, `node "b" (line 4) viz:position.x`},
		"bad position":    {head + `<node id="b"><position x="left" y="0"/></node></nodes></graph></gexf>`, `viz:position x "left" is not a number`},
		"bad size":        {head + `<node id="b"><size value="-1"/></node></nodes></graph></gexf>`, `viz:size "-1" is not a size`},
		"control label":   {head + `<node id="b" label="&#x7f;"/></nodes></graph></gexf>`, `node "b" (line 4) label`},
	} {
		_, err := GEXF(strings.NewReader(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "GEXF: ") {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
	dangling := head + `</nodes><edges><edge source="a" target="z"/></edges></graph></gexf>`
	if _, err := GEXF(strings.NewReader(dangling)); !errors.Is(err, graph.ErrDangling) {
		t.Errorf("dangling edge: %v, want ErrDangling", err)
	}
}

func TestGEXFLimits(t *testing.T) {
	lim := Limits{MaxNodes: 2, MaxEdges: 1}
	for doc, want := range map[string]string{
		`<gexf><graph><nodes><node id="a"/><node id="b"/><node id="c"/></nodes></graph></gexf>`:                                              "system.import.maxNodes",
		`<gexf><graph><nodes><node id="a"><nodes><node id="b"/><node id="c"/></nodes></node></nodes></graph></gexf>`:                         "system.import.maxNodes",
		`<gexf><graph><nodes><node id="a"/></nodes><edges><edge source="a" target="a"/><edge source="a" target="a"/></edges></graph></gexf>`: "system.import.maxEdges",
	} {
		if _, err := GEXFWithin(strings.NewReader(doc), lim); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrLimit naming %s", doc, err, want)
		}
	}
	ok := `<gexf><graph><nodes><node id="a"/><node id="b"/></nodes><edges><edge source="a" target="b"/></edges></graph></gexf>`
	if imp, err := GEXFWithin(strings.NewReader(ok), lim); err != nil || imp.Nodes != 2 || imp.Edges != 1 {
		t.Errorf("at the limits: %v", err)
	}
}

// A graph that changes over time comes in at its last state, its times
// kept as metadata.
func TestGEXFDynamic(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">
  <graph mode="dynamic" defaultedgetype="directed" timeformat="date">
    <attributes class="node" mode="dynamic"><attribute id="0" title="indegree" type="float"/></attributes>
    <attributes class="edge" mode="dynamic"><attribute id="0" title="value" type="integer"/></attributes>
    <nodes>
      <node id="a" label="Gephi" start="2009-03-01"/>
      <node id="b" label="Network">
        <attvalues>
          <attvalue for="0" value="3" start="2009-03-10"/>
          <attvalue for="0" value="1" end="2009-03-01"/>
          <attvalue for="0" value="2" start="2009-03-01" end="2009-03-10"/>
        </attvalues>
        <spells><spell end="2009-03-01"/><spell start="2009-03-05" end="2009-03-10"/></spells>
      </node>
      <node id="c"><spells><spell start="2009-03-02" end="2009-03-04"/></spells></node>
    </nodes>
    <edges>
      <edge source="a" target="b" startopen="2005.0" endopen="2010.0">
        <attvalues>
          <attvalue for="0" value="25" start="2010.0" endopen="2015.0"/>
          <attvalue for="0" value="15" start="2000.0" end="2005.0"/>
          <attvalue for="0" value="20" timestamp="2007"/>
        </attvalues>
      </edge>
    </edges>
  </graph>
</gexf>`
	imp, err := GEXF(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	// Numbers and dates mixed: no one clock for a history, so the graph
	// is every node and edge it ever holds, its times kept as metadata.
	if len(imp.Warnings) != 2 || !strings.Contains(imp.Warnings[0], "changes over time") || !strings.Contains(imp.Warnings[1], "mixes numbers and dates") || imp.At != nil {
		t.Errorf("warnings: %v", imp.Warnings)
	}
	g := build(t, imp)
	a, _ := g.Node("a")
	b, _ := g.Node("b")
	c, _ := g.Node("c")
	if !maps.Equal(a.Metadata, map[string]string{"start": "2009-03-01"}) {
		t.Errorf("a: %v", a.Metadata)
	}
	if !maps.Equal(b.Metadata, map[string]string{"indegree": "3", "spells": "../2009-03-01; 2009-03-05/2009-03-10"}) {
		t.Errorf("b: %v", b.Metadata)
	}
	if !maps.Equal(c.Metadata, map[string]string{"start": "2009-03-02", "end": "2009-03-04"}) {
		t.Errorf("c: %v", c.Metadata)
	}
	e := g.Edges()[0]
	if !maps.Equal(e.Metadata, map[string]string{"value": "25", "start": "2005.0", "end": "2010.0"}) {
		t.Errorf("edge: %v", e.Metadata)
	}
}

// Nodes in nodes, pid and phylogenic parents all come in flat, their
// parents kept.
func TestGEXFHierarchy(t *testing.T) {
	doc := `<gexf xmlns="http://gexf.net/1.3" version="1.3"><graph defaultedgetype="directed">
  <nodes>
    <node id="a" label="Kevin Bacon">
      <nodes>
        <node id="b" label="God">
          <nodes><node id="c"/><node id="d"/></nodes>
          <edges><edge id="0" source="c" target="d"/></edges>
        </node>
        <node id="e"/>
      </nodes>
      <edges><edge id="1" source="b" target="e"/><edge id="2" source="f" target="a"/></edges>
    </node>
    <node id="f" pid="e"/>
    <node id="g"><parents><parent for="a"/><parent for="f"/></parents></node>
  </nodes>
  <edges/>
</graph></gexf>`
	imp, err := GEXF(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Warnings) != 1 || !strings.Contains(imp.Warnings[0], `"parent"`) {
		t.Errorf("warnings: %v", imp.Warnings)
	}
	var order []string
	for _, op := range imp.Ops[:imp.Nodes] {
		order = append(order, op.ID)
	}
	if !slices.Equal(order, []string{"a", "b", "c", "d", "e", "f", "g"}) {
		t.Errorf("node order %v", order)
	}
	g := build(t, imp)
	want := map[string]string{"a": "", "b": "a", "c": "b", "d": "b", "e": "a", "f": "e"}
	for id, parent := range want {
		n, _ := g.Node(id)
		if n.Metadata["parent"] != parent {
			t.Errorf("%s's parent: %v", id, n.Metadata)
		}
	}
	if n, _ := g.Node("g"); n.Metadata["parents"] != `["a","f"]` {
		t.Errorf("g's parents: %v", n.Metadata)
	}
	if g.EdgeCount() != 3 {
		t.Errorf("%d edges", g.EdgeCount())
	}
	deep := strings.Repeat(`<node id="x"><nodes>`, gexfMaxNesting+2)
	if _, err := GEXF(strings.NewReader(`<gexf><graph><nodes>` + deep)); err == nil {
		t.Error("nodes nested past the limit were read")
	}
}

// What has no place here is skipped, with one warning a kind.
func TestGEXFSkipsTheUnknown(t *testing.T) {
	doc := `<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:viz="http://www.gexf.net/1.2draft/viz" version="1.2"><graph defaultedgetype="directed">
  <attributes class="node"><attribute id="0" title="x" type="string"><options>a|b</options></attribute></attributes>
  <nodes>
    <node id="a"><viz:shape value="disc"/><viz:img_name value="a.png"/><viz:shape value="square"/><attvalues><attvalue for="9" value="nine"/></attvalues></node>
    <node id="b"><viz:shape value="disc"/><screen_name value="b"/></node>
  </nodes>
  <edges><edge source="a" target="b"><viz:thickness value="2"/><viz:color r="1" g="2" b="3"/></edge></edges>
</graph><graph><nodes><node id="z"/></nodes></graph></gexf>`
	imp, err := GEXF(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(imp.Warnings, "\n")
	for _, s := range []string{"<viz:shape>", "<viz:img_name>", "<screen_name>", "<viz:thickness>", `<attvalue for="9">`, "second <graph>"} {
		if strings.Count(w, s) != 1 {
			t.Errorf("warnings should name %s once:\n%s", s, w)
		}
	}
	if len(imp.Warnings) != 6 {
		t.Errorf("%d warnings:\n%s", len(imp.Warnings), w)
	}
	g := build(t, imp)
	a, _ := g.Node("a")
	if a.Metadata["9"] != "nine" || g.NodeCount() != 2 || g.Edges()[0].Metadata["color"] != "#010203" {
		t.Errorf("a: %v; %d nodes; edges %+v", a.Metadata, g.NodeCount(), g.Edges())
	}
}

func FuzzGEXF(f *testing.F) {
	var buf bytes.Buffer
	WriteGEXF(&buf, sampleContents(), &Style{Colours: []color.NRGBA{{R: 9, A: 200}}, Sizes: []float32{2}})
	f.Add(buf.String())
	if b, err := os.ReadFile("testdata/lesmis-gephi.gexf"); err == nil {
		f.Add(string(b))
	}
	f.Add(`<gexf><graph mode="dynamic"><attributes class="node"><attribute id="0" title="n" type="integer"><default>1</default></attribute></attributes><nodes><node id="a" start="1"><attvalues><attvalue for="0" value="2" end="3"/></attvalues><spells><spell start="1" end="2"/></spells><color hex="#fff000"/><position x="1" y="2"/></node><node id="b" pid="a"/></nodes><edges><edge source="a" target="b" weight="2" kind="k"/></edges></graph></gexf>`)
	f.Add(`<gexf><graph><nodes><node id="a"><nodes><node id="b"/></nodes><edges><edge source="b" target="a"/></edges><parents><parent for="b"/></parents></node></nodes></graph></gexf>`)
	f.Fuzz(func(t *testing.T, doc string) {
		imp, err := GEXFWithin(strings.NewReader(doc), Limits{MaxNodes: 1000, MaxEdges: 1000})
		if err != nil {
			return
		}
		acceptedGraph(t, imp, "GEXF", true)
	})
}

// A dynamic graph's spells become its history: each node and edge comes
// when a spell starts and goes when it ends, in time order, with the times
// the file gives; the graph is imported as it stands at the last time; an
// edge its node's removal took comes back with the node.
func TestGEXFDynamicHistory(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "dynamic-history.gexf"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	imp, err := GEXF(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.At) != len(imp.Ops) || len(imp.Warnings) != 1 || !strings.Contains(imp.Warnings[0], "are its history") || !strings.Contains(imp.Warnings[0], "1 edges never had both ends") {
		t.Fatalf("times %d for %d ops; warnings %v", len(imp.At), len(imp.Ops), imp.Warnings)
	}
	day := func(d int) time.Time { return time.Date(2009, 3, d, 0, 0, 0, 0, time.UTC) }
	var got []string
	for i, op := range imp.Ops {
		got = append(got, fmt.Sprintf("%d %s %s", imp.At[i].Day(), op.Op, op.ID))
		if i > 0 && imp.At[i].Before(imp.At[i-1]) {
			t.Errorf("op %d at %v, before op %d at %v", i, imp.At[i], i-1, imp.At[i-1])
		}
	}
	want := []string{
		"1 addNode a", "1 addNode b", "1 addEdge ab", "1 addNode d", // an edge comes as soon as both its ends are there
		"2 addNode c", "2 addEdge e1",
		"3 removeEdge e1", "3 removeNode b",
		"4 removeNode c",
		"5 addNode b", "5 addEdge ab", // the edge comes back with its node
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("history\n%s\nwant\n%s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
	if imp.At[0] != day(1) || imp.Nodes != 3 || imp.Edges != 1 {
		t.Errorf("starts %v; at the end %d nodes, %d edges", imp.At[0], imp.Nodes, imp.Edges)
	}
	g := build(t, imp)
	if _, ok := g.Node("c"); ok || len(g.Nodes()) != 3 || len(g.Edges()) != 1 {
		t.Errorf("the graph at the end: %d nodes, %d edges", len(g.Nodes()), len(g.Edges()))
	}
	// Numbers are seconds since 1970; a date before 1970 cannot be placed.
	num := strings.NewReplacer("2009-03-0", "", "2009-03-10", "10").Replace(doc)
	if imp, err := GEXF(strings.NewReader(num)); err != nil || imp.At == nil || imp.At[0] != time.Unix(1, 0).UTC() {
		t.Errorf("numeric times: %v %v", err, imp)
	}
	old := strings.ReplaceAll(doc, "2009-", "1909-")
	if imp, err := GEXF(strings.NewReader(old)); err != nil || imp.At != nil || !strings.Contains(strings.Join(imp.Warnings, " "), "before 1970") {
		t.Errorf("1909: %v %v", err, imp.Warnings)
	}
}
