package graph

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// A view equals the graph it was taken from, whatever happened before it
// (commits, rolled-back transactions, a restore), and stays as it was
// while the graph goes on changing.
func TestViewFollowsTheGraphAndNeverChanges(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	g := randomGraph(r, 1500, 3000) // more than a chunk of nodes and edges
	type taken struct {
		v    *View
		want Contents
	}
	var views []taken
	check := func(when string) {
		t.Helper()
		v := g.View()
		got, want := v.Contents(), g.Contents()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the view differs from the graph (%d/%d nodes, %d/%d edges)", when, len(got.Nodes), len(want.Nodes), len(got.Edges), len(want.Edges))
		}
		if v.NodeCount() != g.NodeCount() || v.EdgeCount() != g.EdgeCount() {
			t.Fatalf("%s: view counts %d/%d, graph %d/%d", when, v.NodeCount(), v.EdgeCount(), g.NodeCount(), g.EdgeCount())
		}
		views = append(views, taken{v, want})
	}
	check("first view")
	for round := range 60 {
		tx := g.Begin(testClock(), "c")
		for range r.IntN(20) + 1 {
			_, _ = tx.Do(randomOp(r, g))
		}
		if round%5 == 4 {
			tx.Rollback()
		} else {
			tx.Commit()
		}
		// Layout motion is not a change of the view.
		for _, n := range g.Nodes()[:3] {
			g.SetLayout(n.ID, Vec3{X: 9, Y: 9, Z: 9}, Vec3{})
		}
		if round%3 == 0 {
			continue // several rounds between two views
		}
		for i := range views {
			views[i].want = views[i].v.Contents() // positions as the view has them
		}
		before := make([]Contents, len(views))
		for i := range views {
			before[i] = views[i].v.Contents()
		}
		v := g.View()
		want := g.Contents()
		got := v.Contents()
		for i := range want.Nodes {
			want.Nodes[i].Position, want.Nodes[i].Velocity = got.Nodes[i].Position, got.Nodes[i].Velocity
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: the view differs from the graph", round)
		}
		for i := range views {
			if !reflect.DeepEqual(views[i].v.Contents(), before[i]) {
				t.Fatalf("round %d: view %d changed after it was taken", round, i)
			}
		}
		views = append(views, taken{v, got})
	}
}

// A view of an unchanged graph is the same view.
func TestViewOfAnUnchangedGraphIsFree(t *testing.T) {
	g := randomGraph(rand.New(rand.NewPCG(1, 2)), 50, 80)
	if first, second := g.View(), g.View(); first != second {
		t.Error("two views of the same state are two copies")
	}
}

func BenchmarkViewAfterOneChange(b *testing.B) {
	g := randomGraph(rand.New(rand.NewPCG(1, 2)), 64_000, 245_000)
	g.View()
	i := 0
	for b.Loop() {
		tx := g.Begin(testClock(), "b")
		if _, err := tx.Do(Op{Op: UpdateNode, ID: "n" + string(rune('0'+i%10)), Label: str("x")}); err != nil {
			b.Fatal(err)
		}
		tx.Commit()
		g.View()
		i++
	}
}
