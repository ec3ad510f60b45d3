package crdt

import (
	"fmt"
	"maps"
	"slices"

	"visionflow/graph"
)

// FromEvents turns events this replica committed into its ops and applies
// them, so that a remove observes the adds the replica held when it was
// made. Ops are numbered on from the replica's last.
func (d *Doc) FromEvents(evs []graph.Event) ([]Op, error) {
	var out []Op
	for _, ev := range evs {
		ops, err := d.opsOf(ev)
		if err != nil {
			return out, err
		}
		for _, op := range ops {
			op.Stamp = Stamp{T: ev.Time, Replica: d.Replica, N: d.seen[d.Replica] + 1}
			if err := d.Apply(op); err != nil {
				return out, err
			}
			out = append(out, op)
		}
	}
	return out, nil
}

func (d *Doc) opsOf(ev graph.Event) ([]Op, error) {
	set := func(kind Kind, id, field string, v any) Op {
		return Op{Kind: kind, ID: id, Field: field, Value: mustJSON(v)}
	}
	// metaOps sets the keys given and clears the keys held that are not
	// (a re-added node must not get back keys of its former life).
	metaOps := func(kind Kind, id string, held *elem, md map[string]string) []Op {
		var ops []Op
		for _, k := range slices.Sorted(maps.Keys(md)) {
			ops = append(ops, set(kind, id, MetaPrefix+k, md[k]))
		}
		if held != nil {
			for _, f := range slices.Sorted(maps.Keys(held.regs)) {
				if k, ok := cutMeta(f); ok {
					if _, given := md[k]; !given && string(held.regs[f].Value) != "null" {
						ops = append(ops, set(kind, id, f, nil))
					}
				}
			}
		}
		return ops
	}
	changed := func(kind Kind, id string, md map[string]*string) []Op {
		var ops []Op
		for _, k := range slices.Sorted(maps.Keys(md)) {
			ops = append(ops, set(kind, id, MetaPrefix+k, md[k]))
		}
		return ops
	}
	switch ev.Type {
	case graph.NodeAdded:
		n := ev.Node
		if n == nil {
			return nil, fmt.Errorf("event %d: NodeAdded without a node", ev.Seq)
		}
		ops := []Op{{Kind: AddNode, ID: n.ID}, set(SetNode, n.ID, FieldType, n.Type), set(SetNode, n.ID, FieldLabel, n.Label),
			set(SetNode, n.ID, FieldPinned, n.Pinned), set(SetNode, n.ID, FieldPosition, n.Position)}
		return append(ops, metaOps(SetNode, n.ID, d.nodes[n.ID], n.Metadata)...), nil
	case graph.NodeRemoved:
		id := ev.Subject()
		return []Op{{Kind: RemoveNode, ID: id, Observed: d.NodeTags(id)}}, nil
	case graph.NodeMoved:
		var ops []Op
		if ev.Position != nil {
			ops = append(ops, set(SetNode, ev.ID, FieldPosition, *ev.Position))
		}
		if ev.Pinned != nil {
			ops = append(ops, set(SetNode, ev.ID, FieldPinned, *ev.Pinned))
		}
		return ops, nil
	case graph.NodeUpdated:
		var ops []Op
		if ev.Label != nil {
			ops = append(ops, set(SetNode, ev.ID, FieldLabel, *ev.Label))
		}
		if ev.Pinned != nil {
			ops = append(ops, set(SetNode, ev.ID, FieldPinned, *ev.Pinned))
		}
		return append(ops, changed(SetNode, ev.ID, ev.Metadata)...), nil
	case graph.EdgeCreated:
		e := ev.Edge
		if e == nil {
			return nil, fmt.Errorf("event %d: EdgeCreated without an edge", ev.Seq)
		}
		ops := []Op{{Kind: AddEdge, ID: e.ID, Source: e.Source, Target: e.Target}, set(SetEdge, e.ID, FieldLabel, e.Label),
			set(SetEdge, e.ID, FieldWeight, e.Weight)}
		return append(ops, metaOps(SetEdge, e.ID, d.edges[e.ID], e.Metadata)...), nil
	case graph.EdgeDeleted:
		id := ev.Subject()
		return []Op{{Kind: RemoveEdge, ID: id, Observed: d.EdgeTags(id)}}, nil
	case graph.EdgeWeightChanged:
		if ev.Weight == nil {
			return nil, nil
		}
		return []Op{set(SetEdge, ev.ID, FieldWeight, *ev.Weight)}, nil
	case graph.EdgeUpdated:
		var ops []Op
		if ev.Label != nil {
			ops = append(ops, set(SetEdge, ev.ID, FieldLabel, *ev.Label))
		}
		return append(ops, changed(SetEdge, ev.ID, ev.Metadata)...), nil
	}
	return nil, fmt.Errorf("event %d: unknown type %q", ev.Seq, ev.Type)
}

// Diff is the graph ops that turn have into want (both sorted views, as
// View gives them). Positions change only for the nodes in moved: a
// layout moves nodes all the time without ops, and a merge must not undo
// it.
func Diff(have, want graph.Contents, moved map[string]bool) []graph.Op {
	var ops []graph.Op
	hn, wn := byID(have.Nodes, func(n graph.Node) string { return n.ID }), byID(want.Nodes, func(n graph.Node) string { return n.ID })
	he, we := byID(have.Edges, func(e graph.Edge) string { return e.ID }), byID(want.Edges, func(e graph.Edge) string { return e.ID })
	// Edges go first (a node's removal would take them anyway), and an
	// edge whose ends changed is removed and made again.
	for _, id := range slices.Sorted(maps.Keys(he)) {
		if w, ok := we[id]; !ok || w.Source != he[id].Source || w.Target != he[id].Target {
			ops = append(ops, graph.Op{Op: graph.RemoveEdge, ID: id})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(hn)) {
		if _, ok := wn[id]; !ok {
			ops = append(ops, graph.Op{Op: graph.RemoveNode, ID: id})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(wn)) {
		w := wn[id]
		h, ok := hn[id]
		if !ok {
			label, pos, pinned := w.Label, w.Position, w.Pinned
			ops = append(ops, graph.Op{Op: graph.AddNode, ID: id, Label: &label, Position: &pos, Pinned: &pinned, GraphType: w.Type, Metadata: metaSet(nil, w.Metadata)})
			continue
		}
		op := graph.Op{Op: graph.UpdateNode, ID: id, Metadata: metaSet(h.Metadata, w.Metadata)}
		if h.Label != w.Label {
			op.Label = &w.Label
		}
		if h.Pinned != w.Pinned {
			op.Pinned = &w.Pinned
		}
		if moved[id] && h.Position != w.Position {
			op.Position = &w.Position
		}
		if op.Label != nil || op.Pinned != nil || op.Position != nil || op.Metadata != nil {
			ops = append(ops, op)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(we)) {
		w := we[id]
		h, ok := he[id]
		if !ok || h.Source != w.Source || h.Target != w.Target {
			weight := w.Weight
			ops = append(ops, graph.Op{Op: graph.AddEdge, ID: id, Source: w.Source, Target: w.Target, Label: &w.Label, Weight: &weight, Metadata: metaSet(nil, w.Metadata)})
			continue
		}
		op := graph.Op{Op: graph.UpdateEdge, ID: id, Metadata: metaSet(h.Metadata, w.Metadata)}
		if h.Label != w.Label {
			op.Label = &w.Label
		}
		if h.Weight != w.Weight {
			weight := w.Weight
			op.Weight = &weight
		}
		if op.Label != nil || op.Weight != nil || op.Metadata != nil {
			ops = append(ops, op)
		}
	}
	return ops
}

func byID[T any](xs []T, id func(T) string) map[string]T {
	m := make(map[string]T, len(xs))
	for _, x := range xs {
		m[id(x)] = x
	}
	return m
}

// metaSet is the metadata change from have to want (nil when none).
func metaSet(have, want map[string]string) map[string]*string {
	var out map[string]*string
	put := func(k string, v *string) {
		if out == nil {
			out = map[string]*string{}
		}
		out[k] = v
	}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			put(k, &v)
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			put(k, nil)
		}
	}
	return out
}
