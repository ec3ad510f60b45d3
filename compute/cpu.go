package compute

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"visionflow/graph"
)

// CPU is the pure-Go engine. Every phase of a step runs on all cores, and
// every per-node result is computed by one goroutine in a fixed order, so a
// run is deterministic: the same bodies, springs and parameters give the
// same positions bit for bit, whatever the number of cores.
type CPU struct {
	workers int

	ids    []graph.WireID
	index  map[graph.WireID]int32
	pos    []vec3
	vel    []vec3
	pinned []bool
	mass   []float32
	force  []vec3

	springs []Spring
	// springAt finds springs by their ends for PatchSprings; nil until a
	// patch needs it, and after any wholesale change of the springs.
	springAt map[[2]graph.WireID][]int32
	adjOff   []int32 // CSR: the springs of body i are adjTo[adjOff[i]:adjOff[i+1]]
	adjTo    []int32
	adjW     []float32
	adjE     []int32 // the spring of each adjacency entry, negated (^e) at its target
	springF  []vec3  // per spring: its pull on its source (its target gets the opposite)
	springAB []int32 // per spring: its source's and its target's body index
	dirty    bool    // springs or bodies changed since the CSR was built

	// places counts the bodies at each position while no body moves, so
	// that edits adding bodies one at a time to a resting layout do not
	// each scan all of it; nil when stale. scans counts the scans made
	// since the last move, to tell when the map pays for itself.
	places map[vec3]int32
	scans  int

	temp  float32 // current annealing temperature, as a distance
	heat  bool    // set temp from the parameters at the next step
	steps uint64

	tree     octree
	grid     grid
	partials []stepPartial
}

var (
	_ Engine        = (*CPU)(nil)
	_ SpringPatcher = (*CPU)(nil)
)

// NewCPU returns an empty CPU engine using workers goroutines (all cores
// when workers <= 0).
func NewCPU(workers int) *CPU {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &CPU{workers: workers, index: map[graph.WireID]int32{}, heat: true}
}

// Name implements Engine.
func (e *CPU) Name() string { return "cpu" }

// Len implements Engine.
func (e *CPU) Len() int { return len(e.ids) }

// Load implements Engine.
func (e *CPU) Load(bodies []Body, springs []Spring) error {
	e.ids, e.pos, e.vel, e.pinned = e.ids[:0], e.pos[:0], e.vel[:0], e.pinned[:0]
	clear(e.index)
	e.moved()
	e.steps = 0
	e.heat = true
	if err := e.AddBodies(bodies); err != nil {
		return err
	}
	return e.SetSprings(springs)
}

// AddBodies implements Engine. Bodies at exactly the place of another are
// nudged apart by a small deterministic amount: nothing would otherwise
// tell them apart.
func (e *CPU) AddBodies(bodies []Body) error {
	taken := e.takenPlaces(bodies)
	for _, b := range bodies {
		if _, dup := e.index[b.ID]; dup {
			return fmt.Errorf("add body %#x: already there", uint32(b.ID))
		}
		if !b.Position.Finite() || !b.Velocity.Finite() {
			return fmt.Errorf("add body %#x: non-finite position or velocity", uint32(b.ID))
		}
		p := toVec(b.Position)
		for n := int32(0); taken(p); n++ {
			j, _ := jitter(int32(len(e.ids)), n)
			scale := 1e-2 * max(1, abs32(p[0]), abs32(p[1]), abs32(p[2])) // ≥ 1e-4 of the coordinates
			p = vec3{p[0] + j[0]*scale, p[1] + j[1]*scale, p[2] + j[2]*scale}
		}
		e.index[b.ID] = int32(len(e.ids))
		e.ids = append(e.ids, b.ID)
		e.pos = append(e.pos, p)
		if e.places != nil {
			e.places[p]++
		}
		e.vel = append(e.vel, toVec(b.Velocity))
		e.pinned = append(e.pinned, b.Pinned)
	}
	e.dirty = true
	e.heat = true
	return nil
}

// placesMapAfter is how many scans of a resting layout (one per AddBodies)
// are made before its places are put in a map. A map costs some tens of
// scans to build; while the bodies move, one scan per addition is cheaper.
const placesMapAfter = 32

// moved says that bodies have moved: the map of places is stale.
func (e *CPU) moved() { e.places, e.scans = nil, 0 }

// unplace takes a body off the map of places, if there is one.
func (e *CPU) unplace(p vec3) {
	if e.places == nil {
		return
	}
	if e.places[p]--; e.places[p] <= 0 {
		delete(e.places, p)
	}
}

// takenPlaces returns a test for whether a place is some body's, valid
// while the bodies are appended. Only existing bodies inside the new ones'
// bounding box are hashed, so adding a few bodies to a large layout costs
// a pass of compares, not a map of the whole graph; a layout that rests
// while bodies keep coming gets a map of all places, kept up to date until
// something moves.
func (e *CPU) takenPlaces(bodies []Body) func(vec3) bool {
	if len(bodies) == 0 {
		return func(vec3) bool { return false }
	}
	if e.places == nil && e.scans >= placesMapAfter {
		e.places = make(map[vec3]int32, len(e.pos)+len(bodies))
		for _, p := range e.pos {
			e.places[p]++
		}
	}
	if e.places != nil {
		return func(p vec3) bool { return e.places[p] > 0 }
	}
	e.scans++
	lo, hi := toVec(bodies[0].Position), toVec(bodies[0].Position)
	for _, b := range bodies[1:] {
		p := toVec(b.Position)
		for k := range 3 {
			lo[k], hi[k] = min(lo[k], p[k]), max(hi[k], p[k])
		}
	}
	inBox := func(p vec3) bool {
		return p[0] >= lo[0] && p[0] <= hi[0] && p[1] >= lo[1] && p[1] <= hi[1] && p[2] >= lo[2] && p[2] <= hi[2]
	}
	before := len(e.pos)
	set := make(map[vec3]bool, len(bodies))
	for _, p := range e.pos {
		if inBox(p) {
			set[p] = true
		}
	}
	seen := before
	return func(p vec3) bool {
		for ; seen < len(e.pos); seen++ {
			set[e.pos[seen]] = true
		}
		if set[p] {
			return true
		}
		// A nudged place may leave the box: it is checked against the
		// bodies outside it, which happens only when places collide.
		return !inBox(p) && slices.Contains(e.pos[:before], p)
	}
}

// RemoveBodies implements Engine. The last body takes each removed one's
// slot, so removal is O(1) per body plus one rebuild of the springs.
func (e *CPU) RemoveBodies(ids []graph.WireID) {
	gone := make(map[graph.WireID]bool, len(ids))
	for _, id := range ids {
		i, ok := e.index[id]
		if !ok {
			continue
		}
		gone[id] = true
		e.unplace(e.pos[i])
		last := int32(len(e.ids) - 1)
		if i != last {
			e.ids[i], e.pos[i], e.vel[i], e.pinned[i] = e.ids[last], e.pos[last], e.vel[last], e.pinned[last]
			e.index[e.ids[i]] = i
		}
		delete(e.index, id)
		e.ids, e.pos, e.vel, e.pinned = e.ids[:last], e.pos[:last], e.vel[:last], e.pinned[:last]
	}
	if len(gone) > 0 {
		e.springs = slices.DeleteFunc(e.springs, func(s Spring) bool { return gone[s.Source] || gone[s.Target] })
		e.springAt = nil
		e.dirty = true
		e.heat = true
	}
}

// SetSprings implements Engine.
func (e *CPU) SetSprings(springs []Spring) error {
	for _, s := range springs {
		_, okS := e.index[s.Source]
		_, okT := e.index[s.Target]
		if !okS || !okT {
			return fmt.Errorf("spring %#x→%#x: unknown body", uint32(s.Source), uint32(s.Target))
		}
	}
	e.springs = append(e.springs[:0], springs...)
	e.springAt = nil
	e.dirty = true
	e.heat = true
	return nil
}

// PatchSprings implements SpringPatcher: in the size of the change, once
// the springs are indexed by their ends (a pass made at the first patch
// after a wholesale change).
func (e *CPU) PatchSprings(remove, add []Spring) error {
	for _, s := range add {
		_, okS := e.index[s.Source]
		_, okT := e.index[s.Target]
		if !okS || !okT {
			return fmt.Errorf("spring %#x→%#x: unknown body", uint32(s.Source), uint32(s.Target))
		}
	}
	if e.springAt == nil {
		e.springAt = make(map[[2]graph.WireID][]int32, len(e.springs))
		for i, s := range e.springs {
			k := [2]graph.WireID{s.Source, s.Target}
			e.springAt[k] = append(e.springAt[k], int32(i))
		}
	}
	for _, s := range remove {
		k := [2]graph.WireID{s.Source, s.Target}
		at := e.springAt[k]
		if len(at) == 0 {
			continue // went with its body
		}
		// The one of that weight, else any between the same bodies.
		pick := len(at) - 1
		for j, i := range at {
			if e.springs[i].Weight == s.Weight {
				pick = j
				break
			}
		}
		i := at[pick]
		at[pick] = at[len(at)-1]
		if at = at[:len(at)-1]; len(at) == 0 {
			delete(e.springAt, k)
		} else {
			e.springAt[k] = at
		}
		last := int32(len(e.springs) - 1)
		if i != last {
			moved := e.springs[last]
			e.springs[i] = moved
			mk := [2]graph.WireID{moved.Source, moved.Target}
			for j, x := range e.springAt[mk] {
				if x == last {
					e.springAt[mk][j] = i
					break
				}
			}
		}
		e.springs = e.springs[:last]
	}
	for _, s := range add {
		k := [2]graph.WireID{s.Source, s.Target}
		e.springAt[k] = append(e.springAt[k], int32(len(e.springs)))
		e.springs = append(e.springs, s)
	}
	if len(remove) > 0 || len(add) > 0 {
		e.dirty = true
		e.heat = true
	}
	return nil
}

// Pin implements Engine.
func (e *CPU) Pin(id graph.WireID, pinned bool) bool {
	i, ok := e.index[id]
	if ok {
		e.pinned[i] = pinned
		e.vel[i] = vec3{}
		e.heat = true
	}
	return ok
}

// Move implements Engine.
func (e *CPU) Move(id graph.WireID, pos graph.Vec3) bool {
	i, ok := e.index[id]
	if ok && pos.Finite() {
		p := toVec(pos)
		if e.places != nil {
			e.unplace(e.pos[i])
			e.places[p]++
		}
		e.pos[i], e.vel[i] = p, vec3{}
		e.heat = true
	}
	return ok
}

// Heat implements Engine.
func (e *CPU) Heat() { e.heat = true }

// Bodies implements Engine.
func (e *CPU) Bodies(dst []Body) []Body {
	for i, id := range e.ids {
		dst = append(dst, Body{ID: id, Position: fromVec(e.pos[i]), Velocity: fromVec(e.vel[i]), Pinned: e.pinned[i]})
	}
	return dst
}

// rebuild turns the spring list into per-body adjacency and masses. A body
// with more springs is heavier (m = 1 + ln(1 + degree)), so hubs move
// slowly and push their neighbours apart more.
func (e *CPU) rebuild() {
	n := len(e.ids)
	e.adjOff = grow(e.adjOff, n+1)
	clear(e.adjOff)
	for _, s := range e.springs {
		e.adjOff[e.index[s.Source]+1]++
		e.adjOff[e.index[s.Target]+1]++
	}
	for i := range n {
		e.adjOff[i+1] += e.adjOff[i]
	}
	e.adjTo = grow(e.adjTo, 2*len(e.springs))
	e.adjW = grow(e.adjW, 2*len(e.springs))
	e.adjE = grow(e.adjE, 2*len(e.springs))
	e.springF = grow(e.springF, len(e.springs))
	e.springAB = grow(e.springAB, 2*len(e.springs))
	fill := slices.Clone(e.adjOff[:n])
	for i, s := range e.springs {
		a, b := e.index[s.Source], e.index[s.Target]
		e.springAB[2*i], e.springAB[2*i+1] = a, b
		e.adjTo[fill[a]], e.adjW[fill[a]], e.adjE[fill[a]] = b, s.Weight, int32(i)
		fill[a]++
		e.adjTo[fill[b]], e.adjW[fill[b]], e.adjE[fill[b]] = a, s.Weight, ^int32(i)
		fill[b]++
	}
	e.mass = grow(e.mass, n)
	for i := range n {
		e.mass[i] = 1 + float32(math.Log1p(float64(e.adjOff[i+1]-e.adjOff[i])))
	}
	e.force = grow(e.force, n)
	e.dirty = false
}

// mix hashes two numbers into well-spread bits.
func mix(a, b uint32) uint32 {
	x := a*0x9E3779B1 ^ b*0x85EBCA77
	x ^= x >> 15
	x *= 0x2C1B3C6D
	x ^= x >> 12
	x *= 0x297A2D39
	return x ^ x>>15
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// softening keeps repulsion finite when two bodies nearly coincide.
func softening(p *Params) float32 {
	s := 0.05 * max(p.RestLength, 0.1)
	return s * s
}

type stepPartial struct {
	kinetic float64
	maxMove float32
}

// Step implements Engine.
func (e *CPU) Step(p Params) Stats {
	start := time.Now()
	if e.dirty {
		e.rebuild()
	}
	if e.heat {
		e.temp = p.Temperature * p.RestLength
		e.heat = false
	}
	n := len(e.ids)
	e.steps++
	if n == 0 {
		return Stats{Step: e.steps, Temperature: e.temp, Took: time.Since(start)}
	}
	e.moved()
	e.forces(&p)
	st := e.integrate(&p)
	if p.Features&Annealing != 0 {
		e.temp *= 1 - p.CoolingRate
	}
	st.Step, st.Temperature, st.Took = e.steps, e.temp, time.Since(start)
	return st
}

// forces fills e.force with the total force on every body.
func (e *CPU) forces(p *Params) {
	n := len(e.ids)
	repel := p.Features&Repulsion != 0 && p.RepelK != 0
	switch {
	case !repel:
		clear(e.force[:n])
	case p.RepulsionCutoff > 0:
		e.grid.build(e.pos, max(p.GridCellSize, p.RepulsionCutoff), e.workers)
		parallel(n, e.workers, func(_, a, b int) {
			for i := a; i < b; i++ {
				e.force[i] = e.grid.repulsion(int32(i), e.pos, e.mass, p)
			}
		})
	case p.Theta <= 0:
		parallel(n, e.workers, func(_, a, b int) {
			for i := a; i < b; i++ {
				e.force[i] = exactRepulsion(i, e.pos, e.mass, p)
			}
		})
	default:
		e.tree.build(e.pos, e.mass, e.workers)
		e.tree.repelGroups(e.force, p.RepelK, p.Theta, softening(p), e.workers)
	}
	springs := p.Features&Springs != 0 && p.SpringK != 0
	attract := p.Features&Attraction != 0 && p.AttractionK != 0
	gravity := p.Features&Gravity != 0 && p.Gravity != 0
	if !springs && !attract && !gravity {
		return
	}
	if springs {
		// Each spring's pull is computed once and read by both ends: the
		// target's is the exact negation of what it would compute itself
		// (p_s − p_t = −(p_t − p_s) in floating point), so the sums are
		// the same bit for bit.
		ns := len(e.springs)
		parallel(ns, e.workers, func(_, a, b int) {
			for k := a; k < b; k++ {
				d := e.pos[e.springAB[2*k+1]].sub(e.pos[e.springAB[2*k]])
				var f vec3
				if dist := sqrt32(d.len2()); dist > 0 {
					f = d.scale(p.SpringK * e.springs[k].Weight * (dist - p.RestLength) / dist)
				}
				e.springF[k] = f
			}
		})
	}
	parallel(n, e.workers, func(_, a, b int) {
		for i := a; i < b; i++ {
			pi := e.pos[i]
			f := e.force[i]
			for k := e.adjOff[i]; k < e.adjOff[i+1]; k++ {
				if springs {
					if x := e.adjE[k]; x >= 0 {
						s := e.springF[x]
						f[0], f[1], f[2] = f[0]+s[0], f[1]+s[1], f[2]+s[2]
					} else {
						s := e.springF[^x]
						f[0], f[1], f[2] = f[0]-s[0], f[1]-s[1], f[2]-s[2]
					}
				}
				if attract {
					d := e.pos[e.adjTo[k]].sub(pi)
					s := p.AttractionK * e.adjW[k]
					f[0], f[1], f[2] = f[0]+s*d[0], f[1]+s*d[1], f[2]+s*d[2]
				}
			}
			if gravity {
				g := -p.Gravity * e.mass[i]
				f[0], f[1], f[2] = f[0]+g*pi[0], f[1]+g*pi[1], f[2]+g*pi[2]
			}
			e.force[i] = f
		}
	})
}

// integrate moves every unpinned body: v ← (v + F/m·dt)·damping, capped at
// maxVelocity; the move v·dt (and v with it) is capped at the temperature
// when annealing; bodies that leave the bounds are put back and bounce.
func (e *CPU) integrate(p *Params) Stats {
	n := len(e.ids)
	e.partials = grow(e.partials, chunks(n))
	anneal := p.Features&Annealing != 0
	parallel(n, e.workers, func(c, a, b int) {
		var part stepPartial
		for i := a; i < b; i++ {
			if e.pinned[i] {
				e.vel[i] = vec3{}
				continue
			}
			m := e.mass[i]
			v := e.vel[i]
			f := e.force[i]
			for k := range 3 {
				v[k] = (v[k] + f[k]/m*p.Dt) * p.Damping
			}
			if s2 := v.len2(); s2 > p.MaxVelocity*p.MaxVelocity {
				v = v.scale(p.MaxVelocity / sqrt32(s2))
			}
			move := v.scale(p.Dt)
			dist := sqrt32(move.len2())
			if anneal && dist > e.temp {
				// The move is cut to the temperature, and so is the velocity,
				// or momentum would build up behind the cap.
				f := float32(0)
				if dist > 0 {
					f = e.temp / dist
				}
				move, v, dist = move.scale(f), v.scale(f), e.temp
			}
			pos := e.pos[i]
			for k := range 3 {
				pos[k] += move[k]
			}
			if p.EnableBounds {
				// Put back just inside, at a depth that differs per body, so
				// bodies pushed against the bounds do not pile up on one point.
				for k := range 3 {
					if pos[k] > p.BoundsSize || pos[k] < -p.BoundsSize {
						inside := p.BoundsSize * (1 - 1e-3*float32(mix(uint32(i), uint32(k))>>8)/(1<<24))
						if pos[k] < 0 {
							inside = -inside
						}
						pos[k], v[k] = inside, -v[k]*p.BoundaryDamping
					}
				}
			}
			if !(vec3(pos).len2() < math.MaxFloat32) || !(v.len2() < math.MaxFloat32) {
				// A blow-up (absurd parameters); stop the body where it was.
				pos, v = e.pos[i], vec3{}
			}
			e.pos[i], e.vel[i] = pos, v
			part.kinetic += 0.5 * float64(m) * float64(v.len2())
			part.maxMove = max(part.maxMove, dist)
		}
		e.partials[c] = part
	})
	var st Stats
	for _, part := range e.partials {
		st.Kinetic += part.kinetic
		st.MaxMove = max(st.MaxMove, part.maxMove)
	}
	return st
}
