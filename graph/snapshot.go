package graph

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Snapshots are a compact binary image of a whole graph. They bound how many
// events a replay has to apply, and they are what a graph loads from when
// asked for a past state.
//
//	magic "VFG1"
//	info:  str id, str name, str type, varint created (unix ms), uvarint seq,
//	       uvarint nextIndex
//	nodes: uvarint count, then per node: str id, u32 wire id, str label,
//	       6×f32 position and velocity, str type, u8 pinned, metadata
//	edges: uvarint count, then per edge in creation order: str id, str source,
//	       str target, str label, f32 weight, metadata
//	metadata: uvarint count, then str key, str value per entry
//	str: uvarint length, then that many bytes
//
// Integers are little-endian.
const snapshotMagic = "VFG1"

var errSnapshot = errors.New("malformed snapshot")

// MarshalBinary encodes g as a snapshot.
func (g *Graph) MarshalBinary() ([]byte, error) {
	w := encoder{buf: make([]byte, 0, 64+len(g.nodes)*64+len(g.edges)*40)}
	w.buf = append(w.buf, snapshotMagic...)
	w.str(g.ID)
	w.str(g.Name)
	w.str(string(g.Type))
	w.varint(g.Created.UnixMilli())
	w.uvarint(g.Seq)
	w.uvarint(uint64(g.nextIndex))
	nodes := g.Nodes()
	w.uvarint(uint64(len(nodes)))
	for _, n := range nodes {
		w.str(n.ID)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(n.WireID))
		w.str(n.Label)
		for _, f := range [6]float32{n.Position.X, n.Position.Y, n.Position.Z, n.Velocity.X, n.Velocity.Y, n.Velocity.Z} {
			w.f32(f)
		}
		w.str(string(n.Type))
		if n.Pinned {
			w.buf = append(w.buf, 1)
		} else {
			w.buf = append(w.buf, 0)
		}
		w.metadata(n.Metadata)
	}
	edges := g.Edges()
	w.uvarint(uint64(len(edges)))
	for _, e := range edges {
		w.str(e.ID)
		w.str(e.Source)
		w.str(e.Target)
		w.str(e.Label)
		w.f32(e.Weight)
		w.metadata(e.Metadata)
	}
	return w.buf, nil
}

// UnmarshalGraph decodes a snapshot. It checks the snapshot as strictly as
// user input: a damaged file gives an error, never a panic or a graph that
// breaks its own invariants.
func UnmarshalGraph(b []byte) (*Graph, error) {
	g, err := decodeSnapshot(b)
	if err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	return g, nil
}

func decodeSnapshot(b []byte) (*Graph, error) {
	if len(b) < len(snapshotMagic) || string(b[:len(snapshotMagic)]) != snapshotMagic {
		return nil, fmt.Errorf("%w: bad magic", errSnapshot)
	}
	r := decoder{buf: b[len(snapshotMagic):]}
	info := Info{ID: r.str(), Name: r.str(), Type: Type(r.str())}
	info.Created = time.UnixMilli(r.varint()).UTC()
	info.Seq = r.uvarint()
	nextIndex := r.uvarint()
	if r.err != nil {
		return nil, r.err
	}
	if nextIndex > uint64(MaxWireIndex)+1 {
		return nil, fmt.Errorf("%w: next wire index %d out of range", errSnapshot, nextIndex)
	}
	g := New(info)
	g.nextIndex = uint32(nextIndex)
	nodeCount := r.count(4 + 24 + 4)
	for range nodeCount {
		n := Node{ID: r.str()}
		n.WireID = WireID(r.u32())
		n.Label = r.str()
		n.Position = Vec3{r.f32(), r.f32(), r.f32()}
		n.Velocity = Vec3{r.f32(), r.f32(), r.f32()}
		n.Type = Type(r.str())
		n.Pinned = r.byte() != 0
		n.Metadata = r.metadata()
		if r.err != nil {
			return nil, r.err
		}
		if err := n.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %w", errSnapshot, err)
		}
		if n.WireID.Index() >= g.nextIndex {
			return nil, fmt.Errorf("%w: node %q has wire index %d beyond the next index %d", errSnapshot, n.ID, n.WireID.Index(), g.nextIndex)
		}
		if err := g.apply(&Event{Type: NodeAdded, Node: &n}); err != nil {
			return nil, fmt.Errorf("%w: %w", errSnapshot, err)
		}
	}
	edgeCount := r.count(4 + 4 + 1)
	for range edgeCount {
		e := Edge{ID: r.str(), Source: r.str(), Target: r.str(), Label: r.str(), Weight: r.f32()}
		e.Metadata = r.metadata()
		if r.err != nil {
			return nil, r.err
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %w", errSnapshot, err)
		}
		if err := g.apply(&Event{Type: EdgeCreated, Edge: &e}); err != nil {
			return nil, fmt.Errorf("%w: %w", errSnapshot, err)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.buf) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errSnapshot, len(r.buf))
	}
	return g, nil
}

type encoder struct{ buf []byte }

func (w *encoder) uvarint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *encoder) varint(v int64)   { w.buf = binary.AppendVarint(w.buf, v) }
func (w *encoder) f32(f float32) {
	w.buf = binary.LittleEndian.AppendUint32(w.buf, math.Float32bits(f))
}
func (w *encoder) str(s string) {
	w.uvarint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}
func (w *encoder) metadata(md map[string]string) {
	w.uvarint(uint64(len(md)))
	for _, k := range sortedKeys(md) {
		w.str(k)
		w.str(md[k])
	}
}

// decoder reads a snapshot; the first error sticks and later reads return
// zero values, so callers check once per record.
type decoder struct {
	buf []byte
	err error
}

func (r *decoder) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated or invalid %s", errSnapshot, what)
	}
	r.buf = nil
}

func (r *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail("uvarint")
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *decoder) varint() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.fail("varint")
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *decoder) take(n uint64, what string) []byte {
	if n > uint64(len(r.buf)) {
		r.fail(what)
		return nil
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b
}

func (r *decoder) str() string { return string(r.take(r.uvarint(), "string")) }
func (r *decoder) byte() byte {
	if b := r.take(1, "byte"); b != nil {
		return b[0]
	}
	return 0
}
func (r *decoder) u32() uint32 {
	if b := r.take(4, "u32"); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}
func (r *decoder) f32() float32 { return math.Float32frombits(r.u32()) }

// count reads an element count and refuses one that the remaining bytes
// cannot hold, so a corrupt count cannot make the decoder allocate or loop
// for nothing.
func (r *decoder) count(minSize uint64) uint64 {
	n := r.uvarint()
	if n > uint64(len(r.buf))/minSize {
		r.fail("count")
		return 0
	}
	return n
}

func (r *decoder) metadata() map[string]string {
	n := r.count(2)
	if n == 0 {
		return nil
	}
	md := make(map[string]string, min(n, MaxMetadataEntries))
	for range n {
		k := r.str()
		md[k] = r.str()
	}
	return md
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
