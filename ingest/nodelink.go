package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"

	"visionflow/graph"
)

// NodeLink reads node-link JSON as written by d3, networkx and many tools:
//
//	{"nodes": [{"id": "a", "label": "A", "x": 1, "y": 2, "z": 3, ...}],
//	 "links": [{"source": "a", "target": "b", "weight": 2, "label": "cites", ...}]}
//
// "edges" is accepted for "links", "name" for "label", "value" for
// "weight"; ids may be strings or integers. Any other field of a node or
// link becomes metadata (numbers and booleans as text, objects and arrays as
// JSON). A node with x, y and z keeps that position.
func NodeLink(r io.Reader) (*Import, error) { return NodeLinkWithin(r, DefaultLimits) }

// NodeLinkWithin reads node-link JSON, refusing (with ErrLimit and the
// setting's name) more than lim.MaxNodes nodes or lim.MaxEdges links. The
// document is read as a stream, one node or link at a time, so memory
// follows the graph it makes rather than the size of the text, and a
// document past a limit is refused as soon as the limit is passed.
func NodeLinkWithin(r io.Reader, lim Limits) (*Import, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := expectDelim(dec, '{', "the document"); err != nil {
		return nil, err
	}
	imp := &Import{Type: graph.Knowledge}
	seen := map[string]int{}
	var nodes, links []graph.Op
	var haveNodes, haveLinks bool
	linksName := "links"
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("node-link JSON: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "name":
			var name string
			if err := dec.Decode(&name); err != nil {
				return nil, fmt.Errorf(`node-link JSON: "name" must be a string: %w`, err)
			}
			imp.Name = name
		case "nodes":
			if haveNodes {
				return nil, fmt.Errorf(`node-link JSON: "nodes" given twice`)
			}
			haveNodes = true
			err = eachElement(dec, "nodes", func(i int, raw json.RawMessage) error {
				if len(nodes) >= lim.MaxNodes {
					return fmt.Errorf("node-link JSON: more than %d nodes; the limit is %d (system.import.maxNodes): %w", lim.MaxNodes, lim.MaxNodes, ErrLimit)
				}
				op, err := nodeOp(raw, fmt.Sprintf("nodes[%d]", i), seen, i)
				if err == nil {
					nodes = append(nodes, op)
				}
				return err
			})
		case "links", "edges":
			if haveLinks {
				return nil, fmt.Errorf(`node-link JSON: both "links" and "edges" given (or one twice); use one`)
			}
			haveLinks, linksName = true, key
			err = eachElement(dec, key, func(i int, raw json.RawMessage) error {
				if len(links) >= lim.MaxEdges {
					return fmt.Errorf("node-link JSON: more than %d %s; the limit is %d (system.import.maxEdges): %w", lim.MaxEdges, key, lim.MaxEdges, ErrLimit)
				}
				op, err := linkOp(raw, fmt.Sprintf("%s[%d]", key, i))
				if err == nil {
					links = append(links, op)
				}
				return err
			})
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("node-link JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("node-link JSON: unexpected data after the top-level object")
	}
	if !haveNodes {
		return nil, fmt.Errorf(`node-link JSON: no "nodes" array`)
	}
	// Links may come before the nodes in the document: their ends are
	// checked once every node is known.
	for i, op := range links {
		for _, end := range []string{op.Source, op.Target} {
			if _, ok := seen[end]; !ok {
				return nil, fmt.Errorf("%s[%d]: node %q is not among the nodes: %w", linksName, i, end, graph.ErrDangling)
			}
		}
	}
	imp.Ops = append(nodes, links...)
	imp.Nodes, imp.Edges = len(nodes), len(links)
	return imp, nil
}

// expectDelim reads the next token, which must be delim.
func expectDelim(dec *json.Decoder, delim json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("node-link JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != delim {
		return fmt.Errorf("node-link JSON: %s must start with %q, not %v", what, string(delim), tok)
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
			return fmt.Errorf("node-link JSON: %s[%d]: %w", name, i, err)
		}
		if err := fn(i, raw); err != nil {
			return err
		}
	}
	_, err := dec.Token() // the closing bracket
	if err != nil {
		return fmt.Errorf("node-link JSON: %w", err)
	}
	return nil
}

// nodeOp turns one node object into an add, recording its id in seen.
func nodeOp(raw json.RawMessage, where string, seen map[string]int, i int) (graph.Op, error) {
	obj, err := object(raw, where)
	if err != nil {
		return graph.Op{}, err
	}
	id, err := idField(obj, "id", where)
	if err != nil {
		return graph.Op{}, err
	}
	if err := graph.ValidateID(where+".id", id); err != nil {
		return graph.Op{}, err
	}
	if prev, dup := seen[id]; dup {
		return graph.Op{}, fmt.Errorf("%s.id: %q is also the id of nodes[%d]", where, id, prev)
	}
	seen[id] = i
	op := graph.Op{Op: graph.AddNode, ID: id}
	for _, k := range []string{"label", "name"} {
		if v, ok := obj[k]; ok && op.Label == nil {
			s, err := text(v, where+"."+k)
			if err != nil {
				return graph.Op{}, err
			}
			op.Label = &s
			delete(obj, k)
		}
	}
	if pos, ok, err := position(obj, where); err != nil {
		return graph.Op{}, err
	} else if ok {
		op.Position = &pos
	}
	if op.Metadata, err = metadata(obj, where); err != nil {
		return graph.Op{}, err
	}
	return op, nil
}

// linkOp turns one link object into an add (its ends checked later).
func linkOp(raw json.RawMessage, where string) (graph.Op, error) {
	obj, err := object(raw, where)
	if err != nil {
		return graph.Op{}, err
	}
	op := graph.Op{Op: graph.AddEdge}
	if op.Source, err = idField(obj, "source", where); err != nil {
		return graph.Op{}, err
	}
	if op.Target, err = idField(obj, "target", where); err != nil {
		return graph.Op{}, err
	}
	if _, ok := obj["id"]; ok {
		if op.ID, err = idField(obj, "id", where); err != nil {
			return graph.Op{}, err
		}
	}
	for _, k := range []string{"weight", "value"} {
		if v, ok := obj[k]; ok && op.Weight == nil {
			w, err := number(v, where+"."+k)
			if err != nil {
				return graph.Op{}, err
			}
			if err := graph.ValidateWeight(where+"."+k, float32(w)); err != nil {
				return graph.Op{}, err
			}
			op.Weight = new(float32(w))
			delete(obj, k)
		}
	}
	if v, ok := obj["label"]; ok {
		s, err := text(v, where+".label")
		if err != nil {
			return graph.Op{}, err
		}
		op.Label = &s
		delete(obj, "label")
	}
	if op.Metadata, err = metadata(obj, where); err != nil {
		return graph.Op{}, err
	}
	return op, nil
}

func object(raw json.RawMessage, where string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%s: must be an object, got %s", where, short(raw))
	}
	return obj, nil
}

// idField takes an id (string or integer) out of obj.
func idField(obj map[string]json.RawMessage, k, where string) (string, error) {
	raw, ok := obj[k]
	if !ok {
		return "", fmt.Errorf("%s: %q is missing", where, k)
	}
	delete(obj, k)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		if _, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
			return n.String(), nil
		}
	}
	return "", fmt.Errorf("%s.%s: must be a string or an integer, got %s", where, k, short(raw))
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

// position takes x, y, z out of obj when all three are there.
func position(obj map[string]json.RawMessage, where string) (graph.Vec3, bool, error) {
	_, hasX := obj["x"]
	_, hasY := obj["y"]
	_, hasZ := obj["z"]
	if !hasX || !hasY || !hasZ {
		return graph.Vec3{}, false, nil
	}
	var c [3]float32
	for i, k := range []string{"x", "y", "z"} {
		f, err := number(obj[k], where+"."+k)
		if err != nil {
			return graph.Vec3{}, false, err
		}
		c[i] = float32(f)
		delete(obj, k)
	}
	p := graph.Vec3{X: c[0], Y: c[1], Z: c[2]}
	if err := graph.ValidateVec(where+".position", p); err != nil {
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
