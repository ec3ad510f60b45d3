package ingest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"visionflow/graph"
)

// GraphML reads GraphML (graphml.graphdrawing.org), as Gephi, yEd,
// Cytoscape, igraph and networkx write it: <key>s declare typed attributes
// of nodes and edges (with defaults), the first <graph> holds <node>s and
// <edge>s whose <data> give them values. A node attribute named label or
// name is its label, x, y and z its position; an edge's label and weight
// are its own; every other attribute becomes metadata under its name. A
// yEd label (a NodeLabel or EdgeLabel inside the data) is a label too.
// Nested graphs, hyperedges and ports have no place in a VisionFlow graph:
// they are skipped with a warning.
func GraphML(r io.Reader) (*Import, error) { return GraphMLWithin(r, DefaultLimits) }

// GraphMLWithin reads GraphML within lim (nodes and edges), as a stream.
func GraphMLWithin(r io.Reader, lim Limits) (*Import, error) {
	p := &gmlReader{dec: xml.NewDecoder(r), keys: map[string]*gmlKey{}, seen: map[string]int{}, lim: lim,
		imp: &Import{Type: graph.Knowledge}, warned: map[string]bool{}}
	if err := p.read(); err != nil {
		return nil, fmt.Errorf("GraphML: %w", err)
	}
	for i, op := range p.edges {
		for _, end := range []string{op.Source, op.Target} {
			if _, ok := p.seen[end]; !ok {
				return nil, fmt.Errorf("GraphML: edge %d (%s → %s): node %q is not among the nodes: %w", i+1, op.Source, op.Target, end, graph.ErrDangling)
			}
		}
	}
	p.imp.Ops = append(p.nodes, p.edges...)
	p.imp.Nodes, p.imp.Edges = len(p.nodes), len(p.edges)
	return p.imp, nil
}

// gmlKey is a <key> declaration.
type gmlKey struct {
	id, name, typ, domain string // domain: node, edge, graph or all
	def                   *string
}

type gmlReader struct {
	dec          *xml.Decoder
	keys         map[string]*gmlKey
	seen         map[string]int
	nodes, edges []graph.Op
	lim          Limits
	imp          *Import
	warned       map[string]bool
	inGraph      bool
}

func (p *gmlReader) warn(kind, format string, args ...any) {
	if !p.warned[kind] {
		p.warned[kind] = true
		p.imp.Warnings = append(p.imp.Warnings, fmt.Sprintf(format, args...))
	}
}

func attr(e xml.StartElement, name string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (p *gmlReader) read() error {
	root := false
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			if !root {
				return errors.New("no <graphml> element")
			}
			if !p.inGraph && len(p.nodes) == 0 {
				return errors.New("no <graph> element")
			}
			return nil
		}
		if err != nil {
			return err
		}
		e, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			if e.Name.Local != "graphml" {
				return fmt.Errorf("the document is <%s>, not <graphml>", e.Name.Local)
			}
			root = true
			continue
		}
		switch e.Name.Local {
		case "key":
			if err := p.key(e); err != nil {
				return err
			}
		case "graph":
			if p.inGraph {
				p.warn("graph", "a second or nested <graph> was skipped: only the first graph is read")
				if err := p.dec.Skip(); err != nil {
					return err
				}
				continue
			}
			p.inGraph = true
			if d, _ := attr(e, "edgedefault"); d == "undirected" {
				p.warn("undirected", "the graph is undirected: each edge is kept as written, from source to target")
			}
		case "node":
			if !p.inGraph {
				return errors.New("<node> outside a <graph>")
			}
			if err := p.node(e); err != nil {
				return err
			}
		case "edge":
			if !p.inGraph {
				return errors.New("<edge> outside a <graph>")
			}
			if err := p.edge(e); err != nil {
				return err
			}
		case "data":
			// The graph's own: its name.
			k, v, err := p.data(e)
			if err != nil {
				return err
			}
			if k != nil && (strings.EqualFold(k.name, "name") || strings.EqualFold(k.name, "label")) && p.imp.Name == "" {
				p.imp.Name = v
			}
		case "hyperedge":
			p.warn("hyperedge", "hyperedges were skipped: an edge joins two nodes here")
			if err := p.dec.Skip(); err != nil {
				return err
			}
		default:
			if err := p.dec.Skip(); err != nil {
				return err
			}
		}
	}
}

func (p *gmlReader) key(e xml.StartElement) error {
	k := &gmlKey{}
	k.id, _ = attr(e, "id")
	if k.id == "" {
		return errors.New(`<key> without an id`)
	}
	k.domain, _ = attr(e, "for")
	if k.domain == "" {
		k.domain = "all"
	}
	k.name, _ = attr(e, "attr.name")
	if k.name == "" {
		k.name = k.id
	}
	k.typ, _ = attr(e, "attr.type")
	switch k.typ {
	case "", "string", "boolean", "int", "long", "float", "double":
	default:
		return fmt.Errorf("<key id=%q>: attr.type %q is not a GraphML type (boolean, int, long, float, double, string)", k.id, k.typ)
	}
	// A <default> inside.
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "default" {
				var v string
				if err := p.dec.DecodeElement(&v, &t); err != nil {
					return fmt.Errorf("<key id=%q> default: %w", k.id, err)
				}
				v = strings.TrimSpace(v)
				if err := k.check(v); err != nil {
					return fmt.Errorf("<key id=%q> default: %w", k.id, err)
				}
				k.def = &v
			} else if err := p.dec.Skip(); err != nil {
				return err
			}
		case xml.EndElement:
			if _, dup := p.keys[k.id]; dup {
				return fmt.Errorf("<key id=%q> declared twice", k.id)
			}
			p.keys[k.id] = k
			return nil
		}
	}
}

// check validates a value against the key's type.
func (k *gmlKey) check(v string) error {
	switch k.typ {
	case "boolean":
		if v != "true" && v != "false" {
			return fmt.Errorf("%q is not a boolean (true or false)", v)
		}
	case "int", "long":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("%q is not an integer", v)
		}
	case "float", "double":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("%q is not a finite number", v)
		}
	}
	return nil
}

// gmlData is a <data> element: its text, and what is inside (a yEd shape).
type gmlData struct {
	Text  string `xml:",chardata"`
	Inner []byte `xml:",innerxml"`
}

// yEdLabel is the text of the first NodeLabel or EdgeLabel in a yEd
// shape, and whether the data holds elements at all.
func yEdLabel(inner []byte) (label string, elements bool) {
	dec := xml.NewDecoder(strings.NewReader(string(inner)))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", elements
		}
		e, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		elements = true
		if e.Name.Local == "NodeLabel" || e.Name.Local == "EdgeLabel" {
			var v string
			if dec.DecodeElement(&v, &e) == nil && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v), true
			}
		}
	}
}

// data reads a <data> element: its key and value.
func (p *gmlReader) data(e xml.StartElement) (*gmlKey, string, error) {
	id, _ := attr(e, "key")
	var d gmlData
	if err := p.dec.DecodeElement(&d, &e); err != nil {
		return nil, "", err
	}
	v := strings.TrimSpace(d.Text)
	label, elements := "", false
	if strings.Contains(string(d.Inner), "<") {
		label, elements = yEdLabel(d.Inner)
	}
	if label != "" {
		return &gmlKey{id: id, name: "label"}, label, nil
	}
	if elements {
		return nil, "", nil // a yEd shape without a label: its looks are not kept
	}
	k, ok := p.keys[id]
	if !ok {
		p.warn("key:"+id, "<data key=%q> has no <key> declaration: kept as metadata %q", id, id)
		k = &gmlKey{id: id, name: id, domain: "all"}
	}
	if err := k.check(v); err != nil {
		return nil, "", fmt.Errorf("<data key=%q>: %w", id, err)
	}
	return k, v, nil
}

// children reads an element's <data> up to its end, skipping the rest.
func (p *gmlReader) children(what string, set func(k *gmlKey, v string) error) error {
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "data":
				k, v, err := p.data(t)
				if err != nil {
					return fmt.Errorf("%s: %w", what, err)
				}
				if k != nil {
					if err := set(k, v); err != nil {
						return fmt.Errorf("%s: %w", what, err)
					}
				}
			case "graph":
				p.warn("nested", "nested graphs inside nodes were skipped")
				if err := p.dec.Skip(); err != nil {
					return err
				}
			default: // ports, descriptions
				if err := p.dec.Skip(); err != nil {
					return err
				}
			}
		case xml.EndElement:
			return nil
		}
	}
}

// values reads an element's <data> into set, then the defaults its
// domain's keys declare for what the data did not give.
func (p *gmlReader) values(where, domain string, set func(k *gmlKey, v string) error) error {
	given := map[string]bool{}
	err := p.children(where, func(k *gmlKey, v string) error {
		given[k.id] = true
		return set(k, v)
	})
	if err != nil {
		return err
	}
	if err := p.defaults(domain, given, set); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// defaults applies the declared defaults of domain's keys that values
// did not set.
func (p *gmlReader) defaults(domain string, given map[string]bool, set func(k *gmlKey, v string) error) error {
	for _, k := range p.keys {
		if k.def != nil && !given[k.id] && (k.domain == domain || k.domain == "all") {
			if err := set(k, *k.def); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *gmlReader) node(e xml.StartElement) error {
	if len(p.nodes) >= p.lim.MaxNodes {
		return fmt.Errorf("more than %d nodes; the limit is %d (system.import.maxNodes): %w", p.lim.MaxNodes, p.lim.MaxNodes, ErrLimit)
	}
	id, _ := attr(e, "id")
	where := fmt.Sprintf("node %q", id)
	if err := graph.ValidateID(where+" id", id); err != nil {
		return err
	}
	if prev, dup := p.seen[id]; dup {
		return fmt.Errorf("%s: the id of node %d too", where, prev+1)
	}
	p.seen[id] = len(p.nodes)
	op := graph.Op{Op: graph.AddNode, ID: id}
	var pos [3]*float32
	md := map[string]string{}
	set := func(k *gmlKey, v string) error {
		switch strings.ToLower(k.name) {
		case "label", "name":
			if op.Label == nil {
				if err := graph.ValidateLabel(where+" label", v); err != nil {
					return err
				}
				op.Label = &v
				return nil
			}
		case "x", "y", "z":
			f, err := strconv.ParseFloat(v, 32)
			if err != nil {
				return fmt.Errorf("%s %q is not a number", k.name, v)
			}
			pos[strings.ToLower(k.name)[0]-'x'] = new(float32(f))
			return nil
		}
		md[unmeta(k.name)] = v
		return nil
	}
	if err := p.values(where, "node", set); err != nil {
		return err
	}
	if pos[0] != nil && pos[1] != nil {
		v := graph.Vec3{X: *pos[0], Y: *pos[1]}
		if pos[2] != nil {
			v.Z = *pos[2]
		}
		if err := graph.ValidateVec(where+" position", v); err != nil {
			return err
		}
		op.Position = &v
	}
	var err error
	if op.Metadata, err = metaOps(md, where); err != nil {
		return err
	}
	p.nodes = append(p.nodes, op)
	return nil
}

func (p *gmlReader) edge(e xml.StartElement) error {
	if len(p.edges) >= p.lim.MaxEdges {
		return fmt.Errorf("more than %d edges; the limit is %d (system.import.maxEdges): %w", p.lim.MaxEdges, p.lim.MaxEdges, ErrLimit)
	}
	op := graph.Op{Op: graph.AddEdge}
	op.Source, _ = attr(e, "source")
	op.Target, _ = attr(e, "target")
	op.ID, _ = attr(e, "id")
	where := fmt.Sprintf("edge %d (%s → %s)", len(p.edges)+1, op.Source, op.Target)
	if op.Source == "" || op.Target == "" {
		return fmt.Errorf("%s: source and target are both needed", where)
	}
	if op.ID != "" {
		if err := graph.ValidateID(where+" id", op.ID); err != nil {
			return err
		}
	}
	md := map[string]string{}
	set := func(k *gmlKey, v string) error {
		switch strings.ToLower(k.name) {
		case "label":
			if op.Label == nil {
				if err := graph.ValidateLabel(where+" label", v); err != nil {
					return err
				}
				op.Label = &v
				return nil
			}
		case "weight":
			f, err := strconv.ParseFloat(v, 32)
			if err != nil {
				return fmt.Errorf("weight %q is not a number", v)
			}
			if err := graph.ValidateWeight(where+" weight", float32(f)); err != nil {
				return err
			}
			op.Weight = new(float32(f))
			return nil
		}
		md[unmeta(k.name)] = v
		return nil
	}
	if err := p.values(where, "edge", set); err != nil {
		return err
	}
	var err error
	if op.Metadata, err = metaOps(md, where); err != nil {
		return err
	}
	p.edges = append(p.edges, op)
	return nil
}

// metaOps validates metadata and gives it as an op's.
func metaOps(md map[string]string, where string) (map[string]*string, error) {
	if len(md) == 0 {
		return nil, nil
	}
	if err := graph.ValidateMetadata(where+" metadata", md); err != nil {
		return nil, err
	}
	out := make(map[string]*string, len(md))
	for k, v := range md {
		out[k] = &v
	}
	return out, nil
}
