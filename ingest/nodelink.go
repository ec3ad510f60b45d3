package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"visionflow/graph"
)

// NodeLink reads a graph written as JSON by d3, networkx, Cytoscape,
// graphology and the many tools that copy them. Node-link JSON is the
// common form:
//
//	{"nodes": [{"id": "a", "label": "A", "x": 1, "y": 2, "z": 3, ...}],
//	 "links": [{"source": "a", "target": "b", "weight": 2, "label": "cites", ...}]}
//
// "edges" is accepted for "links", "name" for "label", "value" for
// "weight"; ids may be strings or integers. Any other field of a node or
// link becomes metadata (numbers and booleans as text, objects and arrays
// as JSON). A node with x and y keeps that position (z is 0 when it has
// none). The dialects of this form it reads:
//
//   - networkx's node_link_data: "directed", "multigraph" and "graph",
//     whose "name" names the import when the document has no "name".
//   - d3 v3, whose nodes have no ids and whose links give the index of a
//     node in "nodes" (the classic miserables.json). Such a node's id is
//     its index, its name its label; a link end that is a string names a
//     node by its label, as d3 v4's forceLink().id(d => d.name) does. When
//     the nodes have ids but none is an integer, an integer end that is no
//     id is an index too (with a warning). Links saved after a simulation
//     hold the nodes themselves: the node's "id", or else its "index", is
//     the end.
//   - graphology (sigma.js, Gephi Lite): a node's id is its "key", an
//     edge's key its id, and "attributes" hold their fields; "options"
//     say whether the graph is directed.
//   - JSON Graph Format: the same inside a top-level "graph" object, with
//     "metadata" holding fields as "attributes" do.
//
// And two of other forms:
//
//   - Cytoscape.js's cy.json(), Cytoscape's export and networkx's
//     cytoscape_data: {"elements": {"nodes": [...], "edges": [...]}} or a
//     flat "elements" array, each element a {"data": {...}} with, for a
//     node, a "position"; data's id, label (or name), source, target and
//     weight are the element's own, the rest of data and its "classes"
//     metadata. A top-level "data" holds the graph's name.
//   - networkx's adjacency_data: "adjacency"[i] lists the edges out of
//     "nodes"[i], each naming its target by "id". An undirected graph
//     ("directed": false) lists each edge under both its ends: it is
//     imported once.
//
// An undirected graph's edges keep the direction they are written in
// (with a warning). Keys the reader does not use are skipped with one
// warning naming them; a document with none of "nodes", "links", "edges",
// "elements" and "adjacency" is refused, naming what it has. A networkx
// tree_data is not read.
func NodeLink(r io.Reader) (*Import, error) { return NodeLinkWithin(r, DefaultLimits) }

// NodeLinkWithin reads JSON as NodeLink does, refusing (with ErrLimit and
// the setting's name) more than lim.MaxNodes nodes or lim.MaxEdges edges.
// The document is read as a stream, one node or link at a time, so memory
// follows the graph it makes rather than the size of the text, and a
// document past a limit is refused as soon as the limit is passed.
func NodeLinkWithin(r io.Reader, lim Limits) (*Import, error) {
	p := &jsonReader{dec: json.NewDecoder(r), lim: lim, imp: &Import{Type: graph.Knowledge}, seen: map[string]int{}}
	p.dec.UseNumber()
	if err := p.read(); err != nil {
		return nil, fmt.Errorf("JSON: %w", err)
	}
	return p.imp, nil
}

// jsonRef is how a link end names its node; which node that is can only be
// known once every node has been read, as links may come first.
type jsonRef uint8

const (
	jsonRefString jsonRef = iota // an id; a label when the nodes have no ids
	jsonRefInt                   // an id; an index when the nodes have no ids
	jsonRefIndex                 // an index into the nodes, whatever their ids
)

// jsonLinkAt is what resolving a link needs besides its op: where it was, for
// errors, and how its ends name their nodes.
type jsonLinkAt struct {
	at             int // its index in its array; in adjacency, in its node's list
	source, target jsonRef
}

// Whether the nodes have ids: decided by the first node, and held to.
const (
	jsonIDsUnknown = iota
	jsonIDsGiven
	jsonIDsNone // d3 v3: a node is known by its place
)

type jsonReader struct {
	dec  *json.Decoder
	lim  Limits
	imp  *Import
	seen map[string]int // node id → its index in its array, for errors

	nodes, links []graph.Op
	linkAt       []jsonLinkAt

	ids       int    // jsonIDsUnknown, jsonIDsGiven or jsonIDsNone
	idKey     string // the field that holds a node's id: "id", or graphology's "key"
	firstNode string // where the first node was, for errors about ids
	intIDs    bool   // some node's id is a JSON integer, as networkx writes them

	nodesPath string // "nodes" or "graph.nodes"; "" until read
	linksPath string // the array links came from: "links", "elements.edges", "adjacency"…
	elements  bool   // Cytoscape's
	adjacency bool   // networkx's adjacency_data
	adjRows   int    // how many lists "adjacency" held

	directed  *bool
	graphName string
	found     []string       // top-level keys, for the error when none is a graph
	unused    []string       // keys read past, for the warning
	byIndex   string         // the first link end taken as an index though nodes have ids
	labels    map[string]int // label → node index, -1 when not one node's; made when needed
}

// jsonMaxListed bounds the keys an error or warning names.
const jsonMaxListed = 20

func (p *jsonReader) read() error {
	if err := expectDelim(p.dec, '{', "the document"); err != nil {
		return err
	}
	if err := p.members(""); err != nil {
		return err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the top-level object")
	}
	return p.finish()
}

// cytoscapeFileKeys describe a Cytoscape export file rather than its
// graph: nothing is lost by not reading them, so they are not warned of.
var cytoscapeFileKeys = map[string]bool{"format_version": true, "generated_by": true, "target_cytoscapejs_version": true}

// members reads the keys of an object up to its closing brace: the
// document's (in == "") or those of its "graph" or "data" object, which
// hold a graph's attributes (networkx) or the graph itself (JSON Graph
// Format).
func (p *jsonReader) members(in string) error {
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		path := key
		if in != "" {
			path = in + "." + key
		} else if len(p.found) < jsonMaxListed+1 {
			p.found = append(p.found, key)
		}
		switch {
		case key == "nodes":
			err = p.nodeArray(path)
		case key == "links" || key == "edges":
			err = p.linkArray(path, key)
		case key == "adjacency":
			err = p.adjacencyArray(path)
		case key == "elements":
			err = p.elementsValue(path)
		case key == "directed" || key == "multigraph":
			// multigraph says nothing the edges do not: parallel edges
			// carry a "key", which tells them apart when deduplicating.
			var b *bool // null: not said
			if err := p.dec.Decode(&b); err != nil {
				return fmt.Errorf("%s: must be true or false: %w", path, err)
			}
			if key == "directed" && b != nil {
				p.directed = b
			}
		case key == "name" || (in != "" && key == "label"):
			err = p.name(path, in == "")
		case in == "" && (key == "graph" || key == "data" || key == "attributes"):
			err = p.graphAttributes(path)
		case in == "" && key == "options":
			err = p.options(path)
		case in == "" && cytoscapeFileKeys[key]:
			err = jsonSkip(p.dec)
		default:
			p.skipped(path)
			err = jsonSkip(p.dec)
		}
		if err != nil {
			return err
		}
	}
	_, err := p.dec.Token() // the closing brace
	return err
}

func (p *jsonReader) skipped(path string) {
	if !slices.Contains(p.unused, path) && len(p.unused) < jsonMaxListed+1 {
		p.unused = append(p.unused, path)
	}
}

// name reads a graph's name: the document's own must be text; one among
// a graph's attributes that is not is skipped like any other attribute.
func (p *jsonReader) name(path string, top bool) error {
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		if top {
			return fmt.Errorf("%q must be a string, got %s", path, short(raw))
		}
		p.skipped(path)
		return nil
	}
	if top {
		p.imp.Name = s
	} else if p.graphName == "" {
		p.graphName = s
	}
	return nil
}

// graphAttributes reads a "graph" or "data" value: an object (networkx's
// node_link_data, Cytoscape), or a list of [name, value] pairs (networkx's
// adjacency_data and cytoscape_data).
func (p *jsonReader) graphAttributes(path string) error {
	tok, err := p.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return p.members(path)
	case json.Delim('['):
		for i := 0; p.dec.More(); i++ {
			var pair []json.RawMessage
			var k string
			if err := p.dec.Decode(&pair); err != nil || len(pair) != 2 || json.Unmarshal(pair[0], &k) != nil {
				return fmt.Errorf("%s[%d]: must be a [name, value] pair", path, i)
			}
			if s := ""; (k == "name" || k == "label") && json.Unmarshal(pair[1], &s) == nil {
				if p.graphName == "" {
					p.graphName = s
				}
				continue
			}
			p.skipped(path + "." + k)
		}
		_, err := p.dec.Token()
		return err
	case nil: // null: no attributes
		return nil
	}
	p.skipped(path) // a value of its own, already read whole
	return nil
}

// jsonSkip reads past the next value a token at a time, so that an
// unused value however large is never held whole.
func jsonSkip(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// options reads graphology's options, of which only the graph's type
// matters here: whether its edges are directed.
func (p *jsonReader) options(path string) error {
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var o struct{ Type string }
	if json.Unmarshal(raw, &o) != nil {
		p.skipped(path)
		return nil
	}
	if o.Type == "directed" || o.Type == "undirected" {
		p.directed = new(o.Type == "directed")
	}
	return nil
}

// flatten lifts the fields of a node's or an edge's "attributes"
// (graphology) or "metadata" (JSON Graph Format) object into its own, so
// that a label or a position there is read as one; its own fields win.
func flatten(obj map[string]json.RawMessage) {
	for _, k := range []string{"attributes", "metadata"} {
		raw, ok := obj[k]
		if !ok {
			continue
		}
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) != nil || inner == nil {
			continue
		}
		delete(obj, k)
		for ik, v := range inner {
			if _, own := obj[ik]; !own {
				obj[ik] = v
			}
		}
	}
}

// mixed refuses a second source of nodes or edges: a document is in one
// dialect, and reading two would mean guessing how they meet.
func (p *jsonReader) mixed(path string, elements bool) error {
	other := ""
	switch {
	case p.elements:
		other = "elements"
	case elements && p.nodesPath != "":
		other = p.nodesPath
	case elements && p.linksPath != "":
		other = p.linksPath
	default:
		return nil
	}
	return fmt.Errorf("%q given with %q: a document holds Cytoscape's elements, or nodes and links, not both", path, other)
}

func (p *jsonReader) nodeArray(path string) error {
	if err := p.mixed(path, false); err != nil {
		return err
	}
	if p.nodesPath != "" {
		return fmt.Errorf("%q given twice", "nodes")
	}
	p.nodesPath = path
	return eachElement(p.dec, path, func(i int, raw json.RawMessage) error {
		return p.nodeLinkNode(raw, fmt.Sprintf("%s[%d]", path, i), i)
	})
}

func (p *jsonReader) linkArray(path, key string) error {
	if err := p.mixed(path, false); err != nil {
		return err
	}
	if p.linksPath != "" {
		if p.adjacency {
			return fmt.Errorf("both %q and %q given; use one", p.linksPath, path)
		}
		return fmt.Errorf(`both "links" and "edges" given (or one twice); use one`)
	}
	p.linksPath = path
	return eachElement(p.dec, path, func(i int, raw json.RawMessage) error {
		where := fmt.Sprintf("%s[%d]", path, i)
		if err := p.roomForLink(key, p.lim.MaxEdges); err != nil {
			return err
		}
		obj, err := object(raw, where)
		if err != nil {
			return err
		}
		flatten(obj)
		op := graph.Op{Op: graph.AddEdge}
		at := jsonLinkAt{at: i}
		if op.Source, at.source, err = linkEnd(obj, "source", where); err != nil {
			return err
		}
		if op.Target, at.target, err = linkEnd(obj, "target", where); err != nil {
			return err
		}
		if err := jsonEdgeID(obj, where, &op); err != nil {
			return err
		}
		if err := jsonEdgeFields(obj, where, &op, []string{"label"}, []string{"weight", "value"}); err != nil {
			return err
		}
		p.links, p.linkAt = append(p.links, op), append(p.linkAt, at)
		return nil
	})
}

func (p *jsonReader) roomForNode() error {
	if len(p.nodes) >= p.lim.MaxNodes {
		return fmt.Errorf("more than %d nodes; the limit is %d (system.import.maxNodes): %w", p.lim.MaxNodes, p.lim.MaxNodes, ErrLimit)
	}
	return nil
}

func (p *jsonReader) roomForLink(what string, limit int) error {
	if len(p.links) >= limit {
		return fmt.Errorf("more than %d %s; the limit is %d (system.import.maxEdges): %w", limit, what, p.lim.MaxEdges, ErrLimit)
	}
	return nil
}

// nodeLinkNode reads a node of node-link JSON, which has an id, or (d3 v3)
// none, when its index is its id.
func (p *jsonReader) nodeLinkNode(raw json.RawMessage, where string, i int) error {
	if err := p.roomForNode(); err != nil {
		return err
	}
	obj, err := object(raw, where)
	if err != nil {
		return err
	}
	flatten(obj)
	_, hasID := obj["id"]
	if p.ids == jsonIDsUnknown {
		p.ids, p.firstNode, p.idKey = jsonIDsGiven, where, "id"
		if _, hasKey := obj["key"]; !hasID && hasKey {
			p.idKey = "key" // graphology's
		} else if !hasID {
			p.ids = jsonIDsNone
		}
	}
	var id string
	switch {
	case p.ids == jsonIDsNone && hasID:
		return fmt.Errorf("%s: has an \"id\" but %s has none: give every node an id, or none (and links name nodes by index)", where, p.firstNode)
	case p.ids == jsonIDsNone:
		id = strconv.Itoa(len(p.nodes))
	default:
		if id, err = p.nodeID(obj, p.idKey, where); err != nil {
			return err
		}
	}
	op, err := p.node(id, where, i)
	if err != nil {
		return err
	}
	if op.Label, err = jsonLabel(obj, where, "label", "name"); err != nil {
		return err
	}
	if pos, ok, err := position(obj, where, where+".position"); err != nil {
		return err
	} else if ok {
		op.Position = &pos
	}
	if op.Metadata, err = metadata(obj, where); err != nil {
		return err
	}
	p.nodes = append(p.nodes, op)
	return nil
}

// nodeID takes a node's id (string or integer) out of obj.
func (p *jsonReader) nodeID(obj map[string]json.RawMessage, k, where string) (string, error) {
	raw, ok := obj[k]
	if !ok {
		return "", fmt.Errorf("%s: %q is missing", where, k)
	}
	delete(obj, k)
	id, r, ok := jsonID(raw)
	if !ok {
		return "", fmt.Errorf("%s.%s: must be a string or an integer, got %s", where, k, short(raw))
	}
	p.intIDs = p.intIDs || r == jsonRefInt
	return id, nil
}

// node starts the add of a node whose id is id, checking that id.
func (p *jsonReader) node(id, where string, i int) (graph.Op, error) {
	if err := graph.ValidateID(where+".id", id); err != nil {
		return graph.Op{}, err
	}
	if prev, dup := p.seen[id]; dup {
		arr, _, _ := strings.Cut(where, "[")
		return graph.Op{}, fmt.Errorf("%s.id: %q is also the id of %s[%d]", where, id, arr, prev)
	}
	p.seen[id] = i
	return graph.Op{Op: graph.AddNode, ID: id}, nil
}

// adjacencyArray reads networkx's adjacency_data lists: the i-th holds the
// edges out of the i-th node, each naming its target by "id".
func (p *jsonReader) adjacencyArray(path string) error {
	if err := p.mixed(path, false); err != nil {
		return err
	}
	if p.linksPath != "" {
		return fmt.Errorf("both %q and %q given; use one", p.linksPath, path)
	}
	p.linksPath, p.adjacency = path, true
	if err := expectDelim(p.dec, '[', strconv.Quote(path)); err != nil {
		return err
	}
	// An undirected graph lists each edge twice, so until the document
	// has said it is directed, twice the limit may be read; the edges
	// left once the copies are dropped are held to the limit itself.
	limit, what := 2*p.lim.MaxEdges, path+" entries (an undirected graph lists each edge twice)"
	if p.directed != nil && *p.directed {
		limit, what = p.lim.MaxEdges, path+" entries"
	}
	for i := 0; p.dec.More(); i++ {
		row := fmt.Sprintf("%s[%d]", path, i)
		err := eachElement(p.dec, row, func(j int, raw json.RawMessage) error {
			where := fmt.Sprintf("%s[%d]", row, j)
			if err := p.roomForLink(what, limit); err != nil {
				return err
			}
			obj, err := object(raw, where)
			if err != nil {
				return err
			}
			op := graph.Op{Op: graph.AddEdge, Source: strconv.Itoa(i)}
			at := jsonLinkAt{at: j, source: jsonRefIndex}
			if op.Target, at.target, err = linkEnd(obj, "id", where); err != nil {
				return err
			}
			if err := jsonEdgeFields(obj, where, &op, []string{"label"}, []string{"weight", "value"}); err != nil {
				return err
			}
			p.links, p.linkAt = append(p.links, op), append(p.linkAt, at)
			return nil
		})
		if err != nil {
			return err
		}
		p.adjRows = i + 1
	}
	_, err := p.dec.Token() // the closing bracket
	return err
}

// elementsValue reads Cytoscape's "elements": {"nodes": [...], "edges":
// [...]}, or one array of both.
func (p *jsonReader) elementsValue(path string) error {
	if err := p.mixed(path, true); err != nil {
		return err
	}
	p.elements = true
	tok, err := p.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		p.linksPath = path
		for k := 0; p.dec.More(); k++ {
			var raw json.RawMessage
			if err := p.dec.Decode(&raw); err != nil {
				return fmt.Errorf("%s[%d]: %w", path, k, err)
			}
			if err := p.element(raw, path, k, ""); err != nil {
				return err
			}
		}
		_, err := p.dec.Token()
		return err
	case json.Delim('{'):
		var haveNodes, haveEdges bool
		for p.dec.More() {
			tok, err := p.dec.Token()
			if err != nil {
				return err
			}
			group, _ := tok.(string)
			arr := path + "." + group
			var have *bool
			switch group {
			case "nodes":
				have = &haveNodes
			case "edges":
				have, p.linksPath = &haveEdges, arr
			default:
				p.skipped(arr)
				if err := jsonSkip(p.dec); err != nil {
					return err
				}
				continue
			}
			if *have {
				return fmt.Errorf("%q given twice", arr)
			}
			*have = true
			err = eachElement(p.dec, arr, func(k int, raw json.RawMessage) error {
				return p.element(raw, arr, k, group)
			})
			if err != nil {
				return err
			}
		}
		_, err := p.dec.Token()
		return err
	}
	return fmt.Errorf("%q must be an array of elements, or an object of \"nodes\" and \"edges\"", path)
}

// cytoscapeViewKeys are an element's state in a Cytoscape view, which a
// graph here does not keep, nor need to be told about.
var cytoscapeViewKeys = map[string]bool{"selected": true, "selectable": true, "locked": true, "grabbable": true, "pannable": true, "removed": true, "renderedPosition": true, "scratch": true}

// element reads a Cytoscape element of arr; group is "nodes" or "edges"
// when arr says which it is.
func (p *jsonReader) element(raw json.RawMessage, arr string, k int, group string) error {
	where := fmt.Sprintf("%s[%d]", arr, k)
	obj, err := object(raw, where)
	if err != nil {
		return err
	}
	dataRaw, ok := obj["data"]
	if !ok {
		return fmt.Errorf("%s: \"data\" is missing", where)
	}
	data, err := object(dataRaw, where+".data")
	if err != nil {
		return err
	}
	if group == "" {
		var g string
		if json.Unmarshal(obj["group"], &g) == nil && (g == "nodes" || g == "edges") {
			group = g
		} else if _, src := data["source"]; src {
			group = "edges"
		} else {
			group = "nodes"
		}
	}
	if c, ok := obj["classes"]; ok {
		switch string(bytes.TrimSpace(c)) {
		case `""`, `[]`, `null`: // cy.json() writes these for every element
		default:
			if _, taken := data["classes"]; !taken {
				data["classes"] = c
			}
		}
	}
	posRaw, hasPos := obj["position"]
	for _, key := range slices.Sorted(maps.Keys(obj)) { // sorted: warnings the same each time
		if key != "data" && key != "group" && key != "classes" && key != "position" && !cytoscapeViewKeys[key] {
			p.skipped(arr + "[]." + key)
		}
	}
	if group == "edges" {
		if err := p.roomForLink("edges", p.lim.MaxEdges); err != nil {
			return err
		}
		where += ".data"
		op := graph.Op{Op: graph.AddEdge}
		at := jsonLinkAt{at: k}
		if op.Source, at.source, err = linkEnd(data, "source", where); err != nil {
			return err
		}
		if op.Target, at.target, err = linkEnd(data, "target", where); err != nil {
			return err
		}
		if err := jsonEdgeID(data, where, &op); err != nil {
			return err
		}
		if err := jsonEdgeFields(data, where, &op, []string{"label", "name"}, []string{"weight"}); err != nil {
			return err
		}
		p.links, p.linkAt = append(p.links, op), append(p.linkAt, at)
		return nil
	}
	if err := p.roomForNode(); err != nil {
		return err
	}
	p.ids = jsonIDsGiven
	id, err := p.nodeID(data, "id", where+".data")
	if err != nil {
		return err
	}
	op, err := p.node(id, where+".data", k)
	if err != nil {
		return err
	}
	if op.Label, err = jsonLabel(data, where+".data", "label", "name"); err != nil {
		return err
	}
	if hasPos && !bytes.Equal(bytes.TrimSpace(posRaw), []byte("null")) {
		pos, err := object(posRaw, where+".position")
		if err != nil {
			return err
		}
		v, ok, err := position(pos, where+".position", where+".position")
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s.position: must have x and y", where)
		}
		op.Position = &v
	}
	if op.Metadata, err = metadata(data, where+".data"); err != nil {
		return err
	}
	p.nodes = append(p.nodes, op)
	return nil
}

// finish checks what was read as a whole and resolves the links' ends.
func (p *jsonReader) finish() error {
	if p.nodesPath == "" && p.linksPath == "" && !p.elements {
		return p.noGraph()
	}
	if !p.elements && p.nodesPath == "" {
		return fmt.Errorf(`no "nodes" array: %q name nodes that are not given`, p.linksPath)
	}
	if p.ids == jsonIDsNone && len(p.links) == 0 {
		// Without links, nothing shows the nodes are meant to be known by
		// their place: an id under another name is the likelier mistake.
		return fmt.Errorf("%s: \"id\" is missing (nodes without ids are d3 v3's, known by their index in %q, but no link names one)", p.firstNode, p.nodesPath)
	}
	if p.adjacency && p.adjRows > len(p.nodes) {
		return fmt.Errorf("%q has %d lists but there are %d nodes: %s[i] lists the edges out of nodes[i]", p.linksPath, p.adjRows, len(p.nodes), p.linksPath)
	}
	for i := range p.links {
		op, at := &p.links[i], p.linkAt[i]
		var err error
		// The target first: an adjacency's source is its place, which
		// names the link in an error.
		if op.Target, err = p.resolve(op.Target, at.target, i, "target"); err != nil {
			return err
		}
		if op.Source, err = p.resolve(op.Source, at.source, i, "source"); err != nil {
			return err
		}
	}
	if p.idKey == "key" {
		// graphology's edges, like its nodes, are known by their key.
		for i := range p.links {
			op := &p.links[i]
			if key := op.Metadata["key"]; key != nil && op.ID == "" {
				where := p.linkWhere(i) + ".key"
				if err := graph.ValidateID(where, *key); err != nil {
					return err
				}
				op.ID = *key
				delete(op.Metadata, "key")
			}
		}
	}
	undirected := p.directed != nil && !*p.directed
	if p.adjacency && undirected {
		p.links = jsonOnceEach(p.links)
	}
	if len(p.links) > p.lim.MaxEdges {
		return fmt.Errorf("%d edges; the limit is %d (system.import.maxEdges): %w", len(p.links), p.lim.MaxEdges, ErrLimit)
	}
	switch {
	case p.adjacency && undirected:
		p.warn("the graph is undirected: each edge, listed under both its ends, is kept once, from the end listed first")
	case undirected:
		p.warn("the graph is undirected: each edge is kept as written, from source to target")
	}
	if p.byIndex != "" {
		p.warn("link ends that are integers but no node's id were taken as indexes into %q, as d3 v3 writes them (%s the first)", p.nodesPath, p.byIndex)
	}
	if len(p.unused) > 0 {
		p.warn("skipped, as the reader does not use them: %s", jsonListed(p.unused))
	}
	if p.imp.Name == "" {
		p.imp.Name = p.graphName
	}
	p.imp.Ops = append(p.nodes, p.links...)
	p.imp.Nodes, p.imp.Edges = len(p.nodes), len(p.links)
	return nil
}

func (p *jsonReader) warn(format string, args ...any) {
	p.imp.Warnings = append(p.imp.Warnings, fmt.Sprintf(format, args...))
}

// jsonListed quotes keys for a message, up to jsonMaxListed of them.
func jsonListed(keys []string) string {
	q := make([]string, 0, min(len(keys), jsonMaxListed))
	for _, k := range keys[:min(len(keys), jsonMaxListed)] {
		q = append(q, strconv.Quote(k))
	}
	s := strings.Join(q, ", ")
	if len(keys) > jsonMaxListed {
		s += " and more"
	}
	return s
}

func (p *jsonReader) noGraph() error {
	found := "an empty object"
	if len(p.found) > 0 {
		found = jsonListed(p.found)
	}
	hint := ""
	if slices.Contains(p.found, "children") {
		hint = "; a tree (networkx's tree_data) is not read: write the graph with node_link_data"
	}
	return fmt.Errorf(`no graph: expected "nodes" (with "links" or "edges"), "elements" (Cytoscape) or "adjacency" (networkx), found %s%s`, found, hint)
}

// linkWhere names a link for an error, from where it was read.
func (p *jsonReader) linkWhere(i int) string {
	op, at := p.links[i], p.linkAt[i]
	if p.adjacency {
		return fmt.Sprintf("%s[%s][%d]", p.linksPath, op.Source, at.at)
	}
	if p.elements {
		return fmt.Sprintf("%s[%d].data", p.linksPath, at.at)
	}
	return fmt.Sprintf("%s[%d]", p.linksPath, at.at)
}

// resolve turns an end of the i-th link into its node's id.
func (p *jsonReader) resolve(v string, r jsonRef, i int, end string) (string, error) {
	at := func(n int) (string, error) {
		if n < 0 || n >= len(p.nodes) {
			return "", fmt.Errorf("%s.%s: there is no node at index %s (%q holds %d): %w", p.linkWhere(i), end, v, p.nodesPath, len(p.nodes), graph.ErrDangling)
		}
		return p.nodes[n].ID, nil
	}
	index := func() (string, error) {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1
		}
		return at(n)
	}
	switch {
	case r == jsonRefIndex || (r == jsonRefInt && p.ids == jsonIDsNone):
		return index()
	case r == jsonRefString && p.ids == jsonIDsNone:
		if p.labels == nil {
			p.labels = make(map[string]int, len(p.nodes))
			for n, op := range p.nodes {
				if op.Label == nil {
					continue
				}
				if _, dup := p.labels[*op.Label]; dup {
					p.labels[*op.Label] = -1
				} else {
					p.labels[*op.Label] = n
				}
			}
		}
		n, ok := p.labels[v]
		if !ok || n < 0 {
			how := "no node is named"
			if ok {
				how = "more than one node is named"
			}
			return "", fmt.Errorf("%s.%s: %s %q (the nodes have no ids: a link names one by its index, or by a name no other node has): %w", p.linkWhere(i), end, how, v, graph.ErrDangling)
		}
		return at(n)
	}
	if _, ok := p.seen[v]; ok {
		return v, nil
	}
	if r == jsonRefInt && !p.intIDs {
		// No node has an integer id, so an integer end can only be an
		// index: d3 v3 links, whatever the nodes' own fields.
		if id, err := index(); err == nil {
			if p.byIndex == "" {
				p.byIndex = p.linkWhere(i) + "." + end
			}
			return id, nil
		}
	}
	return "", fmt.Errorf("%s: node %q is not among the nodes: %w", p.linkWhere(i), v, graph.ErrDangling)
}

// onceEach drops the second listing of each edge of an undirected
// adjacency: the same two ends (either way round), and the same key
// where the graph has parallel edges.
func jsonOnceEach(links []graph.Op) []graph.Op {
	seen := make(map[[3]string]bool, len(links)/2)
	out := links[:0]
	for _, op := range links {
		a, b := op.Source, op.Target
		if b < a {
			a, b = b, a
		}
		k := [3]string{a, b}
		if key := op.Metadata["key"]; key != nil {
			k[2] = *key
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, op)
		}
	}
	clear(links[len(out):]) // let what is dropped go
	return out
}

// expectDelim reads the next token, which must be delim.
func expectDelim(dec *json.Decoder, delim json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != delim {
		return fmt.Errorf("%s must start with %q, not %v", what, string(delim), tok)
	}
	return nil
}

// eachElement calls fn with each element of the array that comes next.
func eachElement(dec *json.Decoder, name string, fn func(i int, raw json.RawMessage) error) error {
	if err := expectDelim(dec, '[', fmt.Sprintf("%q", name)); err != nil {
		return err
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s[%d]: %w", name, i, err)
		}
		if err := fn(i, raw); err != nil {
			return err
		}
	}
	_, err := dec.Token() // the closing bracket
	return err
}

// idValue reads an id: a string, or an integer as its decimal text.
func jsonID(raw json.RawMessage) (string, jsonRef, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, jsonRefString, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
			return n.String(), jsonRefInt, true
		}
	}
	return "", 0, false
}

// end takes a link end out of obj: an id, an index, or (as d3 saves links
// after a simulation) the node object itself.
func linkEnd(obj map[string]json.RawMessage, k, where string) (string, jsonRef, error) {
	raw, ok := obj[k]
	if !ok {
		return "", 0, fmt.Errorf("%s: %q is missing", where, k)
	}
	delete(obj, k)
	if v, r, ok := jsonID(raw); ok {
		return v, r, nil
	}
	var node map[string]json.RawMessage
	if json.Unmarshal(raw, &node) == nil && node != nil {
		if id, ok := node["id"]; ok {
			if v, r, ok := jsonID(id); ok {
				return v, r, nil
			}
			return "", 0, fmt.Errorf("%s.%s.id: must be a string or an integer, got %s", where, k, short(id))
		}
		if ix, ok := node["index"]; ok {
			if v, r, ok := jsonID(ix); ok && r == jsonRefInt {
				return v, jsonRefIndex, nil
			}
			return "", 0, fmt.Errorf("%s.%s.index: must be an integer, got %s", where, k, short(ix))
		}
		return "", 0, fmt.Errorf("%s.%s: a node given whole needs its \"id\" or \"index\"", where, k)
	}
	return "", 0, fmt.Errorf("%s.%s: must be a string, an integer or a node, got %s", where, k, short(raw))
}

// edgeID takes an edge's own id, if it has one, out of obj.
func jsonEdgeID(obj map[string]json.RawMessage, where string, op *graph.Op) error {
	raw, ok := obj["id"]
	if !ok {
		return nil
	}
	delete(obj, "id")
	id, _, ok := jsonID(raw)
	if !ok {
		return fmt.Errorf("%s.id: must be a string or an integer, got %s", where, short(raw))
	}
	if id == "" {
		return nil // no id: the graph gives it one
	}
	if err := graph.ValidateID(where+".id", id); err != nil {
		return err
	}
	op.ID = id
	return nil
}

// edgeFields takes an edge's label and weight out of obj (the first of
// each list of keys that is there), and makes the rest its metadata.
func jsonEdgeFields(obj map[string]json.RawMessage, where string, op *graph.Op, labelKeys, weightKeys []string) error {
	for _, k := range weightKeys {
		if v, ok := obj[k]; ok && op.Weight == nil {
			w, err := number(v, where+"."+k)
			if err != nil {
				return err
			}
			if err := graph.ValidateWeight(where+"."+k, float32(w)); err != nil {
				return err
			}
			op.Weight = new(float32(w))
			delete(obj, k)
		}
	}
	var err error
	if op.Label, err = jsonLabel(obj, where, labelKeys...); err != nil {
		return err
	}
	op.Metadata, err = metadata(obj, where)
	return err
}

// takeLabel takes the first of keys that obj has out of it, as a label.
func jsonLabel(obj map[string]json.RawMessage, where string, keys ...string) (*string, error) {
	for _, k := range keys {
		if v, ok := obj[k]; ok {
			s, err := text(v, where+"."+k)
			if err != nil {
				return nil, err
			}
			if err := graph.ValidateLabel(where+"."+k, s); err != nil {
				return nil, err
			}
			delete(obj, k)
			return &s, nil
		}
	}
	return nil, nil
}

func object(raw json.RawMessage, where string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%s: must be an object, got %s", where, short(raw))
	}
	return obj, nil
}

func text(raw json.RawMessage, where string) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: must be a string, got %s", where, short(raw))
	}
	return s, nil
}

func number(raw json.RawMessage, where string) (float64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s: must be a finite number, got %s", where, short(raw))
	}
	return f, nil
}

// position takes x, y and z out of obj when it has x and y: layouts in
// the plane (d3's, Cytoscape's) give no z, and their nodes lie at z 0.
// A null coordinate is none, as d3 writes an unfixed fx.
func position(obj map[string]json.RawMessage, where, field string) (graph.Vec3, bool, error) {
	given := func(k string) bool {
		v, ok := obj[k]
		return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
	}
	if !given("x") || !given("y") {
		return graph.Vec3{}, false, nil
	}
	var c [3]float32
	for i, k := range []string{"x", "y", "z"} {
		if !given(k) {
			continue
		}
		f, err := number(obj[k], where+"."+k)
		if err != nil {
			return graph.Vec3{}, false, err
		}
		c[i] = float32(f)
		delete(obj, k)
	}
	p := graph.Vec3{X: c[0], Y: c[1], Z: c[2]}
	if err := graph.ValidateVec(field, p); err != nil {
		return graph.Vec3{}, false, err
	}
	return p, true, nil
}

// metadata turns the remaining fields into text metadata.
func metadata(obj map[string]json.RawMessage, where string) (map[string]*string, error) {
	if len(obj) == 0 {
		return nil, nil
	}
	md := make(map[string]*string, len(obj))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		raw := bytes.TrimSpace(obj[k])
		if bytes.Equal(raw, []byte("null")) {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", where, k, err)
			}
			s = buf.String()
		}
		md[unmeta(k)] = &s
	}
	plain := make(map[string]string, len(md))
	for k, v := range md {
		plain[k] = *v
	}
	if err := graph.ValidateMetadata(where+".metadata", plain); err != nil {
		return nil, err
	}
	return md, nil
}

func short(raw []byte) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
