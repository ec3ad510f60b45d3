package graph

import "maps"

// EventType names a kind of change. The names are part of the stored log and
// the wire, so they never change meaning.
type EventType string

const (
	NodeAdded         EventType = "NodeAdded"
	NodeRemoved       EventType = "NodeRemoved"
	NodeMoved         EventType = "NodeMoved"
	NodeUpdated       EventType = "NodeUpdated" // label or metadata
	EdgeCreated       EventType = "EdgeCreated"
	EdgeDeleted       EventType = "EdgeDeleted"
	EdgeWeightChanged EventType = "EdgeWeightChanged"
	EdgeUpdated       EventType = "EdgeUpdated" // label or metadata
)

// Event is one change to one graph. Events carry the state before the change
// as well as after it, so each can be inverted (rollback, undo) and the log
// reads as an audit trail on its own.
//
// Removing a node that has edges is recorded as EdgeDeleted events for those
// edges followed by NodeRemoved, so every event touches exactly one object.
type Event struct {
	Seq    uint64    `json:"seq"`
	Time   Timestamp `json:"hlc"`
	Type   EventType `json:"type"`
	Client string    `json:"client,omitempty"`

	// NodeAdded, NodeRemoved: the whole node. EdgeCreated, EdgeDeleted: the
	// whole edge.
	Node *Node `json:"node,omitempty"`
	Edge *Edge `json:"edge,omitempty"`

	// The id of the node or edge that a Moved/Updated/WeightChanged event
	// changes.
	ID string `json:"id,omitempty"`

	// NodeMoved. A move stops the node: Velocity is zero and PrevVelocity
	// what it was, so the inverse restores it.
	Position     *Vec3 `json:"position,omitempty"`
	PrevPosition *Vec3 `json:"prevPosition,omitempty"`
	Velocity     *Vec3 `json:"velocity,omitempty"`
	PrevVelocity *Vec3 `json:"prevVelocity,omitempty"`
	Pinned       *bool `json:"pinned,omitempty"`
	PrevPinned   *bool `json:"prevPinned,omitempty"`

	// NodeUpdated, EdgeUpdated. Metadata holds only the keys that changed; a
	// nil value means the key was removed (and PrevMetadata a nil value that
	// it did not exist).
	Label        *string            `json:"label,omitempty"`
	PrevLabel    *string            `json:"prevLabel,omitempty"`
	Metadata     map[string]*string `json:"metadata,omitempty"`
	PrevMetadata map[string]*string `json:"prevMetadata,omitempty"`

	// EdgeWeightChanged.
	Weight     *float32 `json:"weight,omitempty"`
	PrevWeight *float32 `json:"prevWeight,omitempty"`

	// edgeOrd carries a deleted edge's place in creation order to the
	// inverse event, so a rollback restores listings exactly.
	edgeOrd uint64
}

// Subject returns the id of the node or edge the event is about.
func (e *Event) Subject() string {
	switch {
	case e.Node != nil:
		return e.Node.ID
	case e.Edge != nil:
		return e.Edge.ID
	}
	return e.ID
}

// IsEdgeEvent reports whether the event changes an edge (as opposed to a node).
func (e *Event) IsEdgeEvent() bool {
	switch e.Type {
	case EdgeCreated, EdgeDeleted, EdgeWeightChanged, EdgeUpdated:
		return true
	}
	return false
}

// Inverse returns the event that undoes e. Seq, Time and Client are kept.
func (e Event) Inverse() Event {
	inv := Event{Seq: e.Seq, Time: e.Time, Client: e.Client, ID: e.ID, Node: e.Node, Edge: e.Edge, edgeOrd: e.edgeOrd}
	switch e.Type {
	case NodeAdded:
		inv.Type = NodeRemoved
	case NodeRemoved:
		inv.Type = NodeAdded
	case EdgeCreated:
		inv.Type = EdgeDeleted
	case EdgeDeleted:
		inv.Type = EdgeCreated
	case NodeMoved:
		inv.Type = NodeMoved
		inv.Position, inv.PrevPosition = e.PrevPosition, e.Position
		inv.Velocity, inv.PrevVelocity = e.PrevVelocity, e.Velocity
		inv.Pinned, inv.PrevPinned = e.PrevPinned, e.Pinned
	case NodeUpdated, EdgeUpdated:
		inv.Type = e.Type
		inv.Label, inv.PrevLabel = e.PrevLabel, e.Label
		inv.Metadata, inv.PrevMetadata = e.PrevMetadata, e.Metadata
	case EdgeWeightChanged:
		inv.Type = EdgeWeightChanged
		inv.Weight, inv.PrevWeight = e.PrevWeight, e.Weight
	}
	return inv
}

// applyMetadata applies a metadata delta to md and returns the result.
func applyMetadata(md map[string]string, delta map[string]*string) map[string]string {
	if len(delta) == 0 {
		return md
	}
	out := maps.Clone(md)
	if out == nil {
		out = make(map[string]string, len(delta))
	}
	for k, v := range delta {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = *v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
