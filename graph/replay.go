package graph

import (
	"fmt"
	"slices"
)

// ContentsReplay rebuilds what a graph held at a past seq, as Contents,
// from a snapshot and the events after it, without building the Graph:
// time travel (`?at=`, the window's timeline) only reads the result, and
// building a Graph's maps and incident lists was most of answering it.
// The snapshot is checked node by node and edge by edge; what ties them
// together was checked when the graph that wrote the snapshot held them.
// Events are looked up by id only when one needs it (the maps are made on
// first use), and an event that does not fit is an error, never a panic.
type ContentsReplay struct {
	c      Contents
	nodeAt map[string]int // index in c.Nodes, made on first use
	edgeAt map[string]int // index in c.Edges, made on first use
	gone   bool           // some entries are tombstones (empty id)
}

// NewContentsReplay starts from an empty graph (one whose log has no
// snapshot before the wanted seq).
func NewContentsReplay(info Info) *ContentsReplay {
	info.Seq = 0
	return &ContentsReplay{c: Contents{Info: info, Nodes: []Node{}, Edges: []Edge{}}}
}

// ContentsReplayFromSnapshot starts from a snapshot.
func ContentsReplayFromSnapshot(b []byte) (*ContentsReplay, error) {
	info, _, nodes, edges, err := decodeSnapshotParts(b)
	if err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	return &ContentsReplay{c: Contents{Info: info, Nodes: nodes, Edges: edges}}, nil
}

// Seq is the last event applied.
func (r *ContentsReplay) Seq() uint64 { return r.c.Seq }

func (r *ContentsReplay) node(id string) (*Node, bool) {
	if r.nodeAt == nil {
		r.nodeAt = make(map[string]int, len(r.c.Nodes))
		for i, n := range r.c.Nodes {
			if n.ID != "" {
				r.nodeAt[n.ID] = i
			}
		}
	}
	i, ok := r.nodeAt[id]
	if !ok {
		return nil, false
	}
	return &r.c.Nodes[i], true
}

func (r *ContentsReplay) edge(id string) (*Edge, bool) {
	if r.edgeAt == nil {
		r.edgeAt = make(map[string]int, len(r.c.Edges))
		for i, e := range r.c.Edges {
			if e.ID != "" {
				r.edgeAt[e.ID] = i
			}
		}
	}
	i, ok := r.edgeAt[id]
	if !ok {
		return nil, false
	}
	return &r.c.Edges[i], true
}

// Apply applies the next event of the log, as Graph.Apply would.
func (r *ContentsReplay) Apply(ev Event) error {
	if ev.Seq != r.c.Seq+1 {
		return fmt.Errorf("apply event %d to graph %q at seq %d: %w", ev.Seq, r.c.ID, r.c.Seq, ErrCorruptEvent)
	}
	if err := r.apply(&ev); err != nil {
		return fmt.Errorf("apply event %d (%s) to graph %q: %w", ev.Seq, ev.Type, r.c.ID, err)
	}
	r.c.Seq = ev.Seq
	return nil
}

func (r *ContentsReplay) apply(ev *Event) error {
	switch ev.Type {
	case NodeAdded:
		if ev.Node == nil {
			return corrupt("NodeAdded without a node")
		}
		if _, dup := r.node(ev.Node.ID); dup {
			return corrupt("node %q already exists", ev.Node.ID)
		}
		r.nodeAt[ev.Node.ID] = len(r.c.Nodes)
		r.c.Nodes = append(r.c.Nodes, ev.Node.Clone())
	case NodeRemoved:
		id := ev.Subject()
		n, ok := r.node(id)
		if !ok {
			return corrupt("node %q does not exist", id)
		}
		delete(r.nodeAt, id)
		*n, r.gone = Node{}, true
	case NodeMoved:
		n, ok := r.node(ev.ID)
		if !ok {
			return corrupt("node %q does not exist", ev.ID)
		}
		if ev.Position != nil {
			n.Position = *ev.Position
		}
		if ev.Velocity != nil {
			n.Velocity = *ev.Velocity
		} else if ev.Position != nil {
			n.Velocity = Vec3{}
		}
		if ev.Pinned != nil {
			n.Pinned = *ev.Pinned
		}
	case NodeUpdated:
		n, ok := r.node(ev.ID)
		if !ok {
			return corrupt("node %q does not exist", ev.ID)
		}
		if ev.Label != nil {
			n.Label = *ev.Label
		}
		n.Metadata = applyMetadata(n.Metadata, ev.Metadata)
	case EdgeCreated:
		if ev.Edge == nil {
			return corrupt("EdgeCreated without an edge")
		}
		if _, dup := r.edge(ev.Edge.ID); dup {
			return corrupt("edge %q already exists", ev.Edge.ID)
		}
		_, okS := r.node(ev.Edge.Source)
		_, okT := r.node(ev.Edge.Target)
		if !okS || !okT {
			return corrupt("edge %q joins missing nodes %q → %q", ev.Edge.ID, ev.Edge.Source, ev.Edge.Target)
		}
		r.edgeAt[ev.Edge.ID] = len(r.c.Edges)
		r.c.Edges = append(r.c.Edges, ev.Edge.Clone())
	case EdgeDeleted:
		id := ev.Subject()
		e, ok := r.edge(id)
		if !ok {
			return corrupt("edge %q does not exist", id)
		}
		delete(r.edgeAt, id)
		*e, r.gone = Edge{}, true
	case EdgeWeightChanged:
		e, ok := r.edge(ev.ID)
		if !ok || ev.Weight == nil {
			return corrupt("edge %q does not exist or no weight given", ev.ID)
		}
		e.Weight = *ev.Weight
	case EdgeUpdated:
		e, ok := r.edge(ev.ID)
		if !ok {
			return corrupt("edge %q does not exist", ev.ID)
		}
		if ev.Label != nil {
			e.Label = *ev.Label
		}
		e.Metadata = applyMetadata(e.Metadata, ev.Metadata)
	default:
		return corrupt("unknown event type %q", ev.Type)
	}
	return nil
}

// Contents returns the result; the replay must not be used after.
func (r *ContentsReplay) Contents() Contents {
	if r.gone {
		r.c.Nodes = slices.DeleteFunc(r.c.Nodes, func(n Node) bool { return n.ID == "" })
		r.c.Edges = slices.DeleteFunc(r.c.Edges, func(e Edge) bool { return e.ID == "" })
	}
	// Nodes are listed by wire index; one added after the snapshot has a
	// higher index than every node before it, so this holds unless the
	// log was written some other way.
	if !slices.IsSortedFunc(r.c.Nodes, func(a, b Node) int { return int(a.WireID.Index()) - int(b.WireID.Index()) }) {
		slices.SortStableFunc(r.c.Nodes, func(a, b Node) int { return int(a.WireID.Index()) - int(b.WireID.Index()) })
	}
	return r.c
}
