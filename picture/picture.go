// Package picture draws a graph's 2D projection without a GPU: as SVG, for
// editing and print, and as a PNG rasterised in Go, for pictures where no
// GL context is at hand (the server's image endpoint, the window's SVG).
// It holds the palette the window colours classes and measures with, so a
// picture looks like the view it was taken from. It is pure Go, free of
// the graphics packages, so the server may use it.
package picture

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"visionflow/graph"
)

// Options say what to draw and how.
type Options struct {
	Width, Height int
	// Camera looks at the graph; nil fits the whole graph in view from
	// the window's first direction.
	Camera *Camera
	// Colours and Sizes are by node, in the order of Contents.Nodes; nil
	// colours every node alike and sizes nodes by degree. A size is the
	// window's: 1 is an ordinary node.
	Colours [][3]uint8
	Sizes   []float32
	// Hidden nodes (by index) are not drawn, nor their edges.
	Hidden     []bool
	Background [3]uint8
	// Labels is how many nodes are labelled, the largest first; 0 none.
	Labels int
}

// MaxSide bounds a picture's width and height, in pixels.
const MaxSide = 8192

// Dot is a node on the picture.
type Dot struct {
	X, Y, R float32 // centre and radius, in pixels from the top left
	Depth   float32 // nearer is smaller
	Colour  [3]uint8
	Label   string
}

// Picture is a graph projected onto a plane, ready to write.
type Picture struct {
	Width, Height int
	Background    [3]uint8
	Dots          []Dot        // farthest first
	Lines         [][4]float32 // x0, y0, x1, y1
	Labels        []int        // indexes into Dots, placed without overlap
}

// DefaultBackground is the window's (rendering.backgroundColor).
var DefaultBackground = [3]uint8{0x0a, 0x0e, 0x1a}

// DefaultColour is a node's colour when no colouring is given.
var DefaultColour = [3]uint8{0x7f, 0xb3, 0xff}

// Draw projects c as the options say.
func Draw(c graph.Contents, opt Options) (*Picture, error) {
	w, h := opt.Width, opt.Height
	if w < 16 || h < 16 || w > MaxSide || h > MaxSide {
		return nil, fmt.Errorf("sketch: a picture of %d×%d pixels: each side must be 16 to %d", w, h, MaxSide)
	}
	if opt.Colours != nil && len(opt.Colours) != len(c.Nodes) || opt.Sizes != nil && len(opt.Sizes) != len(c.Nodes) {
		return nil, fmt.Errorf("sketch: %d colours and %d sizes for %d nodes", len(opt.Colours), len(opt.Sizes), len(c.Nodes))
	}
	hidden := func(i int) bool { return opt.Hidden != nil && i < len(opt.Hidden) && opt.Hidden[i] }
	var cam Camera
	if opt.Camera != nil {
		cam = *opt.Camera
	} else {
		cam = fitted(c, hidden, float32(w)/float32(h))
	}
	proj, err := cam.projector(w, h)
	if err != nil {
		return nil, err
	}
	index := make(map[string]int, len(c.Nodes))
	for i, n := range c.Nodes {
		index[n.ID] = i
	}
	sizes := opt.Sizes
	if sizes == nil {
		sizes = DegreeSizes(c)
	}
	// A size 1 node's radius is 1/200 of the picture's height, at least
	// 2 px: small enough that a dense graph shows its structure, large
	// enough to see the colour.
	unit := max(2, float32(h)/200)
	type projected struct {
		x, y, z float32
		ok      bool
	}
	at := make([]projected, len(c.Nodes))
	p := &Picture{Width: w, Height: h, Background: opt.Background}
	dotOf := make([]int, len(c.Nodes))
	for i, n := range c.Nodes {
		dotOf[i] = -1
		if hidden(i) {
			continue
		}
		x, y, z, ok := proj(n.Position)
		if !ok {
			continue
		}
		at[i] = projected{x, y, z, true}
		r := max(1, unit*sizes[i])
		if x+r < 0 || y+r < 0 || x-r > float32(w) || y-r > float32(h) {
			continue
		}
		colour := DefaultColour
		if opt.Colours != nil {
			colour = opt.Colours[i]
		}
		label := n.Label
		if label == "" {
			label = n.ID
		}
		p.Dots = append(p.Dots, Dot{X: x, Y: y, R: r, Depth: at[i].z, Colour: colour, Label: label})
		dotOf[i] = len(p.Dots) - 1
	}
	for _, e := range c.Edges {
		s, okS := index[e.Source]
		t, okT := index[e.Target]
		if !okS || !okT || s == t || !at[s].ok || !at[t].ok || dotOf[s] < 0 && dotOf[t] < 0 {
			continue
		}
		p.Lines = append(p.Lines, [4]float32{at[s].x, at[s].y, at[t].x, at[t].y})
	}
	// Farthest first, so nearer nodes are drawn over them.
	order := make([]int, len(p.Dots))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p.Dots[b].Depth, p.Dots[a].Depth) })
	dots := make([]Dot, len(order))
	for k, i := range order {
		dots[k] = p.Dots[i]
	}
	p.Dots = dots
	p.placeLabels(opt.Labels)
	return p, nil
}

// placeLabels labels up to n dots, the largest (then nearest) first,
// skipping any whose text would overlap one already placed.
func (p *Picture) placeLabels(n int) {
	if n <= 0 {
		return
	}
	order := make([]int, len(p.Dots))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(p.Dots[b].R, p.Dots[a].R), cmp.Compare(p.Dots[a].Depth, p.Dots[b].Depth))
	})
	var taken [][4]float32
	for _, i := range order {
		if len(p.Labels) >= n {
			break
		}
		b := p.labelBox(i)
		if b[0] < 0 || b[1] < 0 || b[2] > float32(p.Width) || b[3] > float32(p.Height) {
			continue
		}
		if slices.ContainsFunc(taken, func(t [4]float32) bool { return b[0] < t[2] && t[0] < b[2] && b[1] < t[3] && t[1] < b[3] }) {
			continue
		}
		taken = append(taken, b)
		p.Labels = append(p.Labels, i)
	}
}

// LabelSize is the labels' text height in pixels.
const LabelSize = 13

// labelBox is where dot i's label goes: right of the dot, centred on it
// (x0, y0, x1, y1), measured at about 0.6 em a character.
func (p *Picture) labelBox(i int) [4]float32 {
	d := p.Dots[i]
	text := []rune(labelText(d.Label))
	x0 := d.X + d.R + 3
	return [4]float32{x0, d.Y - LabelSize*0.7, x0 + float32(len(text))*LabelSize*0.6, d.Y + LabelSize*0.5}
}

// labelText shortens long labels as the window does.
func labelText(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		return string(r[:39]) + "…"
	}
	return s
}

// DegreeSizes sizes c's nodes by degree, as the window does when no
// measure sizes them: 1 for a node without links, growing with the
// logarithm of the degree.
func DegreeSizes(c graph.Contents) []float32 {
	index := make(map[string]int, len(c.Nodes))
	for i, n := range c.Nodes {
		index[n.ID] = i
	}
	degree := make([]int, len(c.Nodes))
	for _, e := range c.Edges {
		s, okS := index[e.Source]
		t, okT := index[e.Target]
		if okS && okT {
			degree[s]++
			degree[t]++
		}
	}
	out := make([]float32, len(c.Nodes))
	for i, d := range degree {
		out[i] = float32(1 + math.Log2(1+float64(d))/3)
	}
	return out
}
