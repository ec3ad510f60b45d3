package strictjson

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

var allowed = []string{"op", "id", "label", "position"}

func TestCheckKeys(t *testing.T) {
	for body, want := range map[string]string{
		`{"op": "addNode", "label": "a", "position": {"x": 1, "LABEL": 2}}`: "",
		`{"op": "addNode", "Label": "a"}`:                                   `json: unknown field "Label"`,
		`{"op": "addNode", "x": {"label": 1}, "y": 2}`:                      `json: unknown field "x"`,
		`{"\u006cabel": "escaped, still label"}`:                            "",
		`[{"Label": 1}]`:                                                    "",
		`"not an object"`:                                                   "",
		`{"id": 1, "id": 2}`:                                                "",
	} {
		err := CheckKeys([]byte(body), allowed)
		if got := errString(err); got != want {
			t.Errorf("%s: got %q, want %q", body, got, want)
		}
	}
}

func TestCheckDuplicates(t *testing.T) {
	for body, want := range map[string]string{
		`{"a": 1, "b": {"a": 2}}`:                           "",
		`[{"a": 1}, {"a": 1}, [{"a": 1}], {"b": {"a": 1}}]`: "",
		`{"a": 1, "b": {"a": 2}, "a": 3}`:                   `the key "a" appears twice in one object (byte 27)`,
		`{"a": {"x": 1}, "b": {"x": 1, "x": 2}}`:            `the key "x" appears twice in one object (byte 33)`,
	} {
		err := CheckDuplicates([]byte(body))
		if got := errString(err); got != want {
			t.Errorf("%s: got %q, want %q", body, got, want)
		}
		var dup *DuplicateKeyError
		if err != nil && !errors.As(err, &dup) {
			t.Errorf("%s: %T is not a *DuplicateKeyError", body, err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// On a valid JSON object the scan refuses exactly what a decode to a map
// refuses (the check as it was first written).
func FuzzCheckKeys(f *testing.F) {
	f.Add([]byte(`{"op": "x", "Op": 1}`))
	f.Add([]byte(`{"label": {"nested": [1, {"Label": 2}]}, "id": "\u00e9"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := CheckKeys(b, allowed)
		var keys map[string]json.RawMessage
		if json.Unmarshal(b, &keys) != nil {
			return
		}
		var unknown []string
		for k := range keys {
			if !slices.Contains(allowed, k) {
				unknown = append(unknown, k)
			}
		}
		if (got == nil) != (len(unknown) == 0) {
			t.Fatalf("%q: scan says %v, unknown keys %q", b, got, unknown)
		}
	})
}
