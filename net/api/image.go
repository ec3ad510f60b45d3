package api

import (
	"context"
	"image/color"
	"mime"
	"net/http"
	"slices"
	"strings"

	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/picture"
)

// colourings are what ?colour= may name, besides meta:KEY.
var colourings = []string{"community", "component", "degree", "pagerank", "betweenness", "none"}

// graphImage answers
//
//	GET /api/graph/{id}/image[?format=png|svg][&w=][&h=][&colour=][&labels=N]
//
// with a picture of the whole graph as the window would frame it: nodes
// coloured as the window colours them (by community unless told
// otherwise) and sized by degree, the most linked labelled. It is drawn in
// Go, so a headless server with no GL context answers it too.
func (s *Server) graphImage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "png"
	}
	if format != "png" && format != "svg" {
		return invalid("query parameter format=%q must be png or svg", format)
	}
	width, err := queryUint(r, "w", 1280, picture.MaxSide)
	if err != nil {
		return err
	}
	height, err := queryUint(r, "h", 800, picture.MaxSide)
	if err != nil {
		return err
	}
	if width < 16 || height < 16 {
		return invalid("query parameters w=%d and h=%d: each must be at least 16", width, height)
	}
	labels, err := queryUint(r, "labels", 30, 10_000)
	if err != nil {
		return err
	}
	by, err := colourParam(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := s.b.Graph(r.Context(), id)
	if err != nil {
		return err
	}
	colours, err := s.nodeColours(r.Context(), id, c, by)
	if err != nil {
		return err
	}
	pic, err := picture.Draw(c, picture.Options{Width: int(width), Height: int(height), Colours: colours, Background: picture.DefaultBackground, Labels: int(labels)})
	if err != nil {
		return invalid("%v", err)
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": c.ID + "." + format}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	if format == "svg" {
		w.Header().Set("Content-Type", "image/svg+xml")
		// The SVG holds labels from the graph: it must not run as a page.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		return pic.SVG(w)
	}
	w.Header().Set("Content-Type", "image/png")
	return pic.PNG(w)
}

// colourParam is the query's colour= (community when not given), checked.
func colourParam(r *http.Request) (string, error) {
	by := r.URL.Query().Get("colour")
	if by == "" {
		return "community", nil
	}
	if !strings.HasPrefix(by, "meta:") && !slices.Contains(colourings, by) {
		return "", invalid("query parameter colour=%q must be one of %s, or meta:KEY", by, strings.Join(colourings, ", "))
	}
	return by, nil
}

// nodeColours colours c's nodes by a measure (from the analysis cache,
// matched by node id since the graph may have moved on since it was
// measured) or by a metadata field; nil for "none".
func (s *Server) nodeColours(ctx context.Context, id string, c graph.Contents, by string) ([][3]uint8, error) {
	if by == "none" {
		return nil, nil
	}
	if key, ok := strings.CutPrefix(by, "meta:"); ok {
		values := map[string]int32{}
		labels := make([]int32, len(c.Nodes))
		for i, n := range c.Nodes {
			v := n.Metadata[key]
			l, ok := values[v]
			if !ok {
				l = int32(len(values))
				values[v] = l
			}
			labels[i] = l
		}
		return picture.ByClass(labels), nil
	}
	m, err := s.measure(ctx, id, etagOf(c.Info, 0))
	if err != nil {
		return nil, err
	}
	at := make(map[string]int, len(m.nodes))
	for i, n := range m.nodes {
		at[n.ID] = i
	}
	labels := make([]int32, len(c.Nodes))
	values := make([]float64, len(c.Nodes))
	for i, n := range c.Nodes {
		j, ok := at[n.ID]
		if !ok { // added since: a class of its own, the lowest value
			labels[i] = -1
			continue
		}
		switch by {
		case "community":
			labels[i] = m.res.Community[j]
		case "component":
			labels[i] = m.res.Component[j]
		case "degree":
			values[i] = float64(m.res.Degree[j])
		case "pagerank":
			values[i] = m.res.PageRank[j]
		case "betweenness":
			values[i] = m.res.Betweenness[j]
		}
	}
	if by == "community" || by == "component" {
		return picture.ByClass(labels), nil
	}
	return picture.ByRank(values), nil
}

// styleOf is how the window would show c: colours by by (see
// nodeColours) and sizes by degree, as sketch sizes them.
func (s *Server) styleOf(ctx context.Context, id string, c graph.Contents, by string) (*ingest.Style, error) {
	colours, err := s.nodeColours(ctx, id, c, by)
	if err != nil {
		return nil, err
	}
	st := &ingest.Style{Sizes: picture.DegreeSizes(c)}
	if colours != nil {
		st.Colours = make([]color.NRGBA, len(colours))
		for i, k := range colours {
			st.Colours[i] = color.NRGBA{k[0], k[1], k[2], 255}
		}
	}
	return st, nil
}
