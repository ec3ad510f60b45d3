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
