package store

import (
	"reflect"
	"testing"

	"visionflow/graph"
)

func TestCodecRoundTrip(t *testing.T) {
	md := map[string]string{"kind": "page", "": "empty key survives", "ü": "ß"}
	back, err := decodeMetadata(encodeMetadata(md))
	if err != nil || !reflect.DeepEqual(back, md) {
		t.Errorf("metadata: %v %v", back, err)
	}
	if encodeMetadata(nil) != nil {
		t.Error("empty metadata is not NULL")
	}
	for _, e := range []graph.Edge{
		{Weight: 1},
		{Label: "link", Weight: 1},
		{Weight: 2.5},
		{Label: "x", Weight: 0, Metadata: map[string]string{"a": "b"}},
	} {
		var got graph.Edge
		if err := decodeEdgeAttrs(encodeEdgeAttrs(&e), &got); err != nil || !reflect.DeepEqual(got, e) {
			t.Errorf("edge attrs %+v → %+v, %v", e, got, err)
		}
	}
	if encodeEdgeAttrs(&graph.Edge{Weight: 1}) != nil {
		t.Error("default attributes are not NULL")
	}
}

func FuzzDecodeStoredValues(f *testing.F) {
	f.Add(encodeMetadata(map[string]string{"k": "v"}))
	f.Add(encodeEdgeAttrs(&graph.Edge{Label: "l", Weight: 3, Metadata: map[string]string{"a": "b"}}))
	f.Add([]byte{7, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if md, err := decodeMetadata(b); err == nil {
			again, err := decodeMetadata(encodeMetadata(md))
			if err != nil || len(again) != len(md) {
				t.Fatalf("metadata %q: re-encoding gives %v, %v", b, again, err)
			}
		}
		var e graph.Edge
		if err := decodeEdgeAttrs(b, &e); err == nil {
			var again graph.Edge
			if err := decodeEdgeAttrs(encodeEdgeAttrs(&e), &again); err != nil || again.Label != e.Label || len(again.Metadata) != len(e.Metadata) {
				t.Fatalf("edge attrs %q: re-encoding gives %+v, %v", b, again, err)
			}
		}
		g := graph.New(graph.Info{ID: "f", Type: graph.Knowledge})
		_ = applyChunk(g, 0, b) // must not panic on any input
	})
}
