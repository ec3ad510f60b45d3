package picture

import (
	"bytes"
	"encoding/xml"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"visionflow/graph"
)

var update = flag.Bool("update", false, "rewrite the golden pictures in testdata")

// square is four nodes on a square in the z=0 plane, linked around, and
// a fifth far to the right that is hidden in some tests.
func square() graph.Contents {
	at := func(id, label string, x, y float32) graph.Node {
		return graph.Node{ID: id, Label: label, Position: graph.Vec3{X: x, Y: y}}
	}
	return graph.Contents{
		Nodes: []graph.Node{at("a", "Alpha", -10, 10), at("b", "Beta <&>", 10, 10), at("c", "Gamma", 10, -10), at("d", "Delta", -10, -10), at("e", "Far", 200, 0)},
		Edges: []graph.Edge{{ID: "1", Source: "a", Target: "b"}, {ID: "2", Source: "b", Target: "c"}, {ID: "3", Source: "c", Target: "d"}, {ID: "4", Source: "d", Target: "a"}},
	}
}

func TestDrawFitsTheVisibleNodes(t *testing.T) {
	c := square()
	hidden := []bool{false, false, false, false, true}
	colours := [][3]uint8{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {255, 255, 255}}
	p, err := Draw(c, Options{Width: 200, Height: 200, Hidden: hidden, Colours: colours, Background: DefaultBackground, Labels: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Dots) != 4 || len(p.Lines) != 4 {
		t.Fatalf("%d dots and %d lines, want 4 and 4", len(p.Dots), len(p.Lines))
	}
	for _, d := range p.Dots {
		if d.X < 10 || d.X > 190 || d.Y < 10 || d.Y > 190 {
			t.Errorf("%s at (%.0f, %.0f): not fitted in the picture", d.Label, d.X, d.Y)
		}
		if d.Label == "Alpha" && (d.X > 100 || d.Y > 100) {
			t.Errorf("Alpha (top left in the world) drawn at (%.0f, %.0f)", d.X, d.Y)
		}
	}
	img := p.Image()
	for _, d := range p.Dots {
		got := img.NRGBAAt(int(d.X), int(d.Y))
		if [3]uint8{got.R, got.G, got.B} != d.Colour {
			t.Errorf("%s's centre is %v, want its colour %v", d.Label, got, d.Colour)
		}
	}
	if got := img.NRGBAAt(1, 1); [3]uint8{got.R, got.G, got.B} != DefaultBackground {
		t.Errorf("corner %v, want the background", got)
	}
	// Midway along an edge the line lightens the background.
	a, b := p.Dots[0], p.Dots[1]
	for _, d := range p.Dots[1:] {
		if (d.X-a.X)*(d.X-a.X) < 1 || (d.Y-a.Y)*(d.Y-a.Y) < 1 {
			b = d // a neighbour on the square
			break
		}
	}
	mid := img.NRGBAAt(int((a.X+b.X)/2+0.5), int((a.Y+b.Y)/2+0.5))
	if int(mid.R)+int(mid.G)+int(mid.B) <= int(DefaultBackground[0])+int(DefaultBackground[1])+int(DefaultBackground[2]) {
		t.Errorf("midway between %s and %s: %v, no line", a.Label, b.Label, mid)
	}
}

func TestSVGIsWellFormedAndEscaped(t *testing.T) {
	p, err := Draw(square(), Options{Width: 320, Height: 240, Labels: 5})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.SVG(&buf); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	count := map[string]int{}
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG does not parse: %v", err)
			}
			break
		}
		switch e := tok.(type) {
		case xml.StartElement:
			count[e.Name.Local]++
			inText = e.Name.Local == "text"
			if e.Name.Local == "svg" && e.Name.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("svg namespace %q", e.Name.Space)
			}
		case xml.CharData:
			if inText {
				texts = append(texts, string(e))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if count["circle"] != 5 || count["path"] != 1 || count["text"] == 0 {
		t.Fatalf("elements %v", count)
	}
	if !strings.Contains(strings.Join(texts, "|"), "Beta <&>") {
		t.Errorf("labels %q: Beta <&> lost", texts)
	}
}

func TestDrawRefusesBadOptions(t *testing.T) {
	for name, opt := range map[string]Options{
		"too small":     {Width: 8, Height: 100},
		"too large":     {Width: MaxSide + 1, Height: 100},
		"short colours": {Width: 100, Height: 100, Colours: [][3]uint8{{1, 2, 3}}},
	} {
		if _, err := Draw(square(), opt); err == nil {
			t.Errorf("%s: drawn", name)
		}
	}
}

func TestLabelsDoNotOverlap(t *testing.T) {
	c := graph.Contents{}
	for i := range 40 {
		c.Nodes = append(c.Nodes, graph.Node{ID: string(rune('A' + i)), Label: "a label of some length", Position: graph.Vec3{X: float32(i % 5), Y: float32(i / 5)}})
	}
	p, err := Draw(c, Options{Width: 400, Height: 300, Labels: 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Labels) == 0 || len(p.Labels) == 40 {
		t.Fatalf("%d labels placed of 40 crowded nodes", len(p.Labels))
	}
	for i, a := range p.Labels {
		for _, b := range p.Labels[i+1:] {
			x, y := p.labelBox(a), p.labelBox(b)
			if x[0] < y[2] && y[0] < x[2] && x[1] < y[3] && y[1] < x[3] {
				t.Fatalf("labels %d and %d overlap", a, b)
			}
		}
	}
}

// The picture of a small coloured graph, against a golden image (go test
// -update rewrites it): a change to how pictures look is seen in review.
func TestGoldenPicture(t *testing.T) {
	c := square()
	colours := [][3]uint8{{0xe6, 0x9f, 0x00}, {0x56, 0xb4, 0xe9}, {0x00, 0x9e, 0x73}, {0xf0, 0xe4, 0x42}, {0xcc, 0x79, 0xa7}}
	p, err := Draw(c, Options{Width: 240, Height: 160, Colours: colours, Hidden: []bool{4: true}, Background: DefaultBackground, Labels: 5})
	if err != nil {
		t.Fatal(err)
	}
	got := p.Image()
	path := filepath.Join("testdata", "square.png")
	if *update {
		var buf bytes.Buffer
		png.Encode(&buf, got)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != got.Bounds() {
		t.Fatalf("size %v, golden %v", got.Bounds(), want.Bounds())
	}
	// Font rasterisation may differ by a level here and there.
	bad := 0
	for y := range got.Bounds().Dy() {
		for x := range got.Bounds().Dx() {
			r1, g1, b1, _ := got.At(x, y).RGBA()
			r2, g2, b2, _ := want.At(x, y).RGBA()
			if diff(r1, r2) > 24<<8 || diff(g1, g2) > 24<<8 || diff(b1, b2) > 24<<8 {
				bad++
			}
		}
	}
	if bad > got.Bounds().Dx()*got.Bounds().Dy()/200 {
		out := filepath.Join(t.TempDir(), "square.png")
		var buf bytes.Buffer
		png.Encode(&buf, got)
		os.WriteFile(out, buf.Bytes(), 0o644)
		t.Fatalf("%d pixels differ from %s; this run's picture is %s", bad, path, out)
	}
	_ = image.Point{}
}

func diff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
