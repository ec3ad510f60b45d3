package ingest

import (
	"errors"
	"strings"
	"testing"
	"time"

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
	f.Fuzz(func(t *testing.T, doc string) {
		imp, err := CSVWithin(strings.NewReader(doc), Limits{MaxNodes: 1000, MaxEdges: 1000})
		if err != nil {
			return
		}
		g := graph.New(graph.Info{ID: "g", Type: imp.Type})
		tx := g.Begin(graph.NewClock(time.Now), "fuzz")
		for _, op := range imp.Ops {
			if _, err := tx.Do(op); err != nil {
				t.Fatalf("accepted CSV made an op the graph refuses: %+v: %v", op, err)
			}
		}
	})
}
