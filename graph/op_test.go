package graph

import (
	"encoding/json"
	"strings"
	"testing"
)

// An op's JSON names its fields exactly; anything else is refused with
// the name, and a body that is not an object says what it should be.
func TestOpJSON(t *testing.T) {
	var op Op
	if err := json.Unmarshal([]byte(`{"op": "addNode", "label": "a", "position": {"x": 1, "y": 2, "z": 3}, "metadata": {"k": null}}`), &op); err != nil {
		t.Fatal(err)
	}
	if op.Op != AddNode || *op.Label != "a" || op.Position.Z != 3 || op.Metadata["k"] != nil {
		t.Errorf("decoded %+v", op)
	}
	for body, want := range map[string]string{
		`{"op": "addNode", "Label": "a"}`: `unknown field "Label"`,
		`{"op": "addNode", "colour": 1}`:  `unknown field "colour"`,
		`["addNode"]`:                     `graph.Op`,
		`{"op": "addNode", "label": 7}`:   `Op.label of type string`,
	} {
		err := json.Unmarshal([]byte(body), &Op{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", body, err, want)
		}
	}
}
