package compute

import (
	"math"
)

// The Barnes–Hut octree is rebuilt every step from Morton codes: bodies are
// sorted along a Z-order curve, so every octree cell is a contiguous run of
// the sorted bodies and the tree can be cut out of the sorted array without
// pointers. Cells are stored in depth-first order with a "next" index that
// skips the subtree. Rebuilding costs a few percent of a step (the walk is
// the rest), so the tree is not kept across steps. Each cell also keeps the
// bounding box of its bodies, which the walk tests against.

const (
	mortonBits = 21 // per axis; 3×21 = 63 bits of code
	leafSize   = 16 // a cell with at most this many bodies is a leaf
	// groupSize: the largest cells with at most this many bodies are the
	// units of parallel work (repelGroups). Large enough that the walk
	// down to them, repeated per group, is a small part of the work.
	groupSize = 512
	// directLeaf: a leaf of at most this many bodies takes far cells body
	// by body: that costs less than adding them to its expansion.
	directLeaf = 4
	// expandRatio is how small a cell must look from a far cell for that
	// cell to join its Taylor expansion rather than act on each body: the
	// radius of its bounding box below expandRatio·θ times the distance
	// between their centres. At 0.7 the force error is at or below the
	// per-leaf walk's (TestWalkIsNoWorseThanPerLeaf); at 1.0 its p99 was
	// up to three times that.
	expandRatio = 0.7
)

type cell struct {
	com    vec3    // centre of mass
	mass   float32 // total mass
	size2  float32 // squared edge length of the cell's cube
	next   int32   // first cell after this subtree
	lo, hi int32   // leaf: its bodies are sorted[lo:hi]; inner: hi == -1
	point  bool    // at the deepest level: its bodies are as good as one point
}

// box is the bounding box of a cell's bodies, tighter than its cube.
type box struct{ lo, hi vec3 }

type octree struct {
	codes []uint64
	order []int32 // body index of each sorted slot
	spos  []vec3  // positions in sorted order, for cache-friendly leaves
	smass []float32
	// The same as structure of arrays, for the loops over near bodies.
	sx, sy, sz []float32
	cells      []cell
	boxes      []box   // of each cell; apart from cells, which the walk reads most
	leaves     []int32 // indices of the leaf cells, in Z-order
	groups     []int32 // indices of the group cells (see repelGroups), in Z-order
	lists      []walkScratch

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
	t.sx, t.sy, t.sz = grow(t.sx, n), grow(t.sy, n), grow(t.sz, n)
	t.cells = t.cells[:0]
	t.boxes = t.boxes[:0]
	t.leaves = t.leaves[:0]
	t.groups = t.groups[:0]
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
			t.sx[k], t.sy[k], t.sz[k] = pos[i][0], pos[i][1], pos[i][2]
		}
	})
	t.cut(0, int32(n), 0, false)
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
// returns its index; grouped says whether an ancestor is a group.
func (t *octree) cut(lo, hi int32, depth uint, grouped bool) int32 {
	idx := int32(len(t.cells))
	edge := t.extent / float32(uint32(1)<<depth)
	t.cells = append(t.cells, cell{size2: edge * edge, lo: lo, hi: -1})
	t.boxes = append(t.boxes, box{})
	if !grouped && hi-lo <= groupSize {
		t.groups = append(t.groups, idx)
		grouped = true
	}
	if depth == mortonBits && hi-lo > leafSize {
		return t.cutPoint(idx, lo, hi, grouped)
	}
	if hi-lo <= leafSize || depth == mortonBits {
		m, c := t.massOf(lo, hi)
		cl := &t.cells[idx]
		cl.mass, cl.com, cl.hi = m, c.scale(1/m), hi
		cl.point = depth == mortonBits
		cl.next = int32(len(t.cells))
		t.boxes[idx] = t.boxOf(lo, hi)
		t.leaves = append(t.leaves, idx)
		return idx
	}
	shift := 3 * (mortonBits - 1 - depth)
	var m float32
	var c vec3
	bx := box{lo: vec3{inf, inf, inf}, hi: vec3{-inf, -inf, -inf}}
	for start := lo; start < hi; {
		oct := (t.codes[start] >> shift) & 7
		// The run of this octant ends where the octant bits change.
		end := start + int32(searchRun(t.codes[start:hi], shift, oct))
		child := t.cut(start, end, depth+1, grouped)
		ch := t.cells[child]
		m += ch.mass
		for a := range 3 {
			c[a] += ch.mass * ch.com[a]
		}
		bx = bx.union(t.boxes[child])
		start = end
	}
	cl := &t.cells[idx]
	cl.mass, cl.com = m, c.scale(1/m)
	cl.next = int32(len(t.cells))
	t.boxes[idx] = bx
	return idx
}

const inf = float32(math.MaxFloat32)

func (b box) union(o box) box {
	for a := range 3 {
		b.lo[a], b.hi[a] = min(b.lo[a], o.lo[a]), max(b.hi[a], o.hi[a])
	}
	return b
}

// boxOf is the bounding box of sorted bodies lo..hi.
func (t *octree) boxOf(lo, hi int32) box {
	b := box{t.spos[lo], t.spos[lo]}
	for _, p := range t.spos[lo+1 : hi] {
		for a := range 3 {
			b.lo[a], b.hi[a] = min(b.lo[a], p[a]), max(b.hi[a], p[a])
		}
	}
	return b
}

// cutPoint handles many bodies at (as good as) one point — nodes imported
// at the same coordinates, or piled up on the bounds: their cell is split
// into leaves of leafSize consecutive bodies, so the work is shared out
// and, since every such leaf is treated as a point mass by the others
// (walk), it stays linear instead of quadratic.
func (t *octree) cutPoint(idx, lo, hi int32, grouped bool) int32 {
	var m float32
	var c vec3
	for start := lo; start < hi; start += leafSize {
		end := min(start+leafSize, hi)
		leaf := int32(len(t.cells))
		t.cells = append(t.cells, cell{size2: t.cells[idx].size2, lo: start, hi: end, point: true})
		t.boxes = append(t.boxes, t.boxOf(start, end))
		if !grouped {
			t.groups = append(t.groups, leaf)
		}
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
	t.boxes[idx] = t.boxOf(lo, hi)
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

// expansion is the far field of the cells well separated from a cell, as
// a second-order Taylor series about the centre of the cell's box:
// F(x) ≈ f + J·δ + ½·T(δ, δ), δ = x − x0. The field is a gradient, so J and
// T are fully symmetric. Its error falls with the cube of the cell's
// radius over the distance, so most far cells can join it.
type expansion struct {
	x0 vec3
	f  vec3
	j  [6]float32  // xx, yy, zz, xy, xz, yz
	t  [10]float32 // xxx, yyy, zzz, xxy, xxz, xyy, yyz, xzz, yzz, xyz
}

// add adds the field of mass m at distance d = x0 − its place.
func (x *expansion) add(d0, d1, d2, m, eps2 float32) {
	// The softened kernel m·d/r³ (r² = d² + ε²) and its exact derivatives:
	// ∂j = m·(δij − 3·di·dj/r²)/r³,
	// ∂jk = m·(15·di·dj·dk/r² − 3·(δij·dk + δik·dj + δjk·di))/r⁵.
	inv := 1 / (d0*d0 + d1*d1 + d2*d2 + eps2)
	m3 := m * inv * sqrt32(inv)
	x.f[0], x.f[1], x.f[2] = x.f[0]+m3*d0, x.f[1]+m3*d1, x.f[2]+m3*d2
	t3 := 3 * inv
	j := &x.j
	j[0] += m3 * (1 - t3*d0*d0)
	j[1] += m3 * (1 - t3*d1*d1)
	j[2] += m3 * (1 - t3*d2*d2)
	j[3] -= m3 * t3 * d0 * d1
	j[4] -= m3 * t3 * d0 * d2
	j[5] -= m3 * t3 * d1 * d2
	m5, a := m3*inv, 15*inv
	t := &x.t
	t[0] += m5 * (a*d0*d0*d0 - 9*d0)
	t[1] += m5 * (a*d1*d1*d1 - 9*d1)
	t[2] += m5 * (a*d2*d2*d2 - 9*d2)
	t[3] += m5 * (a*d0*d0*d1 - 3*d1)
	t[4] += m5 * (a*d0*d0*d2 - 3*d2)
	t[5] += m5 * (a*d0*d1*d1 - 3*d0)
	t[6] += m5 * (a*d1*d1*d2 - 3*d2)
	t[7] += m5 * (a*d0*d2*d2 - 3*d0)
	t[8] += m5 * (a*d1*d2*d2 - 3*d1)
	t[9] += m5 * a * d0 * d1 * d2
}

func (x *expansion) at(p vec3) vec3 {
	d0, d1, d2 := p[0]-x.x0[0], p[1]-x.x0[1], p[2]-x.x0[2]
	j, t := &x.j, &x.t
	h00, h11, h22 := 0.5*d0*d0, 0.5*d1*d1, 0.5*d2*d2
	h01, h02, h12 := d0*d1, d0*d2, d1*d2
	return vec3{
		x.f[0] + j[0]*d0 + j[3]*d1 + j[4]*d2 + t[0]*h00 + t[5]*h11 + t[7]*h22 + t[3]*h01 + t[4]*h02 + t[9]*h12,
		x.f[1] + j[3]*d0 + j[1]*d1 + j[5]*d2 + t[3]*h00 + t[1]*h11 + t[8]*h22 + t[5]*h01 + t[9]*h02 + t[6]*h12,
		x.f[2] + j[4]*d0 + j[5]*d1 + j[2]*d2 + t[4]*h00 + t[6]*h11 + t[2]*h22 + t[9]*h01 + t[7]*h02 + t[8]*h12,
	}
}

// boxDist2 is the squared distance from p to the box [lo, hi] (0 inside),
// without branches: whether a point is inside, below or above a box along
// an axis is unpredictable, and a mispredicted branch costs more than the
// arithmetic.
func boxDist2(p, lo, hi vec3) float32 {
	d0 := max(lo[0]-p[0], p[0]-hi[0], 0)
	d1 := max(lo[1]-p[1], p[1]-hi[1], 0)
	d2 := max(lo[2]-p[2], p[2]-hi[2], 0)
	return d0*d0 + d1*d1 + d2*d2
}

// walkScratch is one worker's scratch for the walk: stacks of cell indices
// whose top ranges belong to the cell being visited.
type walkScratch struct {
	work           []int32   // cells to test against the current cell's box
	cand           []int32   // leaves too close to act through their centre of mass
	pend           []int32   // cells far enough to act through their centre of mass
	mx, my, mz, mm []float32 // what acts on a leaf's bodies, as point masses
	runs           []int32   // runs of sorted bodies of a leaf's near leaves: lo, hi, lo, hi…
}

// shift moves the expansion's centre to y0 (the series is a polynomial, so
// this is exact).
func (x *expansion) shift(y0 vec3) {
	d0, d1, d2 := y0[0]-x.x0[0], y0[1]-x.x0[1], y0[2]-x.x0[2]
	x.f = x.at(y0)
	j, t := &x.j, &x.t
	j[0] += t[0]*d0 + t[3]*d1 + t[4]*d2
	j[1] += t[5]*d0 + t[1]*d1 + t[6]*d2
	j[2] += t[7]*d0 + t[8]*d1 + t[2]*d2
	j[3] += t[3]*d0 + t[5]*d1 + t[9]*d2
	j[4] += t[4]*d0 + t[9]*d1 + t[7]*d2
	j[5] += t[9]*d0 + t[6]*d1 + t[8]*d2
	x.x0 = y0
}

// walkParams are the constants of one walk.
type walkParams struct {
	theta2, alpha2, eps2, repelK float32
	force                        []vec3
}

// repelGroups computes the repulsion on every body, writing force[order[k]].
//
// Instead of one walk from the root per leaf, the tree is walked once,
// top-down, carrying what acts on each cell to its children (a dual-tree
// walk): at a cell, each cell handed down is tested against the cell's
// bounding box. One that passes the Barnes–Hut test (edge < θ·distance
// from its centre of mass to the box) acts through its centre of mass; if
// the box is also small as seen from it, it joins the cell's Taylor
// expansion, which costs one evaluation per body however many cells joined
// it, and is passed down by shifting its centre. One that fails is opened,
// or, if a leaf, handed down as it is. At a leaf what is left acts body by
// body. Every test is against a box at least as tight as the per-leaf
// walk's, so no cell acts through its centre of mass where that walk would
// have opened it.
//
// The work is split into the subtrees of the group cells (see cut), each
// started from the root, so the result does not depend on the workers.
func (t *octree) repelGroups(force []vec3, repelK, theta, eps2 float32, workers int) {
	t.lists = grow(t.lists, max(workers, 1))
	alpha := expandRatio * theta
	wp := walkParams{theta2: theta * theta, alpha2: alpha * alpha, eps2: eps2, repelK: repelK, force: force}
	parallelBy(len(t.groups), 1, workers, func(w, _, a, b int) {
		s := &t.lists[w]
		for _, g := range t.groups[a:b] {
			s.work, s.cand, s.pend = s.work[:0], append(s.cand[:0], 0), s.pend[:0]
			var x expansion
			x.x0 = t.centre(g)
			t.visit(g, s, 0, 1, 0, 0, x, &wp)
		}
	})
}

func (t *octree) centre(c int32) vec3 {
	b := &t.boxes[c]
	return vec3{0.5 * (b.lo[0] + b.hi[0]), 0.5 * (b.lo[1] + b.hi[1]), 0.5 * (b.lo[2] + b.hi[2])}
}

// visit handles cell ci, given the cells to test (s.work[w0:]), the leaves
// handed down as they are (s.cand[c0:c1]), the cells acting through their
// centres of mass (s.pend[p0:p1]) and the expansion from above.
func (t *octree) visit(ci int32, s *walkScratch, c0, c1, p0, p1 int, x expansion, wp *walkParams) {
	cells := t.cells
	bl, bh := t.boxes[ci].lo, t.boxes[ci].hi
	x.shift(t.centre(ci))
	var rho2 float32
	for a := range 3 {
		rho2 += 0.25 * (bh[a] - bl[a]) * (bh[a] - bl[a])
	}
	if cl := &cells[ci]; cl.hi >= 0 && cl.hi-cl.lo <= directLeaf {
		rho2 = inf // a cell's monopole on each body costs less than a term of the expansion
	}
	// Cells acting through their centre of mass above may join the
	// expansion here, where the box is smaller.
	np0 := len(s.pend)
	for _, c := range s.pend[p0:p1] {
		cl := &cells[c]
		d0, d1, d2 := x.x0[0]-cl.com[0], x.x0[1]-cl.com[1], x.x0[2]-cl.com[2]
		if rho2 < wp.alpha2*(d0*d0+d1*d1+d2*d2) {
			x.add(d0, d1, d2, cl.mass, wp.eps2)

		} else {
			s.pend = append(s.pend, c)
		}
	}
	// Handed-down leaves and cells to test, opening what fails.
	w0 := len(s.work)
	s.work = append(s.work, s.cand[c0:c1]...)
	nc0 := len(s.cand)
	for i := w0; i < len(s.work); i++ {
		c := s.work[i]
		cl := &cells[c]
		if cl.size2 >= wp.theta2*boxDist2(cl.com, bl, bh) {
			if cl.hi >= 0 {
				s.cand = append(s.cand, c)
			} else {
				for k := c + 1; k < cl.next; k = cells[k].next {
					s.work = append(s.work, k)
				}
			}
			continue
		}
		d0, d1, d2 := x.x0[0]-cl.com[0], x.x0[1]-cl.com[1], x.x0[2]-cl.com[2]
		if rho2 < wp.alpha2*(d0*d0+d1*d1+d2*d2) {
			x.add(d0, d1, d2, cl.mass, wp.eps2)

		} else {
			s.pend = append(s.pend, c)
		}
	}
	s.work = s.work[:w0]
	nc1, np1 := len(s.cand), len(s.pend)
	if cl := &cells[ci]; cl.hi < 0 {
		for k := ci + 1; k < cl.next; k = cells[k].next {
			t.visit(k, s, nc0, nc1, np0, np1, x, wp)
		}
	} else {
		t.applyLeaf(ci, s.cand[nc0:nc1], s.pend[np0:np1], s, &x, wp)
	}
	s.cand, s.pend = s.cand[:nc0], s.pend[:np0]
}

// applyLeaf sums what acts on each body of leaf li: the expansion, the
// cells acting through their centres of mass and the bodies of the near
// leaves, gathered into one list of point masses so the inner loop runs
// over contiguous arrays. Pairs within the leaf are computed once and
// added to both bodies (Newton's third law).
func (t *octree) applyLeaf(li int32, cand, pend []int32, s *walkScratch, x *expansion, wp *walkParams) {
	cells := t.cells
	mx, my, mz, mm := s.mx[:0], s.my[:0], s.mz[:0], s.mm[:0]
	for _, c := range pend {
		cl := &cells[c]
		mx, my, mz, mm = append(mx, cl.com[0]), append(my, cl.com[1]), append(mz, cl.com[2]), append(mm, cl.mass)
	}
	runs := s.runs[:0]
	for _, c := range cand {
		cl := &cells[c]
		switch {
		case c == li:
		case cl.point:
			// A point-like leaf (see cutPoint) acts as one point mass: its
			// bodies are too close together to tell apart.
			mx, my, mz, mm = append(mx, cl.com[0]), append(my, cl.com[1]), append(mz, cl.com[2]), append(mm, cl.mass)
		default:
			// Bodies of other leaves never share a place with this leaf's
			// (equal places have equal Morton codes, so share a leaf).
			// Leaves next to each other in the sorted order make one run.
			i := len(runs)
			runs = append(runs, cl.lo, cl.hi)
			for ; i > 0 && runs[i-2] > cl.lo; i -= 2 {
				runs[i], runs[i+1] = runs[i-2], runs[i-1]
			}
			runs[i], runs[i+1] = cl.lo, cl.hi
		}
	}
	s.runs = runs
	if len(runs) > 0 {
		w := 0
		for i := 2; i < len(runs); i += 2 {
			if runs[i] == runs[w+1] {
				runs[w+1] = runs[i+1]
			} else {
				w += 2
				runs[w], runs[w+1] = runs[i], runs[i+1]
			}
		}
		runs = runs[:w+2]
	}
	s.mx, s.my, s.mz, s.mm = mx, my, mz, mm
	my, mz, mm = my[:len(mx)], mz[:len(mx)], mm[:len(mx)]
	eps2 := wp.eps2
	leaf := &cells[li]
	lo, n := leaf.lo, int(leaf.hi-leaf.lo)
	own, ownM := t.spos[lo:leaf.hi], t.smass[lo:leaf.hi]
	var acc [leafSize]vec3
	acc2 := acc[:n]
	for a := range own {
		pa := own[a]
		for b := a + 1; b < len(own); b++ {
			dx, dy, dz := pa[0]-own[b][0], pa[1]-own[b][1], pa[2]-own[b][2]
			d2 := dx*dx + dy*dy + dz*dz
			if d2 == 0 {
				var d vec3
				d, d2 = jitter(lo+int32(a), lo+int32(b))
				dx, dy, dz = d[0], d[1], d[2]
			}
			inv := 1 / (d2 + eps2)
			r := inv * sqrt32(inv)
			sa, sb := ownM[b]*r, ownM[a]*r
			acc2[a] = vec3{acc2[a][0] + sa*dx, acc2[a][1] + sa*dy, acc2[a][2] + sa*dz}
			acc2[b] = vec3{acc2[b][0] - sb*dx, acc2[b][1] - sb*dy, acc2[b][2] - sb*dz}
		}
	}
	for a := range own {
		p := own[a]
		f := x.at(p)
		f0, f1, f2 := f[0]+acc2[a][0], f[1]+acc2[a][1], f[2]+acc2[a][2]
		for j := range mx {
			dx, dy, dz := p[0]-mx[j], p[1]-my[j], p[2]-mz[j]
			inv := 1 / (dx*dx + dy*dy + dz*dz + eps2)
			s := mm[j] * inv * sqrt32(inv)
			f0, f1, f2 = f0+s*dx, f1+s*dy, f2+s*dz
		}
		for r := 0; r < len(runs); r += 2 {
			qx := t.sx[runs[r]:runs[r+1]]
			qy, qz, qm := t.sy[runs[r]:runs[r+1]], t.sz[runs[r]:runs[r+1]], t.smass[runs[r]:runs[r+1]]
			qy, qz, qm = qy[:len(qx)], qz[:len(qx)], qm[:len(qx)]
			for j := range qx {
				dx, dy, dz := p[0]-qx[j], p[1]-qy[j], p[2]-qz[j]
				inv := 1 / (dx*dx + dy*dy + dz*dz + eps2)
				s := qm[j] * inv * sqrt32(inv)
				f0, f1, f2 = f0+s*dx, f1+s*dy, f2+s*dz
			}
		}
		sc := wp.repelK * ownM[a]
		wp.force[t.order[lo+int32(a)]] = vec3{f0 * sc, f1 * sc, f2 * sc}
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
