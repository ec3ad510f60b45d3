// Package strictjson holds the checks encoding/json lacks for requests and
// the protocol's objects: field names must match exactly, where
// encoding/json would take "Name" or "NAME" for "name", and an object may
// not name a key twice, where encoding/json keeps the last.
//
// Both are scans of the bytes: every write passes through them, and
// decoding to tokens or to a map cost as much as the decoding proper.
package strictjson

import (
	"bytes"
	"fmt"
	"slices"
)

// CheckKeys returns an error naming the first key of the JSON object b that
// is not in allowed. Anything that is not an object passes: decoding it
// will say what is wrong.
func CheckKeys(b []byte, allowed []string) error {
	return walk(b, &allowList{allowed})
}

type allowList struct{ names []string }

func (a *allowList) key(_, depth int, key []byte, _ int) error {
	if depth == 1 && !slices.Contains(a.names, string(key)) {
		return fmt.Errorf("json: unknown field %q", key)
	}
	return nil
}

// A DuplicateKeyError is an object that names a key twice.
type DuplicateKeyError struct {
	Key    string
	Offset int // just past the second one
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("the key %q appears twice in one object (byte %d)", e.Key, e.Offset)
}

// CheckDuplicates returns a *DuplicateKeyError for the first key named
// twice in one object of b, in document order. Malformed JSON passes as
// far as it is read: decoding it will say what is wrong.
func CheckDuplicates(b []byte) error {
	var d dupFinder
	d.stack = d.few[:0]
	return walk(b, &d)
}

// dupFinder keeps the keys of the objects still open, innermost last. An
// object has few keys, so a slice beats a map until one grows large.
type dupFinder struct {
	stack []keySet
	few   [2]keySet
}

type keySet struct {
	obj, depth int
	keys       [][]byte
	few        [6][]byte
	seen       map[string]bool
}

func (d *dupFinder) key(obj, depth int, key []byte, end int) error {
	// Of the objects open, only one is at this depth: any other one as
	// deep or deeper has closed.
	for len(d.stack) > 0 && d.stack[len(d.stack)-1].depth >= depth && d.stack[len(d.stack)-1].obj != obj {
		d.stack = d.stack[:len(d.stack)-1]
	}
	if len(d.stack) == 0 || d.stack[len(d.stack)-1].obj != obj {
		d.stack = append(d.stack, keySet{obj: obj, depth: depth})
	}
	o := &d.stack[len(d.stack)-1]
	if o.seen != nil {
		if o.seen[string(key)] {
			return &DuplicateKeyError{Key: string(key), Offset: end}
		}
		o.seen[string(key)] = true
		return nil
	}
	for _, k := range o.keys {
		if bytes.Equal(k, key) {
			return &DuplicateKeyError{Key: string(key), Offset: end}
		}
	}
	if o.keys == nil {
		o.keys = o.few[:0]
	}
	o.keys = append(o.keys, key)
	if len(o.keys) > 16 {
		o.seen = make(map[string]bool, 2*len(o.keys))
		for _, k := range o.keys {
			o.seen[string(k)] = true
		}
	}
	return nil
}
