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
func NodeLink(r io.Reader) (*Import, error) {
	var doc struct {
		Name  string            `json:"name"`
		Nodes []json.RawMessage `json:"nodes"`
		Links []json.RawMessage `json:"links"`
		Edges []json.RawMessage `json:"edges"`
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("node-link JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("node-link JSON: unexpected data after the top-level object")
	}
	if doc.Nodes == nil {
		return nil, fmt.Errorf(`node-link JSON: no "nodes" array`)
	}
	if doc.Links != nil && doc.Edges != nil {
		return nil, fmt.Errorf(`node-link JSON: both "links" and "edges" given; use one`)
	}
	links := doc.Links
	linksName := "links"
	if doc.Edges != nil {
		links, linksName = doc.Edges, "edges"
	}
	imp := &Import{Name: doc.Name, Type: graph.Knowledge}
	seen := make(map[string]int, len(doc.Nodes))
	for i, raw := range doc.Nodes {
		where := fmt.Sprintf("nodes[%d]", i)
		obj, err := object(raw, where)
		if err != nil {
			return nil, err
		}
		id, err := idField(obj, "id", where)
		if err != nil {
			return nil, err
		}
		if err := graph.ValidateID(where+".id", id); err != nil {
			return nil, err
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s.id: %q is also the id of nodes[%d]", where, id, prev)
		}
		seen[id] = i
		op := graph.Op{Op: graph.AddNode, ID: id}
		for _, k := range []string{"label", "name"} {
			if v, ok := obj[k]; ok && op.Label == nil {
				s, err := text(v, where+"."+k)
				if err != nil {
					return nil, err
				}
				op.Label = &s
				delete(obj, k)
			}
		}
		if pos, ok, err := position(obj, where); err != nil {
			return nil, err
		} else if ok {
			op.Position = &pos
		}
		if op.Metadata, err = metadata(obj, where); err != nil {
			return nil, err
		}
		imp.Ops = append(imp.Ops, op)
	}
	imp.Nodes = len(imp.Ops)
	for i, raw := range links {
		where := fmt.Sprintf("%s[%d]", linksName, i)
		obj, err := object(raw, where)
		if err != nil {
			return nil, err
		}
		op := graph.Op{Op: graph.AddEdge}
		if op.Source, err = idField(obj, "source", where); err != nil {
			return nil, err
		}
		if op.Target, err = idField(obj, "target", where); err != nil {
			return nil, err
		}
		for _, end := range []string{op.Source, op.Target} {
			if _, ok := seen[end]; !ok {
				return nil, fmt.Errorf("%s: node %q is not among the nodes: %w", where, end, graph.ErrDangling)
			}
		}
		if _, ok := obj["id"]; ok {
			if op.ID, err = idField(obj, "id", where); err != nil {
				return nil, err
			}
		}
		for _, k := range []string{"weight", "value"} {
			if v, ok := obj[k]; ok && op.Weight == nil {
				w, err := number(v, where+"."+k)
				if err != nil {
					return nil, err
				}
				if err := graph.ValidateWeight(where+"."+k, float32(w)); err != nil {
					return nil, err
				}
				op.Weight = new(float32(w))
				delete(obj, k)
			}
		}
		if v, ok := obj["label"]; ok {
			s, err := text(v, where+".label")
			if err != nil {
				return nil, err
			}
			op.Label = &s
			delete(obj, "label")
		}
		if op.Metadata, err = metadata(obj, where); err != nil {
			return nil, err
		}
		imp.Ops = append(imp.Ops, op)
	}
	imp.Edges = len(imp.Ops) - imp.Nodes
	return imp, nil
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
		md[k] = &s
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
