package compute

import (
	"math"
)

// The Barnes–Hut octree is rebuilt every step from Morton codes: bodies are
// sorted along a Z-order curve, so every octree cell is a contiguous run of
// the sorted bodies and the tree can be cut out of the sorted array without
// pointers. Cells are stored in depth-first order with a "next" index that
// skips the subtree, so the force walk needs no stack.

const (
	mortonBits = 21 // per axis; 3×21 = 63 bits of code
	leafSize   = 16 // a cell with at most this many bodies is a leaf
)

type cell struct {
	com    vec3    // centre of mass
	mass   float32 // total mass
	size2  float32 // squared edge length of the cell's cube
	next   int32   // first cell after this subtree
	lo, hi int32   // leaf: its bodies are sorted[lo:hi]; inner: hi == -1
	point  bool    // at the deepest level: its bodies are as good as one point
}

type octree struct {
	codes  []uint64
	order  []int32 // body index of each sorted slot
	spos   []vec3  // positions in sorted order, for cache-friendly leaves
	smass  []float32
	cells  []cell
	leaves []int32 // indices of the leaf cells, in Z-order
	lists  []interactions

	keysTmp  []uint64 // radix sort scratch
	orderTmp []int32
	count    []int32
	extent   float32 // edge of the root cube
}

// build sorts the bodies along the Z-order curve and cuts the tree.
func (t *octree) build(pos []vec3, mass []float32, workers int) {
	n := len(pos)
	t.codes = grow(t.codes, n)
	t.order = grow(t.order, n)
	t.spos = grow(t.spos, n)
	t.smass = grow(t.smass, n)
	t.cells = t.cells[:0]
	t.leaves = t.leaves[:0]
	if n == 0 {
		return
	}
	lo, hi := bounds(pos, workers)
	extent := max(hi[0]-lo[0], hi[1]-lo[1], hi[2]-lo[2])
	if extent <= 0 || math.IsInf(float64(extent), 0) {
		extent = 1
	}
	extent *= 1.0001 // keep the largest coordinate inside the cube
	t.extent = extent
	q := float32(1<<mortonBits-1) / extent
	parallel(n, workers, func(_, a, b int) {
		for i := a; i < b; i++ {
			p := pos[i]
			t.codes[i] = morton(quant(p[0]-lo[0], q), quant(p[1]-lo[1], q), quant(p[2]-lo[2], q))
			t.order[i] = int32(i)
		}
	})
	t.sort()
	parallel(n, workers, func(_, a, b int) {
		for k := a; k < b; k++ {
			i := t.order[k]
			t.spos[k], t.smass[k] = pos[i], mass[i]
		}
	})
	t.cut(0, int32(n), 0)
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func quant(x, q float32) uint32 {
	v := x * q
	if v < 0 {
		return 0
	}
	return min(uint32(v), 1<<mortonBits-1)
}

// bounds returns the corners of the box around every position.
func bounds(pos []vec3, workers int) (lo, hi vec3) {
	nc := chunks(len(pos))
	los, his := make([]vec3, nc), make([]vec3, nc)
	parallel(len(pos), workers, func(c, a, b int) {
		l, h := pos[a], pos[a]
		for _, p := range pos[a+1 : b] {
			for k := range 3 {
				l[k] = min(l[k], p[k])
				h[k] = max(h[k], p[k])
			}
		}
		los[c], his[c] = l, h
	})
	lo, hi = los[0], his[0]
	for c := 1; c < nc; c++ {
		for k := range 3 {
			lo[k] = min(lo[k], los[c][k])
			hi[k] = max(hi[k], his[c][k])
		}
	}
	return lo, hi
}

// spread puts two zero bits between the low 21 bits of x.
func spread(x uint32) uint64 {
	v := uint64(x) & 0x1fffff
	v = (v | v<<32) & 0x1f00000000ffff
	v = (v | v<<16) & 0x1f0000ff0000ff
	v = (v | v<<8) & 0x100f00f00f00f00f
	v = (v | v<<4) & 0x10c30c30c30c30c3
	v = (v | v<<2) & 0x1249249249249249
	return v
}

func morton(x, y, z uint32) uint64 { return spread(x)<<2 | spread(y)<<1 | spread(z) }

// sort orders codes (and order with them) with an LSD radix sort, 16 bits a
// pass, skipping passes where every code has the same digit. It is stable,
// so equal codes keep body order and the result is deterministic.
func (t *octree) sort() {
	n := len(t.codes)
	t.keysTmp = grow(t.keysTmp, n)
	t.orderTmp = grow(t.orderTmp, n)
	var or, and uint64 = 0, ^uint64(0)
	for _, c := range t.codes {
		or |= c
		and &= c
	}
	differ := or ^ and
	t.count = grow(t.count, 1<<16)
	count := t.count
	for shift := uint(0); shift < 64; shift += 16 {
		if (differ>>shift)&0xffff == 0 {
			continue
		}
		clear(count)
		for _, c := range t.codes {
			count[(c>>shift)&0xffff]++
		}
		sum := int32(0)
		for d := range count {
			count[d], sum = sum, sum+count[d]
		}
		for k, c := range t.codes {
			d := (c >> shift) & 0xffff
			t.keysTmp[count[d]] = c
			t.orderTmp[count[d]] = t.order[k]
			count[d]++
		}
		t.codes, t.keysTmp = t.keysTmp, t.codes
		t.order, t.orderTmp = t.orderTmp, t.order
	}
}

// cut appends the cell for sorted[lo:hi] at depth (and its subtree) and
// returns its index.
func (t *octree) cut(lo, hi int32, depth uint) int32 {
	idx := int32(len(t.cells))
	edge := t.extent / float32(uint32(1)<<depth)
	t.cells = append(t.cells, cell{size2: edge * edge, lo: lo, hi: -1})
	if depth == mortonBits && hi-lo > leafSize {
		return t.cutPoint(idx, lo, hi)
	}
	if hi-lo <= leafSize || depth == mortonBits {
		m, c := t.massOf(lo, hi)
		cl := &t.cells[idx]
		cl.mass, cl.com, cl.hi = m, c.scale(1/m), hi
		cl.point = depth == mortonBits
		cl.next = int32(len(t.cells))
		t.leaves = append(t.leaves, idx)
		return idx
	}
	shift := 3 * (mortonBits - 1 - depth)
	var m float32
	var c vec3
	for start := lo; start < hi; {
		oct := (t.codes[start] >> shift) & 7
		// The run of this octant ends where the octant bits change.
		end := start + int32(searchRun(t.codes[start:hi], shift, oct))
		child := t.cut(start, end, depth+1)
		ch := t.cells[child]
		m += ch.mass
		for a := range 3 {
			c[a] += ch.mass * ch.com[a]
		}
		start = end
	}
	cl := &t.cells[idx]
	cl.mass, cl.com = m, c.scale(1/m)
	cl.next = int32(len(t.cells))
	return idx
}

// cutPoint handles many bodies at (as good as) one point — nodes imported
// at the same coordinates, or piled up on the bounds: their cell is split
// into leaves of leafSize consecutive bodies, so the work is shared out
// and, since every such leaf is treated as a point mass by the others
// (walk), it stays linear instead of quadratic.
func (t *octree) cutPoint(idx, lo, hi int32) int32 {
	var m float32
	var c vec3
	for start := lo; start < hi; start += leafSize {
		end := min(start+leafSize, hi)
		leaf := int32(len(t.cells))
		t.cells = append(t.cells, cell{size2: t.cells[idx].size2, lo: start, hi: end, point: true})
		lm, lc := t.massOf(start, end)
		cl := &t.cells[leaf]
		cl.mass, cl.com, cl.next = lm, lc.scale(1/lm), int32(len(t.cells))
		t.leaves = append(t.leaves, leaf)
		m += lm
		for a := range 3 {
			c[a] += lc[a]
		}
	}
	cl := &t.cells[idx]
	cl.mass, cl.com, cl.point = m, c.scale(1/m), true
	cl.next = int32(len(t.cells))
	return idx
}

// massOf returns the total mass of sorted bodies lo..hi and the sum of
// their mass-weighted positions.
func (t *octree) massOf(lo, hi int32) (m float32, weighted vec3) {
	for k := lo; k < hi; k++ {
		w := t.smass[k]
		m += w
		for a := range 3 {
			weighted[a] += w * t.spos[k][a]
		}
	}
	return m, weighted
}

// searchRun returns how many leading codes have octant oct at shift.
func searchRun(codes []uint64, shift uint, oct uint64) int {
	lo, hi := 0, len(codes)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if (codes[mid]>>shift)&7 <= oct {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// interactions is one worker's scratch for a group walk: the far cells
// (centre of mass and mass) and the near bodies (position, mass, sorted
// index) that act on a group.
type interactions struct {
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
func (t *octree) repelGroups(force []vec3, repelK, theta2, eps2 float32, workers int) {
	t.lists = grow(t.lists, max(workers, 1))
	parallelBy(len(t.leaves), 8, workers, func(w, _, a, b int) {
		in := &t.lists[w]
		for _, leaf := range t.leaves[a:b] {
			t.walk(leaf, in, theta2)
			t.applyGroup(&t.cells[leaf], in, force, repelK, eps2)
		}
	})
}

// walk fills in with what acts on group g (the leaf at index gi). A
// point-like cell (see cutPoint) other than the group itself acts as one
// point mass: its bodies are too close together to tell apart.
func (t *octree) walk(gi int32, in *interactions, theta2 float32) {
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
func (t *octree) applyGroup(g *cell, in *interactions, force []vec3, repelK, eps2 float32) {
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

// addRepulsion adds body j's push on a body at p (without the repelK·m_p
// factor). Bodies at exactly the same place push apart along a direction
// fixed by their indices, so they separate deterministically.
func addRepulsion(f, p, q vec3, mq, eps2 float32, a, b int32) vec3 {
	d := vec3{p[0] - q[0], p[1] - q[1], p[2] - q[2]}
	d2 := d[0]*d[0] + d[1]*d[1] + d[2]*d[2]
	if d2 == 0 {
		d, d2 = jitter(a, b)
	}
	inv := 1 / (d2 + eps2)
	s := mq * inv * sqrt32(inv)
	return vec3{f[0] + s*d[0], f[1] + s*d[1], f[2] + s*d[2]}
}

// jitter is a small direction, opposite for (a, b) and (b, a), and its
// squared length.
func jitter(a, b int32) (vec3, float32) {
	lo, hi := min(a, b), max(a, b)
	h := uint32(lo)*2654435761 ^ uint32(hi)*2246822519
	v := vec3{float32(h&0xff) - 127.5, float32(h>>8&0xff) - 127.5, float32(h>>16&0xff) - 127.5}.scale(1e-4)
	if a > b {
		v = v.scale(-1)
	}
	return v, v.len2()
}

// exactRepulsion is the all-pairs force on body i, for theta = 0.
func exactRepulsion(i int, pos []vec3, mass []float32, p *Params) vec3 {
	eps2 := softening(p)
	pi := pos[i]
	var f vec3
	for j := range pos {
		if j != i {
			f = addRepulsion(f, pi, pos[j], mass[j], eps2, int32(i), int32(j))
		}
	}
	return f.scale(p.RepelK * mass[i])
}
