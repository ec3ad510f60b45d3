package compute

import (
	"testing"
	"time"

	"visionflow/graph"
)

// Many nodes at one point (an import without layout, or a pile-up on the
// bounds) must not make a step quadratic.
func TestNodesAtOnePointStayCheap(t *testing.T) {
	const n = 20_000
	bodies := make([]Body, n)
	for i := range bodies {
		bodies[i] = Body{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1))}
	}
	e := load(t, 0, bodies, nil)
	seen := map[vec3]bool{}
	for _, p := range e.pos {
		seen[p] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct positions for %d bodies added at one point", len(seen), n)
	}
	// The octree case the nudge cannot prevent: exact duplicates made
	// directly (as bodies that reach the same spot would be).
	for i := range e.pos {
		e.pos[i] = vec3{}
	}
	p := DefaultParams()
	start := time.Now()
	e.Step(p)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("one step with %d bodies at one point took %v", n, took)
	}
	for i := range e.pos {
		if !(e.pos[i].len2() < 1e12) {
			t.Fatalf("body %d at %v", i, e.pos[i])
		}
	}
}

func TestBoundsDoNotPileBodiesUp(t *testing.T) {
	bodies, springs := skewed(3000, 3000, 9)
	e := load(t, 0, bodies, springs)
	p := DefaultParams()
	p.Gravity, p.BoundsSize = -5, 200 // everything flies outwards onto the bounds
	for range 100 {
		e.Step(p)
	}
	seen := map[vec3]bool{}
	for _, q := range e.pos {
		seen[q] = true
	}
	if len(seen) < 2900 {
		t.Errorf("only %d distinct positions of 3000 after a pile-up on the bounds", len(seen))
	}
}

// Bodies added later to a laid-out engine, a few at a time (edits), are
// nudged off every existing body's place, inside or outside the box the
// new ones span.
func TestAddedBodiesAvoidExistingPlaces(t *testing.T) {
	bodies, springs := skewed(2000, 2000, 3)
	e := load(t, 0, bodies, springs)
	for range 5 {
		e.Step(DefaultParams())
	}
	next := uint32(100_000)
	for k := range 50 {
		// One body on an existing place, then two on each other and on
		// another existing place.
		a, b := e.pos[k*7], e.pos[k*11+1]
		add := []Body{{ID: graph.MakeWireID(graph.Knowledge, next), Position: fromVec(a)}}
		add = append(add, Body{ID: graph.MakeWireID(graph.Knowledge, next+1), Position: fromVec(b)}, Body{ID: graph.MakeWireID(graph.Knowledge, next+2), Position: fromVec(b)})
		next += 3
		if err := e.AddBodies(add); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[vec3]bool{}
	for _, p := range e.pos {
		if seen[p] {
			t.Fatalf("two bodies at %v", p)
		}
		seen[p] = true
	}
}

// Once a resting layout keeps its places in a map, the map follows
// removals and moves: a freed place is free, a place moved onto is taken.
func TestPlacesFollowRemovalsAndMoves(t *testing.T) {
	bodies, springs := skewed(500, 500, 5)
	e := load(t, 0, bodies, springs)
	e.Step(DefaultParams())
	next := uint32(100_000)
	add := func(at vec3) vec3 {
		t.Helper()
		id := graph.MakeWireID(graph.Knowledge, next)
		next++
		if err := e.AddBodies([]Body{{ID: id, Position: fromVec(at)}}); err != nil {
			t.Fatal(err)
		}
		return e.pos[e.index[id]]
	}
	for k := range placesMapAfter + 2 {
		add(vec3{float32(k), 1000, 0})
	}
	if e.places == nil {
		t.Fatalf("no map of places after %d additions to a resting layout", placesMapAfter+2)
	}
	freed := e.pos[7]
	e.RemoveBodies([]graph.WireID{e.ids[7]})
	if got := add(freed); got != freed {
		t.Errorf("a body added where a removed one was went to %v, not %v", got, freed)
	}
	target, left := vec3{-4000, 5, 5}, e.pos[3]
	e.Move(e.ids[3], fromVec(target))
	if got := add(target); got == target {
		t.Errorf("a body added where another was moved to stayed on it")
	}
	if got := add(left); got != left {
		t.Errorf("a body added where another moved away from went to %v, not %v", got, left)
	}
	e.Step(DefaultParams())
	if e.places != nil {
		t.Errorf("the map of places outlived a step")
	}
	seen := map[vec3]bool{}
	for _, p := range e.pos {
		if seen[p] {
			t.Fatalf("two bodies at %v", p)
		}
		seen[p] = true
	}
}
