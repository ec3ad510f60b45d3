package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"testing"

	"visionflow/graph"
)

func TestCSVEdgeLists(t *testing.T) {
	for name, tc := range map[string]struct {
		doc          string
		nodes, edges int
		check        func(t *testing.T, g *graph.Graph)
	}{
		"header, comma, extra column": {"Source,Target,Weight,Type,year\na,b,2,cites,1999\nb,c,,uses,\n", 3, 2, func(t *testing.T, g *graph.Graph) {
			for _, e := range g.Edges() {
				if e.Source == "a" && (e.Weight != 2 || e.Label != "cites" || e.Metadata["year"] != "1999") {
					t.Errorf("a→b: %+v", e)
				}
				if e.Source == "b" && (e.Weight != 1 || e.Label != "uses" || len(e.Metadata) != 0) {
					t.Errorf("b→c: %+v", e)
				}
			}
		}},
		"no header, tab, weights": {"x\ty\t0.5\ny\tz\t3\n", 3, 2, func(t *testing.T, g *graph.Graph) {
			for _, e := range g.Edges() {
				if e.Source == "y" && e.Weight != 3 {
					t.Errorf("y→z: %+v", e)
				}
			}
		}},
		"semicolon, quoted, CRLF, blank line": {"from;to\r\n\"Hugo, Victor\";\"Les Misérables\"\r\n\r\nHugo;Paris\r\n", 4, 2, nil},
		"BOM header":                          {"\ufeffsrc|dst\n1|2\n2|1\n", 2, 2, nil},
		"spaces after commas": {"source, target, label, note\na, b, \" x\", y \n", 2, 1, func(t *testing.T, g *graph.Graph) {
			for _, e := range g.Edges() {
				if e.Source != "a" || e.Target != "b" || e.Label != " x" || e.Metadata["note"] != "y " {
					t.Errorf("a→b: %+v", e)
				}
			}
		}},
		// Gephi's edge table: Type is the kind of edge, Id the edge's id.
		"Gephi": {"Source,Target,Type,Id,Label,Weight,Year\na,b,Directed,7,knows,2,1999\nb,c,Undirected,8,,1,\nc,a,cites,,,,\n", 3, 3, func(t *testing.T, g *graph.Graph) {
			e7, _ := g.Edge("7")
			e8, _ := g.Edge("8")
			if e7.Source != "a" || e7.Label != "knows" || e7.Weight != 2 || len(e7.Metadata) != 1 || e7.Metadata["Year"] != "1999" {
				t.Errorf("7: %+v", e7)
			}
			if e8.Source != "b" || e8.Label != "" || len(e8.Metadata) != 0 {
				t.Errorf("8: %+v", e8)
			}
			for _, e := range g.Edges() {
				if e.Source == "c" && (e.Metadata["Type"] != "cites" || e.ID == "7" || e.ID == "8") {
					t.Errorf("c→a: %+v", e)
				}
			}
		}},
		"value and weight, quoted delimiters": {"to,from,value,weight,relation\n\"x,1\",\"y;2\",3,4,\"r\nx\"\n\"z\",\"x,1\",5,6,s\n", 3, 2, func(t *testing.T, g *graph.Graph) {
			for _, e := range g.Edges() {
				if e.Target == "x,1" && (e.Source != "y;2" || e.Weight != 4 || e.Metadata["value"] != "3" || e.Label != "r\nx") {
					t.Errorf("y→x: %+v", e)
				}
			}
		}},
	} {
		imp, err := CSV(strings.NewReader(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g := build(t, imp)
		if g.NodeCount() != tc.nodes || g.EdgeCount() != tc.edges {
			t.Errorf("%s: %d nodes, %d edges", name, g.NodeCount(), g.EdgeCount())
		}
		if tc.check != nil {
			tc.check(t, g)
		}
	}
}

func TestCSVRefusesWhatItCannotRead(t *testing.T) {
	for name, tc := range map[string]struct{ doc, want string }{
		"empty":       {"", "the file is empty"},
		"one column":  {"a\nb\n", "no delimiter"},
		"short row":   {"source,target\na,b\nc\n", "CSV row 3: 1 fields"},
		"bad weight":  {"source,target,weight\na,b,heavy\n", `CSV row 2: weight "heavy" is not a number`},
		"neg weight":  {"source,target,weight\na,b,-2\n", "weight"},
		"header only": {"source,target\n", "no edges"},
		"bad quote":   {"a,b\n\"c,d\n", "CSV:"},
		"dup edge id": {"source,target,id\na,b,1\nb,c,1\n", `CSV row 3: edge id "1" is on row 2 too`},
		"bad edge id": {"source,target,id\na,b,..\n", `CSV row 2 id: ".." is not allowed`},
	} {
		if _, err := CSV(strings.NewReader(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
	if _, err := CSVWithin(strings.NewReader("a,b\nb,c\nc,d\n"), Limits{MaxNodes: 100, MaxEdges: 2}); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "system.import.maxEdges") {
		t.Errorf("three edges past a limit of two: %v", err)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add("Source,Target,Weight,Type\na,b,2,cites\nb,c,,uses\n")
	f.Add("x\ty\t0.5\n\"q\"\"r\"\tz\t3\n")
	f.Add("Source,Target,Type,Id,Label,Weight\na,b,Directed,e2,x,2\nb,c,Undirected,,,\n")
	f.Fuzz(func(t *testing.T, doc string) {
		imp, err := CSVWithin(strings.NewReader(doc), Limits{MaxNodes: 1000, MaxEdges: 1000})
		if err != nil {
			return
		}
		acceptedGraph(t, imp, "CSV", false)
	})
}

func TestCSVTables(t *testing.T) {
	nodes := "Id,Label,x,y,z,Group,meta.label,Name\n" +
		"valjean,Jean Valjean,1.5,-2,3,1,a label,JV\n" +
		"\n" +
		"cosette,,,,,2,,\n" +
		"alone,Nobody,1,2,,,,\n"
	edges := "source,target,weight\nvaljean,cosette,2\nvaljean,javert,1\njavert,thenardier,1\n"
	imp, err := CSVTables(strings.NewReader(nodes), strings.NewReader(edges), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, op := range imp.Ops {
		if op.Op == graph.AddNode {
			order = append(order, op.ID)
		}
	}
	if strings.Join(order, " ") != "valjean cosette alone javert thenardier" {
		t.Errorf("nodes in the order %v", order)
	}
	if len(imp.Warnings) != 1 || !strings.Contains(imp.Warnings[0], "2 nodes named by edges were not in the node table") {
		t.Errorf("warnings: %v", imp.Warnings)
	}
	g := build(t, imp)
	v, _ := g.Node("valjean")
	c, _ := g.Node("cosette")
	a, _ := g.Node("alone")
	j, _ := g.Node("javert")
	if v.Label != "Jean Valjean" || v.Position != (graph.Vec3{X: 1.5, Y: -2, Z: 3}) || !maps.Equal(v.Metadata, map[string]string{"Group": "1", "label": "a label", "Name": "JV"}) {
		t.Errorf("valjean: %+v", v)
	}
	if c.Label != "cosette" || c.Metadata["Group"] != "2" || len(c.Metadata) != 1 {
		t.Errorf("cosette: %+v", c)
	}
	if a.Label != "Nobody" || a.Position != (graph.Vec3{X: 1, Y: 2}) || g.Degree("alone") != 0 {
		t.Errorf("alone: %+v", a)
	}
	if j.Label != "javert" {
		t.Errorf("javert: %+v", j)
	}

	// A node table alone, of ids alone; name as the label where there is
	// no label column.
	imp, err = CSVTables(strings.NewReader("id\na\nb\n"), nil, DefaultLimits)
	if err != nil || imp.Nodes != 2 || imp.Edges != 0 || len(imp.Warnings) != 0 {
		t.Errorf("ids alone: %+v, %v", imp, err)
	}
	imp, err = CSVTables(strings.NewReader("name;ID\nAlpha;a\n"), nil, DefaultLimits)
	if err != nil || *imp.Ops[0].Label != "Alpha" || imp.Ops[0].ID != "a" {
		t.Errorf("name as label: %+v, %v", imp, err)
	}
}

func TestCSVTablesRefuseWhatTheyCannotRead(t *testing.T) {
	for name, tc := range map[string]struct{ nodes, edges, want string }{
		"no id column":   {"label,x\nA,1\n", "", "CSV node table: the first row names no id column"},
		"empty":          {"", "", "CSV node table: the file is empty"},
		"duplicate":      {"id,label\na,A\nb,B\na,C\n", "", `CSV node table row 4: node "a" is on row 2 too`},
		"x without y":    {"id,x,y\na,1,\n", "", "CSV node table row 2: a position needs both x and y"},
		"bad x":          {"id,x,y\na,left,1\n", "", `CSV node table row 2: x "left" is not a number`},
		"far y":          {"id,x,y\na,1,1e9\n", "", "CSV node table row 2 position.y: is 1e+09; coordinates must lie within"},
		"short row":      {"label,id\nA\n", "", "CSV node table row 2: 1 fields; the id is in column 2"},
		"empty id":       {"id,label\n,A\n", "", "CSV node table row 2 id: must not be empty"},
		"bad label":      {"id,label\na,\"x\x01\"\n", "", "CSV node table row 2 label: contains control character"},
		"bad quote":      {"id,label\n\"a,b\n", "", "CSV node table:"},
		"bad edge":       {"id\na\n", "source,target,weight\na,b,-1\n", "CSV edge table row 2 weight"},
		"nothing at all": {"id\n", "source,target\n", "CSV: no nodes"},
	} {
		var edges io.Reader
		if tc.edges != "" {
			edges = strings.NewReader(tc.edges)
		}
		if _, err := CSVTables(strings.NewReader(tc.nodes), edges, DefaultLimits); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
	if _, err := CSVTables(nil, nil, DefaultLimits); err == nil {
		t.Error("no tables at all: no error")
	}
	lim := Limits{MaxNodes: 2, MaxEdges: 10}
	if _, err := CSVTables(strings.NewReader("id\na\nb\nc\n"), nil, lim); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "system.import.maxNodes") {
		t.Errorf("three nodes past a limit of two: %v", err)
	}
	if _, err := CSVTables(strings.NewReader("id\na\nb\n"), strings.NewReader("a,c\n"), lim); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "CSV edge table") {
		t.Errorf("an edge end past a limit of two nodes: %v", err)
	}
}

// zipOf makes a zip of the named files.
func zipOf(t testing.TB, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCSVZip(t *testing.T) {
	data := zipOf(t,
		"__MACOSX/graph/._Nodes.csv", "junk",
		"graph/", "",
		"graph/Nodes.CSV", "Id,Label\na,A\nb,B\nc,C\n",
		"graph/EDGES.csv", "Source,Target,Id\na,b,1\n",
		"graph/deeper/nodes.csv", "not read",
		"README.txt", "hello",
	)
	imp, err := CSVZip(data, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if g := build(t, imp); g.NodeCount() != 3 || g.EdgeCount() != 1 || len(imp.Warnings) != 0 || imp.Name != "" {
		t.Errorf("%d nodes, %d edges, warnings %v", g.NodeCount(), g.EdgeCount(), imp.Warnings)
	}
	// edges.csv alone is an edge list.
	if imp, err := CSVZip(zipOf(t, "edges.csv", "a,b\n"), DefaultLimits); err != nil || imp.Nodes != 2 {
		t.Errorf("edges.csv alone: %+v, %v", imp, err)
	}

	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"not a zip":     {[]byte("PK\x03\x04 but no more"), "CSV zip: zip: not a valid zip file"},
		"no tables":     {zipOf(t, "a.csv", "x", "b/nodes.txt", "y", "c/d/nodes.csv", "z"), "CSV zip: no nodes.csv or edges.csv at the top or one folder down (it holds a.csv, b/nodes.txt)"},
		"two nodes.csv": {zipOf(t, "nodes.csv", "id\na\n", "x/NODES.csv", "id\nb\n"), "CSV zip: two nodes.csv: nodes.csv and x/NODES.csv"},
		"bad row":       {zipOf(t, "g/nodes.csv", "id,x,y\na,1,\n"), "CSV zip: g/nodes.csv row 2: a position needs both x and y"},
	} {
		if _, err := CSVZip(tc.data, DefaultLimits); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}

	// What a table unpacks to is bounded, whatever the zip says of it.
	defer func(n int64) { csvZipMaxEntry = n }(csvZipMaxEntry)
	csvZipMaxEntry = 100
	long := "id\n" + strings.Repeat("node\n", 30)
	if _, err := CSVZip(zipOf(t, "nodes.csv", long), DefaultLimits); err == nil || !strings.Contains(err.Error(), "nodes.csv: 153 bytes unpacked; a table may hold 100") {
		t.Errorf("a table over the bound: %v", err)
	}
	lied := zipOf(t, "nodes.csv", long)
	// The central directory says 20; archive/zip holds it to that, and
	// what it lets through is counted here as well.
	binary.LittleEndian.PutUint32(lied[bytes.LastIndex(lied, []byte("PK\x01\x02"))+24:], 20)
	if _, err := CSVZip(lied, DefaultLimits); err == nil {
		t.Error("a table longer than the zip says: no error")
	}
	if _, err := io.ReadAll(&boundedReader{r: strings.NewReader(long), left: csvZipMaxEntry + 1}); err == nil || !strings.Contains(err.Error(), "over 100 bytes unpacked") {
		t.Errorf("reading past the bound: %v", err)
	}
	many := make([]string, 0, 2*(csvZipMaxEntries+1))
	for i := range csvZipMaxEntries + 1 {
		many = append(many, fmt.Sprintf("f%d", i), "")
	}
	if _, err := CSVZip(zipOf(t, many...), DefaultLimits); err == nil || !strings.Contains(err.Error(), "1001 entries") {
		t.Errorf("too many entries: %v", err)
	}
}
