package compute

// The walk the engine used before issue 14 (one walk per leaf, every far
// cell applied to every body as a monopole), kept as the reference the
// grouped walk is compared with.

// interactions is one worker's scratch for a group walk: the far cells
// (centre of mass and mass) and the near bodies (position, mass, sorted
// index) that act on a group.
type prevInteractions struct {
	fx, fy, fz, fm []float32
	nx, ny, nz, nm []float32
	nk             []int32
}

// repelGroups computes the repulsion on every body, writing force[order[k]].
// It walks the tree once per leaf (a group of up to leafSize bodies close
// together): a cell far enough from the group's whole bounding box acts
// through its centre of mass on every body of the group; a leaf that is not
// acts body by body. Testing against the box rather than each body makes
// the approximation at least as good as the per-body criterion, and one walk
// serves the whole group.
func (t *octree) prevRepelLeaves(force []vec3, repelK, theta2, eps2 float32, workers int) {
	lists := make([]prevInteractions, max(workers, 1))
	parallelBy(len(t.leaves), 8, workers, func(w, _, a, b int) {
		in := &lists[w]
		for _, leaf := range t.leaves[a:b] {
			t.prevWalk(leaf, in, theta2)
			t.prevApplyGroup(&t.cells[leaf], in, force, repelK, eps2)
		}
	})
}

// walk fills in with what acts on group g (the leaf at index gi). A
// point-like cell (see cutPoint) other than the group itself acts as one
// point mass: its bodies are too close together to tell apart.
func (t *octree) prevWalk(gi int32, in *prevInteractions, theta2 float32) {
	g := &t.cells[gi]
	in.fx, in.fy, in.fz, in.fm = in.fx[:0], in.fy[:0], in.fz[:0], in.fm[:0]
	in.nx, in.ny, in.nz, in.nm, in.nk = in.nx[:0], in.ny[:0], in.nz[:0], in.nm[:0], in.nk[:0]
	lo, hi := t.spos[g.lo], t.spos[g.lo]
	for _, p := range t.spos[g.lo+1 : g.hi] {
		for a := range 3 {
			lo[a], hi[a] = min(lo[a], p[a]), max(hi[a], p[a])
		}
	}
	cells := t.cells
	for c := int32(0); c < int32(len(cells)); {
		cl := &cells[c]
		// Squared distance from the centre of mass to the group's box.
		var d2 float32
		for a := range 3 {
			if x := cl.com[a]; x < lo[a] {
				d2 += (lo[a] - x) * (lo[a] - x)
			} else if x > hi[a] {
				d2 += (x - hi[a]) * (x - hi[a])
			}
		}
		switch {
		case cl.size2 < theta2*d2 || (cl.point && c != gi && cl.hi >= 0):
			in.fx, in.fy, in.fz, in.fm = append(in.fx, cl.com[0]), append(in.fy, cl.com[1]), append(in.fz, cl.com[2]), append(in.fm, cl.mass)
			c = cl.next
		case cl.hi >= 0:
			for j := cl.lo; j < cl.hi; j++ {
				q := t.spos[j]
				in.nx, in.ny, in.nz, in.nm, in.nk = append(in.nx, q[0]), append(in.ny, q[1]), append(in.nz, q[2]), append(in.nm, t.smass[j]), append(in.nk, j)
			}
			c = cl.next
		default:
			c++
		}
	}
}

// applyGroup sums the interactions on each body of group g.
func (t *octree) prevApplyGroup(g *cell, in *prevInteractions, force []vec3, repelK, eps2 float32) {
	fx, fy, fz, fm := in.fx, in.fy[:len(in.fx)], in.fz[:len(in.fx)], in.fm[:len(in.fx)]
	nx, ny, nz, nm, nk := in.nx, in.ny[:len(in.nx)], in.nz[:len(in.nx)], in.nm[:len(in.nx)], in.nk[:len(in.nx)]
	for k := g.lo; k < g.hi; k++ {
		p := t.spos[k]
		var f0, f1, f2 float32
		for j := range fx {
			dx, dy, dz := p[0]-fx[j], p[1]-fy[j], p[2]-fz[j]
			inv := 1 / (dx*dx + dy*dy + dz*dz + eps2)
			s := fm[j] * inv * sqrt32(inv)
			f0, f1, f2 = f0+s*dx, f1+s*dy, f2+s*dz
		}
		for j := range nx {
			if nk[j] == k {
				continue
			}
			dx, dy, dz := p[0]-nx[j], p[1]-ny[j], p[2]-nz[j]
			d2 := dx*dx + dy*dy + dz*dz
			if d2 == 0 {
				var d vec3
				d, d2 = jitter(k, nk[j])
				dx, dy, dz = d[0], d[1], d[2]
			}
			inv := 1 / (d2 + eps2)
			s := nm[j] * inv * sqrt32(inv)
			f0, f1, f2 = f0+s*dx, f1+s*dy, f2+s*dz
		}
		s := repelK * t.smass[k]
		force[t.order[k]] = vec3{f0 * s, f1 * s, f2 * s}
	}
}
