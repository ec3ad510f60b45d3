package ingest

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image/color"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"visionflow/graph"
)

// GEXF reads GEXF 1.1, 1.2 and 1.3 (gexf.net), as Gephi, networkx, sigma.js
// and many scripts write it. Elements are matched on their local names, so
// every version's namespace (and any prefix) is read alike. <attributes>
// declare typed node and edge attributes (with defaults); the values a node
// or edge gives in <attvalues>, checked against their type, become
// metadata under the attribute's title. A node's viz:position is its
// position; its viz:color and viz:size, which VisionFlow does not draw
// from, are kept as metadata "color" ("#rrggbb", or "#rrggbbaa" when not
// opaque) and "size", where WriteGEXF finds them again. An attribute of the
// same name wins over them: it is what the file says in words.
//
// A VisionFlow graph is flat and has one state, so two GEXF features are
// brought down to that, each with a warning:
//
//   - Hierarchy (nodes nested in nodes, pid, phylogenic <parents>): every
//     node is imported alongside the others, its parent kept as metadata
//     "parent" (several parents as "parents", a JSON array of ids).
//   - Dynamics (spells, start and end, values that change over time): every
//     node and edge the graph ever holds is imported, each attribute at its
//     last value; a node's or edge's time is kept as metadata "start" and
//     "end", or "spells" ("start/end; …", ".." for an open end) when it
//     comes and goes.
//
// Elements that have no place here (viz:shape, viz:thickness, others'
// extensions) are skipped with one warning each.
func GEXF(r io.Reader) (*Import, error) { return GEXFWithin(r, DefaultLimits) }

// GEXFWithin reads GEXF within lim (nodes and edges), as a stream: a
// document past a limit is refused as soon as the limit is passed.
func GEXFWithin(r io.Reader, lim Limits) (*Import, error) {
	p := &gexfReader{dec: xml.NewDecoder(r), lim: lim, imp: &Import{Type: graph.Knowledge},
		attrs: map[string]map[string]*gexfAttr{}, order: map[string][]*gexfAttr{},
		seen: map[string]gexfPlace{}, edgeIDs: map[string]int{}, warned: map[string]bool{}, spells: map[opKey][]gexfSpell{}}
	if err := p.read(); err != nil {
		return nil, fmt.Errorf("GEXF: %w", err)
	}
	// Edges may name nodes declared after them (in a node further on, in
	// a hierarchy): their ends are checked once every node is known.
	for i, op := range p.edges {
		for _, end := range []string{op.Source, op.Target} {
			if _, ok := p.seen[end]; !ok {
				return nil, fmt.Errorf("GEXF: edge %d (%s → %s, line %d): node %q is not among the nodes: %w", i+1, op.Source, op.Target, p.edgeLines[i], end, graph.ErrDangling)
			}
		}
	}
	switch {
	case p.title != "":
		p.imp.Name = p.title
	case p.description != "":
		p.imp.Name = p.description
	}
	p.imp.Ops = append(p.nodes, p.edges...)
	p.imp.Nodes, p.imp.Edges = len(p.nodes), len(p.edges)
	if len(p.spells) > 0 {
		p.history()
	}
	return p.imp, nil
}

// gexfMaxNesting bounds how deep nodes may nest in nodes: the reader
// descends into each level.
const gexfMaxNesting = 100

// gexfAttr is an <attribute> declaration.
type gexfAttr struct {
	id, title, typ string
	def            *string
}

// gexfPlace is where a node was declared: its number and line.
type gexfPlace struct{ n, line int }

type gexfReader struct {
	dec          *xml.Decoder
	lim          Limits
	imp          *Import
	attrs        map[string]map[string]*gexfAttr // by class (node, edge), then id
	order        map[string][]*gexfAttr          // by class, as declared
	seen         map[string]gexfPlace
	edgeIDs      map[string]int // line of each edge id given
	nodes, edges []graph.Op
	edgeLines    []int
	warned       map[string]bool
	inGraph      bool
	undirected   bool // the graph's defaultedgetype
	title        string
	description  string
	spells       map[opKey][]gexfSpell // the times of nodes and edges that have them
}

// opKey is a node (edge false) or an edge by its index.
type opKey struct {
	edge bool
	i    int
}

func (p *gexfReader) warn(kind, format string, args ...any) {
	if !p.warned[kind] {
		p.warned[kind] = true
		p.imp.Warnings = append(p.imp.Warnings, fmt.Sprintf(format, args...))
	}
}

func (p *gexfReader) line() int {
	l, _ := p.dec.InputPos()
	return l
}

// each calls fn with every child element of the element just begun, up to
// its end; fn reads or skips each child whole.
func (p *gexfReader) each(fn func(e xml.StartElement) error) error {
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// gexfElemName is an element's name as a GEXF file would write it.
func gexfElemName(e xml.StartElement) string {
	if e.Name.Space == "viz" || strings.HasSuffix(e.Name.Space, "/viz") { // "viz" when undeclared
		return "viz:" + e.Name.Local
	}
	return e.Name.Local
}

// skip skips an element that has no place here, saying so once per name.
func (p *gexfReader) skip(e xml.StartElement) error {
	name := gexfElemName(e)
	p.warn("element:"+name, "<%s> elements were skipped: a VisionFlow graph has no place for them", name)
	return p.dec.Skip()
}

// text reads the character data of an element.
func (p *gexfReader) text(e xml.StartElement) (string, error) {
	var s string
	err := p.dec.DecodeElement(&s, &e)
	return strings.TrimSpace(s), err
}

func (p *gexfReader) read() error {
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			return errors.New("no <gexf> element")
		}
		if err != nil {
			return err
		}
		e, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if e.Name.Local != "gexf" {
			return fmt.Errorf("the document is <%s>, not <gexf>", e.Name.Local)
		}
		if err := p.each(p.top); err != nil {
			return err
		}
		if !p.inGraph {
			return errors.New("no <graph> element")
		}
		return p.rest()
	}
}

// rest reads what follows </gexf>: comments and space only.
func (p *gexfReader) rest() error {
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if e, ok := tok.(xml.StartElement); ok {
			return fmt.Errorf("line %d: <%s> after </gexf>", p.line(), e.Name.Local)
		}
	}
}

// top reads a child of <gexf>.
func (p *gexfReader) top(e xml.StartElement) error {
	switch e.Name.Local {
	case "meta":
		return p.each(p.meta)
	case "graph":
		if p.inGraph {
			p.warn("graph", "a second <graph> was skipped: only the first graph is read")
			return p.dec.Skip()
		}
		p.inGraph = true
		if d, _ := attr(e, "defaultedgetype"); d != "directed" {
			p.undirected = true // GEXF's default is undirected
		}
		if m, _ := attr(e, "mode"); m == "dynamic" || m == "slice" {
			p.dynamic()
		}
		return p.each(p.graphChild)
	}
	return p.skip(e)
}

// meta reads a child of <meta>: the title or description names the graph.
func (p *gexfReader) meta(e xml.StartElement) error {
	switch e.Name.Local {
	case "title", "description":
		s, err := p.text(e)
		if err != nil {
			return fmt.Errorf("<meta> <%s>: %w", e.Name.Local, err)
		}
		// A description may be a paragraph: it names the graph only
		// when it fits a name.
		if s != "" && graph.ValidateName(s) == nil {
			if e.Name.Local == "title" {
				p.title = s
			} else {
				p.description = s
			}
		}
		return nil
	case "creator", "keywords":
		return p.dec.Skip()
	}
	return p.skip(e)
}

func (p *gexfReader) dynamic() {
	p.warn("dynamic", "the graph changes over time: every node and edge it ever holds is imported, each attribute at its last value, and times are kept as metadata (start, end, spells)")
}

// graphChild reads a child of <graph>.
func (p *gexfReader) graphChild(e xml.StartElement) error {
	switch e.Name.Local {
	case "attributes":
		return p.attributes(e)
	case "nodes":
		return p.nodeList("", 0)
	case "edges":
		return p.edgeList()
	}
	return p.skip(e)
}

func (p *gexfReader) attributes(e xml.StartElement) error {
	class, _ := attr(e, "class")
	if class != "node" && class != "edge" {
		p.warn("class:"+class, "<attributes class=%q> was skipped: only node and edge attributes are read", class)
		return p.dec.Skip()
	}
	if m, _ := attr(e, "mode"); m == "dynamic" {
		p.dynamic()
	}
	if p.attrs[class] == nil {
		p.attrs[class] = map[string]*gexfAttr{}
	}
	return p.each(func(c xml.StartElement) error {
		if c.Name.Local != "attribute" {
			return p.skip(c)
		}
		return p.attribute(class, c)
	})
}

func (p *gexfReader) attribute(class string, e xml.StartElement) error {
	line := p.line()
	a := &gexfAttr{}
	a.id, _ = attr(e, "id")
	if a.id == "" {
		return fmt.Errorf("line %d: a %s <attribute> without an id", line, class)
	}
	where := fmt.Sprintf("line %d: %s attribute %q", line, class, a.id)
	a.title, _ = attr(e, "title")
	if a.title == "" {
		a.title = a.id
	}
	a.typ, _ = attr(e, "type")
	if a.typ == "" {
		a.typ = "string"
	}
	if !gexfTypes[strings.ToLower(a.typ)] {
		return fmt.Errorf("%s: type %q is not a GEXF attribute type (integer, long, double, float, boolean, string, liststring, anyURI, date, …)", where, a.typ)
	}
	err := p.each(func(c xml.StartElement) error {
		switch c.Name.Local {
		case "default":
			v, err := p.text(c)
			if err != nil {
				return err
			}
			if err := checkGEXFValue(a.typ, v); err != nil {
				return fmt.Errorf("%s: default: %w", where, err)
			}
			a.def = &v
			return nil
		case "options": // the values allowed; not checked
			return p.dec.Skip()
		}
		return p.skip(c)
	})
	if err != nil {
		return err
	}
	if _, dup := p.attrs[class][a.id]; dup {
		return fmt.Errorf("%s is declared twice", where)
	}
	p.attrs[class][a.id] = a
	p.order[class] = append(p.order[class], a)
	return nil
}

// gexfTypes are the attribute types of GEXF 1.1 to 1.3.
var gexfTypes = map[string]bool{
	"integer": true, "long": true, "short": true, "byte": true, "biginteger": true,
	"double": true, "float": true, "bigdecimal": true, "boolean": true, "char": true,
	"string": true, "anyuri": true, "date": true, "liststring": true, "listboolean": true,
	"listinteger": true, "listlong": true, "listfloat": true, "listdouble": true,
	"listbyte": true, "listshort": true, "listbigdecimal": true, "listbiginteger": true,
	"listchar": true, "listdate": true,
}

// checkGEXFValue checks a value against its attribute's type. Numbers may
// be NaN or infinite (Gephi writes a statistic it could not compute so):
// they are kept as text.
func checkGEXFValue(typ, v string) error {
	switch strings.ToLower(typ) {
	case "integer", "long", "short", "byte":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("%q is not an integer", v)
		}
	case "biginteger":
		if d := strings.TrimLeft(v, "+-"); d == "" || len(v)-len(d) > 1 || strings.Trim(d, "0123456789") != "" {
			return fmt.Errorf("%q is not an integer", v)
		}
	case "double", "float", "bigdecimal":
		if _, err := strconv.ParseFloat(v, 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%q is not a number", v)
		}
	case "boolean":
		switch strings.ToLower(v) {
		case "true", "false", "1", "0":
		default:
			return fmt.Errorf("%q is not a boolean (true or false)", v)
		}
	case "char":
		if utf8.RuneCountInString(v) != 1 {
			return fmt.Errorf("%q is not one character", v)
		}
	case "date":
		if !isGEXFDate(v) {
			return fmt.Errorf("%q is not a date (like 2009-03-20)", v)
		}
	}
	return nil
}

func isGEXFDate(v string) bool {
	for _, layout := range []string{"2006-01-02", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02Z07:00"} {
		if _, err := time.Parse(layout, v); err == nil {
			return true
		}
	}
	return false
}

// gexfValue is the value an element gives an attribute, and when.
type gexfValue struct {
	value string
	at    gexfSpell
}

// gexfSpell is a time interval; "" is an open end.
type gexfSpell struct{ start, end string }

// after reports whether s reaches later than t: it ends later, or ends
// alike and starts later. What is last is what holds at the graph's end.
func (s gexfSpell) after(t gexfSpell) bool {
	if c := gexfCompareTime(s.end, t.end, 1); c != 0 {
		return c > 0
	}
	return gexfCompareTime(s.start, t.start, -1) >= 0
}

// gexfCompareTime compares two times, as numbers when both are. An open time
// ("") lies at infinity, on the side open gives: 1 for an end, -1 for a
// start.
func gexfCompareTime(a, b string, open int) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return open
	case b == "":
		return -open
	}
	x, errX := strconv.ParseFloat(a, 64)
	y, errY := strconv.ParseFloat(b, 64)
	if errX == nil && errY == nil {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b) // ISO 8601 dates sort as text
}

func (s gexfSpell) String() string {
	start, end := s.start, s.end
	if start == "" {
		start = ".."
	}
	if end == "" {
		end = ".."
	}
	return start + "/" + end
}

// gexfSpellOf reads the time attributes of a node, edge, spell or attvalue.
func gexfSpellOf(e xml.StartElement) (gexfSpell, bool) {
	var s gexfSpell
	var ok bool
	for _, a := range e.Attr {
		switch a.Name.Local {
		case "start", "startopen":
			s.start, ok = strings.TrimSpace(a.Value), true
		case "end", "endopen":
			s.end, ok = strings.TrimSpace(a.Value), true
		case "timestamp":
			s.start, s.end, ok = strings.TrimSpace(a.Value), strings.TrimSpace(a.Value), true
		}
	}
	return s, ok
}

// gexfItem gathers what the children of a node or an edge give it.
type gexfItem struct {
	where, class string
	values       map[string]gexfValue
	spells       []gexfSpell
	color, size  string
	parents      []string
}

// common reads a child that nodes and edges share; it reports false for
// any other.
func (p *gexfReader) common(c xml.StartElement, it *gexfItem) (bool, error) {
	switch c.Name.Local {
	case "attvalues":
		return true, p.each(func(v xml.StartElement) error {
			if v.Name.Local != "attvalue" {
				return p.skip(v)
			}
			return p.attvalue(v, it)
		})
	case "spells":
		return true, p.each(func(s xml.StartElement) error {
			if s.Name.Local != "spell" {
				return p.skip(s)
			}
			sp, _ := gexfSpellOf(s)
			it.spells = append(it.spells, sp)
			p.dynamic()
			return p.dec.Skip()
		})
	case "color":
		col, err := gexfColor(c)
		if err != nil {
			return true, fmt.Errorf("%s: viz:color: %w", it.where, err)
		}
		it.color = col
		return true, p.dec.Skip()
	}
	return false, nil
}

func (p *gexfReader) attvalue(e xml.StartElement, it *gexfItem) error {
	id, ok := attr(e, "for")
	if !ok {
		id, _ = attr(e, "id") // GEXF 1.0
	}
	v, _ := attr(e, "value")
	if id == "" {
		return fmt.Errorf("%s: an <attvalue> without for", it.where)
	}
	a, ok := p.attrs[it.class][id]
	if !ok {
		p.warn("attr:"+it.class+":"+id, "<attvalue for=%q> names no %s <attribute>: kept as metadata %q", id, it.class, id)
		a = &gexfAttr{id: id, title: id, typ: "string"}
	}
	if err := checkGEXFValue(a.typ, v); err != nil {
		return fmt.Errorf("%s: attribute %q: %w", it.where, a.title, err)
	}
	at, timed := gexfSpellOf(e)
	if timed {
		p.dynamic()
	}
	if prev, ok := it.values[id]; !ok || at.after(prev.at) {
		it.values[id] = gexfValue{value: v, at: at}
	}
	return p.dec.Skip()
}

// gexfColor reads a viz:color as "#rrggbb", or "#rrggbbaa" when its
// alpha is not 1.
func gexfColor(e xml.StartElement) (string, error) {
	var c color.NRGBA
	if hex, ok := attr(e, "hex"); ok {
		var err error
		if c, err = parseGEXFHex(hex); err != nil {
			return "", err
		}
	} else {
		channels := []*uint8{&c.R, &c.G, &c.B}
		for i, name := range []string{"r", "g", "b"} {
			s, ok := attr(e, name)
			if !ok {
				return "", fmt.Errorf("%s is missing", name)
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || f < 0 || f > 255 {
				return "", fmt.Errorf("%s %q is not a number from 0 to 255", name, s)
			}
			*channels[i] = uint8(math.Round(f))
		}
		c.A = 255
	}
	if s, ok := attr(e, "a"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return "", fmt.Errorf("a %q is not a number from 0 to 1", s)
		}
		c.A = uint8(math.Round(f * 255))
	}
	return gexfHex(c), nil
}

// gexfHex writes c as "#rrggbb", or "#rrggbbaa" when it is not opaque.
func gexfHex(c color.NRGBA) string {
	if c.A == 255 {
		return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
	}
	return fmt.Sprintf("#%02x%02x%02x%02x", c.R, c.G, c.B, c.A)
}

// parseGEXFHex reads "#rrggbb" or "#rrggbbaa" (the # may be left out).
func parseGEXFHex(s string) (color.NRGBA, error) {
	h := strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(h) != 6 && len(h) != 8 {
		return color.NRGBA{}, fmt.Errorf("hex %q is not a colour like #ff8000", s)
	}
	n, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.NRGBA{}, fmt.Errorf("hex %q is not a colour like #ff8000", s)
	}
	if len(h) == 6 {
		n = n<<8 | 0xff
	}
	return color.NRGBA{R: uint8(n >> 24), G: uint8(n >> 16), B: uint8(n >> 8), A: uint8(n)}, nil
}

// metadata gives what an element's attributes and children hold as
// metadata: its attribute values, then the defaults of those it does not
// give, then, where no attribute took the key, its colour, size, time and
// parents.
func (p *gexfReader) metadata(e xml.StartElement, it *gexfItem) (map[string]*string, error) {
	md := map[string]string{}
	add := func(k, v string) {
		if _, taken := md[k]; !taken && v != "" {
			md[k] = v
		}
	}
	// In declaration order, so that of two attributes titled alike the
	// first is kept, whichever the element gives first.
	for _, a := range p.order[it.class] {
		if v, given := it.values[a.id]; given {
			if _, taken := md[a.title]; !taken {
				md[a.title] = v.value
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(it.values)) {
		if _, declared := p.attrs[it.class][id]; !declared {
			if _, taken := md[id]; !taken {
				md[id] = it.values[id].value
			}
		}
	}
	for _, a := range p.order[it.class] {
		if _, given := it.values[a.id]; !given && a.def != nil {
			if _, taken := md[a.title]; !taken {
				md[a.title] = *a.def
			}
		}
	}
	add("color", it.color)
	add("size", it.size)
	if it.class == "edge" {
		kind, _ := attr(e, "kind") // GEXF 1.2's name for one of several edges alike
		add("kind", kind)
	}
	own, timed := gexfSpellOf(e)
	if timed {
		p.dynamic()
		it.spells = append([]gexfSpell{own}, it.spells...)
	}
	switch len(it.spells) {
	case 0:
	case 1:
		add("start", it.spells[0].start)
		add("end", it.spells[0].end)
	default:
		s := make([]string, len(it.spells))
		for i, sp := range it.spells {
			s[i] = sp.String()
		}
		add("spells", strings.Join(s, "; "))
	}
	for _, k := range []string{"timestamps", "intervals"} { // GEXF 1.3's lists of times
		if v, ok := attr(e, k); ok {
			p.dynamic()
			add(k, strings.TrimSpace(v))
		}
	}
	switch len(it.parents) {
	case 0:
	case 1:
		add("parent", it.parents[0])
	default:
		b, _ := json.Marshal(it.parents)
		add("parents", string(b))
	}
	return metaOps(md, it.where)
}

// nodeList reads the <node>s of a <nodes>, within parent ("" for none).
func (p *gexfReader) nodeList(parent string, depth int) error {
	return p.each(func(e xml.StartElement) error {
		if e.Name.Local != "node" {
			return p.skip(e)
		}
		return p.node(e, parent, depth)
	})
}

// edgeList reads the <edge>s of an <edges>.
func (p *gexfReader) edgeList() error {
	return p.each(func(e xml.StartElement) error {
		if e.Name.Local != "edge" {
			return p.skip(e)
		}
		return p.edge(e)
	})
}

func (p *gexfReader) node(e xml.StartElement, parent string, depth int) error {
	if len(p.nodes) >= p.lim.MaxNodes {
		return fmt.Errorf("more than %d nodes; the limit is %d (system.import.maxNodes): %w", p.lim.MaxNodes, p.lim.MaxNodes, ErrLimit)
	}
	line := p.line()
	id, _ := attr(e, "id")
	where := fmt.Sprintf("node %q (line %d)", id, line)
	if err := graph.ValidateID(where+" id", id); err != nil {
		return err
	}
	if prev, dup := p.seen[id]; dup {
		return fmt.Errorf("%s: the id of node %d (line %d) too", where, prev.n, prev.line)
	}
	p.seen[id] = gexfPlace{n: len(p.nodes) + 1, line: line}
	op := graph.Op{Op: graph.AddNode, ID: id}
	if label, ok := attr(e, "label"); ok {
		if err := graph.ValidateLabel(where+" label", label); err != nil {
			return err
		}
		op.Label = &label
	}
	// The node's place is kept now: nodes nested in it come after it.
	at := len(p.nodes)
	p.nodes = append(p.nodes, op)
	it := &gexfItem{where: where, class: "node", values: map[string]gexfValue{}}
	if pid, _ := attr(e, "pid"); pid != "" {
		parent = pid
	}
	if parent != "" {
		p.hierarchy()
		it.parents = []string{parent}
	}
	err := p.each(func(c xml.StartElement) error {
		if ok, err := p.common(c, it); ok {
			return err
		}
		switch c.Name.Local {
		case "position":
			pos, err := gexfPosition(c, where)
			if err != nil {
				return err
			}
			op.Position = &pos
			return p.dec.Skip()
		case "size":
			v, _ := attr(c, "value")
			v = strings.TrimSpace(v)
			if f, err := strconv.ParseFloat(v, 64); err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f < 0 {
				return fmt.Errorf("%s: viz:size %q is not a size", where, v)
			}
			it.size = v
			return p.dec.Skip()
		case "nodes":
			if depth >= gexfMaxNesting {
				return fmt.Errorf("%s: nodes nest more than %d deep", where, gexfMaxNesting)
			}
			p.hierarchy()
			return p.nodeList(id, depth+1)
		case "edges":
			return p.edgeList()
		case "parents":
			it.parents = nil
			p.hierarchy()
			return p.each(func(c xml.StartElement) error {
				if c.Name.Local == "parent" {
					if v, _ := attr(c, "for"); v != "" {
						it.parents = append(it.parents, v)
					}
					return p.dec.Skip()
				}
				return p.skip(c)
			})
		}
		return p.skip(c)
	})
	if err != nil {
		return err
	}
	if op.Metadata, err = p.metadata(e, it); err != nil {
		return err
	}
	p.nodes[at] = op
	if len(it.spells) > 0 {
		p.spells[opKey{false, at}] = it.spells
	}
	return nil
}

func (p *gexfReader) hierarchy() {
	p.warn("hierarchy", "the graph's hierarchy was flattened: its nodes are imported side by side, each keeping its parent as metadata \"parent\" (\"parents\" when several)")
}

func gexfPosition(e xml.StartElement, where string) (graph.Vec3, error) {
	var c [3]float32
	for i, k := range []string{"x", "y", "z"} {
		s, ok := attr(e, k)
		if !ok {
			continue // a missing coordinate is 0
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return graph.Vec3{}, fmt.Errorf("%s: viz:position %s %q is not a number", where, k, s)
		}
		c[i] = float32(f)
	}
	v := graph.Vec3{X: c[0], Y: c[1], Z: c[2]}
	if err := graph.ValidateVec(where+" viz:position", v); err != nil {
		return graph.Vec3{}, err
	}
	return v, nil
}

func (p *gexfReader) edge(e xml.StartElement) error {
	if len(p.edges) >= p.lim.MaxEdges {
		return fmt.Errorf("more than %d edges; the limit is %d (system.import.maxEdges): %w", p.lim.MaxEdges, p.lim.MaxEdges, ErrLimit)
	}
	line := p.line()
	op := graph.Op{Op: graph.AddEdge}
	op.Source, _ = attr(e, "source")
	op.Target, _ = attr(e, "target")
	op.ID, _ = attr(e, "id")
	where := fmt.Sprintf("edge %d (%s → %s, line %d)", len(p.edges)+1, op.Source, op.Target, line)
	if op.Source == "" || op.Target == "" {
		return fmt.Errorf("%s: source and target are both needed", where)
	}
	if op.ID != "" {
		if err := graph.ValidateID(where+" id", op.ID); err != nil {
			return err
		}
		if prev, dup := p.edgeIDs[op.ID]; dup {
			return fmt.Errorf("%s: id %q is also the id of the edge on line %d", where, op.ID, prev)
		}
		p.edgeIDs[op.ID] = line
	}
	if label, ok := attr(e, "label"); ok {
		if err := graph.ValidateLabel(where+" label", label); err != nil {
			return err
		}
		op.Label = &label
	}
	if w, ok := attr(e, "weight"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if err != nil {
			return fmt.Errorf("%s: weight %q is not a number", where, w)
		}
		if err := graph.ValidateWeight(where+" weight", float32(f)); err != nil {
			return err
		}
		op.Weight = new(float32(f))
	}
	t, _ := attr(e, "type")
	if t == "undirected" || t == "mutual" || (t == "" && p.undirected) {
		p.warn("undirected", "the graph's edges are undirected: each is kept as written, from source to target")
	}
	it := &gexfItem{where: where, class: "edge", values: map[string]gexfValue{}}
	err := p.each(func(c xml.StartElement) error {
		if ok, err := p.common(c, it); ok {
			return err
		}
		return p.skip(c)
	})
	if err != nil {
		return err
	}
	if op.Metadata, err = p.metadata(e, it); err != nil {
		return err
	}
	if len(it.spells) > 0 {
		p.spells[opKey{true, len(p.edges)}] = it.spells
	}
	p.edges = append(p.edges, op)
	p.edgeLines = append(p.edgeLines, line)
	return nil
}

// WriteGEXF writes c as GEXF 1.3, which Gephi and the GEXF readers of
// networkx, sigma.js and others take: a string attribute for every
// metadata key of nodes and of edges, each node's position as viz:position,
// and its colour and size (from style, by node; else from metadata "color"
// and "size", as GEXF reads them) as viz:color and viz:size. The graph's
// name is the meta description, which GEXF has for it. Written a node at a
// time.
func WriteGEXF(w io.Writer, c graph.Contents, style *Style) error {
	bw := gexfWriter{bufio.NewWriterSize(w, 64<<10)}
	nk, ek := metadataKeys(c)
	bw.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
		`<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">` + "\n" +
		"  <meta>\n    <creator>VisionFlow</creator>\n")
	if c.Name != "" {
		bw.WriteString("    <description>")
		bw.esc(c.Name)
		bw.WriteString("</description>\n")
	}
	bw.WriteString("  </meta>\n  <graph defaultedgetype=\"directed\" mode=\"static\">\n")
	for _, class := range []struct {
		name, prefix string
		keys         []string
	}{{"node", "n", nk}, {"edge", "e", ek}} {
		if len(class.keys) == 0 {
			continue
		}
		fmt.Fprintf(bw, "    <attributes class=\"%s\">\n", class.name)
		for i, k := range class.keys {
			fmt.Fprintf(bw, "      <attribute id=\"%s%d\" title=\"", class.prefix, i)
			bw.esc(k)
			bw.WriteString("\" type=\"string\"/>\n")
		}
		bw.WriteString("    </attributes>\n")
	}
	num := func(f float32) string { return strconv.FormatFloat(float64(f), 'g', -1, 32) }
	fmt.Fprintf(bw, "    <nodes count=\"%d\">\n", len(c.Nodes))
	for i, n := range c.Nodes {
		bw.WriteString("      <node id=\"")
		bw.esc(n.ID)
		bw.WriteString("\" label=\"")
		bw.esc(n.Label)
		bw.WriteString("\">\n")
		bw.attvalues("n", nk, n.Metadata)
		col, ok := style.colour(i)
		if !ok {
			col, ok = gexfMetaColour(n.Metadata)
		}
		if ok {
			fmt.Fprintf(bw, "        <viz:color r=\"%d\" g=\"%d\" b=\"%d\" a=\"%s\"/>\n", col.R, col.G, col.B,
				strconv.FormatFloat(float64(col.A)/255, 'g', 4, 64))
		}
		fmt.Fprintf(bw, "        <viz:position x=\"%s\" y=\"%s\" z=\"%s\"/>\n", num(n.Position.X), num(n.Position.Y), num(n.Position.Z))
		size, ok := style.size(i)
		if !ok {
			size, ok = gexfMetaSize(n.Metadata)
		}
		if ok && size >= 0 && !math.IsInf(float64(size), 0) { // NaN fails >= 0
			fmt.Fprintf(bw, "        <viz:size value=\"%s\"/>\n", num(size))
		}
		bw.WriteString("      </node>\n")
	}
	fmt.Fprintf(bw, "    </nodes>\n    <edges count=\"%d\">\n", len(c.Edges))
	for _, e := range c.Edges {
		bw.WriteString("      <edge id=\"")
		bw.esc(e.ID)
		bw.WriteString("\" source=\"")
		bw.esc(e.Source)
		bw.WriteString("\" target=\"")
		bw.esc(e.Target)
		if e.Label != "" {
			bw.WriteString("\" label=\"")
			bw.esc(e.Label)
		}
		fmt.Fprintf(bw, "\" weight=\"%s\"", num(e.Weight))
		if len(e.Metadata) == 0 {
			bw.WriteString("/>\n")
			continue
		}
		bw.WriteString(">\n")
		bw.attvalues("e", ek, e.Metadata)
		bw.WriteString("      </edge>\n")
	}
	bw.WriteString("    </edges>\n  </graph>\n</gexf>\n")
	return bw.Flush()
}

type gexfWriter struct{ *bufio.Writer }

// esc writes s escaped for an attribute value or text; newlines and tabs
// become character references, which attribute values keep.
func (w gexfWriter) esc(s string) { xml.EscapeText(w, []byte(s)) }

// attvalues writes md's values of keys (attribute ids prefix0, prefix1, …).
func (w gexfWriter) attvalues(prefix string, keys []string, md map[string]string) {
	if len(md) == 0 {
		return
	}
	w.WriteString("        <attvalues>\n")
	for i, k := range keys {
		if v, ok := md[k]; ok {
			fmt.Fprintf(w, "          <attvalue for=\"%s%d\" value=\"", prefix, i)
			w.esc(v)
			w.WriteString("\"/>\n")
		}
	}
	w.WriteString("        </attvalues>\n")
}

// gexfMetaColour reads metadata "color" as GEXF writes it, "#rrggbb" or
// "#rrggbbaa".
func gexfMetaColour(md map[string]string) (color.NRGBA, bool) {
	s, ok := md["color"]
	if !ok || !strings.HasPrefix(s, "#") {
		return color.NRGBA{}, false
	}
	c, err := parseGEXFHex(s)
	return c, err == nil
}

// gexfMetaSize reads metadata "size", a number.
func gexfMetaSize(md map[string]string) (float32, bool) {
	s, ok := md["size"]
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
	return float32(f), err == nil
}
