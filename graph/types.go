package graph

import (
	"maps"
	"math"
)

// Vec3 is a position or velocity in layout space. It is float32 because that
// is what the physics engines, the GPU buffers and the wire carry.
type Vec3 struct {
	X float32 `json:"x"`
	Y float32 `json:"y"`
	Z float32 `json:"z"`
}

// Finite reports whether every component is a finite number.
func (v Vec3) Finite() bool {
	return finite32(v.X) && finite32(v.Y) && finite32(v.Z)
}

func finite32(f float32) bool {
	return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0)
}

// Type says which of VisionFlow's two graphs a node belongs to: the knowledge
// graph (pages of a Logseq-like notebook) or the graph of AI agents.
type Type string

const (
	Knowledge Type = "logseq"
	Agents    Type = "visionflow"
)

// Valid reports whether t is one of the known graph types.
func (t Type) Valid() bool { return t == Knowledge || t == Agents }

// Node is a vertex of a graph. ID is the stable string id used by the API;
// WireID is the stable numeric id used by the binary position stream.
type Node struct {
	ID       string            `json:"id"`
	WireID   WireID            `json:"wireId"`
	Label    string            `json:"label"`
	Position Vec3              `json:"position"`
	Velocity Vec3              `json:"velocity"`
	Metadata map[string]string `json:"metadata,omitempty"`
	Type     Type              `json:"graphType"`
	Pinned   bool              `json:"pinned,omitempty"`
}

// Clone returns a copy of n that shares nothing mutable with it.
func (n Node) Clone() Node {
	n.Metadata = maps.Clone(n.Metadata)
	return n
}

// Edge connects two nodes of the same graph. Weight scales the spring force
// between its ends; 1 is neutral.
type Edge struct {
	ID       string            `json:"id"`
	Source   string            `json:"source"`
	Target   string            `json:"target"`
	Label    string            `json:"label,omitempty"`
	Weight   float32           `json:"weight"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Clone returns a copy of e that shares nothing mutable with it.
func (e Edge) Clone() Edge {
	e.Metadata = maps.Clone(e.Metadata)
	return e
}

// WireID is a node's numeric id on the binary stream. The top two bits say
// which graph type the node belongs to; the low 30 bits are its index.
type WireID uint32

const (
	AgentFlag     WireID = 1 << 31
	KnowledgeFlag WireID = 1 << 30
	WireIndexMask WireID = KnowledgeFlag - 1
)

// MaxWireIndex is the largest node index a graph can hand out.
const MaxWireIndex = uint32(WireIndexMask)

// MakeWireID combines a graph type and an index into a wire id.
func MakeWireID(t Type, index uint32) WireID {
	id := WireID(index) & WireIndexMask
	if t == Agents {
		return id | AgentFlag
	}
	return id | KnowledgeFlag
}

// Index returns the wire id without its type bits.
func (w WireID) Index() uint32 { return uint32(w & WireIndexMask) }

// IsAgent reports whether the id belongs to an agent node.
func (w WireID) IsAgent() bool { return w&AgentFlag != 0 }

// Type returns the graph type the id's top bits stand for.
func (w WireID) Type() Type {
	if w.IsAgent() {
		return Agents
	}
	return Knowledge
}

// IsKnowledge reports whether the id belongs to a knowledge node.
func (w WireID) IsKnowledge() bool { return w&KnowledgeFlag != 0 }
