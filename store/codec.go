package store

import (
	"encoding/binary"
	"fmt"
	"math"

	"visionflow/graph"
	"visionflow/internal/binenc"
)

// Compact binary encodings of the columns a graph load reads in bulk.
// Decoding JSON per row would cost more than reading the rows.
//
//	metadata:   uvarint count, then per entry (sorted by key) str key, str value
//	edge attrs: u8 flags (1 label, 2 weight, 4 metadata), then the flagged
//	            fields in that order: str label, f32 weight, metadata
//	layout:     per node slot, 6 × f32: x y z vx vy vz
//	str:        uvarint length, bytes
//
// Integers and floats are little-endian.

var errCodec = binenc.ErrMalformed

const (
	attrLabel    = 1
	attrWeight   = 2
	attrMetadata = 4

	chunkNodes = 1024
	slotBytes  = 24
)

// encodeMetadata returns nil (stored as NULL) for empty metadata.
func encodeMetadata(md map[string]string) []byte {
	if len(md) == 0 {
		return nil
	}
	return binenc.AppendMetadata(nil, md)
}

func decodeMetadata(b []byte) (map[string]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	r := binenc.NewReader(b)
	md := r.Metadata()
	return md, r.End()
}

// encodeEdgeAttrs returns nil when the edge has no label, weight 1 and no
// metadata, which is most edges of an imported graph.
func encodeEdgeAttrs(e *graph.Edge) []byte {
	var flags byte
	if e.Label != "" {
		flags |= attrLabel
	}
	if e.Weight != 1 {
		flags |= attrWeight
	}
	if len(e.Metadata) > 0 {
		flags |= attrMetadata
	}
	if flags == 0 {
		return nil
	}
	b := []byte{flags}
	if flags&attrLabel != 0 {
		b = binenc.AppendStr(b, e.Label)
	}
	if flags&attrWeight != 0 {
		b = binenc.AppendF32(b, e.Weight)
	}
	if flags&attrMetadata != 0 {
		b = binenc.AppendMetadata(b, e.Metadata)
	}
	return b
}

func decodeEdgeAttrs(b []byte, e *graph.Edge) error {
	e.Weight = 1
	if len(b) == 0 {
		return nil
	}
	r := binenc.NewReader(b[1:])
	flags := b[0]
	if flags&^(attrLabel|attrWeight|attrMetadata) != 0 {
		return fmt.Errorf("%w: edge attribute flags %#x", errCodec, flags)
	}
	if flags&attrLabel != 0 {
		e.Label = r.Str()
	}
	if flags&attrWeight != 0 {
		e.Weight = r.F32()
	}
	if flags&attrMetadata != 0 {
		e.Metadata = r.Metadata()
	}
	return r.End()
}

// encodeChunk lays out the positions of the nodes whose wire index falls in
// chunk; empty slots are zero, and the row ends after its last node: a
// graph that grows by appending rewrites half a row on average, not all.
func encodeChunk(dst []byte, g *graph.Graph, chunk uint32) []byte {
	// No node has a wire index at or past the next one.
	slots := uint32(0)
	if next, first := g.NextWireIndex(), chunk*chunkNodes; next > first {
		slots = min(chunkNodes, next-first)
	}
	b := append(dst[:0], make([]byte, slots*slotBytes)...) // zeroed, not allocated
	end := 0
	for i := range slots {
		n, ok := g.NodeAt(chunk*chunkNodes + i)
		if !ok {
			continue
		}
		end = int(i+1) * slotBytes
		off := i * slotBytes
		for k, f := range [6]float32{n.Position.X, n.Position.Y, n.Position.Z, n.Velocity.X, n.Velocity.Y, n.Velocity.Z} {
			binary.LittleEndian.PutUint32(b[off+uint32(k)*4:], math.Float32bits(f))
		}
	}
	return b[:end]
}

// applyChunk moves the nodes of chunk to the positions stored for them.
// Non-finite values (a damaged row) leave the node where it is.
func applyChunk(g *graph.Graph, chunk uint32, b []byte) error {
	if len(b) > chunkNodes*slotBytes || len(b)%slotBytes != 0 {
		return fmt.Errorf("%w: layout chunk %d has %d bytes, want a multiple of %d up to %d", errCodec, chunk, len(b), slotBytes, chunkNodes*slotBytes)
	}
	for i := range uint32(len(b) / slotBytes) {
		off := i * slotBytes
		var f [6]float32
		for k := range f {
			f[k] = math.Float32frombits(binary.LittleEndian.Uint32(b[off+uint32(k)*4:]))
		}
		pos, vel := graph.Vec3{X: f[0], Y: f[1], Z: f[2]}, graph.Vec3{X: f[3], Y: f[4], Z: f[5]}
		if graph.ValidateVec("", pos) == nil && graph.ValidateVec("", vel) == nil {
			g.SetLayoutAt(chunk*chunkNodes+i, pos, vel)
		}
	}
	return nil
}
