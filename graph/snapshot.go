package graph

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"visionflow/internal/binenc"
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
	b := make([]byte, 0, 64+len(g.nodes)*64+len(g.edges)*40)
	b = append(b, snapshotMagic...)
	b = binenc.AppendStr(b, g.ID)
	b = binenc.AppendStr(b, g.Name)
	b = binenc.AppendStr(b, string(g.Type))
	b = binary.AppendVarint(b, g.Created.UnixMilli())
	b = binary.AppendUvarint(b, g.Seq)
	b = binary.AppendUvarint(b, uint64(g.nextIndex))
	nodes := g.nodeEntries()
	b = binary.AppendUvarint(b, uint64(len(nodes)))
	for _, n := range nodes {
		b = binenc.AppendStr(b, n.ID)
		b = binary.LittleEndian.AppendUint32(b, uint32(n.WireID))
		b = binenc.AppendStr(b, n.Label)
		for _, f := range [6]float32{n.Position.X, n.Position.Y, n.Position.Z, n.Velocity.X, n.Velocity.Y, n.Velocity.Z} {
			b = binenc.AppendF32(b, f)
		}
		b = binenc.AppendStr(b, string(n.Type))
		pinned := byte(0)
		if n.Pinned {
			pinned = 1
		}
		b = append(b, pinned)
		b = binenc.AppendMetadata(b, n.Metadata)
	}
	edges := g.edgeEntries()
	b = binary.AppendUvarint(b, uint64(len(edges)))
	for _, e := range edges {
		b = binenc.AppendStr(b, e.ID)
		b = binenc.AppendStr(b, e.Source)
		b = binenc.AppendStr(b, e.Target)
		b = binenc.AppendStr(b, e.Label)
		b = binenc.AppendF32(b, e.Weight)
		b = binenc.AppendMetadata(b, e.Metadata)
	}
	return b, nil
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
	info, nextIndex, nodes, edges, err := decodeSnapshotParts(b)
	if err != nil {
		return nil, err
	}
	// Restore checks what joins the parts: unique ids and wire indexes,
	// edges between nodes that exist.
	g, err := Restore(info, nextIndex, nodes, edges)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSnapshot, err)
	}
	return g, nil
}

// decodeSnapshotParts decodes a snapshot's parts, each node and edge
// checked on its own: nodes in wire index order, edges in creation order,
// as MarshalBinary wrote them.
func decodeSnapshotParts(b []byte) (info Info, nextIndex uint32, nodes []Node, edges []Edge, err error) {
	fail := func(err error) (Info, uint32, []Node, []Edge, error) { return Info{}, 0, nil, nil, err }
	if len(b) < len(snapshotMagic) || string(b[:len(snapshotMagic)]) != snapshotMagic {
		return fail(fmt.Errorf("%w: bad magic", errSnapshot))
	}
	// The graph's strings are slices of one copy of the snapshot: a
	// 100k-node graph has over a million of them, and allocating each was a
	// third of the decoding time. The copy lives as long as any of them.
	r := binenc.NewStringReader(string(b[len(snapshotMagic):]))
	info = Info{ID: r.Str(), Name: r.Str(), Type: Type(r.Str())}
	info.Created = time.UnixMilli(r.Varint()).UTC()
	info.Seq = r.Uvarint()
	next := r.Uvarint()
	if err := r.Err(); err != nil {
		return fail(err)
	}
	if next > uint64(MaxWireIndex)+1 {
		return fail(fmt.Errorf("%w: next wire index %d out of range", errSnapshot, next))
	}
	nodes = make([]Node, r.Count(4+24+4))
	for i := range nodes {
		n := &nodes[i]
		n.ID = r.Str()
		n.WireID = WireID(r.U32())
		n.Label = r.Str()
		n.Position = Vec3{r.F32(), r.F32(), r.F32()}
		n.Velocity = Vec3{r.F32(), r.F32(), r.F32()}
		n.Type = Type(r.Str())
		n.Pinned = r.Byte() != 0
		n.Metadata = r.Metadata()
		if err := r.Err(); err != nil {
			return fail(err)
		}
		// Checked as strictly as input, because a damaged database must
		// not give a graph that breaks its invariants; the checks cost
		// little now that field names are formatted only for errors.
		if err := n.Validate(); err != nil {
			return fail(fmt.Errorf("%w: %w", errSnapshot, err))
		}
		if n.WireID.Index() >= uint32(next) {
			return fail(fmt.Errorf("%w: node %q has wire index %d beyond the next index %d", errSnapshot, n.ID, n.WireID.Index(), next))
		}
	}
	edges = make([]Edge, r.Count(4+4+1))
	for i := range edges {
		e := &edges[i]
		e.ID, e.Source, e.Target, e.Label, e.Weight = r.Str(), r.Str(), r.Str(), r.Str(), r.F32()
		e.Metadata = r.Metadata()
		if err := r.Err(); err != nil {
			return fail(err)
		}
		if err := e.Validate(); err != nil {
			return fail(fmt.Errorf("%w: %w", errSnapshot, err))
		}
	}
	if err := r.End(); err != nil {
		return fail(fmt.Errorf("%w: %w", errSnapshot, err))
	}
	return info, uint32(next), nodes, edges, nil
}
