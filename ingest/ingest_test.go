package ingest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"testing/iotest"

	"visionflow/graph"
	"visionflow/internal/testenv"
)

type imported struct {
	*Import
	nodes map[string]graph.Op
	edges map[[2]string]graph.Op
}

func index(t *testing.T, imp *Import) imported {
	t.Helper()
	out := imported{imp, map[string]graph.Op{}, map[[2]string]graph.Op{}}
	for _, op := range imp.Ops {
		switch op.Op {
		case graph.AddNode:
			out.nodes[op.ID] = op
		case graph.AddEdge:
			out.edges[[2]string{op.Source, op.Target}] = op
		}
	}
	// Applying the ops must succeed: the importer's output is valid input.
	g := graph.New(graph.Info{ID: "t", Type: graph.Knowledge})
	tx := g.Begin(graph.NewClock(nil), "")
	for _, op := range imp.Ops {
		if _, err := tx.Do(op); err != nil {
			t.Fatalf("import produced an op the graph refuses: %v: %v", op.String(), err)
		}
	}
	tx.Commit()
	if g.NodeCount() != imp.Nodes || g.EdgeCount() != imp.Edges {
		t.Fatalf("counts %d/%d, graph has %d/%d", imp.Nodes, imp.Edges, g.NodeCount(), g.EdgeCount())
	}
	return out
}

func (im imported) edge(t *testing.T, from, to, kind string) {
	t.Helper()
	e, ok := im.edges[[2]string{from, to}]
	if !ok {
		t.Errorf("no edge %q → %q", from, to)
		return
	}
	if !slices.Contains(strings.Split(*e.Label, ","), kind) {
		t.Errorf("edge %q → %q has kinds %q, want %q among them", from, to, *e.Label, kind)
	}
}

func (im imported) noNode(t *testing.T, id string) {
	t.Helper()
	if _, ok := im.nodes[id]; ok {
		t.Errorf("node %q should not exist", id)
	}
}

func TestLogseqDocs(t *testing.T) {
	logseqDocs := testenv.LogseqDocs(t)
	var calls, lastDone, lastTotal int
	imp, err := Logseq(os.DirFS(logseqDocs), func(done, total int) { calls++; lastDone, lastTotal = done, total })
	if err != nil {
		t.Fatal(err)
	}
	im := index(t, imp)
	// 242 page files and 91 journals, plus pages that are only referenced.
	const wantNodes, wantEdges = 837, 1426
	if imp.Nodes != wantNodes || imp.Edges != wantEdges {
		t.Errorf("%d nodes and %d edges, want %d and %d", imp.Nodes, imp.Edges, wantNodes, wantEdges)
	}
	if calls != 333 || lastDone != 333 || lastTotal != 333 {
		t.Errorf("progress: %d calls, last %d/%d; want 333 files", calls, lastDone, lastTotal)
	}
	kinds := map[string]int{}
	for _, op := range im.nodes {
		kinds[*op.Metadata["kind"]]++
	}
	if kinds["page"] != 242 || kinds["journal"] != 91 {
		t.Errorf("kinds %v", kinds)
	}

	// Properties: type:: and platforms:: links, and the page's own alias.
	im.edge(t, "term/alias", "feature", "link")
	im.edge(t, "term/alias", "all platforms", "link")
	im.noNode(t, "page alias")
	// Namespaces (file "Whiteboard___Action Bar___Reload.md").
	im.edge(t, "whiteboard/action bar/reload", "whiteboard/action bar", "namespace")
	im.edge(t, "whiteboard/action bar", "whiteboard", "namespace")
	// [[Tool]] is an alias of whiteboard/tool.
	im.edge(t, "whiteboard/action bar/reload", "whiteboard/tool", "link")
	im.noNode(t, "tool")
	// [[Reload]] is an alias of that page.
	im.edge(t, "whiteboard/action bar", "whiteboard/action bar/reload", "link")
	im.noNode(t, "reload")
	// [[Page]] and [[Pages]] are aliases of term/page.
	im.edge(t, "term/page title", "term/page", "link")
	im.noNode(t, "pages")
	// title:: names a page differently from its file.
	if op, ok := im.nodes["community/query learning sprint (summer 2022)"]; !ok || *op.Label != "Community/Query Learning Sprint (Summer 2022)" {
		t.Errorf("title:: page: %+v", op)
	}
	// %3F in a file name is "?".
	if _, ok := im.nodes["new to logseq?"]; !ok {
		t.Error(`no page "new to logseq?"`)
	}
	// Journals get Logseq's default titles; an org journal's [[links]] count.
	if op, ok := im.nodes["may 14th, 2020"]; !ok || *op.Metadata["kind"] != "journal" || *op.Metadata["date"] != "2020-05-14" {
		t.Errorf("journal 2020_05_14.org: %+v", op)
	}
	im.edge(t, "may 14th, 2020", "changelog 2020", "link")
	// Org links to URLs and block references are not pages.
	im.noNode(t, "https://excalidraw.com/")
	im.noNode(t, "((block-uuid))")
	// #tags, with trailing punctuation left off.
	im.edge(t, "export", "tags", "tag")
	im.noNode(t, "tags**")
	// Code is not content: "alias:: page1, page2" inside a code block.
	im.noNode(t, "page1")
}

// A small notebook that exercises every rule on its own.
func TestLogseqRules(t *testing.T) {
	fsys := fstest.MapFS{
		"logseq/config.edn":          {Data: []byte(`{:file/name-format :triple-lowbar}`)},
		"pages/Alpha.md":             {Data: []byte("alias:: A1, [[A2]]\ntags:: Topic, [[Big Topic]]\nstatus:: [[Draft]]\n\n- links [[Beta]] and [[beta]] and #Gamma, #[[Delta Force]].\n- code `[[NotALink]]` and\n  ```\n  [[AlsoNot]] #nope\n  ```\n- {{query (and [[Queried]])}}\n- self [[Alpha]] and [[A1]]\n- url [[https://x.org]] and mail#not-a-tag\n")},
		"pages/Beta.md":              {Data: []byte("- back to [[A2]] twice [[a2]]\n- #Gamma\n")},
		"pages/ns___child___leaf.md": {Data: []byte("- in a namespace\n")},
		"pages/A1.md":                {Data: []byte("- A1 is also a page of its own\n")},
		"pages/Org.org":              {Data: []byte("#+TITLE: Org Page\n#+ALIAS: OrgAlias\n* see [[Beta][the beta page]] and [[https://a.b][a site]]\n:PROPERTIES:\n:x: [[InDrawer]]\n:END:\n* verbatim ~[[NotThis]]~\n")},
		"journals/2024_01_02.md":     {Data: []byte("- met [[OrgAlias]] #[[Big Topic]]\n")},
		"README.md":                  {Data: []byte("[[NotInPages]]")},
	}
	imp, err := Logseq(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	im := index(t, imp)
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range im.nodes {
			if !yield(id) {
				return
			}
		}
	})
	want := []string{"a1", "alpha", "beta", "big topic", "delta force", "draft", "gamma", "jan 2nd, 2024", "ns", "ns/child", "ns/child/leaf", "org page", "topic"}
	if !slices.Equal(ids, want) {
		t.Errorf("nodes %q\nwant  %q", ids, want)
	}
	im.edge(t, "alpha", "beta", "link")
	if w := *im.edges[[2]string{"alpha", "beta"}].Weight; w != 2 {
		t.Errorf("alpha → beta weight %v, want 2 (two references)", w)
	}
	im.edge(t, "alpha", "gamma", "tag")
	im.edge(t, "alpha", "delta force", "tag")
	im.edge(t, "alpha", "topic", "tag")
	im.edge(t, "alpha", "big topic", "tag")
	im.edge(t, "alpha", "draft", "link")
	im.edge(t, "alpha", "a1", "alias")  // A1 has a file, so the alias is an edge
	im.edge(t, "beta", "alpha", "link") // [[A2]] resolves to Alpha
	if w := *im.edges[[2]string{"beta", "alpha"}].Weight; w != 2 {
		t.Errorf("beta → alpha weight %v, want 2", w)
	}
	im.edge(t, "ns/child/leaf", "ns/child", "namespace")
	im.edge(t, "ns/child", "ns", "namespace")
	im.edge(t, "org page", "beta", "link")
	im.edge(t, "jan 2nd, 2024", "org page", "link")
	im.edge(t, "jan 2nd, 2024", "big topic", "tag")
	if _, self := im.edges[[2]string{"alpha", "alpha"}]; self {
		t.Error("self-reference became an edge")
	}
	if len(im.edges) != 14 {
		t.Errorf("%d edges, want 14: %v", len(im.edges), im.edges)
	}
	if op := im.nodes["alpha"]; *op.Metadata["status"] != "[[Draft]]" || *op.Metadata["file"] != "pages/Alpha.md" {
		t.Errorf("alpha metadata %v", op.Metadata)
	}
}

func TestLogseqRejectsFoldersThatAreNotNotebooks(t *testing.T) {
	if _, err := Logseq(fstest.MapFS{"notes.txt": {Data: []byte("x")}}, nil); err == nil {
		t.Error("a folder without pages/ or journals/ was accepted")
	}
	if _, err := Logseq(fstest.MapFS{"pages/x.txt": {Data: []byte("x")}}, nil); err == nil {
		t.Error("a pages/ folder without .md or .org files was accepted")
	}
}

func FuzzLogseqPage(f *testing.F) {
	f.Add("p", "alias:: a, [[b]]\n- [[c]] #d #[[e f]] `[[g]]`\n```\n[[h]]\n```\n", "q", "")
	f.Add("p", "#+TITLE: x\n* [[a][b]] ~[[c]]~\n:PROPERTIES:\n:END:\n", "q", "[[x]]")
	f.Add("ns___a", "title:: ns/a/b\n- [[ns/a]] [[x/]] [[/y]] [[a [[b]] c]]", "q", "")
	f.Add("a", "[[b -> c]]", "a -> b", "[[c]]") // edge ids that read alike
	f.Fuzz(func(t *testing.T, name1, text1, name2, text2 string) {
		fsys := fstest.MapFS{}
		for _, p := range [][2]string{{name1, text1}, {name2, text2}} {
			file := "pages/" + p[0] + ".md"
			if !fs.ValidPath(file) || strings.Contains(p[0], "/") {
				return
			}
			fsys[file] = &fstest.MapFile{Data: []byte(p[1])}
		}
		imp, err := Logseq(fsys, nil)
		if err != nil {
			return
		}
		g := graph.New(graph.Info{ID: "f", Type: graph.Knowledge})
		tx := g.Begin(graph.NewClock(nil), "")
		for _, op := range imp.Ops {
			if _, err := tx.Do(op); err != nil {
				t.Fatalf("import produced an op the graph refuses: %v: %v", op.String(), err)
			}
		}
	})
}

func TestNodeLink(t *testing.T) {
	doc := `{"name": "Les Mis", "nodes": [
		{"id": "a", "label": "Alpha", "group": 1, "x": 1, "y": 2, "z": 3},
		{"id": 7, "name": "Seven", "tags": ["x", "y"], "nothing": null},
		{"id": "c"}],
	 "links": [
		{"source": "a", "target": 7, "value": 3, "label": "knows"},
		{"source": "c", "target": "a", "id": "ca", "since": "2020"}]}`
	imp, err := NodeLink(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	im := index(t, imp)
	if imp.Name != "Les Mis" || imp.Nodes != 3 || imp.Edges != 2 {
		t.Fatalf("%q %d %d", imp.Name, imp.Nodes, imp.Edges)
	}
	a := im.nodes["a"]
	if *a.Label != "Alpha" || *a.Position != (graph.Vec3{X: 1, Y: 2, Z: 3}) || *a.Metadata["group"] != "1" {
		t.Errorf("node a %+v", a)
	}
	seven := im.nodes["7"]
	if *seven.Label != "Seven" || *seven.Metadata["tags"] != `["x","y"]` || seven.Metadata["nothing"] != nil || seven.Position != nil {
		t.Errorf("node 7 %+v %v", seven, seven.Metadata)
	}
	if e := im.edges[[2]string{"a", "7"}]; *e.Weight != 3 || *e.Label != "knows" {
		t.Errorf("edge a→7 %+v", e)
	}
	if e := im.edges[[2]string{"c", "a"}]; e.ID != "ca" || *e.Metadata["since"] != "2020" {
		t.Errorf("edge c→a %+v", e)
	}
}

func TestNodeLinkErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"nodes": [{"id": "a"}, {"id": "a"}]}`, `nodes[1].id: "a" is also the id of nodes[0]`},
		{`{"nodes": [{"id": "a"}], "links": [{"source": "a", "target": "b"}]}`, `links[0]: node "b" is not among the nodes`},
		{`{"nodes": [{"label": "x"}]}`, `nodes[0]: "id" is missing`},
		{`{"nodes": [{"id": 1.5}]}`, `nodes[0].id: must be a string or an integer`},
		{`{"nodes": [{"id": "a", "x": 1, "y": "2", "z": 3}]}`, `nodes[0].y: must be a finite number`},
		{`{"nodes": [{"id": "a", "x": 1e300, "y": 0, "z": 0}]}`, `nodes[0].position.x`},
		{`{"nodes": [{"id": "a"}], "links": [{"source": "a", "target": "a", "weight": -1}]}`, `links[0].weight`},
		{`{"nodes": [{"id": "a"}], "edges": [], "links": []}`, `both "links" and "edges"`},
		{`{"links": []}`, `no "nodes" array`},
		{`{"nodes": [3]}`, `nodes[0]: must be an object`},
		{`{"nodes": [{"id": "a", "x": NaN}]}`, `invalid character`},
		{`{"nodes": []} {}`, `unexpected data after`},
		{`[1,2]`, `the document must start with "{"`},
		{`{"nodes": {"id": "a"}}`, `"nodes" must start with "["`},
		{`{"nodes": [{"id": "a"}], "nodes": []}`, `"nodes" given twice`},
		{`{"links": [{"source": "a", "target": "b"}], "nodes": [{"id": "a"}]}`, `links[0]: node "b" is not among the nodes`},
		{`{"nodes": [{"id": "a"}]`, `EOF`},
	}
	for _, tc := range tests {
		_, err := NodeLink(strings.NewReader(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant …%s…", tc.doc, err, tc.want)
		}
	}
	_, err := NodeLink(strings.NewReader(`{"nodes": [{"id": "a"}], "links": [{"source": "a", "target": "b"}]}`))
	if !errors.Is(err, graph.ErrDangling) {
		t.Errorf("dangling link error does not wrap ErrDangling: %v", err)
	}
}

// A JSON import past its limits is refused as soon as the limit is
// passed, naming the setting; links may come before the nodes.
func TestNodeLinkLimits(t *testing.T) {
	lim := Limits{MaxNodes: 3, MaxEdges: 2}
	doc := func(nodes, links int, linksFirst bool) string {
		var ns, ls []string
		for i := range nodes {
			ns = append(ns, fmt.Sprintf(`{"id":"n%d"}`, i))
		}
		for i := range links {
			ls = append(ls, fmt.Sprintf(`{"source":"n0","target":"n%d"}`, i%nodes))
		}
		n, l := `"nodes":[`+strings.Join(ns, ",")+`]`, `"links":[`+strings.Join(ls, ",")+`]`
		if linksFirst {
			return "{" + l + "," + n + "}"
		}
		return "{" + n + "," + l + "}"
	}
	imp, err := NodeLinkWithin(strings.NewReader(doc(3, 2, true)), lim)
	if err != nil || imp.Nodes != 3 || imp.Edges != 2 || imp.Ops[0].Op != graph.AddNode {
		t.Fatalf("at the limits, links first: %+v %v", imp, err)
	}
	for _, tc := range []struct {
		doc, want string
	}{
		{doc(4, 0, false), "system.import.maxNodes"},
		{doc(3, 3, false), "system.import.maxEdges"},
		{doc(3, 3, true), "system.import.maxEdges"},
	} {
		_, err := NodeLinkWithin(strings.NewReader(tc.doc), lim)
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrLimit naming %s", tc.doc, err, tc.want)
		}
	}
	// Refused on the way: what follows the limit is never read.
	r := io.MultiReader(strings.NewReader(`{"nodes":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d"},`), iotest.ErrReader(errors.New("read past the limit")))
	if _, err := NodeLinkWithin(r, lim); !errors.Is(err, ErrLimit) {
		t.Errorf("a document past the limit was read on: %v", err)
	}
}

func FuzzNodeLink(f *testing.F) {
	f.Add([]byte(`{"nodes":[{"id":"a","x":1,"y":2,"z":3},{"id":2}],"links":[{"source":"a","target":2,"value":1}]}`))
	f.Add([]byte(`{"nodes":[{"id":"a","meta":{"k":[1,2]}}],"edges":[{"source":"a","target":"a","label":"self"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		imp, err := NodeLink(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		g := graph.New(graph.Info{ID: "f", Type: graph.Knowledge})
		tx := g.Begin(graph.NewClock(nil), "")
		for _, op := range imp.Ops {
			if _, err := tx.Do(op); err != nil && !errors.Is(err, graph.ErrDuplicateID) {
				// Only duplicate edge ids are the graph's to find.
				t.Fatalf("accepted input the graph refuses: %v: %v", op.String(), err)
			}
		}
	})
}

func TestLogseqLimits(t *testing.T) {
	fsys := MemFS{"pages/a.md": []byte("- [[x]] [[y]] [[z]]"), "pages/b.md": []byte("- [[a]]"), "pages/c.md": []byte("- [[q/r/s]]")}
	for _, tc := range []struct {
		lim  Limits
		want string
	}{
		{Limits{MaxPages: 2, MaxLinksPerPage: 10, MaxNodes: 100}, "3 page files; the limit is 2"},
		{Limits{MaxPages: 10, MaxLinksPerPage: 2, MaxNodes: 100}, "pages/a.md holds 3 links"},
		{Limits{MaxPages: 10, MaxLinksPerPage: 10, MaxNodes: 6}, "more than 6 pages"},
	} {
		_, err := LogseqWithin(fsys, nil, tc.lim)
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want …%s…", tc.lim, err, tc.want)
		}
	}
	if imp, err := LogseqWithin(fsys, nil, DefaultLimits); err != nil || imp.Nodes != 9 {
		t.Errorf("within the limits: %v, %d nodes", err, imp.Nodes)
	}
}
