package compute

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"visionflow/graph"
	"visionflow/graph/gen"
)

// skewed returns bodies scattered in a ball and the springs of a skewed graph.
func skewed(n, m int, seed uint64) ([]Body, []Spring) {
	r := rand.New(rand.NewPCG(seed, 1))
	bodies := make([]Body, n)
	for i := range bodies {
		bodies[i] = Body{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1)), Position: graph.InitialPosition(fmt.Sprint(r.Uint64()), n)}
	}
	var springs []Spring
	for _, e := range gen.SkewedEdges(n, m, seed) {
		springs = append(springs, Spring{Source: bodies[e.Source].ID, Target: bodies[e.Target].ID, Weight: 1})
	}
	return bodies, springs
}

func load(t testing.TB, workers int, bodies []Body, springs []Spring) *CPU {
	t.Helper()
	e := NewCPU(workers)
	if err := e.Load(bodies, springs); err != nil {
		t.Fatal(err)
	}
	e.rebuild()
	return e
}

// referenceRepulsion is an independent all-pairs computation in float64:
// F_i = repelK·m_i·Σ_j m_j (p_i − p_j) / (|p_i − p_j|² + ε²)^{3/2}, over the
// pairs closer than cutoff when cutoff > 0.
func referenceRepulsion(pos []vec3, mass []float32, p Params, cutoff float64) [][3]float64 {
	eps2 := float64(softening(&p))
	out := make([][3]float64, len(pos))
	for i := range pos {
		var f [3]float64
		for j := range pos {
			if i == j {
				continue
			}
			var d [3]float64
			var d2 float64
			for k := range 3 {
				d[k] = float64(pos[i][k]) - float64(pos[j][k])
				d2 += d[k] * d[k]
			}
			if cutoff > 0 && d2 > cutoff*cutoff {
				continue
			}
			s := float64(mass[j]) / math.Pow(d2+eps2, 1.5)
			for k := range 3 {
				f[k] += s * d[k]
			}
		}
		for k := range 3 {
			out[i][k] = f[k] * float64(p.RepelK) * float64(mass[i])
		}
	}
	return out
}

// relErrors returns |got − want| / |want| for every body, sorted.
func relErrors(got []vec3, want [][3]float64) []float64 {
	errs := make([]float64, len(want))
	for i := range want {
		var diff, norm float64
		for k := range 3 {
			diff += math.Pow(float64(got[i][k])-want[i][k], 2)
			norm += want[i][k] * want[i][k]
		}
		errs[i] = math.Sqrt(diff / norm)
	}
	slices.Sort(errs)
	return errs
}

func onlyRepulsion(p Params) Params {
	p.Features = Repulsion
	return p
}

// The Barnes–Hut forces stay within a stated error of the exact all-pairs
// sum, on 3000 bodies of a skewed graph: with θ = 0.5 the relative error per
// body has a median below 0.5% and a 99th percentile below 2%; with the
// default θ = 0.8, below 2% and 6% (measured: 0.14%/0.75% and 0.68%/3.9%).
func TestBarnesHutMatchesAllPairs(t *testing.T) {
	bodies, springs := skewed(3000, 9000, 1)
	e := load(t, 0, bodies, springs)
	for _, tc := range []struct {
		theta, p50, p99 float64
	}{{0.5, 0.005, 0.02}, {0.8, 0.02, 0.06}} {
		p := onlyRepulsion(DefaultParams())
		p.Theta = float32(tc.theta)
		want := referenceRepulsion(e.pos, e.mass, p, 0)
		e.forces(&p)
		errs := relErrors(e.force, want)
		p50, p99, worst := errs[len(errs)/2], errs[len(errs)*99/100], errs[len(errs)-1]
		t.Logf("θ=%.1f: relative force error median %.4f, p99 %.4f, max %.4f", tc.theta, p50, p99, worst)
		if p50 > tc.p50 || p99 > tc.p99 {
			t.Errorf("θ=%.1f: median %.4f (limit %.3f), p99 %.4f (limit %.3f)", tc.theta, p50, tc.p50, p99, tc.p99)
		}
	}
	// θ = 0 is the exact sum (float32 rounding only).
	p := onlyRepulsion(DefaultParams())
	p.Theta = 0
	want := referenceRepulsion(e.pos, e.mass, p, 0)
	e.forces(&p)
	if worst := relErrors(e.force, want)[len(want)-1]; worst > 1e-4 {
		t.Errorf("θ=0: max relative error %.2g", worst)
	}
}

func TestGridRepulsionHonoursTheCutoff(t *testing.T) {
	bodies, springs := skewed(2000, 4000, 2)
	e := load(t, 0, bodies, springs)
	p := onlyRepulsion(DefaultParams())
	p.RepulsionCutoff, p.GridCellSize = 60, 25 // cubes are widened to the cutoff
	want := referenceRepulsion(e.pos, e.mass, p, 60)
	e.forces(&p)
	if worst := relErrors(e.force, want)[len(want)-1]; worst > 1e-4 {
		t.Errorf("grid vs exact within the cutoff: max relative error %.2g", worst)
	}
}

func TestEnergyFallsAsTheLayoutSettles(t *testing.T) {
	bodies, springs := skewed(2000, 6000, 3)
	e := load(t, 0, bodies, springs)
	p := DefaultParams()
	var early, late float64
	var last Stats
	for s := range 600 {
		st := e.Step(p)
		switch {
		case s >= 20 && s < 70:
			early += st.Kinetic
		case s >= 550:
			late += st.Kinetic
		}
		if !(st.Kinetic < math.Inf(1)) {
			t.Fatalf("step %d: kinetic energy %v", s, st.Kinetic)
		}
		last = st
	}
	t.Logf("kinetic energy over 50 steps: %.4g early, %.4g late; last max move %.3g, temperature %.3g", early, late, last.MaxMove, last.Temperature)
	if late > early/100 {
		t.Errorf("energy did not fall a hundredfold: %.4g then %.4g", early, late)
	}
	if last.MaxMove > 0.05*p.RestLength {
		t.Errorf("still moving %.3g a step after 600 steps", last.MaxMove)
	}
}

func TestStepsAreDeterministicWhateverTheCores(t *testing.T) {
	bodies, springs := skewed(3000, 9000, 4)
	a, b := load(t, 1, bodies, springs), load(t, 4, bodies, springs)
	p := DefaultParams()
	for range 30 {
		a.Step(p)
		b.Step(p)
	}
	if !slices.Equal(a.Bodies(nil), b.Bodies(nil)) {
		t.Error("1 and 4 workers give different layouts")
	}
}

func TestPinnedBodiesStayPut(t *testing.T) {
	bodies, springs := skewed(500, 1500, 5)
	bodies[0].Pinned = true
	e := load(t, 0, bodies, springs)
	where := graph.Vec3{X: 100, Y: -50, Z: 25}
	e.Move(bodies[1].ID, where)
	e.Pin(bodies[1].ID, true)
	p := DefaultParams()
	for range 100 {
		e.Step(p)
	}
	got := e.Bodies(nil)
	if got[0].Position != bodies[0].Position || got[1].Position != where || got[0].Velocity != (graph.Vec3{}) {
		t.Errorf("pinned bodies moved: %+v %+v", got[0], got[1])
	}
	if got[2].Position == bodies[2].Position {
		t.Error("an unpinned body did not move; the test proves nothing")
	}
	e.Pin(bodies[1].ID, false)
	e.Step(p)
	if e.Bodies(nil)[1].Position == where {
		t.Error("unpinned body stayed put")
	}
}

func TestHubsWithThousandsOfSpringsStayStable(t *testing.T) {
	const n = 6000
	bodies, _ := skewed(n, 0, 6)
	var springs []Spring
	for i := 1; i < n; i++ { // a star: one hub with 5999 springs
		springs = append(springs, Spring{Source: bodies[0].ID, Target: bodies[i].ID, Weight: 1})
	}
	e := load(t, 0, bodies, springs)
	p := DefaultParams()
	for range 300 {
		e.Step(p)
	}
	hub := e.pos[0]
	var far float32
	for i := 1; i < n; i++ {
		if !(e.pos[i].len2() < 1e12) {
			t.Fatalf("body %d at %v", i, e.pos[i])
		}
		far = max(far, sqrt32(e.pos[i].sub(hub).len2()))
	}
	if far > 20*p.RestLength*sqrt32(n)/10 {
		t.Errorf("leaves of the star spread to %.0f from the hub", far)
	}
}

func TestIncrementalChangesKeepTheRest(t *testing.T) {
	bodies, springs := skewed(300, 600, 7)
	e := load(t, 0, bodies, springs)
	p := DefaultParams()
	for range 20 {
		e.Step(p)
	}
	before := e.Bodies(nil)
	extra := Body{ID: graph.MakeWireID(graph.Agents, 1000), Position: graph.Vec3{X: 5}}
	if err := e.AddBodies([]Body{extra}); err != nil {
		t.Fatal(err)
	}
	if err := e.AddBodies([]Body{extra}); err == nil {
		t.Error("adding a body twice was accepted")
	}
	if err := e.SetSprings(append(springs, Spring{Source: extra.ID, Target: bodies[0].ID, Weight: 2})); err != nil {
		t.Fatal(err)
	}
	e.RemoveBodies([]graph.WireID{bodies[10].ID, bodies[20].ID})
	if e.Len() != 299 {
		t.Fatalf("%d bodies", e.Len())
	}
	after := map[graph.WireID]Body{}
	for _, b := range e.Bodies(nil) {
		after[b.ID] = b
	}
	for _, b := range before {
		if b.ID == bodies[10].ID || b.ID == bodies[20].ID {
			if _, ok := after[b.ID]; ok {
				t.Errorf("removed body %#x still there", uint32(b.ID))
			}
		} else if after[b.ID] != b {
			t.Errorf("body %#x changed by unrelated edits", uint32(b.ID))
		}
	}
	for _, s := range e.springs {
		if s.Source == bodies[10].ID || s.Target == bodies[10].ID {
			t.Fatal("a spring to a removed body remains")
		}
	}
	if err := e.SetSprings([]Spring{{Source: bodies[10].ID, Target: bodies[0].ID}}); err == nil {
		t.Error("a spring to a removed body was accepted")
	}
	e.Step(p) // the rebuilt engine steps
}

func TestEachForceDoesWhatItSays(t *testing.T) {
	pair := []Body{
		{ID: graph.MakeWireID(graph.Knowledge, 1), Position: graph.Vec3{X: -100}},
		{ID: graph.MakeWireID(graph.Knowledge, 2), Position: graph.Vec3{X: 100}},
	}
	spring := []Spring{{Source: pair[0].ID, Target: pair[1].ID, Weight: 1}}
	run := func(f Features, steps int, springs []Spring) float32 {
		e := load(t, 0, pair, springs)
		p := DefaultParams()
		p.Features = f
		for range steps {
			e.Step(p)
		}
		b := e.Bodies(nil)
		return sqrt32(toVec(b[0].Position).sub(toVec(b[1].Position)).len2())
	}
	if d := run(Springs, 500, spring); math.Abs(float64(d-30)) > 0.5 {
		t.Errorf("springs alone: distance %.2f, want the rest length 30", d)
	}
	if d := run(Repulsion, 50, nil); d <= 200 {
		t.Errorf("repulsion alone: distance %.2f, want more than 200", d)
	}
	if d := run(Gravity, 200, nil); d >= 200 {
		t.Errorf("gravity alone: distance %.2f, want less than 200", d)
	}
	if d := run(Attraction, 200, spring); d != 200 {
		t.Errorf("attraction with attractionK 0: distance %.2f, want no change", d)
	}
	if d := run(0, 50, spring); d != 200 {
		t.Errorf("no forces: distance %.2f", d)
	}
}

func TestBoundsKeepBodiesIn(t *testing.T) {
	bodies := []Body{{ID: 1 | graph.KnowledgeFlag, Position: graph.Vec3{X: 90}, Velocity: graph.Vec3{X: 50}}}
	e := load(t, 0, bodies, nil)
	p := DefaultParams()
	p.BoundsSize = 100
	for range 10 {
		e.Step(p)
		if x := e.pos[0][0]; x > 100 {
			t.Fatalf("x = %v beyond the bounds", x)
		}
	}
}

// PatchSprings leaves the same springs as SetSprings with the change
// made, whatever order; springs whose body went are skipped; a spring to
// an unknown body is refused with nothing changed.
func TestPatchSpringsMatchesSetSprings(t *testing.T) {
	e := NewCPU(1)
	var bodies []Body
	for i := range 6 {
		bodies = append(bodies, Body{ID: graph.WireID(i + 1), Position: graph.Vec3{X: float32(i)}})
	}
	sp := func(a, b int, w float32) Spring {
		return Spring{Source: graph.WireID(a), Target: graph.WireID(b), Weight: w}
	}
	if err := e.Load(bodies, []Spring{sp(1, 2, 1), sp(2, 3, 1), sp(3, 4, 2), sp(1, 2, 5), sp(4, 5, 1), sp(5, 6, 1)}); err != nil {
		t.Fatal(err)
	}
	count := func() map[Spring]int {
		m := map[Spring]int{}
		for _, s := range e.springs {
			m[s]++
		}
		return m
	}
	if err := e.PatchSprings([]Spring{sp(1, 2, 5), sp(4, 5, 1)}, []Spring{sp(6, 1, 3), sp(1, 2, 1)}); err != nil {
		t.Fatal(err)
	}
	want := map[Spring]int{sp(1, 2, 1): 2, sp(2, 3, 1): 1, sp(3, 4, 2): 1, sp(5, 6, 1): 1, sp(6, 1, 3): 1}
	if fmt.Sprint(count()) != fmt.Sprint(want) {
		t.Fatalf("after a patch: %v, want %v", count(), want)
	}
	// A body's removal takes its springs; removing them again is a no-op.
	e.RemoveBodies([]graph.WireID{3})
	if err := e.PatchSprings([]Spring{sp(2, 3, 1), sp(3, 4, 2), sp(1, 2, 1)}, nil); err != nil {
		t.Fatal(err)
	}
	want = map[Spring]int{sp(1, 2, 1): 1, sp(5, 6, 1): 1, sp(6, 1, 3): 1}
	if fmt.Sprint(count()) != fmt.Sprint(want) {
		t.Fatalf("after a removal: %v, want %v", count(), want)
	}
	if err := e.PatchSprings(nil, []Spring{sp(1, 9, 1)}); err == nil || len(e.springs) != 3 {
		t.Fatalf("a spring to no body: %v, %d springs", err, len(e.springs))
	}
	// The index follows the moves of swap-removal: every spring is found.
	for _, s := range slices.Clone(e.springs) {
		if err := e.PatchSprings([]Spring{s}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(e.springs) != 0 {
		t.Fatalf("left %v", e.springs)
	}
}
