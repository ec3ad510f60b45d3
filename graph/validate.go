package graph

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what one node, edge or graph may hold. They keep a single bad
// request from bloating the database or the stream.
const (
	MaxIDBytes            = 256
	MaxLabelBytes         = 1024
	MaxNameBytes          = 256
	MaxMetadataEntries    = 256
	MaxMetadataKeyBytes   = 128
	MaxMetadataValueBytes = 16 << 10
	MaxMetadataBytes      = 64 << 10
	MaxCoordinate         = 1e7 // keeps squared distances finite in float32
	MaxWeight             = 1e6
	MaxGraphIDBytes       = 64
)

// ValidateID checks a node or edge id: non-empty, UTF-8, no control
// characters, at most MaxIDBytes.
func ValidateID(field, id string) error {
	switch {
	case id == "":
		return errf(ErrInvalid, field, "must not be empty")
	case len(id) > MaxIDBytes:
		return errf(ErrTooLarge, field, "is %d bytes, the limit is %d", len(id), MaxIDBytes)
	case !utf8.ValidString(id):
		return errf(ErrInvalid, field, "is not valid UTF-8")
	case id == "." || id == "..":
		// They would be path segments with a meaning of their own in URLs.
		return errf(ErrInvalid, field, "%q is not allowed", id)
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return errf(ErrInvalid, field, "contains control character %U", r)
		}
	}
	return nil
}

// ValidateGraphID checks the id of a named graph. Graph ids appear in URLs
// and file names, so they are restricted to letters, digits, '-', '_' and '.'.
func ValidateGraphID(id string) error {
	if id == "" {
		return errf(ErrInvalid, "graph id", "must not be empty")
	}
	if len(id) > MaxGraphIDBytes {
		return errf(ErrTooLarge, "graph id", "is %d bytes, the limit is %d", len(id), MaxGraphIDBytes)
	}
	for i, r := range id {
		ok := r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return errf(ErrInvalid, "graph id", "character %q at byte %d is not allowed (use letters, digits, '-', '_' and '.')", r, i)
		}
	}
	if id == "." || id == ".." {
		return errf(ErrInvalid, "graph id", "%q is not allowed", id)
	}
	return nil
}

// ValidateType checks a graph type.
func ValidateType(field string, t Type) error {
	if !t.Valid() {
		return errf(ErrUnknownType, field, "%q is not a graph type (want %q or %q)", string(t), Knowledge, Agents)
	}
	return nil
}

// ValidateText checks a label, name or other free text: UTF-8, within
// limit bytes, and no control characters but tab and newline.
func ValidateText(field, s string, limit int) error { return validateText(field, s, limit) }

func validateText(field, s string, limit int) error {
	if len(s) > limit {
		return errf(ErrTooLarge, field, "is %d bytes, the limit is %d", len(s), limit)
	}
	if !utf8.ValidString(s) {
		return errf(ErrInvalid, field, "is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' {
			return errf(ErrInvalid, field, "contains control character %U", r)
		}
	}
	return nil
}

// ValidateLabel checks a node or edge label.
func ValidateLabel(field, s string) error { return validateText(field, s, MaxLabelBytes) }

// ValidateName checks the display name of a graph.
func ValidateName(s string) error { return validateText("graph name", s, MaxNameBytes) }

// ValidateVec checks that a position or velocity is finite and in range.
func ValidateVec(field string, v Vec3) error {
	for i, c := range [3]float32{v.X, v.Y, v.Z} {
		axis := string("xyz"[i])
		if !finite32(c) {
			return errf(ErrNonFinite, field+"."+axis, "is %v; coordinates must be finite", c)
		}
		if c > MaxCoordinate || c < -MaxCoordinate {
			return errf(ErrInvalid, field+"."+axis, "is %v; coordinates must lie within ±%g", c, MaxCoordinate)
		}
	}
	return nil
}

// ValidateWeight checks an edge weight: finite, in [0, MaxWeight].
func ValidateWeight(field string, w float32) error {
	if !finite32(w) {
		return errf(ErrNonFinite, field, "is %v; weights must be finite", w)
	}
	if w < 0 || w > MaxWeight {
		return errf(ErrInvalid, field, "is %v; weights must lie in [0, %g]", w, MaxWeight)
	}
	return nil
}

// ValidateMetadata checks the whole metadata map of a node or edge.
func ValidateMetadata(field string, md map[string]string) error {
	if len(md) > MaxMetadataEntries {
		return errf(ErrTooLarge, field, "has %d entries, the limit is %d", len(md), MaxMetadataEntries)
	}
	total := 0
	for k, v := range md {
		if err := validateMetaEntry(field, k, v); err != nil {
			return err
		}
		total += len(k) + len(v)
	}
	if total > MaxMetadataBytes {
		return errf(ErrTooLarge, field, "holds %d bytes, the limit is %d", total, MaxMetadataBytes)
	}
	return nil
}

func validateMetaEntry(field, k, v string) error {
	if k == "" {
		return errf(ErrInvalid, field, "has an empty key")
	}
	kf := field + "[" + strconv.Quote(k) + "]"
	if len(k) > MaxMetadataKeyBytes {
		return errf(ErrTooLarge, kf, "key is %d bytes, the limit is %d", len(k), MaxMetadataKeyBytes)
	}
	if !utf8.ValidString(k) || !utf8.ValidString(v) {
		return errf(ErrInvalid, kf, "is not valid UTF-8")
	}
	for _, r := range k {
		if unicode.IsControl(r) {
			return errf(ErrInvalid, kf, "key contains control character %U", r)
		}
	}
	if strings.IndexByte(v, 0) >= 0 {
		return errf(ErrInvalid, kf, "value contains a NUL character")
	}
	if len(v) > MaxMetadataValueBytes {
		return errf(ErrTooLarge, kf, "value is %d bytes, the limit is %d", len(v), MaxMetadataValueBytes)
	}
	return nil
}

// NodeField names a field of a node in error messages.
func NodeField(id, field string) string { return fmt.Sprintf("node %q.%s", id, field) }

// EdgeField names a field of an edge in error messages.
func EdgeField(id, field string) string { return fmt.Sprintf("edge %q.%s", id, field) }

// Validate checks everything about n that does not depend on the rest of
// the graph.
func (n *Node) Validate() error {
	if err := ValidateID("node id", n.ID); err != nil {
		return err
	}
	// Field names are put together only for an error: formatting them for
	// every node was most of the cost of reading a stored snapshot.
	return inField(NodeField, n.ID, n.validateFields())
}

func (n *Node) validateFields() error {
	if err := ValidateLabel("label", n.Label); err != nil {
		return err
	}
	if err := ValidateType("graphType", n.Type); err != nil {
		return err
	}
	if i := n.WireID.Index(); i == 0 || n.WireID != MakeWireID(n.Type, i) {
		return errf(ErrInvalid, "wireId", "%#x does not fit graph type %q", uint32(n.WireID), n.Type)
	}
	if err := ValidateVec("position", n.Position); err != nil {
		return err
	}
	if err := ValidateVec("velocity", n.Velocity); err != nil {
		return err
	}
	return ValidateMetadata("metadata", n.Metadata)
}

// inField names the object a field error belongs to: err's field f becomes
// name(id, f).
func inField(name func(id, field string) string, id string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		e.Field = name(id, e.Field)
	}
	return err
}

// Validate checks everything about e that does not depend on the rest of
// the graph.
func (e *Edge) Validate() error {
	if err := ValidateID("edge id", e.ID); err != nil {
		return err
	}
	return inField(EdgeField, e.ID, e.validateFields())
}

func (e *Edge) validateFields() error {
	if err := ValidateID("source", e.Source); err != nil {
		return err
	}
	if err := ValidateID("target", e.Target); err != nil {
		return err
	}
	if err := ValidateLabel("label", e.Label); err != nil {
		return err
	}
	if err := ValidateWeight("weight", e.Weight); err != nil {
		return err
	}
	return ValidateMetadata("metadata", e.Metadata)
}
