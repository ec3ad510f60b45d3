package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// checkDuplicateKeysByTokens is the check as it was first written, on
// encoding/json's tokens: the reference the byte scan must agree with.
func checkDuplicateKeysByTokens(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	type object struct {
		keys   map[string]bool
		expect bool // the next string token is a key
	}
	var stack []*object
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		var top *object
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if top != nil {
					top.expect = true
				}
				stack = append(stack, &object{keys: map[string]bool{}, expect: true})
			case '[':
				if top != nil {
					top.expect = true
				}
				stack = append(stack, nil)
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.expect {
				if top.keys[t] {
					return invalid("the key %q appears twice in one object (byte %d)", t, dec.InputOffset())
				}
				top.keys[t] = true
				top.expect = false
				continue
			}
		}
		if top != nil {
			top.expect = true
		}
	}
}

func TestDuplicateKeys(t *testing.T) {
	for body, want := range map[string]string{
		`{"a": 1, "b": 2}`:                                 "",
		`{"a": 1, "a": 2}`:                                 `the key "a" appears twice in one object (byte 12)`,
		`{"a": {"b": 1}, "b": {"b": 2}}`:                   "",
		`[{"x": 1}, {"x": 1, "y": [1, {"x": 2, "x": 3}]}]`: `the key "x" appears twice`,
		`{"a": 1, "\u0061": 2}`:                            `the key "a" appears twice`,
		`{"\ud800": 1, "\udfff": 2}`:                       "the key \"\ufffd\" appears twice",
		`{"a\"b": 1, "a\"b": 2}`:                           `the key "a\"b" appears twice`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":3}`: `the key "k3" appears twice`,
		`{"a": 1, "a"`:       `the key "a" appears twice`,
		`{"a": tru, "b": 1}`: "",
		`{"a": 1 "a": 2}`:    "",
		`"just a string"`:    "",
		``:                   "",
		strings.Repeat("[", 20000) + strings.Repeat("]", 20000): "",
	} {
		err := checkDuplicateKeys([]byte(body))
		switch {
		case want == "" && err != nil:
			t.Errorf("%.60s: %v", body, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%.60s: got %v, want %q", body, err, want)
		}
	}
}

// On valid JSON the byte scan finds exactly the duplicates the token
// decoder finds, and says so in the same words.
func FuzzDuplicateKeys(f *testing.F) {
	for _, s := range []string{
		`{"a": 1, "a": 2}`,
		`{"ops": [{"op": "addNode", "op": "removeNode", "id": "keep"}]}`,
		`{"a": {"a": {"a": 1}}, "b": [1, "a", {"c": null, "d": true}]}`,
		`{"\u00e9": 1, "é": 2}`,
		"{\"\xff\": 1, \"\xfe\": 2}",
		`{"label": "n1", "position": {"x": 1.5e3, "y": -2, "z": 0}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := checkDuplicateKeys(body)
		if !json.Valid(body) {
			return // either may stop early; the decoder reports the syntax
		}
		want := checkDuplicateKeysByTokens(body)
		if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
			t.Fatalf("%q: scan says %v, tokens say %v", body, got, want)
		}
	})
}

func BenchmarkDuplicateKeys(b *testing.B) {
	body := []byte(`{"label": "node 1234", "position": {"x": 12.5, "y": -3.25, "z": 7}, "metadata": {"kind": "page", "source": "import"}}`)
	for _, c := range []struct {
		name  string
		check func([]byte) error
	}{{"scan", checkDuplicateKeys}, {"anchor=tokens", checkDuplicateKeysByTokens}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.check(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
