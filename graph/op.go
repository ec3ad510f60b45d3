package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"slices"
	"strconv"
	"visionflow/internal/strictjson"
)

// OpKind names a change a client asks for.
type OpKind string

const (
	AddNode    OpKind = "addNode"
	UpdateNode OpKind = "updateNode"
	RemoveNode OpKind = "removeNode"
	AddEdge    OpKind = "addEdge"
	UpdateEdge OpKind = "updateEdge"
	RemoveEdge OpKind = "removeEdge"
)

// Op is one change requested by a client (REST, WebSocket, MCP, the UI).
// Fields that do not apply to the kind must be left out. Pointers tell
// "not given" from a zero value; in a metadata map a null value removes the
// key.
type Op struct {
	Op        OpKind             `json:"op"`
	ID        string             `json:"id,omitempty"`
	Label     *string            `json:"label,omitempty"`
	Position  *Vec3              `json:"position,omitempty"`
	Velocity  *Vec3              `json:"velocity,omitempty"`
	Pinned    *bool              `json:"pinned,omitempty"`
	Metadata  map[string]*string `json:"metadata,omitempty"`
	GraphType Type               `json:"graphType,omitempty"`
	Source    string             `json:"source,omitempty"`
	Target    string             `json:"target,omitempty"`
	Weight    *float32           `json:"weight,omitempty"`
}

// opJSONFields are the JSON names of Op's fields.
var opJSONFields = []string{"op", "id", "label", "position", "velocity", "pinned", "metadata", "graphType", "source", "target", "weight"}

// UnmarshalJSON decodes an op, refusing field names that are not exactly
// Op's (encoding/json alone would take "Label" or "LABEL" for "label").
func (op *Op) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, opJSONFields); err != nil {
		return err
	}
	type plain Op
	err := json.Unmarshal(b, (*plain)(op))
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) { // named as the caller knows it
		if typ.Type == reflect.TypeFor[plain]() {
			typ.Type = reflect.TypeFor[Op]()
		}
		if typ.Struct == "plain" {
			typ.Struct = "Op"
		}
	}
	return err
}

// opFields lists the optional fields each kind of op accepts.
var opFields = map[OpKind][]string{
	AddNode:    {"label", "position", "velocity", "pinned", "metadata", "graphType"},
	UpdateNode: {"label", "position", "pinned", "metadata"},
	RemoveNode: nil,
	AddEdge:    {"label", "metadata", "source", "target", "weight"},
	UpdateEdge: {"label", "metadata", "weight"},
	RemoveEdge: nil,
}

// check rejects fields that make no sense for the op's kind, so a client's
// mistake (a weight on a node, a source on an update) is reported instead of
// silently ignored.
func (op *Op) check() error {
	allowed, ok := opFields[op.Op]
	if !ok {
		return errf(ErrInvalid, "op", "%q is not an operation (want addNode, updateNode, removeNode, addEdge, updateEdge or removeEdge)", string(op.Op))
	}
	given := []struct {
		name string
		set  bool
	}{
		{"label", op.Label != nil},
		{"position", op.Position != nil},
		{"velocity", op.Velocity != nil},
		{"pinned", op.Pinned != nil},
		{"metadata", op.Metadata != nil},
		{"graphType", op.GraphType != ""},
		{"source", op.Source != ""},
		{"target", op.Target != ""},
		{"weight", op.Weight != nil},
	}
	for _, f := range given {
		if f.set && !slices.Contains(allowed, f.name) {
			return errf(ErrInvalid, string(op.Op), "field %q does not apply to %s", f.name, op.Op)
		}
	}
	return nil
}

// addedMetadata turns an op's metadata into a plain map; null values only
// make sense when updating.
func addedMetadata(field string, md map[string]*string) (map[string]string, error) {
	if len(md) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(md))
	for k, v := range md {
		if v == nil {
			return nil, errf(ErrInvalid, field+"["+strconv.Quote(k)+"]", "is null; a new object's metadata values must be strings")
		}
		out[k] = *v
	}
	return out, nil
}

// InitialPosition places a new node that came without a position: a point
// in a ball whose volume grows with the graph, derived from the id so the
// same graph always starts from the same layout.
func InitialPosition(id string, nodes int) Vec3 {
	h := fnv.New64a()
	h.Write([]byte(id))
	s := h.Sum64()
	u := float64(s&0xFFFFF) / float64(0xFFFFF)       // radius fraction
	v := float64((s>>20)&0xFFFFF) / float64(0xFFFFF) // cos(polar)
	w := float64((s>>40)&0xFFFFF) / float64(0xFFFFF) // azimuth
	radius := 10 * math.Cbrt(float64(nodes+1)) * math.Cbrt(u)
	cosT := 2*v - 1
	sinT := math.Sqrt(1 - cosT*cosT)
	phi := 2 * math.Pi * w
	return Vec3{
		X: float32(radius * sinT * math.Cos(phi)),
		Y: float32(radius * sinT * math.Sin(phi)),
		Z: float32(radius * cosT),
	}
}

func (op *Op) String() string {
	switch {
	case op.ID != "":
		return fmt.Sprintf("%s %q", op.Op, op.ID)
	case op.Source != "":
		return fmt.Sprintf("%s %q→%q", op.Op, op.Source, op.Target)
	}
	return string(op.Op)
}
