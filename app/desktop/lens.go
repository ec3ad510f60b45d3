package desktop

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"visionflow/graph"
	"visionflow/picture"
	"visionflow/render/overlay"
)

// lens is how this window looks at the graph: what colours the nodes,
// which classes and nodes are hidden, the local graph around the
// selection. It is the window's own, not a shared setting: each peer
// looks its own way at the same graph.
type lens struct {
	colourBy string          // "" (one colour), a colourings key, or "meta:KEY"
	hidden   map[string]bool // classes hidden, by key
	only     string          // the class isolated ("": none)
	local    int             // depth of the local graph around the selection (0: off)
	hideRest bool            // the local graph hides the rest rather than dims it
	orphans  bool            // hide nodes without links
	linkOnly bool            // hide pages that exist only as link targets (no file)
	minDeg   int             // hide nodes of a lower degree
	sizeBy   string          // "" (degree), "pagerank" or "betweenness"
}

// colourings are the measures nodes can be coloured by, besides metadata.
var colourings = []struct{ key, name string }{
	{"community", "Community"}, {"component", "Component"}, {"degree", "Degree"}, {"pagerank", "PageRank"}, {"betweenness", "Betweenness"},
}

// Visibility of a node through the lens.
const (
	visShown uint8 = iota
	visDim
	visHidden
)

// paint is a lens applied to a scene: each node's class (by index of the
// scene's nodes; -1 for none, such as the swarm's), its visibility, and
// the legend that explains them.
type paint struct {
	// What the classes and sizes were made from: a repaint for another
	// selection or hovered node reuses them.
	scene            *scene
	meas             *measures
	colourBy, sizeBy string
	size             []float32 // by node, when the lens sizes by a measure
	class            []int32
	colours          [][3]uint8 // by class
	keys             []string   // by class
	vis              []uint8
	legend           overlay.Legend
}

// colourOf is node i's colour through the lens, if the lens gives one.
func (p *paint) colourOf(i int32) ([3]uint8, bool) {
	if p == nil || i < 0 || int(i) >= len(p.class) || p.class[i] < 0 {
		return [3]uint8{}, false
	}
	return p.colours[p.class[i]], true
}

// sizeOf is node i's size through the lens (0: as its degree makes it).
func (p *paint) sizeOf(i int32) float32 {
	if p == nil || i < 0 || int(i) >= len(p.size) {
		return 0
	}
	return p.size[i]
}

func (p *paint) visOf(i int32) uint8 {
	if p == nil || i < 0 || int(i) >= len(p.vis) {
		return visShown
	}
	return p.vis[i]
}

// metaKeys are the metadata keys worth colouring by: on at least 5% of
// the nodes, with 2 to 40 values that each class several nodes on average
// (not a description or a date per node), most common first.
func metaKeys(sc *scene) []string {
	count := map[string]int{}
	values := map[string]map[string]bool{}
	for _, n := range sc.nodes[:sc.graphNodes] {
		for k, v := range n.meta {
			count[k]++
			if values[k] == nil {
				values[k] = map[string]bool{}
			}
			if len(values[k]) <= 40 {
				values[k][v] = true
			}
		}
	}
	var keys []string
	for k, c := range count {
		if v := len(values[k]); c*20 >= sc.graphNodes && v >= 2 && v <= 40 && v*2 <= c {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(count[b], count[a]), cmp.Compare(a, b)) })
	return keys[:min(len(keys), 6)]
}

// paintScene applies l to sc with its measures (nil while they are being
// made): focus is the selected node, or else the hovered one (0: none).
//
// The classes and sizes depend only on the scene, the measures and the
// colouring and sizing chosen: when prev was made from the same, they are
// reused (a hover over 100,000 nodes would otherwise classify them all
// again on the GL thread).
func paintScene(sc *scene, m *measures, l *lens, selected, hovered graph.WireID, prev *paint) *paint {
	n := len(sc.nodes)
	p := &paint{scene: sc, meas: m, colourBy: l.colourBy, sizeBy: l.sizeBy, vis: make([]uint8, n)}
	if prev != nil && prev.scene == sc && prev.meas == m && prev.colourBy == l.colourBy && prev.sizeBy == l.sizeBy {
		p.class, p.colours, p.keys, p.size = prev.class, prev.colours, prev.keys, prev.size
		p.legend.Options = prev.legend.Options
		p.legend.Classes = slices.Clone(prev.legend.Classes)
	} else {
		p.class = make([]int32, n)
		for i := range p.class {
			p.class[i] = -1
		}
		p.legend.Options = append(p.legend.Options, overlay.LegendOption{Key: "", Name: "One colour"})
		for _, c := range colourings {
			p.legend.Options = append(p.legend.Options, overlay.LegendOption{Key: c.key, Name: c.name})
		}
		for _, k := range metaKeys(sc) {
			p.legend.Options = append(p.legend.Options, overlay.LegendOption{Key: "meta:" + k, Name: k})
		}
		classify(p, sc, m, l.colourBy)
		sizeByMeasure(p, sc, m, l.sizeBy)
	}
	p.legend.ColourBy = l.colourBy
	p.legend.SizeBy = l.sizeBy
	p.legend.Only = l.only
	hiddenClass := func(key string) bool { return l.hidden[key] || (l.only != "" && l.only != key) }
	for i := range p.legend.Classes {
		p.legend.Classes[i].Hidden = hiddenClass(p.legend.Classes[i].Key)
	}
	// Filters.
	for i := range sc.graphNodes {
		nv := &sc.nodes[i]
		hide := (l.orphans && nv.degree == 0) || (l.linkOnly && linkOnly(nv)) || nv.degree < l.minDeg
		if c := p.class[i]; c >= 0 && hiddenClass(p.keys[c]) {
			hide = true
		}
		if hide {
			p.vis[i] = visHidden
		}
	}
	// The local graph, or the neighbours of what the pointer is on.
	focus, depth, rest := selected, 1, visDim
	switch {
	case selected != 0 && l.local > 0:
		depth = l.local
		if l.hideRest {
			rest = visHidden
		}
	case selected == 0:
		focus = hovered
	}
	if fi, ok := sc.byWire[focus]; ok && int(fi) < sc.graphNodes {
		near := neighbourhood(sc, fi, depth)
		for i := range sc.graphNodes {
			if !near[i] && p.vis[i] == visShown {
				p.vis[i] = rest
			}
		}
		p.legend.Focused = focus == selected
	}
	p.legend.LocalDepth, p.legend.HideRest = l.local, l.hideRest
	p.legend.HideOrphans, p.legend.HideLinkOnly, p.legend.MinDegree = l.orphans, l.linkOnly, l.minDeg
	p.legend.Total = sc.graphNodes
	for i := range sc.graphNodes {
		if p.vis[i] != visHidden {
			p.legend.Shown++
		}
	}
	switch {
	case m == nil && needsMeasures(l.colourBy):
		p.legend.Note = "measuring…"
	case m != nil:
		p.legend.Note = fmt.Sprintf("%d communities · modularity %.3f · %d components", m.res.Communities, m.res.Modularity, m.res.Components)
	}
	return p
}

func needsMeasures(by string) bool { return by != "" && !strings.HasPrefix(by, "meta:") }

// linkOnly tells a page that exists only because something links to it
// (Logseq's pages without a file).
func linkOnly(n *nodeView) bool { return n.meta["kind"] == "reference" }

// neighbourhood marks the nodes within depth links of node from.
func neighbourhood(sc *scene, from int32, depth int) []bool {
	adj := sc.adjacency()
	near := make([]bool, sc.graphNodes)
	near[from] = true
	frontier := []int32{from}
	for range depth {
		var next []int32
		for _, v := range frontier {
			for _, w := range adj[v] {
				if !near[w] {
					near[w] = true
					next = append(next, w)
				}
			}
		}
		frontier = next
	}
	return near
}

// classify gives each node of the graph a class by l's colouring and
// lists the classes in the legend, largest first; classes past the
// palette share "Other".
func classify(p *paint, sc *scene, m *measures, by string) {
	if by == "" || (m == nil && needsMeasures(by)) {
		return
	}
	key := make([]string, sc.graphNodes)
	name := map[string]string{}
	switch {
	case strings.HasPrefix(by, "meta:"):
		k := strings.TrimPrefix(by, "meta:")
		for i := range key {
			v, ok := sc.nodes[i].meta[k]
			if !ok || v == "" {
				v = "(none)"
			}
			key[i], name[v] = v, v
		}
	case by == "community" || by == "component":
		label := m.res.Community
		if by == "component" {
			label = m.res.Component
		}
		// Each class is named after its best-linked member.
		best := map[int32]int32{}
		for i := range key {
			j := m.of(sc.nodes[i].wire)
			if j < 0 {
				key[i] = "new"
				name["new"] = "(not measured yet)"
				continue
			}
			c := label[j]
			key[i] = strconv.Itoa(int(c))
			if b, ok := best[c]; !ok || m.res.Degree[j] > m.res.Degree[b] {
				best[c] = j
			}
		}
		for c, b := range best {
			name[strconv.Itoa(int(c))] = m.scene.nodes[b].label
		}
	default: // a measure, in five bins of about equal counts
		value := func(j int32) float64 {
			switch by {
			case "degree":
				return float64(m.res.Degree[j])
			case "pagerank":
				return m.res.PageRank[j]
			}
			return m.res.Betweenness[j]
		}
		binned(p, sc, m, by, value)
		return
	}
	counts := map[string]int{}
	for _, k := range key {
		counts[k]++
	}
	keys := slices.Collect(maps.Keys(counts))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(name[a], name[b])) })
	index := map[string]int32{}
	for i, k := range keys {
		if i == len(picture.Classes) && len(keys) > len(picture.Classes) {
			rest := 0
			for _, k := range keys[i:] {
				rest += counts[k]
				index[k] = int32(i)
			}
			p.legend.Classes = append(p.legend.Classes, overlay.LegendClass{Key: "other", Name: fmt.Sprintf("Other (%d more)", len(keys)-i), Count: rest, Color: picture.Other})
			p.colours, p.keys = append(p.colours, picture.Other), append(p.keys, "other")
			break
		}
		index[k] = int32(i)
		p.legend.Classes = append(p.legend.Classes, overlay.LegendClass{Key: k, Name: name[k], Count: counts[k], Color: picture.Classes[i]})
		p.colours, p.keys = append(p.colours, picture.Classes[i]), append(p.keys, k)
	}
	for i, k := range key {
		p.class[i] = index[k]
	}
}

// binned colours a measure on the ramp in five bins by rank, so a skewed
// measure (a few hubs, a long tail) still spreads over the colours.
func binned(p *paint, sc *scene, m *measures, by string, value func(int32) float64) {
	type nv struct {
		i int32
		v float64
	}
	var vals []nv
	for i := range int32(sc.graphNodes) {
		if j := m.of(sc.nodes[i].wire); j >= 0 {
			vals = append(vals, nv{i, value(j)})
		}
	}
	if len(vals) == 0 {
		return
	}
	slices.SortFunc(vals, func(a, b nv) int { return cmp.Compare(a.v, b.v) })
	format := func(v float64) string {
		if by == "degree" {
			return strconv.Itoa(int(v))
		}
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	sorted := make([]float64, len(vals))
	for k, x := range vals {
		sorted[k] = x.v
	}
	for b, run := range picture.Bins(sorted) {
		start, end := run[0], run[1]
		lo, hi := vals[start].v, vals[end-1].v
		nm := format(lo)
		if hi != lo {
			nm += " – " + format(hi)
		}
		c := picture.BinColour(b)
		k := int32(len(p.colours))
		key := "bin" + strconv.Itoa(b)
		p.legend.Classes = append(p.legend.Classes, overlay.LegendClass{Key: key, Name: nm, Count: end - start, Color: c})
		p.colours, p.keys = append(p.colours, c), append(p.keys, key)
		for _, x := range vals[start:end] {
			p.class[x.i] = k
		}
	}
	slices.Reverse(p.legend.Classes) // highest first, as a legend reads
}

// colourKey is the lens's key for a colouring named on the command line:
// a measure's key, or else a metadata field's.
func colourKey(name string) string {
	for _, c := range colourings {
		if strings.EqualFold(name, c.key) {
			return c.key
		}
	}
	if strings.HasPrefix(name, "meta:") {
		return name
	}
	return "meta:" + name
}

// sizeByMeasure sizes the graph's nodes by a measure: from 0.8 for the
// least to 4 for the greatest, by the square root of the share of the
// greatest (an area grows as the measure does).
func sizeByMeasure(p *paint, sc *scene, m *measures, by string) {
	if by == "" || m == nil {
		return
	}
	values := m.res.PageRank
	if by == "betweenness" {
		values = m.res.Betweenness
	}
	var top float64
	for _, v := range values {
		top = max(top, v)
	}
	if top <= 0 {
		return
	}
	p.size = make([]float32, sc.graphNodes)
	for i := range sc.graphNodes {
		if j := m.of(sc.nodes[i].wire); j >= 0 {
			p.size[i] = 0.8 + 3.2*float32(math.Sqrt(values[j]/top))
		}
	}
}
