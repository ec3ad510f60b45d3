package graph

import (
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
	"visionflow/internal/binenc"
)

// A whole graph is the largest answer the server gives (27 MB of JSON for
// 64k nodes and 245k edges), and encoding/json spent most of a read on it
// through reflection. AppendJSON writes the same bytes as a json.Encoder
// with HTML escaping off (a test holds it to that, fuzzed), by hand.

// AppendJSON appends c as json.Encoder with SetEscapeHTML(false) encodes
// it, the newline included.
func (c *Contents) AppendJSON(b []byte) ([]byte, error) {
	// Growing a 30 MB answer by appends copied it a dozen times over.
	b = slices.Grow(b, 256+len(c.Nodes)*160+len(c.Edges)*80)
	err := c.encode(func(p []byte) error { b = append(b, p...); return nil })
	return b, err
}

// WriteJSON writes c as AppendJSON would, in pieces of about 64 KiB, so a
// large graph is never held whole as JSON.
func (c *Contents) WriteJSON(w io.Writer) error {
	return c.encode(func(p []byte) error { _, err := w.Write(p); return err })
}

func (c *Contents) encode(emit func([]byte) error) error {
	created, err := c.Created.MarshalJSON()
	if err != nil {
		return err
	}
	buf := make([]byte, 0, 64<<10)
	flush := func(force bool) error {
		if len(buf) < 60<<10 && !force {
			return nil
		}
		err := emit(buf)
		buf = buf[:0]
		return err
	}
	buf = append(buf, `{"id":`...)
	buf = appendString(buf, c.ID)
	buf = append(buf, `,"name":`...)
	buf = appendString(buf, c.Name)
	buf = append(buf, `,"type":`...)
	buf = appendString(buf, string(c.Type))
	buf = append(buf, `,"created":`...)
	buf = append(buf, created...)
	buf = append(buf, `,"seq":`...)
	buf = strconv.AppendUint(buf, c.Seq, 10)
	buf = append(buf, `,"nodes":`...)
	if c.Nodes == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '[')
		for i := range c.Nodes {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendNode(buf, &c.Nodes[i])
			if err := flush(false); err != nil {
				return err
			}
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `,"edges":`...)
	if c.Edges == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '[')
		for i := range c.Edges {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendEdge(buf, &c.Edges[i])
			if err := flush(false); err != nil {
				return err
			}
		}
		buf = append(buf, ']')
	}
	buf = append(buf, "}\n"...)
	return flush(true)
}

func appendNode(b []byte, n *Node) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, n.ID)
	b = append(b, `,"wireId":`...)
	b = strconv.AppendUint(b, uint64(n.WireID), 10)
	b = append(b, `,"label":`...)
	b = appendString(b, n.Label)
	b = append(b, `,"position":`...)
	b = appendVec(b, n.Position)
	b = append(b, `,"velocity":`...)
	b = appendVec(b, n.Velocity)
	if len(n.Metadata) > 0 {
		b = append(b, `,"metadata":`...)
		b = appendMetadata(b, n.Metadata)
	}
	b = append(b, `,"graphType":`...)
	b = appendString(b, string(n.Type))
	if n.Pinned {
		b = append(b, `,"pinned":true`...)
	}
	return append(b, '}')
}

func appendEdge(b []byte, e *Edge) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"source":`...)
	b = appendString(b, e.Source)
	b = append(b, `,"target":`...)
	b = appendString(b, e.Target)
	if e.Label != "" {
		b = append(b, `,"label":`...)
		b = appendString(b, e.Label)
	}
	b = append(b, `,"weight":`...)
	b = appendFloat(b, e.Weight)
	if len(e.Metadata) > 0 {
		b = append(b, `,"metadata":`...)
		b = appendMetadata(b, e.Metadata)
	}
	return append(b, '}')
}

func appendVec(b []byte, v Vec3) []byte {
	b = append(b, `{"x":`...)
	b = appendFloat(b, v.X)
	b = append(b, `,"y":`...)
	b = appendFloat(b, v.Y)
	b = append(b, `,"z":`...)
	b = appendFloat(b, v.Z)
	return append(b, '}')
}

func appendMetadata(b []byte, md map[string]string) []byte {
	b = append(b, '{')
	var keys [8]string
	for i, k := range binenc.SortedKeys(keys[:0], md) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, md[k])
	}
	return append(b, '}')
}

// appendFloat formats a float32 as encoding/json does: the shortest
// decimal that reads back as the same float32, in exponent form outside
// [1e-6, 1e21), with the exponent's leading zero dropped. Stored values
// are finite (validated), so NaN and infinities do not arise.
func appendFloat(b []byte, f32 float32) []byte {
	f := float64(f32)
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 32)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does without HTML escaping:
// quotes, backslashes and control characters escaped, invalid UTF-8 as
// U+FFFD, and U+2028 and U+2029 escaped for JavaScript's sake.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
