// Package crdt merges replicas of a graph that changed apart (a laptop taken
// offline, two hosts): every field of a node or edge is a last-writer-wins
// register on the hybrid logical clock, ties broken by replica id; nodes and
// edges are add-wins sets (an add the remover had not seen survives the
// remove), whose removals leave tombstones until every replica has seen
// them. Merging is a join: commutative, associative and idempotent.
package crdt

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"visionflow/graph"
)

// Stamp orders operations: the hybrid logical time, then the replica that
// made it, then its place in that replica's log (ops of one transaction
// share a time).
type Stamp struct {
	T       graph.Timestamp `json:"t"`
	Replica string          `json:"r"`
	N       uint64          `json:"n"`
}

// Compare orders stamps.
func (a Stamp) Compare(b Stamp) int {
	return cmp.Or(cmp.Compare(a.T, b.T), strings.Compare(a.Replica, b.Replica), cmp.Compare(a.N, b.N))
}

// Kind is what an operation does.
type Kind string

const (
	AddNode    Kind = "addNode"
	RemoveNode Kind = "removeNode"
	SetNode    Kind = "setNode"
	AddEdge    Kind = "addEdge"
	RemoveEdge Kind = "removeEdge"
	SetEdge    Kind = "setEdge"
)

// Fields of registers; metadata keys are "meta:" + key, their value null
// when the key was removed.
const (
	FieldLabel    = "label"
	FieldPinned   = "pinned"
	FieldPosition = "position"
	FieldWeight   = "weight"
	FieldType     = "type"
	MetaPrefix    = "meta:"
)

// Op is one operation of one replica.
type Op struct {
	Stamp Stamp  `json:"stamp"`
	Kind  Kind   `json:"kind"`
	ID    string `json:"id"`
	// AddEdge: the ends.
	Source string `json:"source,omitempty"`
	Target string `json:"target,omitempty"`
	// Set*: the register and its new value (JSON).
	Field string          `json:"field,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
	// Remove*: the add tags the remover had seen.
	Observed []Stamp `json:"observed,omitempty"`
}

// VV is a version vector: the last op number seen from each replica. A
// replica holds, for every origin, the ops numbered 1 to its entry with
// none missing, because replicas only exchange whole prefixes (OpsAfter).
type VV map[string]uint64

// Covers reports whether v has seen s.
func (v VV) Covers(s Stamp) bool { return v[s.Replica] >= s.N }

// Doc is one replica's CRDT state of a graph.
type Doc struct {
	Replica string
	nodes   map[string]*elem
	edges   map[string]*elem
	seen    VV
	log     []Op          // every op applied, in the order applied
	peers   map[string]VV // what other replicas said they have seen
}

type elem struct {
	adds    map[Stamp]bool // live add tags
	removed map[Stamp]bool // tombstones: add tags that were removed
	regs    map[string]reg
}

type reg struct {
	Value json.RawMessage
	Stamp Stamp
}

// New returns an empty replica.
func New(replica string) *Doc {
	return &Doc{Replica: replica, nodes: map[string]*elem{}, edges: map[string]*elem{}, seen: VV{}, peers: map[string]VV{}}
}

// Seen is the replica's version vector.
func (d *Doc) Seen() VV { return maps.Clone(d.seen) }

func (d *Doc) elemOf(kind Kind, id string) *elem {
	m := d.nodes
	if kind == AddEdge || kind == RemoveEdge || kind == SetEdge {
		m = d.edges
	}
	e := m[id]
	if e == nil {
		e = &elem{adds: map[Stamp]bool{}, removed: map[Stamp]bool{}, regs: map[string]reg{}}
		m[id] = e
	}
	return e
}

// Apply applies an op, once: an op seen before (by its stamp) changes
// nothing. Ops of one origin must come in their order (OpsAfter gives
// them so).
func (d *Doc) Apply(op Op) error {
	if err := op.check(); err != nil {
		return err
	}
	if d.seen.Covers(op.Stamp) {
		return nil
	}
	if op.Stamp.N != d.seen[op.Stamp.Replica]+1 {
		return fmt.Errorf("op %d of replica %q arrived after op %d: ops of one replica must come in order", op.Stamp.N, op.Stamp.Replica, d.seen[op.Stamp.Replica])
	}
	d.seen[op.Stamp.Replica] = op.Stamp.N
	d.log = append(d.log, op)
	e := d.elemOf(op.Kind, op.ID)
	switch op.Kind {
	case AddNode, AddEdge:
		if !e.removed[op.Stamp] {
			e.adds[op.Stamp] = true
		}
		if op.Kind == AddEdge {
			e.set(reg{mustJSON(op.Source), op.Stamp}, "source")
			e.set(reg{mustJSON(op.Target), op.Stamp}, "target")
		}
	case RemoveNode, RemoveEdge:
		for _, tag := range op.Observed {
			delete(e.adds, tag)
			e.removed[tag] = true
		}
	case SetNode, SetEdge:
		e.set(reg{op.Value, op.Stamp}, op.Field)
	}
	return nil
}

func (e *elem) set(r reg, field string) {
	if old, ok := e.regs[field]; !ok || old.Stamp.Compare(r.Stamp) < 0 {
		e.regs[field] = r
	}
}

func (op Op) check() error {
	switch {
	case op.Stamp.Replica == "" || op.Stamp.N == 0:
		return fmt.Errorf("op on %q has no stamp (replica and number)", op.ID)
	case op.ID == "":
		return fmt.Errorf("op %s has no id", op.Kind)
	}
	switch op.Kind {
	case AddNode, RemoveNode, RemoveEdge:
	case AddEdge:
		if op.Source == "" || op.Target == "" {
			return fmt.Errorf("addEdge %q needs a source and a target", op.ID)
		}
	case SetNode, SetEdge:
		if op.Field == "" || !json.Valid(op.Value) {
			return fmt.Errorf("%s %q needs a field and a JSON value", op.Kind, op.ID)
		}
	default:
		return fmt.Errorf("unknown op kind %q", op.Kind)
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// OpsAfter returns the ops a replica that has seen v lacks, each origin's
// in order.
func (d *Doc) OpsAfter(v VV) []Op {
	var out []Op
	for _, op := range d.log {
		if !v.Covers(op.Stamp) {
			out = append(out, op)
		}
	}
	return out
}

// ApplyAll applies ops in the order OpsAfter gives them; it stops at the
// first that does not fit.
func (d *Doc) ApplyAll(ops []Op) error {
	for _, op := range ops {
		if err := d.Apply(op); err != nil {
			return err
		}
	}
	return nil
}

// Merge takes in everything other has that d lacks. Merge(a, b) leaves a
// holding the same state as Merge(b, a) leaves b.
func (d *Doc) Merge(other *Doc) error {
	if err := d.ApplyAll(other.OpsAfter(d.seen)); err != nil {
		return err
	}
	d.Heard(other.Replica, other.Seen())
	for r, v := range other.peers {
		d.Heard(r, v)
	}
	return nil
}

// Clone returns a copy of d.
func (d *Doc) Clone() *Doc {
	c := New(d.Replica)
	if err := c.ApplyAll(d.log); err != nil {
		panic("crdt: a replica's own log does not apply: " + err.Error())
	}
	for r, v := range d.peers {
		c.Heard(r, v)
	}
	return c
}

// Heard records what another replica has seen (for Compact).
func (d *Doc) Heard(replica string, v VV) {
	if replica == d.Replica {
		return
	}
	p := d.peers[replica]
	if p == nil {
		p = VV{}
		d.peers[replica] = p
	}
	for r, n := range v {
		p[r] = max(p[r], n)
	}
}

// Alive reports whether a node or edge is in the graph: a node with an add
// no remove has seen; an edge likewise, and both its ends alive.
func (d *Doc) alive(nodes bool, id string) bool {
	if nodes {
		e := d.nodes[id]
		return e != nil && len(e.adds) > 0
	}
	e := d.edges[id]
	if e == nil || len(e.adds) == 0 {
		return false
	}
	var s, t string
	json.Unmarshal(e.regs["source"].Value, &s)
	json.Unmarshal(e.regs["target"].Value, &t)
	return d.alive(true, s) && d.alive(true, t)
}

// Winner is the stamp of the write a node's field holds.
func (d *Doc) Winner(nodeID, field string) (Stamp, bool) {
	if e := d.nodes[nodeID]; e != nil {
		r, ok := e.regs[field]
		return r.Stamp, ok
	}
	return Stamp{}, false
}

// NodeTags and EdgeTags are the live add tags a local remove observes.
func (d *Doc) NodeTags(id string) []Stamp { return tags(d.nodes[id]) }
func (d *Doc) EdgeTags(id string) []Stamp { return tags(d.edges[id]) }

func tags(e *elem) []Stamp {
	if e == nil {
		return nil
	}
	return slices.SortedFunc(maps.Keys(e.adds), Stamp.Compare)
}

// Tombstones counts the removals kept.
func (d *Doc) Tombstones() int {
	n := 0
	for _, m := range []map[string]*elem{d.nodes, d.edges} {
		for _, e := range m {
			n += len(e.removed)
		}
	}
	return n
}

// Compact drops the tombstones every known replica has seen: the add tag
// they remove can no longer arrive (a replica sends another only the ops it
// lacks), so nothing is left for them to stop. It returns how many went.
func (d *Doc) Compact() int {
	stable := func(s Stamp) bool {
		if !d.seen.Covers(s) {
			return false
		}
		for _, v := range d.peers {
			if !v.Covers(s) {
				return false
			}
		}
		return true
	}
	n := 0
	for _, m := range []map[string]*elem{d.nodes, d.edges} {
		for id, e := range m {
			for tag := range e.removed {
				if stable(tag) {
					delete(e.removed, tag)
					n++
				}
			}
			// The registers stay, though the element is gone: a late
			// write to it must lose to them on every replica alike, in
			// case it is added again.
			_ = id
		}
	}
	return n
}
