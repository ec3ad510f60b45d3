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
