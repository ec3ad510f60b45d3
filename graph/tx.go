package graph

import (
	"fmt"
	"slices"
	"strconv"
)

// Tx is a set of changes to a graph that is applied whole or not at all.
// Each successful operation is applied to the graph at once (so later
// operations in the same Tx see it) and recorded as events; Rollback undoes
// them all by applying their inverses in reverse order.
type Tx struct {
	g      *Graph
	clock  *Clock
	client string
	events []Event
	done   bool

	seq       uint64
	nextIndex uint32
	nextEdge  uint64
}

// Begin starts a transaction. Events get timestamps from clock and are
// attributed to client.
func (g *Graph) Begin(clock *Clock, client string) *Tx {
	return &Tx{g: g, clock: clock, client: client, seq: g.Seq, nextIndex: g.nextIndex, nextEdge: g.nextEdge}
}

// Events returns the events recorded so far.
func (tx *Tx) Events() []Event { return tx.events }

// Commit ends the transaction and returns its events. The graph already
// holds the changes.
func (tx *Tx) Commit() []Event {
	tx.finish()
	return tx.events
}

// Rollback undoes every change made through tx.
func (tx *Tx) Rollback() {
	tx.finish()
	for i := len(tx.events) - 1; i >= 0; i-- {
		inv := tx.events[i].Inverse()
		if err := tx.g.apply(&inv); err != nil {
			panic(fmt.Sprintf("graph: rollback of event %d (%s): %v", inv.Seq, tx.events[i].Type, err))
		}
	}
	tx.g.Seq, tx.g.nextIndex, tx.g.nextEdge = tx.seq, tx.nextIndex, tx.nextEdge
	tx.events = nil
}

func (tx *Tx) finish() {
	if tx.done {
		panic("graph: Tx used after Commit or Rollback")
	}
	tx.done = true
}

// Grow makes room for n more events, so that a large transaction (an
// import) does not copy its events each time it outgrows them.
func (tx *Tx) Grow(n int) { tx.events = slices.Grow(tx.events, n) }

// record stamps ev, applies it and appends it to the transaction.
func (tx *Tx) record(ev Event) {
	ev.Seq = tx.g.Seq + 1
	ev.Time = tx.clock.Now()
	ev.Client = tx.client
	if err := tx.g.apply(&ev); err != nil {
		// Do validated the change against the same state; failing here is a bug.
		panic(fmt.Sprintf("graph: validated event does not apply: %v", err))
	}
	tx.g.Seq = ev.Seq
	tx.events = append(tx.events, ev)
}

// Do validates op against the graph as it stands and applies it. On error
// nothing of op has been applied; earlier ops of the Tx stay until Rollback.
// It returns the id of the node or edge the op touched (new ids are
// generated when an add leaves them out).
func (tx *Tx) Do(op Op) (string, error) {
	if tx.done {
		panic("graph: Tx used after Commit or Rollback")
	}
	if err := op.check(); err != nil {
		return "", err
	}
	switch op.Op {
	case AddNode:
		return tx.addNode(op)
	case UpdateNode:
		return op.ID, tx.updateNode(op)
	case RemoveNode:
		return op.ID, tx.removeNode(op.ID)
	case AddEdge:
		return tx.addEdge(op)
	case UpdateEdge:
		return op.ID, tx.updateEdge(op)
	default: // RemoveEdge; check rejected anything else
		return op.ID, tx.removeEdge(op.ID)
	}
}

func (tx *Tx) addNode(op Op) (string, error) {
	g := tx.g
	if g.nextIndex > MaxWireIndex {
		return "", errf(ErrTooLarge, "graph "+strconv.Quote(g.ID), "holds the most nodes a graph can (%d)", MaxWireIndex)
	}
	id := op.ID
	if id == "" {
		id = tx.freeID("n", uint64(g.nextIndex), func(s string) bool { return g.nodes[s] != nil })
	}
	if _, dup := g.nodes[id]; dup {
		return "", errf(ErrDuplicateID, "node id", "%q is already in graph %q", id, g.ID)
	}
	md, err := addedMetadata(NodeField(id, "metadata"), op.Metadata)
	if err != nil {
		return "", err
	}
	n := Node{ID: id, Metadata: md, Type: op.GraphType}
	if n.Type == "" {
		n.Type = g.Type
	}
	n.WireID = MakeWireID(n.Type, g.nextIndex)
	if op.Label != nil {
		n.Label = *op.Label
	} else {
		n.Label = id
	}
	if op.Position != nil {
		n.Position = *op.Position
	} else {
		n.Position = InitialPosition(id, len(g.nodes))
	}
	if op.Velocity != nil {
		n.Velocity = *op.Velocity
	}
	if op.Pinned != nil {
		n.Pinned = *op.Pinned
	}
	if err := n.Validate(); err != nil {
		return "", err
	}
	tx.record(Event{Type: NodeAdded, Node: &n})
	return id, nil
}

func (tx *Tx) updateNode(op Op) error {
	n, ok := tx.g.nodes[op.ID]
	if !ok {
		return errf(ErrNotFound, "node", "%q is not in graph %q", op.ID, tx.g.ID)
	}
	if op.Position != nil {
		if err := ValidateVec(NodeField(n.ID, "position"), *op.Position); err != nil {
			return err
		}
	}
	if op.Label != nil {
		if err := ValidateLabel(NodeField(n.ID, "label"), *op.Label); err != nil {
			return err
		}
	}
	set, prev, err := metadataDelta(NodeField(n.ID, "metadata"), n.Metadata, op.Metadata)
	if err != nil {
		return err
	}
	// Both events are built before either is applied, so a failure leaves
	// nothing half done.
	var moved, updated *Event
	if (op.Position != nil && (*op.Position != n.Position || n.Velocity != Vec3{})) || (op.Pinned != nil && *op.Pinned != n.Pinned) {
		ev := Event{Type: NodeMoved, ID: n.ID}
		if op.Position != nil {
			ev.Position, ev.PrevPosition = new(*op.Position), new(n.Position)
			ev.Velocity, ev.PrevVelocity = new(Vec3{}), new(n.Velocity)
		}
		if op.Pinned != nil {
			ev.Pinned, ev.PrevPinned = new(*op.Pinned), new(n.Pinned)
		}
		moved = &ev
	}
	if (op.Label != nil && *op.Label != n.Label) || len(set) > 0 {
		ev := Event{Type: NodeUpdated, ID: n.ID, Metadata: set, PrevMetadata: prev}
		if op.Label != nil && *op.Label != n.Label {
			ev.Label, ev.PrevLabel = new(*op.Label), new(n.Label)
		}
		updated = &ev
	}
	for _, ev := range []*Event{moved, updated} {
		if ev != nil {
			tx.record(*ev)
		}
	}
	return nil
}

func (tx *Tx) removeNode(id string) error {
	n, ok := tx.g.nodes[id]
	if !ok {
		return errf(ErrNotFound, "node", "%q is not in graph %q", id, tx.g.ID)
	}
	for _, eid := range tx.g.Incident(id) {
		e := tx.g.edges[eid].Edge
		tx.record(Event{Type: EdgeDeleted, Edge: &e})
	}
	cp := n.Node
	tx.record(Event{Type: NodeRemoved, Node: &cp})
	return nil
}

func (tx *Tx) addEdge(op Op) (string, error) {
	g := tx.g
	id := op.ID
	if id == "" {
		id = tx.freeID("e", max(g.nextEdge, uint64(len(g.edges)))+1, func(s string) bool { return g.edges[s] != nil })
	}
	if _, dup := g.edges[id]; dup {
		return "", errf(ErrDuplicateID, "edge id", "%q is already in graph %q", id, g.ID)
	}
	md, err := addedMetadata(EdgeField(id, "metadata"), op.Metadata)
	if err != nil {
		return "", err
	}
	e := Edge{ID: id, Source: op.Source, Target: op.Target, Weight: 1, Metadata: md}
	if op.Label != nil {
		e.Label = *op.Label
	}
	if op.Weight != nil {
		e.Weight = *op.Weight
	}
	if err := e.Validate(); err != nil {
		return "", err
	}
	for _, end := range [2]struct{ name, id string }{{"source", e.Source}, {"target", e.Target}} {
		if _, ok := g.nodes[end.id]; !ok {
			return "", errf(ErrDangling, EdgeField(id, end.name), "node %q is not in graph %q", end.id, g.ID)
		}
	}
	tx.record(Event{Type: EdgeCreated, Edge: &e})
	return id, nil
}

func (tx *Tx) updateEdge(op Op) error {
	entry, ok := tx.g.edges[op.ID]
	if !ok {
		return errf(ErrNotFound, "edge", "%q is not in graph %q", op.ID, tx.g.ID)
	}
	e := entry.Edge
	if op.Weight != nil {
		if err := ValidateWeight(EdgeField(e.ID, "weight"), *op.Weight); err != nil {
			return err
		}
	}
	if op.Label != nil {
		if err := ValidateLabel(EdgeField(e.ID, "label"), *op.Label); err != nil {
			return err
		}
	}
	set, prev, err := metadataDelta(EdgeField(e.ID, "metadata"), e.Metadata, op.Metadata)
	if err != nil {
		return err
	}
	if op.Weight != nil && *op.Weight != e.Weight {
		tx.record(Event{Type: EdgeWeightChanged, ID: e.ID, Weight: new(*op.Weight), PrevWeight: new(e.Weight)})
	}
	if (op.Label != nil && *op.Label != e.Label) || len(set) > 0 {
		ev := Event{Type: EdgeUpdated, ID: e.ID, Metadata: set, PrevMetadata: prev}
		if op.Label != nil && *op.Label != e.Label {
			ev.Label, ev.PrevLabel = new(*op.Label), new(e.Label)
		}
		tx.record(ev)
	}
	return nil
}

func (tx *Tx) removeEdge(id string) error {
	entry, ok := tx.g.edges[id]
	if !ok {
		return errf(ErrNotFound, "edge", "%q is not in graph %q", id, tx.g.ID)
	}
	e := entry.Edge
	tx.record(Event{Type: EdgeDeleted, Edge: &e})
	return nil
}

// metadataDelta reduces a requested metadata change to the keys that really
// change, checks the result against the limits, and returns the change with
// the previous values of those keys.
func metadataDelta(field string, cur map[string]string, req map[string]*string) (set, prev map[string]*string, err error) {
	for k, v := range req {
		old, had := cur[k]
		if (v == nil && !had) || (v != nil && had && *v == old) {
			continue
		}
		if set == nil {
			set, prev = make(map[string]*string), make(map[string]*string)
		}
		set[k] = v
		if had {
			prev[k] = new(old)
		} else {
			prev[k] = nil
		}
	}
	if len(set) == 0 {
		return nil, nil, nil
	}
	if err := ValidateMetadata(field, applyMetadata(cur, set)); err != nil {
		return nil, nil, err
	}
	return set, prev, nil
}

// freeID returns prefix+n for the first n ≥ start that is not taken.
func (tx *Tx) freeID(prefix string, start uint64, taken func(string) bool) string {
	for n := start; ; n++ {
		id := prefix + strconv.FormatUint(n, 10)
		if !taken(id) {
			if prefix == "e" {
				tx.g.nextEdge = n
			}
			return id
		}
	}
}

// Changes reports a committed transaction: its events, and the state after
// it of every node and edge its ops named that still exists.
type Changes struct {
	Events []Event `json:"events"`
	Nodes  []Node  `json:"nodes"`
	Edges  []Edge  `json:"edges"`
}
