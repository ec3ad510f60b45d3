// Package binenc holds the little-endian, varint-prefixed encoding shared by
// graph snapshots and the store's compact columns: appenders, and a Reader
// whose first error sticks so callers check once per record.
package binenc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed binary data")

// AppendStr appends a uvarint length and the bytes of s.
func AppendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendF32 appends a float32.
func AppendF32(b []byte, f float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
}

// SortedKeys appends md's keys to buf and sorts them. Given a buffer on
// the caller's stack, ordering a small map allocates nothing, where
// slices.Sorted(maps.Keys(md)) allocated three times for every map, even
// an empty one: 900k allocations in a 100k-node graph's snapshot.
func SortedKeys[V any](buf []string, md map[string]V) []string {
	for k := range md {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}

// AppendMetadata appends a count and the entries sorted by key.
func AppendMetadata(b []byte, md map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(md)))
	var keys [8]string
	for _, k := range SortedKeys(keys[:0], md) {
		b = AppendStr(b, k)
		b = AppendStr(b, md[k])
	}
	return b
}

// Reader decodes. After the first error every read returns a zero value
// and Err reports that error.
type Reader struct {
	b   []byte
	err error
	// src, when set, holds the same bytes as b held at the start: strings
	// are then slices of it instead of copies.
	src string
	n   int // len(b) at the start
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// NewStringReader reads s, returning strings that share its memory: one
// allocation for a whole document, which stays alive while any string
// from it does.
func NewStringReader(s string) *Reader {
	return &Reader{b: unsafe.Slice(unsafe.StringData(s), len(s)), src: s, n: len(s)}
}

// Err returns the first error.
func (r *Reader) Err() error { return r.err }

// Len returns how many bytes are left.
func (r *Reader) Len() int { return len(r.b) }

func (r *Reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated or invalid %s", ErrMalformed, what)
	}
	r.b = nil
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("uvarint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *Reader) take(n uint64, what string) []byte {
	if n > uint64(len(r.b)) {
		r.fail(what)
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

// Str reads a length-prefixed string.
func (r *Reader) Str() string {
	b := r.take(r.Uvarint(), "string")
	if r.src == "" || b == nil {
		return string(b)
	}
	at := r.n - len(r.b) - len(b)
	return r.src[at : at+len(b)]
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if b := r.take(1, "byte"); b != nil {
		return b[0]
	}
	return 0
}

// U32 reads a little-endian uint32.
func (r *Reader) U32() uint32 {
	if b := r.take(4, "u32"); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// F32 reads a float32.
func (r *Reader) F32() float32 { return math.Float32frombits(r.U32()) }

// Count reads an element count and refuses one that the remaining bytes
// cannot hold at minSize bytes an element, so a corrupt count cannot make a
// decoder allocate or loop for nothing.
func (r *Reader) Count(minSize uint64) uint64 {
	n := r.Uvarint()
	if n > uint64(len(r.b))/minSize {
		r.fail("count")
		return 0
	}
	return n
}

// Metadata reads what AppendMetadata wrote; nil when empty.
func (r *Reader) Metadata() map[string]string {
	n := r.Count(2)
	if n == 0 {
		return nil
	}
	md := make(map[string]string, n)
	for range n {
		k := r.Str()
		md[k] = r.Str()
	}
	if r.err != nil {
		return nil
	}
	return md
}

// End reports an error if bytes are left over or a read failed.
func (r *Reader) End() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	return r.err
}
