package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// shown is a value as readers see it: a secret masked.
func (fld *Field) shown(v any) any {
	if fld.Kind != Secret {
		return v
	}
	if v == "" {
		return ""
	}
	return Hidden
}

// Kinds of failure; every *Error wraps one.
var (
	ErrUnknownPath = errors.New("unknown setting")
	ErrInvalid     = errors.New("invalid setting value")
)

// Error names the setting path and the rule a value broke.
type Error struct {
	Kind error
	Path string
	Rule string
}

func (e *Error) Error() string { return e.Path + ": " + e.Rule }
func (e *Error) Unwrap() error { return e.Kind }

var colorRE = regexp.MustCompile(`^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$`)

// Parse checks raw JSON against the field's rules and returns the value in
// its Go type: float64, int64, bool, string or [2]float64.
func (fld *Field) Parse(raw json.RawMessage) (any, error) {
	fail := func(format string, args ...any) (any, error) {
		return nil, &Error{Kind: ErrInvalid, Path: fld.Path, Rule: fmt.Sprintf(format, args...)}
	}
	raw = bytes.TrimSpace(raw)
	switch fld.Kind {
	case Float, Int:
		var v float64
		if err := strictUnmarshal(raw, &v); err != nil {
			return fail("must be a number, got %s", describe(raw))
		}
		if err := fld.checkRange(v); err != nil {
			return nil, err
		}
		if fld.Kind == Int {
			if v != math.Trunc(v) {
				return fail("must be a whole number, got %v", v)
			}
			return int64(v), nil
		}
		return v, nil
	case Bool:
		var v bool
		if err := strictUnmarshal(raw, &v); err != nil {
			return fail("must be true or false, got %s", describe(raw))
		}
		return v, nil
	case Enum:
		var v string
		if err := strictUnmarshal(raw, &v); err != nil || !slices.Contains(fld.Options, v) {
			return fail("must be one of %s, got %s", quoteList(fld.Options), describe(raw))
		}
		return v, nil
	case Color:
		var v string
		if err := strictUnmarshal(raw, &v); err != nil || !colorRE.MatchString(v) {
			return fail(`must be a hex colour "#rrggbb" or "#rrggbbaa", got %s`, describe(raw))
		}
		return strings.ToLower(v), nil
	case Range:
		var v []float64
		if err := strictUnmarshal(raw, &v); err != nil || len(v) != 2 {
			return fail("must be an array of two numbers [min, max], got %s", describe(raw))
		}
		for _, x := range v {
			if err := fld.checkRange(x); err != nil {
				return nil, err
			}
		}
		if v[0] >= v[1] {
			return fail("minimum %v must be less than maximum %v", v[0], v[1])
		}
		return [2]float64{v[0], v[1]}, nil
	case Text, Secret:
		var v string
		if err := strictUnmarshal(raw, &v); err != nil {
			return fail("must be a string, got %s", describe(raw))
		}
		if n := len(v); float64(n) > *fld.Max {
			return fail("is %d bytes; at most %v", n, *fld.Max)
		}
		if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			return fail("must be one line of text, without control characters")
		}
		if fld.Check != nil && v != "" {
			if err := fld.Check(v); err != nil {
				return fail("%v", err)
			}
		}
		return v, nil
	}
	panic("settings: field " + fld.Path + " has unknown kind " + string(fld.Kind))
}

func (fld *Field) checkRange(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || (fld.Min != nil && v < *fld.Min) || (fld.Max != nil && v > *fld.Max) {
		return &Error{Kind: ErrInvalid, Path: fld.Path, Rule: fmt.Sprintf("must be between %v and %v, got %v", *fld.Min, *fld.Max, v)}
	}
	return nil
}

// strictUnmarshal decodes exactly one JSON value of the target's type.
func strictUnmarshal(raw []byte, v any) error {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return errors.New("missing")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// describe shows a client's value in an error message, shortened.
func describe(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	s := string(raw)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

func quoteList(opts []string) string {
	q := make([]string, len(opts))
	for k, o := range opts {
		q[k] = fmt.Sprintf("%q", o)
	}
	return strings.Join(q, ", ")
}

// encode returns the canonical JSON of a parsed value.
func encode(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("settings: encode %v: %v", v, err))
	}
	return b
}

// suggest names the known path closest to an unknown one, ignoring case and
// underscores, so "physics.spring_k" points to "physics.springK".
func suggest(path string) string {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	want := norm(path)
	for _, fld := range Schema {
		if norm(fld.Path) == want {
			return fld.Path
		}
	}
	// Otherwise the path whose last segment matches, if exactly one does.
	last := want[strings.LastIndexByte(want, '.')+1:]
	var hit string
	for _, fld := range Schema {
		p := norm(fld.Path)
		if p[strings.LastIndexByte(p, '.')+1:] == last {
			if hit != "" {
				return ""
			}
			hit = fld.Path
		}
	}
	return hit
}

func unknownPath(path string) error {
	rule := "is not a setting"
	if s := suggest(path); s != "" {
		rule += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return &Error{Kind: ErrUnknownPath, Path: path, Rule: rule}
}
