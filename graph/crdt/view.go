package crdt

import (
	"encoding/json"
	"maps"
	"slices"

	"visionflow/graph"
)

// View is the graph the replica stands for: live nodes, and live edges whose
// ends are live, sorted by id. Wire ids, velocities and the graph's info are
// the replica's own and not part of it.
func (d *Doc) View() graph.Contents {
	var c graph.Contents
	for _, id := range slices.Sorted(maps.Keys(d.nodes)) {
		if !d.alive(true, id) {
			continue
		}
		e := d.nodes[id]
		n := graph.Node{ID: id}
		e.get(FieldLabel, &n.Label)
		e.get(FieldPosition, &n.Position)
		e.get(FieldType, &n.Type)
		e.get(FieldPinned, &n.Pinned)
		n.Metadata = e.meta()
		c.Nodes = append(c.Nodes, n)
	}
	for _, id := range slices.Sorted(maps.Keys(d.edges)) {
		if !d.alive(false, id) {
			continue
		}
		e := d.edges[id]
		ed := graph.Edge{ID: id, Weight: 1}
		e.get("source", &ed.Source)
		e.get("target", &ed.Target)
		e.get(FieldLabel, &ed.Label)
		e.get(FieldWeight, &ed.Weight)
		ed.Metadata = e.meta()
		c.Edges = append(c.Edges, ed)
	}
	return c
}

func (e *elem) get(field string, into any) {
	if r, ok := e.regs[field]; ok {
		json.Unmarshal(r.Value, into)
	}
}

func (e *elem) meta() map[string]string {
	var out map[string]string
	for f, r := range e.regs {
		key, ok := cutMeta(f)
		if !ok {
			continue
		}
		var v *string
		if json.Unmarshal(r.Value, &v) == nil && v != nil {
			if out == nil {
				out = map[string]string{}
			}
			out[key] = *v
		}
	}
	return out
}

func cutMeta(field string) (string, bool) {
	if len(field) > len(MetaPrefix) && field[:len(MetaPrefix)] == MetaPrefix {
		return field[len(MetaPrefix):], true
	}
	return "", false
}

// Canonical encodes the view: two replicas that hold the same graph give
// the same bytes.
func (d *Doc) Canonical() []byte {
	b, _ := json.Marshal(d.View()) // maps encode with sorted keys
	return b
}

// State encodes everything the replica holds but its log and what it heard
// of others, canonically: two replicas that saw the same ops give the same
// bytes, whatever the order they saw them in.
func (d *Doc) State() []byte {
	type el struct {
		ID      string         `json:"id"`
		Adds    []Stamp        `json:"adds"`
		Removed []Stamp        `json:"removed"`
		Regs    map[string]reg `json:"regs"`
	}
	enc := func(m map[string]*elem) []el {
		var out []el
		for _, id := range slices.Sorted(maps.Keys(m)) {
			e := m[id]
			out = append(out, el{id, slices.SortedFunc(maps.Keys(e.adds), Stamp.Compare), slices.SortedFunc(maps.Keys(e.removed), Stamp.Compare), e.regs})
		}
		return out
	}
	b, _ := json.Marshal(struct {
		Nodes []el `json:"nodes"`
		Edges []el `json:"edges"`
		Seen  VV   `json:"seen"`
	}{enc(d.nodes), enc(d.edges), d.seen})
	return b
}
