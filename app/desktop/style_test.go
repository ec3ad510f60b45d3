package desktop

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"

	"visionflow/graph"
	"visionflow/render"
	"visionflow/settings"
	"visionflow/store"
)

// defaults are the schema's default values.
func defaults() values {
	v := values{}
	for _, f := range settings.Schema {
		x, err := f.Parse(json.RawMessage(mustJSON(f.Default)))
		if err != nil {
			panic(err)
		}
		v[f.Path] = x
	}
	return v
}

func mustJSON(x any) []byte {
	b, err := json.Marshal(x)
	if err != nil {
		panic(err)
	}
	return b
}

func TestMetadataShape(t *testing.T) {
	for _, tc := range []struct {
		md   map[string]string
		want uint32
	}{
		{nil, render.ShapeSphere},
		{map[string]string{"shape": "cube"}, render.ShapeCube},
		{map[string]string{"shape": "Diamond", "kind": "page"}, render.ShapeOctahedron},
		{map[string]string{"shape": "sphere"}, render.ShapeSphere},
		{map[string]string{"note": "no shape field"}, render.ShapeSphere},
	} {
		if got := metadataShape(tc.md); got != tc.want {
			t.Errorf("%v: shape %d, want %d", tc.md, got, tc.want)
		}
	}
	// Values without a named shape share one by kind, and not all kinds
	// get the same.
	seen := map[uint32]bool{}
	for _, kind := range []string{"page", "journal", "reference", "tag", "agent", "task", "file"} {
		a := metadataShape(map[string]string{"kind": kind})
		if b := metadataShape(map[string]string{"kind": kind, "file": "x"}); a != b || a > 2 {
			t.Errorf("kind %q: shapes %d and %d", kind, a, b)
		}
		seen[a] = true
	}
	if len(seen) < 2 {
		t.Errorf("seven kinds got %d shapes", len(seen))
	}
}

func TestNodeStyle(t *testing.T) {
	v := defaults()
	knowledge := nodeStyle(&nodeView{degree: 0, shape: render.ShapeCube}, v)
	if knowledge.Color != [4]uint8{0x00, 0xe5, 0xff, 255} || knowledge.Shape != render.ShapeSphere || knowledge.Flags != 0 || knowledge.Size != 1 {
		t.Errorf("knowledge node %+v", knowledge)
	}
	agent := nodeStyle(&nodeView{agent: true, pinned: true, degree: 10}, v)
	if agent.Color != [4]uint8{0x40, 0xff, 0x00, 255} || agent.Shape != render.ShapeOctahedron || agent.Flags != render.FlagAgent|render.FlagPinned {
		t.Errorf("agent node %+v", agent)
	}
	if agent.Size <= knowledge.Size {
		t.Errorf("a hub (degree 10) is no larger than a leaf: %v vs %v", agent.Size, knowledge.Size)
	}
	v["nodes.enableMetadataShape"] = true
	if s := nodeStyle(&nodeView{shape: render.ShapeCube}, v); s.Shape != render.ShapeCube {
		t.Errorf("metadata shape ignored: %+v", s)
	}
	if !isAgent(&graph.Node{Type: graph.Agents}) || isAgent(&graph.Node{Type: graph.Knowledge, WireID: graph.MakeWireID(graph.Knowledge, 3)}) {
		t.Error("isAgent")
	}
}

func TestEdgeWidth(t *testing.T) {
	v := defaults() // base 0.5, range 0.3–1.5
	for _, tc := range []struct{ weight, want float32 }{{1, 0.5}, {2, 1}, {10, 1.5}, {0.1, 0.3}} {
		if got := edgeWidth(tc.weight, v); got != tc.want {
			t.Errorf("weight %v: width %v, want %v", tc.weight, got, tc.want)
		}
	}
}

func TestSceneSettings(t *testing.T) {
	v := defaults()
	s := sceneSettings(v)
	if s.Background != [3]uint8{0x0a, 0x0e, 0x1a} || s.Quality != 2 || !s.Instancing || !s.Hologram || s.EdgeColor != [3]uint8{0x56, 0xb6, 0xc2} || s.NodeSize != 1.2 {
		t.Errorf("%+v", s)
	}
	v["nodes.quality"] = "low"
	if sceneSettings(v).Quality != 0 {
		t.Error("quality low")
	}
	if parseColor("nonsense") != [3]uint8{255, 255, 255} {
		t.Error("a bad colour is not white")
	}
}

// A host's settings tree, as GET /api/settings sends it, flattens to the
// values the local manager holds; a tree missing a setting or holding a
// wrong value is refused.
func TestSettingsFromTree(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := settings.Open(ctx, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(ctx, "t", []settings.Update{{Path: "edges.widthRange", Value: json.RawMessage(`[0.2, 3]`)}}); err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := json.Unmarshal(mustJSON(m.Tree()), &tree); err != nil {
		t.Fatal(err)
	}
	got, err := settingsFromTree(tree)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range settings.Schema {
		want, _ := m.Value(f.Path)
		if !reflect.DeepEqual(got[f.Path], want) {
			t.Errorf("%s: %#v, want %#v", f.Path, got[f.Path], want)
		}
	}
	delete(tree["physics"].(map[string]any), "springK")
	if _, err := settingsFromTree(tree); err == nil {
		t.Error("a tree without physics.springK was taken")
	}
	tree["physics"].(map[string]any)["springK"] = "strong"
	if _, err := settingsFromTree(tree); err == nil {
		t.Error("a string springK was taken")
	}
}

// FuzzSettingsFromTree feeds the decoder of a host's settings whatever
// JSON: it must never panic, and what it takes must be valid everywhere.
func FuzzSettingsFromTree(f *testing.F) {
	f.Add(`{"nodes":{"baseColor":"#ffffff"}}`)
	f.Add(`{"physics":{"springK":1e400}}`)
	f.Add(string(mustJSON(map[string]any{"rendering": map[string]any{"backgroundColor": "#000000"}})))
	f.Fuzz(func(t *testing.T, s string) {
		var tree map[string]any
		if json.Unmarshal([]byte(s), &tree) != nil {
			return
		}
		got, err := settingsFromTree(tree)
		if err != nil {
			return
		}
		for _, fld := range settings.Schema {
			if _, err := fld.Parse(mustJSON(got[fld.Path])); err != nil {
				t.Errorf("%s: took %v: %v", fld.Path, got[fld.Path], err)
			}
		}
	})
}
