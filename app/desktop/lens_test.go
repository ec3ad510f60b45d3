package desktop

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/analysis"
	"visionflow/picture"
)

// lensScene is a small scene: a hub h with leaves a, b, c; c links on to d;
// o alone; r a link-only page (kind reference) linked from a.
func lensScene(t *testing.T) (*scene, *measures) {
	t.Helper()
	g := graph.New(graph.Info{ID: "g", Type: graph.Knowledge})
	tx := g.Begin(graph.NewClock(time.Now), "test")
	for _, id := range []string{"h", "a", "b", "c", "d", "o", "r"} {
		kind := "page"
		if id == "r" {
			kind = "reference"
		}
		k := kind
		if _, err := tx.Do(graph.Op{Op: graph.AddNode, ID: id, Metadata: map[string]*string{"kind": &k}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range [][2]string{{"h", "a"}, {"h", "b"}, {"h", "c"}, {"c", "d"}, {"a", "r"}} {
		if _, err := tx.Do(graph.Op{Op: graph.AddEdge, ID: e[0] + e[1], Source: e[0], Target: e[1]}); err != nil {
			t.Fatal(err)
		}
	}
	tx.Commit()
	sc := buildScene(g, nil)
	res, err := analysis.Analyze(context.Background(), sceneNet(sc), analysis.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return sc, &measures{scene: sc, res: res, rank: ranks(res.PageRank)}
}

func visible(sc *scene, p *paint) map[string]uint8 {
	out := map[string]uint8{}
	for i := range sc.graphNodes {
		out[sc.nodes[i].id] = p.visOf(int32(i))
	}
	return out
}

func TestLensFilters(t *testing.T) {
	sc, m := lensScene(t)
	wire := func(id string) graph.WireID { return sc.nodes[sc.byID[id]].wire }
	for name, tc := range map[string]struct {
		l        lens
		sel, hov string
		want     map[string]uint8
	}{
		"nothing":        {lens{}, "", "", map[string]uint8{"h": visShown, "o": visShown, "r": visShown}},
		"orphans":        {lens{orphans: true}, "", "", map[string]uint8{"o": visHidden, "h": visShown}},
		"link-only":      {lens{linkOnly: true}, "", "", map[string]uint8{"r": visHidden, "a": visShown}},
		"degree 2 up":    {lens{minDeg: 2}, "", "", map[string]uint8{"h": visShown, "a": visShown, "c": visShown, "b": visHidden, "d": visHidden, "o": visHidden}},
		"hover dims":     {lens{}, "", "c", map[string]uint8{"c": visShown, "h": visShown, "d": visShown, "a": visDim, "o": visDim}},
		"local 1 hides":  {lens{local: 1, hideRest: true}, "c", "", map[string]uint8{"c": visShown, "h": visShown, "d": visShown, "a": visHidden, "b": visHidden}},
		"local 2":        {lens{local: 2, hideRest: true}, "c", "", map[string]uint8{"a": visShown, "b": visShown, "r": visHidden, "o": visHidden}},
		"local 2 dims":   {lens{local: 2}, "c", "a", map[string]uint8{"a": visShown, "r": visDim}},
		"only the pages": {lens{colourBy: "meta:kind", only: "page"}, "", "", map[string]uint8{"r": visHidden, "h": visShown}},
		"hide pages":     {lens{colourBy: "meta:kind", hidden: map[string]bool{"page": true}}, "", "", map[string]uint8{"r": visShown, "h": visHidden}},
	} {
		var sel, hov graph.WireID
		if tc.sel != "" {
			sel = wire(tc.sel)
		}
		if tc.hov != "" {
			hov = wire(tc.hov)
		}
		got := visible(sc, paintScene(sc, m, &tc.l, sel, hov, nil))
		for id, want := range tc.want {
			if got[id] != want {
				t.Errorf("%s: %s is %d, want %d (all: %v)", name, id, got[id], want, got)
			}
		}
	}
}

func TestLegendCountsAndColours(t *testing.T) {
	sc, m := lensScene(t)
	p := paintScene(sc, m, &lens{colourBy: "meta:kind"}, 0, 0, nil)
	lg := p.legend
	if len(lg.Classes) != 2 || lg.Classes[0].Name != "page" || lg.Classes[0].Count != 6 || lg.Classes[1].Count != 1 {
		t.Fatalf("legend %+v", lg.Classes)
	}
	if c, _ := p.colourOf(sc.byID["r"]); c != picture.Classes[1] {
		t.Fatalf("the reference page is %v, its class %v", c, picture.Classes[1])
	}
	// By degree: bins whose counts add up to the graph, highest first;
	// equal degrees stay in one bin.
	p = paintScene(sc, m, &lens{colourBy: "degree"}, 0, 0, nil)
	var names []string
	total := 0
	for _, c := range p.legend.Classes {
		total += c.Count
		names = append(names, c.Name)
	}
	if total != sc.graphNodes || strings.Join(names, " ") != "3 2 1 0" {
		t.Fatalf("degree bins %+v", p.legend.Classes)
	}
}

// relativeLuminance is WCAG 2's, of an sRGB colour.
func relativeLuminance(c [3]uint8) float64 {
	lin := func(v uint8) float64 {
		x := float64(v) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
}

// Every class colour stands out from the default background by WCAG's
// 3:1 for graphics, and the measure ramp rises in lightness (readable in
// grey and by every kind of colour vision).
func TestPaletteIsReadableOnTheBackground(t *testing.T) {
	bg := relativeLuminance(parseColor("#0a0e1a"))
	for i, c := range append(append([][3]uint8{}, picture.Classes...), picture.Other) {
		if ratio := (relativeLuminance(c) + 0.05) / (bg + 0.05); ratio < 3 {
			t.Errorf("colour %d %s: contrast %.2f with the background", i, fmtRGB(c), ratio)
		}
	}
	for i := 1; i < len(picture.Ramp); i++ {
		if relativeLuminance(picture.Ramp[i]) <= relativeLuminance(picture.Ramp[i-1]) {
			t.Errorf("the ramp darkens at %d", i)
		}
	}
}

func TestRanksByPageRank(t *testing.T) {
	if got := ranks([]float64{0.1, 0.4, 0.1, 0.4, 0.0}); !slices.Equal(got, []int32{3, 1, 3, 1, 5}) {
		t.Fatalf("ranks %v, want [3 1 3 1 5]", got)
	}
}
