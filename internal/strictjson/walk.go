package strictjson

import (
	"encoding/json"
	"unicode/utf8"
)

// maxDepth is where a walk gives up on nesting and leaves it to the
// decoder, which refuses depths past its own limit (10,000).
const maxDepth = 10_000

// A visitor is told of each key of a walk.
type visitor interface {
	key(obj, depth int, key []byte, end int) error
}

// walk calls v.key for every object key in b, in document order: the number
// of its object (objects are numbered as they open, from 0), the object's
// depth (1 at the top), the key as it decodes, and the offset just past
// it. It returns v's first error; at anything malformed it stops and
// returns nil.
func walk(b []byte, v visitor) error {
	w := walker{b: b, v: v}
	w.value(0)
	return w.err
}

type walker struct {
	b    []byte
	i    int
	objs int
	v    visitor
	err  error
	stop bool // malformed, an error, or nested too deep
}

func (w *walker) space() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

func (w *walker) value(depth int) {
	w.space()
	if w.i >= len(w.b) || depth >= maxDepth {
		w.stop = true
		return
	}
	switch w.b[w.i] {
	case '{':
		w.object(depth + 1)
	case '[':
		w.array(depth + 1)
	case '"':
		w.str()
	default:
		// A number or a literal: up to the next delimiter.
		start := w.i
	scan:
		for w.i < len(w.b) {
			switch w.b[w.i] {
			case ',', ']', '}', ' ', '\t', '\n', '\r', '"', '{', '[', ':':
				break scan
			}
			w.i++
		}
		if w.i == start {
			w.stop = true
		}
	}
}

// str skips a string and returns its raw contents, and whether they hold
// an escape or a byte outside ASCII (to be decoded before comparing).
func (w *walker) str() (raw []byte, odd bool) {
	w.i++ // the opening quote
	start := w.i
	for w.i < len(w.b) {
		c := w.b[w.i]
		switch {
		case c == '"':
			raw = w.b[start:w.i]
			w.i++
			return raw, odd
		case c == '\\':
			odd = true
			w.i += 2
		case c < 0x20:
			w.stop = true
			return nil, false
		default:
			if c >= utf8.RuneSelf {
				odd = true
			}
			w.i++
		}
	}
	w.stop = true
	return nil, false
}

// next steps past a comma, or past close and returns false; anything else
// stops the walk.
func (w *walker) next(close byte) bool {
	w.space()
	switch {
	case w.i >= len(w.b):
	case w.b[w.i] == ',':
		w.i++
		return true
	case w.b[w.i] == close:
		w.i++
		return false
	}
	w.stop = true
	return false
}

func (w *walker) array(depth int) {
	w.i++
	w.space()
	if w.i < len(w.b) && w.b[w.i] == ']' {
		w.i++
		return
	}
	for {
		if w.value(depth); w.stop || !w.next(']') {
			return
		}
	}
}

func (w *walker) object(depth int) {
	n := w.objs
	w.objs++
	w.i++
	w.space()
	if w.i < len(w.b) && w.b[w.i] == '}' {
		w.i++
		return
	}
	for {
		w.space()
		if w.i >= len(w.b) || w.b[w.i] != '"' {
			w.stop = true
			return
		}
		raw, odd := w.str()
		if w.stop {
			return
		}
		key := raw
		if odd {
			// Escapes and invalid UTF-8 compare as they decode: "\u0061"
			// is "a".
			var s string
			if json.Unmarshal(w.b[w.i-len(raw)-2:w.i], &s) != nil { // with its quotes
				w.stop = true
				return
			}
			key = []byte(s)
		}
		if w.err = w.v.key(n, depth, key, w.i); w.err != nil {
			w.stop = true
			return
		}
		w.space()
		if w.i >= len(w.b) || w.b[w.i] != ':' {
			w.stop = true
			return
		}
		w.i++
		if w.value(depth); w.stop || !w.next('}') {
			return
		}
	}
}
