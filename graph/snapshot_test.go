package graph

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestSnapshotRoundTrip(t *testing.T) {
	g := randomGraph(rand.New(rand.NewPCG(7, 8)), 300, 900)
	b := snapshotBytes(t, g)
	back, err := UnmarshalGraph(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Info != g.Info || back.NodeCount() != g.NodeCount() || back.EdgeCount() != g.EdgeCount() {
		t.Fatalf("info %+v / %+v; counts %d/%d %d/%d", back.Info, g.Info, back.NodeCount(), g.NodeCount(), back.EdgeCount(), g.EdgeCount())
	}
	if !reflect.DeepEqual(back.Nodes(), g.Nodes()) || !reflect.DeepEqual(back.Edges(), g.Edges()) {
		t.Error("contents differ after a round trip")
	}
	if !bytes.Equal(snapshotBytes(t, back), b) {
		t.Error("re-encoding gives different bytes")
	}
}

func TestSnapshotRejectsDamage(t *testing.T) {
	g := randomGraph(rand.New(rand.NewPCG(9, 10)), 20, 40)
	b := snapshotBytes(t, g)
	for _, cut := range []int{0, 3, 4, 10, len(b) / 2, len(b) - 1} {
		if _, err := UnmarshalGraph(b[:cut]); err == nil {
			t.Errorf("truncated to %d bytes: accepted", cut)
		}
	}
	if _, err := UnmarshalGraph(append(bytes.Clone(b), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
}

func FuzzUnmarshalGraph(f *testing.F) {
	g := randomGraph(rand.New(rand.NewPCG(11, 12)), 5, 8)
	b, _ := g.MarshalBinary()
	f.Add(b)
	f.Add([]byte(snapshotMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := UnmarshalGraph(data)
		if err != nil {
			return
		}
		// Whatever decodes must be a consistent graph that encodes back to
		// something that decodes to the same graph.
		again, err := g.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		g2, err := UnmarshalGraph(again)
		if err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v", err)
		}
		if !reflect.DeepEqual(g.Nodes(), g2.Nodes()) || !reflect.DeepEqual(g.Edges(), g2.Edges()) {
			t.Fatal("round trip changed the graph")
		}
	})
}

func TestEventJSONRoundTrip(t *testing.T) {
	g := randomGraph(rand.New(rand.NewPCG(13, 14)), 10, 10)
	tx := g.Begin(testClock(), "c")
	r := rand.New(rand.NewPCG(15, 16))
	for range 50 {
		_, _ = tx.Do(randomOp(r, g))
	}
	evs := tx.Commit()
	b, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	var back []Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		evs[i].edgeOrd = 0 // internal to rollback, never serialised
	}
	if !reflect.DeepEqual(evs, back) {
		t.Error("events differ after a JSON round trip")
	}
}

// FuzzOps feeds arbitrary JSON op lists to a transaction: no input may panic,
// and a rollback must restore the graph exactly.
func FuzzOps(f *testing.F) {
	f.Add([]byte(`[{"op":"addNode","id":"x","label":"X"},{"op":"addEdge","source":"x","target":"n1"}]`))
	f.Add([]byte(`[{"op":"removeNode","id":"n1"},{"op":"updateEdge","id":"e1","weight":2}]`))
	f.Add([]byte(`[{"op":"updateNode","id":"n2","metadata":{"kind":null},"position":{"x":1,"y":2,"z":3}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ops []Op
		if json.Unmarshal(data, &ops) != nil {
			return
		}
		g := randomGraph(rand.New(rand.NewPCG(1, 1)), 6, 8)
		before, _ := g.MarshalBinary()
		tx := g.Begin(testClock(), "fuzz")
		for _, op := range ops {
			_, _ = tx.Do(op)
		}
		tx.Rollback()
		after, _ := g.MarshalBinary()
		if !bytes.Equal(before, after) {
			t.Fatal("rollback did not restore the graph")
		}
	})
}
