package ingest

import "image/color"

// Style is how a graph is being shown: a colour and a size for each node,
// in the order of the exported Contents.Nodes. Writers whose format can
// carry them (GEXF's viz attributes) write them; the others ignore them. A
// nil Style, or nil slices, means none.
type Style struct {
	Colours []color.NRGBA
	Sizes   []float32
}

func (s *Style) colour(i int) (color.NRGBA, bool) {
	if s == nil || i >= len(s.Colours) {
		return color.NRGBA{}, false
	}
	return s.Colours[i], true
}

func (s *Style) size(i int) (float32, bool) {
	if s == nil || i >= len(s.Sizes) {
		return 0, false
	}
	return s.Sizes[i], true
}
