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

// A layout row ends after its last node, and rows of any length up to a
// whole chunk (those written before rows were cut short too) read back.
func TestLayoutRowsEndAtTheirLastNode(t *testing.T) {
	g := graph.New(graph.Info{ID: "g", Type: graph.Knowledge})
	clock := graph.NewClock(nil)
	tx := g.Begin(clock, "t")
	for i := range 3 {
		p := graph.Vec3{X: float32(i + 1), Y: 2, Z: 3}
		if _, err := tx.Do(graph.Op{Op: graph.AddNode, Position: &p}); err != nil {
			t.Fatal(err)
		}
	}
	tx.Commit()
	row := encodeChunk(nil, g, 0)
	if want := 4 * slotBytes; len(row) != want { // wire indices start at 1
		t.Fatalf("a row for nodes up to slot 3 has %d bytes, want %d", len(row), want)
	}
	full := append(append([]byte(nil), row...), make([]byte, chunkNodes*slotBytes-len(row))...)
	for _, b := range [][]byte{row, full} {
		back := graph.New(graph.Info{ID: "g", Type: graph.Knowledge})
		tx := back.Begin(clock, "t")
		for range 3 {
			if _, err := tx.Do(graph.Op{Op: graph.AddNode}); err != nil {
				t.Fatal(err)
			}
		}
		tx.Commit()
		if err := applyChunk(back, 0, b); err != nil {
			t.Fatalf("%d bytes: %v", len(b), err)
		}
		for i := uint32(1); i <= 3; i++ {
			want, _ := g.NodeAt(i)
			got, _ := back.NodeAt(i)
			if got.Position != want.Position || got.Position.X != float32(i) {
				t.Errorf("%d-byte row: node %d at %v, want %v", len(b), i, got.Position, want.Position)
			}
		}
	}
	if err := applyChunk(g, 0, row[:len(row)-1]); err == nil {
		t.Error("a row cut inside a slot was taken")
	}
}
