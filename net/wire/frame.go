package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"visionflow/agent"
	"visionflow/graph"
)

// Version is the protocol version, in the hello message and every frame.
// Version 2 put the subscription's stream number in the header's third and
// fourth bytes (reserved in version 1), so one connection can follow
// several graphs, and packs agents' state into the node flags.
const Version = 2

// Frame kinds.
const (
	FullFrame  = 1 // every node of the graph
	DeltaFrame = 2 // only the nodes that changed since the previous frame
)

const (
	HeaderSize = 16
	NodeSize   = 34
)

// Node flags. Bits 8–11 hold an agent node's state code (agent.State.Code,
// 0 for none); with FlagProgress set, an agent node's value is its
// progress (0–100).
const (
	FlagPinned    uint16 = 1 << 0
	FlagSelected  uint16 = 1 << 1
	FlagStale     uint16 = 1 << 2 // an agent silent past the heartbeat timeout
	FlagProgress  uint16 = 1 << 3 // the value is an agent's progress
	stateShift           = 8
	FlagStateMask uint16 = 0xf << stateShift
)

// AgentFlags packs an agent's state into node flags (other bits, such as
// pinned, are kept from flags).
func AgentFlags(flags uint16, s agent.State, stale, hasProgress bool) uint16 {
	flags &^= FlagStateMask | FlagStale | FlagProgress
	flags |= uint16(s.Code()) << stateShift
	if stale {
		flags |= FlagStale
	}
	if hasProgress {
		flags |= FlagProgress
	}
	return flags
}

// AgentState is the agent state packed in a node's flags ("" for none).
func (n *NodeState) AgentState() agent.State {
	return agent.StateOf(uint8((n.Flags & FlagStateMask) >> stateShift))
}

// MaxNodes bounds a frame's node count (and so a decoder's allocation): a
// frame never holds more nodes than a graph can (2³⁰).
const MaxNodes = 1 << 30

// NodeState is one node in a frame.
type NodeState struct {
	ID       graph.WireID
	Position graph.Vec3
	Velocity graph.Vec3
	Value    float32 // a per-node scalar: degree for knowledge nodes
	Flags    uint16
}

// Frame is a decoded position frame.
type Frame struct {
	Kind   uint8
	Stream uint16 // the subscription's stream number (wire.Subscribed)
	Seq    uint64
	Nodes  []NodeState
}

// FrameSize is the encoded size of a frame of n nodes.
func FrameSize(n int) int { return HeaderSize + NodeSize*n }

// AppendFrame appends the encoding of a frame to b.
//
//	offset  size  field
//	0       1     version (2)
//	1       1     kind (1 full, 2 delta)
//	2       2     stream number
//	4       8     seq
//	12      4     node count
//	16      34·n  nodes: u32 id, f32 x y z, f32 vx vy vz, f32 value, u16 flags
func AppendFrame(b []byte, kind uint8, stream uint16, seq uint64, nodes []NodeState) []byte {
	b = append(b, Version, kind)
	b = binary.LittleEndian.AppendUint16(b, stream)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(nodes)))
	for i := range nodes {
		b = AppendNode(b, &nodes[i])
	}
	return b
}

// AppendNode appends one node's 34 bytes.
func AppendNode(b []byte, n *NodeState) []byte {
	le := binary.LittleEndian
	b = le.AppendUint32(b, uint32(n.ID))
	for _, f := range [7]float32{n.Position.X, n.Position.Y, n.Position.Z, n.Velocity.X, n.Velocity.Y, n.Velocity.Z, n.Value} {
		b = le.AppendUint32(b, math.Float32bits(f))
	}
	return le.AppendUint16(b, n.Flags)
}

// ErrFrame is wrapped by every frame decoding error.
var ErrFrame = errors.New("malformed frame")

// DecodeFrame decodes a frame, reusing dst's node slice. It rejects an
// unknown version or kind, a length that does not match the count, an id
// without a graph-type flag, and non-finite numbers.
func DecodeFrame(b []byte, dst *Frame) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrFrame, len(b), HeaderSize)
	}
	le := binary.LittleEndian
	if b[0] != Version {
		return fmt.Errorf("%w: version %d, want %d", ErrFrame, b[0], Version)
	}
	kind := b[1]
	if kind != FullFrame && kind != DeltaFrame {
		return fmt.Errorf("%w: unknown kind %d", ErrFrame, kind)
	}
	count := le.Uint32(b[12:])
	if count > MaxNodes || len(b) != FrameSize(int(count)) {
		return fmt.Errorf("%w: %d bytes for %d nodes, want %d", ErrFrame, len(b), count, FrameSize(int(min(count, MaxNodes))))
	}
	dst.Kind, dst.Stream, dst.Seq = kind, le.Uint16(b[2:]), le.Uint64(b[4:])
	dst.Nodes = dst.Nodes[:0]
	if cap(dst.Nodes) < int(count) {
		dst.Nodes = make([]NodeState, 0, count)
	}
	for i := range int(count) {
		p := b[HeaderSize+i*NodeSize:]
		var f [7]float32
		for k := range f {
			f[k] = math.Float32frombits(le.Uint32(p[4+4*k:]))
			if math.IsNaN(float64(f[k])) || math.IsInf(float64(f[k]), 0) {
				return fmt.Errorf("%w: node %d: non-finite number", ErrFrame, i)
			}
		}
		n := NodeState{
			ID:       graph.WireID(le.Uint32(p)),
			Position: graph.Vec3{X: f[0], Y: f[1], Z: f[2]},
			Velocity: graph.Vec3{X: f[3], Y: f[4], Z: f[5]},
			Value:    f[6],
			Flags:    le.Uint16(p[32:]),
		}
		if n.ID.IsAgent() == n.ID.IsKnowledge() {
			return fmt.Errorf("%w: node %d: id %#x is neither a knowledge nor an agent id", ErrFrame, i, uint32(n.ID))
		}
		dst.Nodes = append(dst.Nodes, n)
	}
	return nil
}

// Positions is a layout engine's latest state of a graph, published after
// every step for whoever streams or saves it. It is never modified once
// published.
type Positions struct {
	Step  uint64 // grows with every publish
	Seq   uint64 // the last graph event the layout had applied
	Nodes []NodeState
}
