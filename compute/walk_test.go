package compute

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The dual-tree walk with Taylor expansions stays as accurate as the
// per-leaf walk it replaced (prev_test.go), against the exact sum, on the
// initial layout and after 40 steps, at θ = 0.5 and the default 0.8:
// measured, its median and p99 errors are at or below the old one's in all
// four cases (θ = 0.8 after 40 steps: median 0.0052 against 0.0060, p99
// 0.0213 against 0.0236). The limits leave room for rounding.
func TestWalkIsNoWorseThanPerLeaf(t *testing.T) {
	bodies, springs := skewed(3000, 9000, 1)
	e := load(t, 0, bodies, springs)
	for _, steps := range []int{0, 40} {
		for range steps {
			e.Step(DefaultParams())
		}
		for _, theta := range []float32{0.5, 0.8} {
			p := onlyRepulsion(DefaultParams())
			p.Theta = theta
			want := referenceRepulsion(e.pos, e.mass, p, 0)
			e.tree.build(e.pos, e.mass, 2)
			e.tree.prevRepelLeaves(e.force, p.RepelK, theta*theta, softening(&p), 2)
			old := relErrors(e.force, want)
			e.forces(&p)
			now := relErrors(e.force, want)
			o50, o99 := old[len(old)/2], old[len(old)*99/100]
			n50, n99 := now[len(now)/2], now[len(now)*99/100]
			t.Logf("after %d steps, θ=%.1f: median %.4f (per-leaf walk %.4f), p99 %.4f (%.4f)", steps, theta, n50, o50, n99, o99)
			if n50 > 1.1*o50 || n99 > 1.25*o99 {
				t.Errorf("after %d steps, θ=%.1f: median %.4f, p99 %.4f against the per-leaf walk's %.4f, %.4f", steps, theta, n50, n99, o50, o99)
			}
		}
	}
}

// The expansion of a far cluster about a centre matches the direct sum of
// its masses' fields within the second-order Taylor bound, and shifting it
// changes nothing but rounding (the series is a polynomial).
func TestExpansionMatchesTheDirectSum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const eps2 = 2.25
	type mass struct {
		at vec3
		m  float32
	}
	var far []mass
	for range 50 { // a cluster of radius 10 around (100, 40, -30)
		far = append(far, mass{vec3{100 + 20*r.Float32() - 10, 40 + 20*r.Float32() - 10, -30 + 20*r.Float32() - 10}, 1 + r.Float32()})
	}
	direct := func(p vec3) vec3 {
		var f vec3
		for _, q := range far {
			f = addRepulsion(f, p, q.at, q.m, eps2, 0, 1)
		}
		return f
	}
	for _, rho := range []float32{5, 10, 20} {
		var x expansion
		for _, q := range far {
			d := x.x0.sub(q.at)
			x.add(d[0], d[1], d[2], q.m, eps2)
		}
		// The cluster's nearest edge is about 100 away: the error of the
		// second-order series grows as (ρ/100)³ (measured: 5× that, at
		// every ρ here).
		bound := 8 * math.Pow(float64(rho)/100, 3)
		var worst float64
		for range 200 {
			p := vec3{rho * (2*r.Float32() - 1), rho * (2*r.Float32() - 1), rho * (2*r.Float32() - 1)}
			want, got := direct(p), x.at(p)
			worst = max(worst, math.Sqrt(float64(got.sub(want).len2()/want.len2())))
		}
		t.Logf("ρ=%.0f: worst relative error %.2g (bound %.2g)", rho, worst, bound)
		if worst > bound {
			t.Errorf("ρ=%.0f: worst relative error %.2g above %.2g", rho, worst, bound)
		}
		y := x
		y.shift(vec3{rho / 2, -rho / 3, rho / 4})
		for range 20 {
			p := vec3{rho * (2*r.Float32() - 1), rho * (2*r.Float32() - 1), rho * (2*r.Float32() - 1)}
			a, b := x.at(p), y.at(p)
			if d := math.Sqrt(float64(a.sub(b).len2() / a.len2())); d > 1e-4 {
				t.Errorf("ρ=%.0f: a shifted expansion differs by %.2g", rho, d)
			}
		}
	}
}

// With θ small, almost every pair is a near pair: the leaf loops (pairs
// within a leaf computed once and added to both bodies, near leaves read
// as merged runs of the sorted arrays) give the per-leaf walk's one-sided
// sums within float32 rounding.
func TestMutualLeafPairsMatchOneSided(t *testing.T) {
	bodies, springs := skewed(3000, 9000, 2)
	e := load(t, 0, bodies, springs)
	for range 20 {
		e.Step(DefaultParams())
	}
	p := onlyRepulsion(DefaultParams())
	p.Theta = 0.05
	e.tree.build(e.pos, e.mass, 2)
	e.tree.prevRepelLeaves(e.force, p.RepelK, p.Theta*p.Theta, softening(&p), 2)
	old := append([]vec3(nil), e.force...)
	e.forces(&p)
	var worst float64
	for i := range old {
		d := math.Sqrt(float64(e.force[i].sub(old[i]).len2() / old[i].len2()))
		worst = max(worst, d)
	}
	t.Logf("largest relative difference %.2g", worst)
	if worst > 1e-4 {
		t.Errorf("largest relative difference %.2g from the one-sided sums", worst)
	}
}

// boxDist2 without branches gives the distance it did with them.
func TestBoxDist2(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ref := func(p, lo, hi vec3) float32 {
		var d2 float32
		for a := range 3 {
			if x := p[a]; x < lo[a] {
				d2 += (lo[a] - x) * (lo[a] - x)
			} else if x > hi[a] {
				d2 += (x - hi[a]) * (x - hi[a])
			}
		}
		return d2
	}
	for range 10000 {
		var p, lo, hi vec3
		for a := range 3 {
			p[a] = 4*r.Float32() - 2
			lo[a] = 2*r.Float32() - 1
			hi[a] = lo[a] + r.Float32()
		}
		if r.IntN(10) == 0 {
			hi = lo // a box of one point
		}
		if got, want := boxDist2(p, lo, hi), ref(p, lo, hi); got != want {
			t.Fatalf("boxDist2(%v, %v, %v) = %v, want %v", p, lo, hi, got, want)
		}
	}
}
