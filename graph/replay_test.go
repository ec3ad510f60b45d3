package graph

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// Replaying contents from a snapshot and the events after it gives what the
// graph itself held, at every point of a random history; and from no
// snapshot at all.
func TestContentsReplayMatchesTheGraph(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	g := randomGraph(r, 400, 900)
	snap, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	replay, err := ContentsReplayFromSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	var all []Event
	for round := range 80 {
		tx := g.Begin(testClock(), "c")
		for range r.IntN(12) + 1 {
			_, _ = tx.Do(randomOp(r, g))
		}
		if round%7 == 6 {
			tx.Rollback()
			continue
		}
		evs := tx.Commit()
		all = append(all, evs...)
		for _, ev := range evs {
			if err := replay.Apply(ev); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if round%10 == 9 {
			// A copy, since Contents compacts the replay it is called on.
			cp := &ContentsReplay{c: Contents{Info: replay.c.Info, Nodes: append([]Node(nil), replay.c.Nodes...), Edges: append([]Edge(nil), replay.c.Edges...)}, gone: replay.gone}
			got, want := cp.Contents(), g.Contents()
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d: replayed %d nodes, %d edges; the graph has %d, %d", round, len(got.Nodes), len(got.Edges), len(want.Nodes), len(want.Edges))
			}
		}
	}
	if got, want := replay.Contents(), g.Contents(); !reflect.DeepEqual(got, want) {
		t.Fatal("the final replay differs from the graph")
	}
	// An event that does not fit is an error.
	bad := all[len(all)-1]
	bad.Seq = g.Seq + 1
	bad.Type = NodeMoved
	bad.ID = "nobody"
	fresh, _ := ContentsReplayFromSnapshot(snap)
	if err := fresh.Apply(bad); err == nil {
		t.Error("an event out of sequence applied")
	}
}

func FuzzContentsReplayFromSnapshot(f *testing.F) {
	g := randomGraph(rand.New(rand.NewPCG(11, 12)), 5, 8)
	b, _ := g.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ContentsReplayFromSnapshot(data)
		if err != nil {
			return
		}
		c := r.Contents()
		// Whatever the graph decoder takes, this one gives the same.
		if g, err := UnmarshalGraph(data); err == nil && !reflect.DeepEqual(c, g.Contents()) {
			t.Fatal("the contents differ from the decoded graph's")
		}
	})
}
