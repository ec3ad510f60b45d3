package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"visionflow/graph"
)

// GML reads the Graph Modelling Language as networkx, igraph, Gephi, yEd and
// Cytoscape write it:
//
//	graph [ directed 1 name "g"
//	  node [ id 0 label "a" graphics [ x 1 y 2 z 3 fill "#ff0000" ] group 1 ]
//	  node [ id 1 label "b" ]
//	  edge [ source 0 target 1 weight 2 label "x" ] ]
//
// A node's id, an integer or a string, is what edges name as their source
// and target, and its id here unless it has a vfid (which WriteGML writes).
// Its label (else its name, else its id) is its label; graphics x and y (and
// z), or x and y beside its id, its position; graphics fill its "color"
// metadata. An edge's label is its label, its weight (else its value) its
// weight, its vfid (else its id) its id. Every other attribute becomes
// metadata under its name (a key WriteGML escaped decoded): a list inside
// as dotted keys (foo [ a 1 ] as "foo.a"), a key given more than once as a
// JSON array of its values as strings (how networkx writes a list). Other
// graphics (sizes, shapes, lines) and label styles (LabelGraphics) are not
// kept. Strings may use HTML character references (&amp; &#233;), as
// networkx writes them; a string that is not UTF-8 is read as ISO-8859-1,
// as GML's specification has it. The graph's name (or label) is the
// import's.
func GML(r io.Reader) (*Import, error) { return GMLWithin(r, DefaultLimits) }

// GMLWithin reads GML within lim (nodes and edges), a token at a time.
func GMLWithin(r io.Reader, lim Limits) (*Import, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		br.Discard(3)
	}
	p := &gmlParser{lex: gmlLex{r: br, line: 1}, lim: lim, imp: &Import{Type: graph.Knowledge},
		gids: map[string]int{}, ids: map[string]int{}, edgeIDs: map[string]int{}, warned: map[string]bool{}}
	if err := p.read(); err != nil {
		return nil, fmt.Errorf("GML: %w", err)
	}
	for i := range p.edges {
		op := &p.edges[i]
		for j, end := range p.ends[i] {
			k, ok := p.gids[end]
			if !ok {
				return nil, fmt.Errorf("GML: line %d: edge %d: its %s %q is not the id of any node: %w",
					p.edgeLines[i], i+1, [2]string{"source", "target"}[j], end, graph.ErrDangling)
			}
			if j == 0 {
				op.Source = p.nodes[k].ID
			} else {
				op.Target = p.nodes[k].ID
			}
		}
	}
	fillEdgeIDs(p.edges, p.edgeIDs)
	if p.lex.latin1 {
		p.warn("latin1", "strings that were not UTF-8 were read as ISO-8859-1 (Latin-1)")
	}
	p.imp.Ops = append(p.nodes, p.edges...)
	p.imp.Nodes, p.imp.Edges = len(p.nodes), len(p.edges)
	return p.imp, nil
}

// Bounds on what one token or the nesting of lists may take, so that a
// hostile document cannot make the reader hold more than a little of it.
const (
	gmlMaxString = 1 << 20 // bytes of one string
	gmlMaxWord   = 1 << 10 // bytes of one key or number
	gmlMaxDepth  = 64      // lists within lists
)

type gmlKind uint8

const (
	gmlEnd  gmlKind = iota // the end of the document
	gmlWord                // a key; INF or NAN as a value
	gmlInt
	gmlReal
	gmlStr
	gmlOpen
	gmlClose
)

type gmlTok struct {
	kind gmlKind
	text string // a key, a number as written, a string unescaped
	line int
}

func (t gmlTok) String() string {
	switch t.kind {
	case gmlEnd:
		return "the end of the document"
	case gmlStr:
		if len(t.text) > 40 {
			return strconv.Quote(t.text[:40] + "…")
		}
		return strconv.Quote(t.text)
	case gmlOpen:
		return "a list"
	}
	return t.text
}

func (t gmlTok) scalar() bool { return t.kind == gmlInt || t.kind == gmlReal || t.kind == gmlStr }

// gmlLex splits GML into tokens.
type gmlLex struct {
	r      *bufio.Reader
	line   int
	buf    []byte
	latin1 bool // a string was not UTF-8
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func (l *gmlLex) next() (gmlTok, error) {
	for {
		c, err := l.r.ReadByte()
		if err == io.EOF {
			return gmlTok{kind: gmlEnd, line: l.line}, nil
		}
		if err != nil {
			return gmlTok{}, fmt.Errorf("line %d: %w", l.line, err)
		}
		switch {
		case c == '\n':
			l.line++
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
		case c == '#':
			if err := l.skipLine(); err != nil {
				return gmlTok{}, err
			}
		case c == '[':
			return gmlTok{kind: gmlOpen, text: "[", line: l.line}, nil
		case c == ']':
			return gmlTok{kind: gmlClose, text: "]", line: l.line}, nil
		case c == '"':
			return l.str()
		case isLetter(c):
			return l.word(c)
		case isDigit(c) || c == '+' || c == '-' || c == '.':
			return l.number(c)
		default:
			l.r.UnreadByte()
			r, _, _ := l.r.ReadRune()
			return gmlTok{}, fmt.Errorf("line %d: unexpected %q", l.line, r)
		}
	}
}

func (l *gmlLex) skipLine() error {
	for {
		c, err := l.r.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", l.line, err)
		}
		if c == '\n' {
			l.line++
			return nil
		}
	}
}

// str reads a string up to its closing quote, which GML has no escape for.
func (l *gmlLex) str() (gmlTok, error) {
	start := l.line
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('"')
		if len(l.buf)+len(chunk) > gmlMaxString+1 {
			return gmlTok{}, fmt.Errorf("line %d: the string begun there is over %d bytes", start, gmlMaxString)
		}
		l.line += bytes.Count(chunk, []byte{'\n'})
		l.buf = append(l.buf, chunk...)
		if err == nil {
			break
		}
		if err == io.EOF {
			return gmlTok{}, fmt.Errorf("line %d: the string begun on line %d is not closed", l.line, start)
		}
		if err != bufio.ErrBufferFull {
			return gmlTok{}, fmt.Errorf("line %d: %w", l.line, err)
		}
	}
	raw := l.buf[:len(l.buf)-1]
	var s string
	if utf8.Valid(raw) {
		s = string(raw)
	} else {
		l.latin1 = true
		rs := make([]rune, len(raw))
		for i, b := range raw {
			rs[i] = rune(b)
		}
		s = string(rs)
	}
	return gmlTok{kind: gmlStr, text: gmlUnescape(s), line: start}, nil
}

// word reads a key: a letter, then letters, digits and (as networkx takes
// them) underscores.
func (l *gmlLex) word(c byte) (gmlTok, error) {
	l.buf = append(l.buf[:0], c)
	for {
		c, err := l.r.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return gmlTok{}, fmt.Errorf("line %d: %w", l.line, err)
		}
		if !isLetter(c) && !isDigit(c) && c != '_' {
			l.r.UnreadByte()
			break
		}
		if len(l.buf) == gmlMaxWord {
			return gmlTok{}, fmt.Errorf("line %d: a key over %d bytes", l.line, gmlMaxWord)
		}
		l.buf = append(l.buf, c)
	}
	return gmlTok{kind: gmlWord, text: string(l.buf), line: l.line}, nil
}

// number reads what starts like a number up to the next delimiter, so that
// "1x" or "1.2.3" are refused whole rather than split into two tokens.
func (l *gmlLex) number(c byte) (gmlTok, error) {
	l.buf = append(l.buf[:0], c)
	for {
		c, err := l.r.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return gmlTok{}, fmt.Errorf("line %d: %w", l.line, err)
		}
		if !isLetter(c) && !isDigit(c) && c != '.' && c != '+' && c != '-' && c != '_' {
			l.r.UnreadByte()
			break
		}
		if len(l.buf) == gmlMaxWord {
			return gmlTok{}, fmt.Errorf("line %d: a number over %d bytes", l.line, gmlMaxWord)
		}
		l.buf = append(l.buf, c)
	}
	real, ok := gmlNumber(l.buf)
	if !ok {
		return gmlTok{}, fmt.Errorf("line %d: %q is not a number", l.line, l.buf)
	}
	kind := gmlInt
	if real {
		kind = gmlReal
	}
	return gmlTok{kind: kind, text: string(l.buf), line: l.line}, nil
}

// gmlNumber checks s against GML's numbers: an optional sign, digits with
// an optional fraction (a fraction alone too) and exponent, or INF or NAN
// as networkx writes them.
func gmlNumber(s []byte) (real, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if rest := string(s[i:]); rest == "INF" || rest == "NAN" {
		return true, true
	}
	digits := func() int {
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i - j
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		real = true
		i++
		n += digits()
	}
	if n == 0 {
		return false, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		real = true
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false, false
		}
	}
	return real, i == len(s)
}

// gmlUnescape replaces HTML character references (&#233; &#xE9; &eacute;)
// with their characters and leaves anything else that starts with & as it
// is, as networkx does.
func gmlUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		// A reference is short: looking no further keeps a string of
		// many & and no ; from taking time in its square.
		end := strings.IndexByte(s[:min(len(s), 34)], ';')
		if end < 2 {
			b.WriteByte('&')
			s = s[1:]
			continue
		}
		body, r := s[1:end], rune(-1)
		if num, ok := strings.CutPrefix(body, "#"); ok {
			base := 10
			if hex, ok := strings.CutPrefix(num, "x"); ok {
				num, base = hex, 16
			}
			if n, err := strconv.ParseUint(num, base, 32); err == nil && utf8.ValidRune(rune(n)) {
				r = rune(n)
			}
		} else if alnum(body) {
			// html's table of named references, for the whole reference:
			// it also takes some without their semicolon (&ampx; as &x;).
			if u := html.UnescapeString(s[:end+1]); u != html.UnescapeString(s[:end])+";" {
				b.WriteString(u)
				s = s[end+1:]
				continue
			}
		}
		if r < 0 {
			b.WriteByte('&')
			s = s[1:]
			continue
		}
		b.WriteRune(r)
		s = s[end+1:]
	}
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// gmlEscape writes s as networkx does: printable ASCII as it is, and a
// character reference for every other character, " and &.
func gmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= ' ' && r <= '~' && r != '"' && r != '&' {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "&#%d;", r)
		}
	}
	return b.String()
}

// gmlParser reads a document's first graph into ops.
type gmlParser struct {
	lex          gmlLex
	lim          Limits
	imp          *Import
	nodes, edges []graph.Op
	nodeLines    []int
	edgeLines    []int
	ends         [][2]string    // each edge's source and target, as GML ids
	gids         map[string]int // a node's GML id → its index
	ids          map[string]int // a node's id here → its index
	edgeIDs      map[string]int // an edge's id → its index
	warned       map[string]bool
	depth        int
	sawGraph     bool
}

func (p *gmlParser) warn(kind, format string, args ...any) {
	if !p.warned[kind] {
		p.warned[kind] = true
		p.imp.Warnings = append(p.imp.Warnings, fmt.Sprintf(format, args...))
	}
}

// read reads the top level: graph [ … ] and whatever else (Creator,
// Version) a tool writes beside it.
func (p *gmlParser) read() error {
	for {
		k, err := p.lex.next()
		if err != nil {
			return err
		}
		switch k.kind {
		case gmlEnd:
			if !p.sawGraph {
				return fmt.Errorf("line %d: no graph [ … ] in the document", k.line)
			}
			return nil
		case gmlWord:
		default:
			return fmt.Errorf("line %d: expected a key, found %s", k.line, k)
		}
		v, err := p.value(k)
		if err != nil {
			return err
		}
		if k.text == "graph" && v.kind == gmlOpen {
			if p.sawGraph {
				p.warn("graph", "a second graph (line %d) was skipped: only the first graph is read", k.line)
			} else {
				p.sawGraph = true
				if err := p.graph(v.line); err != nil {
					return err
				}
				continue
			}
		}
		if err := p.skip(v); err != nil {
			return err
		}
	}
}

// value reads the value after key k: a number, a string, INF or NAN, or
// the [ that opens a list, which the caller reads.
func (p *gmlParser) value(k gmlTok) (gmlTok, error) {
	v, err := p.lex.next()
	if err != nil {
		return v, err
	}
	switch v.kind {
	case gmlInt, gmlReal, gmlStr, gmlOpen:
		return v, nil
	case gmlWord:
		if v.text == "INF" || v.text == "NAN" {
			v.kind = gmlReal
			return v, nil
		}
	}
	return v, fmt.Errorf("line %d: key %s has no value: found %s", v.line, k.text, v)
}

// list reads the key-value pairs of the list opened on line open, up to
// its ]. each must read (or skip) a value that opens a list.
func (p *gmlParser) list(open int, each func(k, v gmlTok) error) error {
	if p.depth++; p.depth > gmlMaxDepth {
		return fmt.Errorf("line %d: lists nested more than %d deep", open, gmlMaxDepth)
	}
	defer func() { p.depth-- }()
	for {
		k, err := p.lex.next()
		if err != nil {
			return err
		}
		switch k.kind {
		case gmlClose:
			return nil
		case gmlEnd:
			return fmt.Errorf("line %d: the list opened on line %d is not closed", k.line, open)
		case gmlWord:
		default:
			return fmt.Errorf("line %d: expected a key or ], found %s", k.line, k)
		}
		v, err := p.value(k)
		if err != nil {
			return err
		}
		if err := each(k, v); err != nil {
			return err
		}
	}
}

// skip reads past v, a list and all within it if it is one.
func (p *gmlParser) skip(v gmlTok) error {
	if v.kind != gmlOpen {
		return nil
	}
	return p.list(v.line, func(_, v gmlTok) error { return p.skip(v) })
}

func (p *gmlParser) graph(open int) error {
	directed := false
	err := p.list(open, func(k, v gmlTok) error {
		switch k.text {
		case "node", "edge":
			if v.kind != gmlOpen {
				return fmt.Errorf("line %d: %s must be a list [ … ], not %s", v.line, k.text, v)
			}
			if k.text == "node" {
				return p.node(v.line)
			}
			return p.edge(v.line)
		case "directed":
			directed = v.kind == gmlInt && strings.Trim(v.text, "+-0") != ""
		case "name", "label":
			if v.scalar() && p.imp.Name == "" {
				p.imp.Name = v.text
			}
		}
		return p.skip(v)
	})
	if err != nil {
		return err
	}
	if !directed && len(p.edges) > 0 {
		p.warn("undirected", "the graph is undirected: each edge is kept as written, from source to target")
	}
	return nil
}

// gmlElem is what a node or an edge list holds.
type gmlElem struct {
	kind string                  // node or edge
	line int                     // where it opens
	own  map[string]gmlTok       // the fields the reader takes for its own
	gfx  map[string]gmlTok       // graphics x, y, z and fill
	md   []struct{ k, v string } // every other attribute, in order
	size int                     // bytes in md
}

// networkx writes a list of one value as this marker, then the value.
const gmlListStart = "_networkx_list_start"

var (
	gmlNodeFields = map[string]bool{"id": true, "vfid": true, "label": true, "name": true, "x": true, "y": true, "z": true}
	gmlEdgeFields = map[string]bool{"id": true, "vfid": true, "source": true, "target": true, "label": true, "weight": true, "value": true}
)

func (p *gmlParser) elem(kind string, open int, fields map[string]bool) (*gmlElem, error) {
	e := &gmlElem{kind: kind, line: open, own: map[string]gmlTok{}, gfx: map[string]gmlTok{}}
	err := p.list(open, func(k, v gmlTok) error {
		switch {
		case fields[k.text]:
			if v.kind == gmlOpen {
				return fmt.Errorf("line %d: %s %s must be a number or a string, not a list", v.line, kind, k.text)
			}
			if prev, dup := e.own[k.text]; dup {
				return fmt.Errorf("line %d: the %s begun on line %d has a second %s (the first on line %d)", k.line, kind, open, k.text, prev.line)
			}
			e.own[k.text] = v
			return nil
		case k.text == "graphics" && v.kind == gmlOpen:
			return p.list(v.line, func(gk, gv gmlTok) error {
				switch gk.text {
				case "x", "y", "z", "fill":
					if gv.scalar() {
						if prev, dup := e.gfx[gk.text]; dup {
							return fmt.Errorf("line %d: the %s begun on line %d has a second graphics %s (the first on line %d)", gk.line, kind, open, gk.text, prev.line)
						}
						e.gfx[gk.text] = gv
						return nil
					}
				}
				p.warn("graphics", "graphics other than x, y, z and fill (sizes, shapes, lines, label styles) were not kept")
				return p.skip(gv)
			})
		case k.text == "LabelGraphics" && v.kind == gmlOpen: // yEd's and Cytoscape's label styles
			p.warn("graphics", "graphics other than x, y, z and fill (sizes, shapes, lines, label styles) were not kept")
			return p.skip(v)
		}
		return p.attr(e, gmlMetaKey(k.text), v)
	})
	return e, err
}

// attr adds an attribute to e's metadata, what a list holds under dotted
// keys.
func (p *gmlParser) attr(e *gmlElem, key string, v gmlTok) error {
	if v.kind == gmlOpen {
		return p.list(v.line, func(k, v gmlTok) error { return p.attr(e, key+"."+gmlMetaKey(k.text), v) })
	}
	// Bounded here, not only when the metadata is checked, so that a node
	// of a million empty attributes is refused before it is all held.
	if e.size += len(key) + len(v.text) + 1; e.size > 2*graph.MaxMetadataBytes {
		return fmt.Errorf("line %d: the %s begun on line %d has over %d bytes of attributes, more than its metadata may hold", v.line, e.kind, e.line, 2*graph.MaxMetadataBytes)
	}
	e.md = append(e.md, struct{ k, v string }{key, v.text})
	return nil
}

// metadata gives e's attributes as an op's metadata: a key given once as
// its value, a key given more than once as a JSON array of its values.
func (e *gmlElem) metadata(where string) (map[string]*string, error) {
	vals, list := map[string][]string{}, map[string]bool{}
	for _, a := range e.md {
		if a.v == gmlListStart {
			list[a.k] = true
			continue
		}
		vals[a.k] = append(vals[a.k], a.v)
	}
	md := make(map[string]string, len(vals)+1)
	for k, vs := range vals {
		if len(vs) == 1 && !list[k] {
			md[k] = vs[0]
			continue
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(vs)
		md[k] = strings.TrimSuffix(b.String(), "\n")
	}
	if fill, ok := e.gfx["fill"]; ok {
		if _, has := md["color"]; !has {
			md["color"] = fill.text
		}
	}
	return metaOps(md, where)
}

// gmlRef reads a node reference (an id, a source, a target): an integer,
// as its decimal form, or a string.
func gmlRef(v gmlTok, what string) (string, error) {
	switch v.kind {
	case gmlInt:
		n, err := strconv.ParseInt(v.text, 10, 64)
		if err != nil {
			return "", fmt.Errorf("line %d: %s %s is out of range", v.line, what, v.text)
		}
		return strconv.FormatInt(n, 10), nil
	case gmlStr:
		return v.text, nil
	}
	return "", fmt.Errorf("line %d: %s must be an integer or a string, not %s", v.line, what, v)
}

func gmlFloat(v gmlTok, what string) (float32, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v.text), 32)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("line %d: %s %s is not a finite number", v.line, what, v)
	}
	return float32(f), nil
}

func (p *gmlParser) node(open int) error {
	if len(p.nodes) >= p.lim.MaxNodes {
		return fmt.Errorf("line %d: more than %d nodes; the limit is %d (system.import.maxNodes): %w", open, p.lim.MaxNodes, p.lim.MaxNodes, ErrLimit)
	}
	e, err := p.elem("node", open, gmlNodeFields)
	if err != nil {
		return err
	}
	gidTok, ok := e.own["id"]
	if !ok {
		return fmt.Errorf("line %d: a node without an id", open)
	}
	gid, err := gmlRef(gidTok, "node id")
	if err != nil {
		return err
	}
	id := gid
	if v, ok := e.own["vfid"]; ok {
		if id, err = gmlRef(v, "node vfid"); err != nil {
			return err
		}
	}
	where := fmt.Sprintf("line %d: node %q", open, id)
	if err := graph.ValidateID(where+" id", id); err != nil {
		return err
	}
	if prev, dup := p.gids[gid]; dup {
		return fmt.Errorf("line %d: node id %s is also the id of the node on line %d", gidTok.line, gidTok, p.nodeLines[prev])
	}
	if prev, dup := p.ids[id]; dup {
		return fmt.Errorf("%s: the node on line %d has that id too", where, p.nodeLines[prev])
	}
	op := graph.Op{Op: graph.AddNode, ID: id}
	label, hasLabel := e.own["label"]
	if name, ok := e.own["name"]; ok {
		if hasLabel {
			e.md = append(e.md, struct{ k, v string }{"name", name.text})
		} else {
			label, hasLabel = name, true
		}
	}
	if hasLabel {
		if err := graph.ValidateLabel(where+" label", label.text); err != nil {
			return err
		}
		op.Label = &label.text
	}
	// Graphics give the position where they have one; x, y and z that
	// give none (beside the id, or only some of them) stay as metadata.
	coords, rest := e.gfx, e.own
	if _, ok := coords["x"]; !ok {
		coords, rest = e.own, nil
	}
	_, hasX := coords["x"]
	_, hasY := coords["y"]
	if !hasX || !hasY {
		rest = coords
	} else {
		var c [3]float32
		for i, a := range []string{"x", "y", "z"} {
			if v, ok := coords[a]; ok {
				if c[i], err = gmlFloat(v, where+" "+a); err != nil {
					return err
				}
			}
		}
		pos := graph.Vec3{X: c[0], Y: c[1], Z: c[2]}
		if err := graph.ValidateVec(where+" position", pos); err != nil {
			return err
		}
		op.Position = &pos
	}
	for _, a := range []string{"x", "y", "z"} {
		if v, ok := rest[a]; ok && v.scalar() {
			e.md = append(e.md, struct{ k, v string }{a, v.text})
		}
	}
	if op.Metadata, err = e.metadata(where); err != nil {
		return err
	}
	p.gids[gid], p.ids[id] = len(p.nodes), len(p.nodes)
	p.nodes = append(p.nodes, op)
	p.nodeLines = append(p.nodeLines, open)
	return nil
}

func (p *gmlParser) edge(open int) error {
	if len(p.edges) >= p.lim.MaxEdges {
		return fmt.Errorf("line %d: more than %d edges; the limit is %d (system.import.maxEdges): %w", open, p.lim.MaxEdges, p.lim.MaxEdges, ErrLimit)
	}
	e, err := p.elem("edge", open, gmlEdgeFields)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("line %d: edge %d", open, len(p.edges)+1)
	var ends [2]string
	for i, k := range []string{"source", "target"} {
		v, ok := e.own[k]
		if !ok {
			return fmt.Errorf("%s has no %s", where, k)
		}
		if ends[i], err = gmlRef(v, "edge "+k); err != nil {
			return err
		}
	}
	op := graph.Op{Op: graph.AddEdge}
	idTok, hasID := e.own["vfid"]
	if v, ok := e.own["id"]; ok {
		if hasID {
			e.md = append(e.md, struct{ k, v string }{"id", v.text})
		} else {
			idTok, hasID = v, true
		}
	}
	if hasID {
		if op.ID, err = gmlRef(idTok, "edge id"); err != nil {
			return err
		}
		if err := graph.ValidateID(where+" id", op.ID); err != nil {
			return err
		}
		if prev, dup := p.edgeIDs[op.ID]; dup {
			return fmt.Errorf("%s: id %q is also the id of the edge on line %d", where, op.ID, p.edgeLines[prev])
		}
		p.edgeIDs[op.ID] = len(p.edges)
	}
	if v, ok := e.own["label"]; ok {
		if err := graph.ValidateLabel(where+" label", v.text); err != nil {
			return err
		}
		op.Label = &v.text
	}
	w, hasW := e.own["weight"]
	if v, ok := e.own["value"]; ok {
		if hasW {
			e.md = append(e.md, struct{ k, v string }{"value", v.text})
		} else {
			w, hasW = v, true
		}
	}
	if hasW {
		f, err := gmlFloat(w, where+" weight")
		if err != nil {
			return err
		}
		if err := graph.ValidateWeight(where+" weight", f); err != nil {
			return err
		}
		op.Weight = &f
	}
	if op.Metadata, err = e.metadata(where); err != nil {
		return err
	}
	p.edges = append(p.edges, op)
	p.ends = append(p.ends, ends)
	p.edgeLines = append(p.edgeLines, open)
	return nil
}

// fillEdgeIDs gives the edges without an id one that none of the others
// has: left to the graph, "e1" might be taken before an edge that names
// itself e1 comes.
func fillEdgeIDs(edges []graph.Op, taken map[string]int) {
	if len(taken) == 0 {
		return
	}
	n := 0
	for i := range edges {
		if edges[i].ID != "" {
			continue
		}
		for {
			n++
			id := "e" + strconv.Itoa(n)
			if _, ok := taken[id]; !ok {
				edges[i].ID = id
				break
			}
		}
	}
}

// gmlOwn are keys WriteGML writes for a node's or an edge's own, beside
// export.go's reserved: metadata under them is written with a "meta."
// prefix. (key is networkx's for parallel edges.)
var gmlOwn = map[string]bool{"vfid": true, "graphics": true, "key": true}

// gmlAttrName writes a metadata key as a GML key, [A-Za-z][A-Za-z0-9]*:
// with metaName's "meta." prefix where it names a field (here also vfid,
// graphics and key), and where it has that prefix already, so that
// "meta.label" and "label" do not come back as one; then a byte outside
// GML's, and Z, as Z and two hex digits ("created-at" as createdZ2Dat).
func gmlAttrName(k string) string {
	if gmlOwn[k] || strings.HasPrefix(k, "meta.") {
		k = "meta." + k
	}
	if reserved[k] { // GML's keys are case-sensitive: only the exact names are fields
		k = "meta." + k
	}
	return gmlEscapeKey(k)
}

func gmlEscapeKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		if (isLetter(c) && c != 'Z') || (isDigit(c) && i > 0) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "Z%02X", c)
		}
	}
	return b.String()
}

// gmlMetaKey undoes gmlAttrName. A key is decoded only when it is exactly
// what gmlAttrName would write for what it decodes to, so another tool's
// key with a Z in it stays as it is.
func gmlMetaKey(k string) string {
	if strings.IndexByte(k, 'Z') >= 0 {
		var b []byte
		ok := true
		for i := 0; i < len(k) && ok; i++ {
			if k[i] != 'Z' {
				b = append(b, k[i])
				continue
			}
			n, err := strconv.ParseUint(k[min(i+1, len(k)):min(i+3, len(k))], 16, 8)
			ok = err == nil && i+3 <= len(k)
			b = append(b, byte(n))
			i += 2
		}
		if d := string(b); ok && utf8.ValidString(d) && gmlEscapeKey(d) == k && !strings.ContainsFunc(d, unicode.IsControl) {
			k = d
		}
	}
	if rest, ok := strings.CutPrefix(k, "meta."); ok && (reserved[rest] || gmlOwn[rest] || strings.HasPrefix(rest, "meta.")) {
		return rest
	}
	return k
}

// isHexColour reports whether s is #rrggbb, what GML's fill holds.
func isHexColour(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	_, err := strconv.ParseUint(s[1:], 16, 32)
	return err == nil
}

// WriteGML writes c as GML that networkx (read_gml), Gephi, igraph and GML
// here read. GML's node ids are integers, which edges name: a node's is its
// index, its id here goes under vfid (an edge's too), and its label under
// label, its id where it has none; networkx's read_gml names nodes by label,
// so a graph whose labels repeat reads there with label="vfid". The
// position is graphics x, y and z; "color" metadata that is #rrggbb is
// graphics fill. Other metadata keys are written as GML keys (letters and
// digits), any other byte and Z as Z and two hex digits, and keys that name
// a field, or have the prefix, with a "meta." prefix (as metaName), which
// GML reads back. Strings
// are ASCII, with a character reference for ", &, control characters and
// every character past ASCII, as networkx writes them; numbers are written
// with a decimal point and no exponent, which every GML reader takes for a
// real. The graph is directed, and a multigraph where two edges join the
// same nodes the same way.
func WriteGML(w io.Writer, c graph.Contents) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	index := make(map[string]int, len(c.Nodes))
	for i, n := range c.Nodes {
		index[n.ID] = i
	}
	multi := false
	pairs := make(map[[2]string]bool, len(c.Edges))
	for _, e := range c.Edges {
		k := [2]string{e.Source, e.Target}
		if multi = pairs[k]; multi {
			break
		}
		pairs[k] = true
	}
	pairs = nil // not held while the rest is written
	bw.WriteString("graph [\n  directed 1\n")
	if multi {
		bw.WriteString("  multigraph 1\n")
	}
	if c.Name != "" {
		fmt.Fprintf(bw, "  name \"%s\"\n", gmlEscape(c.Name))
	}
	for i, n := range c.Nodes {
		label := n.Label
		if label == "" {
			label = n.ID
		}
		fmt.Fprintf(bw, "  node [\n    id %d\n    label \"%s\"\n    vfid \"%s\"\n", i, gmlEscape(label), gmlEscape(n.ID))
		fmt.Fprintf(bw, "    graphics [\n      x %s\n      y %s\n      z %s\n", gmlNum(n.Position.X), gmlNum(n.Position.Y), gmlNum(n.Position.Z))
		if colour := n.Metadata["color"]; isHexColour(colour) {
			fmt.Fprintf(bw, "      fill \"%s\"\n", colour)
		}
		bw.WriteString("    ]\n")
		writeGMLMeta(bw, n.Metadata)
		bw.WriteString("  ]\n")
	}
	for _, e := range c.Edges {
		s, ok1 := index[e.Source]
		t, ok2 := index[e.Target]
		if !ok1 || !ok2 {
			return fmt.Errorf("GML: edge %q (%s → %s): an end is not among the nodes: %w", e.ID, e.Source, e.Target, graph.ErrDangling)
		}
		fmt.Fprintf(bw, "  edge [\n    source %d\n    target %d\n    vfid \"%s\"\n", s, t, gmlEscape(e.ID))
		if e.Label != "" {
			fmt.Fprintf(bw, "    label \"%s\"\n", gmlEscape(e.Label))
		}
		fmt.Fprintf(bw, "    weight %s\n", gmlNum(e.Weight))
		if colour := e.Metadata["color"]; isHexColour(colour) {
			fmt.Fprintf(bw, "    graphics [\n      fill \"%s\"\n    ]\n", colour)
		}
		writeGMLMeta(bw, e.Metadata)
		bw.WriteString("  ]\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// writeGMLMeta writes md, sorted, but for a "color" written as the fill.
func writeGMLMeta(bw *bufio.Writer, md map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(md)) {
		if k == "color" && isHexColour(md[k]) {
			continue
		}
		fmt.Fprintf(bw, "    %s \"%s\"\n", gmlAttrName(k), gmlEscape(md[k]))
	}
}

// gmlNum writes f with a decimal point (which makes it a real to GML
// readers) and without an exponent (which Gephi's reader does not take).
func gmlNum(f float32) string {
	s := strconv.FormatFloat(float64(f), 'f', -1, 32)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
