package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"visionflow/graph"
)

// Frame formats a subscription may ask for (ClientMessage.Frames).
//
// v1 frames carry every number as it is (34 bytes a node). v2 frames, for
// large graphs, carry positions as 16-bit fractions of the frame's bounds,
// velocities only when the subscription asks for them, a node's value and
// flags only when they are not what the client holds, and ids as
// differences from the node before: 7 bytes a node in a live layout's
// delta, against 34.
const (
	FramesV1 = "v1"
	FramesV2 = "v2"
)

// Frame kinds of the v2 format; the version byte is the protocol's, the
// kind tells the formats apart.
const (
	FullFrameV2  = 3
	DeltaFrameV2 = 4
)

// Sizes of the v2 format.
const (
	HeaderSizeV2 = 41 // without the velocity scale
	minNodeV2    = 7  // a one-byte id and three 16-bit coordinates
	maxVarintV2  = 5  // an id difference and the state bit: 33 bits
	QuantaV2     = 65535
	VelQuantaV2  = 32767
)

// v2OptVelocities, in the header's option byte, says every node carries
// its velocity.
const v2OptVelocities = 1

// FrameV2 is a v2 frame as it is on the wire: quantised numbers, which
// Position and Velocity turn back into coordinates.
type FrameV2 struct {
	Kind   uint8 // FullFrameV2 or DeltaFrameV2
	Stream uint16
	Seq    uint64
	// Min and Max bound every position in the frame: a coordinate is
	// Min + q·(Max − Min)/65535 on its axis.
	Min, Max graph.Vec3
	// Velocities says whether nodes carry velocities; a component is
	// v·MaxSpeed/32767.
	Velocities bool
	MaxSpeed   float32
	Nodes      []NodeV2
}

// NodeV2 is one node of a v2 frame.
type NodeV2 struct {
	ID  graph.WireID
	Pos [3]uint16
	Vel [3]int16 // zero unless the frame carries velocities
	// HasState says Value and Flags are carried. Without them a node in a
	// delta keeps the value and flags the client holds, and one in a full
	// frame has value 0 and no flags.
	HasState bool
	Value    float32
	Flags    uint16
}

// Position is a node's position: the quantum's centre, within half a
// quantum ((Max − Min)/131070 per axis) of the position that was sent.
// The arithmetic is float64, in this order, so a browser computing
// lo + q * (hi - lo) / 65535 gets the same float32.
func (f *FrameV2) Position(n *NodeV2) graph.Vec3 {
	deq := func(lo, hi float32, q uint16) float32 {
		return float32(float64(lo) + float64(q)*(float64(hi)-float64(lo))/QuantaV2)
	}
	return graph.Vec3{X: deq(f.Min.X, f.Max.X, n.Pos[0]), Y: deq(f.Min.Y, f.Max.Y, n.Pos[1]), Z: deq(f.Min.Z, f.Max.Z, n.Pos[2])}
}

// Velocity is a node's velocity (zero when the frame carries none).
func (f *FrameV2) Velocity(n *NodeV2) graph.Vec3 {
	deq := func(v int16) float32 { return float32(float64(v) * float64(f.MaxSpeed) / VelQuantaV2) }
	return graph.Vec3{X: deq(n.Vel[0]), Y: deq(n.Vel[1]), Z: deq(n.Vel[2])}
}

// Pack fills the frame's bounds, velocity scale and nodes from node
// states; f.Velocities says whether velocities go. state says which nodes
// carry their value and flags (nil: those whose value or flags are not
// zero, as a full frame needs). Nodes go in wire id order, which keeps the
// id differences to a byte.
func (f *FrameV2) Pack(nodes []NodeState, state func(i int) bool) {
	f.Nodes = f.Nodes[:0]
	f.Min, f.Max, f.MaxSpeed = graph.Vec3{}, graph.Vec3{}, 0
	if len(nodes) == 0 {
		return
	}
	// A number that is not finite (a layout gone wrong) would make the
	// frame undecodable: it is left out of the bounds and sent as 0.
	inf := float32(math.Inf(1))
	lo, hi := [3]float32{inf, inf, inf}, [3]float32{-inf, -inf, -inf}
	var speed float32
	for i := range nodes {
		p := &nodes[i].Position
		for k, x := range [3]float32{p.X, p.Y, p.Z} {
			if finite(x) {
				lo[k], hi[k] = min(lo[k], x), max(hi[k], x)
			}
		}
		if f.Velocities {
			v := &nodes[i].Velocity
			for _, x := range [3]float32{v.X, v.Y, v.Z} {
				if finite(x) {
					speed = max(speed, abs32(x))
				}
			}
		}
	}
	for k := range 3 {
		if lo[k] > hi[k] { // no finite coordinate on this axis
			lo[k], hi[k] = 0, 0
		}
	}
	f.Min, f.Max, f.MaxSpeed = graph.Vec3{X: lo[0], Y: lo[1], Z: lo[2]}, graph.Vec3{X: hi[0], Y: hi[1], Z: hi[2]}, speed
	order := make([]int32, len(nodes))
	sorted := true
	for i := range order {
		order[i] = int32(i)
		if i > 0 && nodes[i].ID < nodes[i-1].ID {
			sorted = false
		}
	}
	if !sorted {
		slices.SortFunc(order, func(a, b int32) int { return int(int64(nodes[a].ID) - int64(nodes[b].ID)) })
	}
	quant := func(x, lo, hi float32) uint16 {
		if hi <= lo || !finite(x) {
			return 0
		}
		q := math.Round((float64(x) - float64(lo)) / (float64(hi) - float64(lo)) * QuantaV2)
		return uint16(min(max(q, 0), QuantaV2))
	}
	vquant := func(v float32) int16 {
		if speed == 0 || !finite(v) {
			return 0
		}
		q := math.Round(float64(v) / float64(speed) * VelQuantaV2)
		return int16(min(max(q, -VelQuantaV2), VelQuantaV2))
	}
	if cap(f.Nodes) < len(nodes) {
		f.Nodes = make([]NodeV2, 0, len(nodes))
	}
	for _, i := range order {
		n := &nodes[i]
		q := NodeV2{ID: n.ID, Pos: [3]uint16{quant(n.Position.X, lo[0], hi[0]), quant(n.Position.Y, lo[1], hi[1]), quant(n.Position.Z, lo[2], hi[2])}}
		if f.Velocities {
			q.Vel = [3]int16{vquant(n.Velocity.X), vquant(n.Velocity.Y), vquant(n.Velocity.Z)}
		}
		if state == nil {
			q.HasState = n.Value != 0 || n.Flags != 0
		} else {
			q.HasState = state(int(i))
		}
		if q.HasState {
			q.Value, q.Flags = n.Value, n.Flags
		}
		f.Nodes = append(f.Nodes, q)
	}
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// AppendFrameV2 appends the encoding of a v2 frame to b.
//
//	offset  size  field
//	0       1     version (2)
//	1       1     kind (3 full, 4 delta)
//	2       2     stream number
//	4       8     seq
//	12      4     node count
//	16      1     options: bit 0 velocities
//	17      12    min x y z (f32)
//	29      12    max x y z (f32)
//	41      4     velocity scale (f32), only with velocities
//	then per node:
//	        1–5   varint: zigzag(id − previous id) << 1 | has state
//	        6     x y z (u16)
//	        6     vx vy vz (i16), only with velocities
//	        6     value (f32), flags (u16), only with state
func AppendFrameV2(b []byte, f *FrameV2) []byte {
	le := binary.LittleEndian
	b = append(b, Version, f.Kind)
	b = le.AppendUint16(b, f.Stream)
	b = le.AppendUint64(b, f.Seq)
	b = le.AppendUint32(b, uint32(len(f.Nodes)))
	var opt byte
	if f.Velocities {
		opt |= v2OptVelocities
	}
	b = append(b, opt)
	for _, x := range [6]float32{f.Min.X, f.Min.Y, f.Min.Z, f.Max.X, f.Max.Y, f.Max.Z} {
		b = le.AppendUint32(b, math.Float32bits(x))
	}
	if f.Velocities {
		b = le.AppendUint32(b, math.Float32bits(f.MaxSpeed))
	}
	var prev uint32
	for i := range f.Nodes {
		n := &f.Nodes[i]
		d := int32(uint32(n.ID) - prev)
		prev = uint32(n.ID)
		v := uint64(uint32(d<<1)^uint32(d>>31)) << 1
		if n.HasState {
			v |= 1
		}
		b = binary.AppendUvarint(b, v)
		b = le.AppendUint16(b, n.Pos[0])
		b = le.AppendUint16(b, n.Pos[1])
		b = le.AppendUint16(b, n.Pos[2])
		if f.Velocities {
			b = le.AppendUint16(b, uint16(n.Vel[0]))
			b = le.AppendUint16(b, uint16(n.Vel[1]))
			b = le.AppendUint16(b, uint16(n.Vel[2]))
		}
		if n.HasState {
			b = le.AppendUint32(b, math.Float32bits(n.Value))
			b = le.AppendUint16(b, n.Flags)
		}
	}
	return b
}

// IsFrameV2 reports whether an encoded frame is in the v2 format (by its
// kind), so a client can pick the decoder.
func IsFrameV2(b []byte) bool {
	return len(b) > 1 && (b[1] == FullFrameV2 || b[1] == DeltaFrameV2)
}

// DecodeFrameV2 decodes a v2 frame, reusing dst's node slice. It is
// strict: only one encoding of a frame is accepted (AppendFrameV2's), so
// it rejects an unknown version, kind or option, bounds that are not
// finite or not ordered, a coordinate off zero on an axis of no extent, a
// velocity off zero when the scale is zero or of −32768, an overlong or
// too large varint, an id without exactly one graph-type flag, a value
// that is not finite, and a length that does not match the count.
func DecodeFrameV2(b []byte, dst *FrameV2) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrFrame, fmt.Sprintf(format, args...))
	}
	if len(b) < HeaderSizeV2 {
		return bad("%d bytes, shorter than the %d-byte v2 header", len(b), HeaderSizeV2)
	}
	le := binary.LittleEndian
	if b[0] != Version {
		return bad("version %d, want %d", b[0], Version)
	}
	kind := b[1]
	if kind != FullFrameV2 && kind != DeltaFrameV2 {
		return bad("kind %d is not a v2 frame", kind)
	}
	opt := b[16]
	if opt&^v2OptVelocities != 0 {
		return bad("unknown options %#x", opt)
	}
	var bounds [6]float32
	for k := range bounds {
		bounds[k] = math.Float32frombits(le.Uint32(b[17+4*k:]))
		if !finite(bounds[k]) {
			return bad("bounds are not finite")
		}
	}
	for k := range 3 {
		if bounds[k] > bounds[3+k] {
			return bad("bounds: min %g above max %g on axis %d", bounds[k], bounds[3+k], k)
		}
	}
	f := FrameV2{Kind: kind, Stream: le.Uint16(b[2:]), Seq: le.Uint64(b[4:]), Velocities: opt&v2OptVelocities != 0,
		Min: graph.Vec3{X: bounds[0], Y: bounds[1], Z: bounds[2]}, Max: graph.Vec3{X: bounds[3], Y: bounds[4], Z: bounds[5]}}
	p := b[HeaderSizeV2:]
	nodeMin := minNodeV2
	if f.Velocities {
		if len(p) < 4 {
			return bad("%d bytes, shorter than the header with its velocity scale", len(b))
		}
		f.MaxSpeed = math.Float32frombits(le.Uint32(p))
		if !finite(f.MaxSpeed) || f.MaxSpeed < 0 || math.Signbit(float64(f.MaxSpeed)) {
			return bad("velocity scale %g is not a finite number of 0 or more", f.MaxSpeed)
		}
		p = p[4:]
		nodeMin += 6
	}
	count := le.Uint32(b[12:])
	if count > MaxNodes || uint64(count)*uint64(nodeMin) > uint64(len(p)) {
		return bad("%d nodes cannot fit in %d bytes", count, len(p))
	}
	f.Nodes = dst.Nodes[:0]
	if cap(f.Nodes) < int(count) {
		f.Nodes = make([]NodeV2, 0, count)
	}
	flat := [3]bool{bounds[0] == bounds[3], bounds[1] == bounds[4], bounds[2] == bounds[5]}
	var prev uint32
	for i := range int(count) {
		v, n, err := uvarintV2(p)
		if err != nil {
			return bad("node %d: %v", i, err)
		}
		p = p[n:]
		zz := uint32(v >> 1)
		id := prev + uint32(int32(zz>>1)^-int32(zz&1))
		prev = id
		nd := NodeV2{ID: graph.WireID(id), HasState: v&1 != 0}
		if nd.ID.IsAgent() == nd.ID.IsKnowledge() {
			return bad("node %d: id %#x is neither a knowledge nor an agent id", i, id)
		}
		need := 6
		if f.Velocities {
			need += 6
		}
		if nd.HasState {
			need += 6
		}
		if len(p) < need {
			return bad("node %d is cut short", i)
		}
		for k := range 3 {
			nd.Pos[k] = le.Uint16(p[2*k:])
			if flat[k] && nd.Pos[k] != 0 {
				return bad("node %d: coordinate %d on axis %d, which has no extent", i, nd.Pos[k], k)
			}
		}
		p = p[6:]
		if f.Velocities {
			for k := range 3 {
				nd.Vel[k] = int16(le.Uint16(p[2*k:]))
				if nd.Vel[k] == math.MinInt16 || (f.MaxSpeed == 0 && nd.Vel[k] != 0) {
					return bad("node %d: velocity %d out of range", i, nd.Vel[k])
				}
			}
			p = p[6:]
		}
		if nd.HasState {
			nd.Value = math.Float32frombits(le.Uint32(p))
			if !finite(nd.Value) {
				return bad("node %d: value is not finite", i)
			}
			nd.Flags = le.Uint16(p[4:])
			p = p[6:]
		}
		f.Nodes = append(f.Nodes, nd)
	}
	if len(p) != 0 {
		return bad("%d bytes after the last node", len(p))
	}
	*dst = f
	return nil
}

// uvarintV2 reads a varint of at most 33 bits in its shortest form.
func uvarintV2(p []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < maxVarintV2 && i < len(p); i++ {
		c := p[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if i > 0 && c == 0 {
				return 0, 0, fmt.Errorf("overlong varint")
			}
			if v >= 1<<33 {
				return 0, 0, fmt.Errorf("varint %d exceeds 33 bits", v)
			}
			return v, i + 1, nil
		}
	}
	if len(p) < maxVarintV2 {
		return 0, 0, fmt.Errorf("varint cut short")
	}
	return 0, 0, fmt.Errorf("varint longer than %d bytes", maxVarintV2)
}

func finite(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }

// NodeState turns a node of a v2 frame into a node state, for a client
// that keeps them:
// prev is what it holds of a node before a delta (nil for a full frame, or
// a node it does not hold), whose velocity a frame without velocities
// keeps, and whose value and flags a node without state keeps.
func (f *FrameV2) NodeState(n *NodeV2, prev *NodeState) NodeState {
	s := NodeState{ID: n.ID, Position: f.Position(n)}
	if f.Velocities {
		s.Velocity = f.Velocity(n)
	} else if prev != nil {
		s.Velocity = prev.Velocity
	}
	if n.HasState {
		s.Value, s.Flags = n.Value, n.Flags
	} else if prev != nil {
		s.Value, s.Flags = prev.Value, prev.Flags
	}
	return s
}
