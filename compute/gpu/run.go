package gpu

import (
	"math"
	"unsafe"

	gl "github.com/go-gl/gl/v3.1/gles2"

	"visionflow/compute"
	"visionflow/graph"
)

func groups(n int, size int) uint32 { return uint32((n + size - 1) / size) }

func (e *Engine) use(name string) *prog {
	p := e.progs[name]
	gl.UseProgram(p.ID)
	return &prog{p.ID}
}

// prog sets uniforms on the program in use.
type prog struct{ id uint32 }

func (p *prog) u(name string, v uint32) {
	gl.Uniform1ui(gl.GetUniformLocation(p.id, gl.Str(name+"\x00")), v)
}

func (p *prog) f(name string, v float32) {
	gl.Uniform1f(gl.GetUniformLocation(p.id, gl.Str(name+"\x00")), v)
}

func (p *prog) b(name string, v bool) {
	i := int32(0)
	if v {
		i = 1
	}
	gl.Uniform1i(gl.GetUniformLocation(p.id, gl.Str(name+"\x00")), i)
}

func barrier() { gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT) }

// run executes one step on the GL thread.
func (e *Engine) run(p *compute.Params, n int) {
	e.computeForces(p, n)
	e.integrate(p, n)
	e.collect()
	e.copyBack(n)
}

// computeForces fills the force buffer.
func (e *Engine) computeForces(p *compute.Params, n int) {
	e.flush()
	for b, buf := range e.bufs {
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, uint32(b), buf)
	}
	finest := 1 << (3 * e.levels)
	// Bounds: reset, then every body's coordinates.
	reset := [8]int32{math.MaxInt32, math.MaxInt32, math.MaxInt32, math.MinInt32, math.MinInt32, math.MinInt32, 0, 0}
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, e.bufs[bindBounds])
	gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, 32, gl.Ptr(&reset[0]))
	k := e.use("bounds")
	k.u("uN", uint32(n))
	gl.DispatchCompute(groups(n, group), 1, 1)
	barrier()

	k = e.use("clear")
	k.u("uCells", uint32(finest))
	gl.DispatchCompute(groups(finest, group), 1, 1)
	barrier()

	k = e.use("count")
	k.u("uN", uint32(n))
	k.u("uLevels", e.levels)
	gl.DispatchCompute(groups(n, group), 1, 1)
	barrier()

	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindAdj, e.blocks)
	for pass, name := range []string{"scan0", "scan1", "scan2"} {
		k = e.use(name)
		k.u("uCells", uint32(finest))
		g := e.scanBlocks
		if pass == 1 {
			g = 1
		}
		gl.DispatchCompute(g, 1, 1)
		barrier()
	}
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindAdj, e.bufs[bindAdj])

	k = e.use("scatter")
	k.u("uN", uint32(n))
	gl.DispatchCompute(groups(n, group), 1, 1)
	barrier()

	k = e.use("moments")
	k.u("uCells", uint32(finest))
	k.u("uLevels", e.levels)
	gl.DispatchCompute(groups(finest, group), 1, 1)
	barrier()
	k = e.use("coarsen")
	for level := int(e.levels) - 1; level >= 2; level-- {
		k.u("uLevel", uint32(level))
		gl.DispatchCompute(groups(1<<(3*level), group), 1, 1)
		barrier()
	}

	k = e.use("force")
	k.u("uN", uint32(n))
	k.u("uLevels", e.levels)
	k.u("uAdjTo", e.adjTo)
	k.u("uAdjW", e.adjW)
	k.f("uRepelK", p.RepelK)
	k.f("uSpringK", p.SpringK)
	k.f("uAttractionK", p.AttractionK)
	k.f("uGravity", p.Gravity)
	k.f("uRestLength", p.RestLength)
	eps := 0.05 * max(p.RestLength, 0.1)
	k.f("uEps2", eps*eps)
	k.f("uCutoff", p.RepulsionCutoff)
	k.u("uFeatures", uint32(p.Features&(compute.Repulsion|compute.Springs|compute.Attraction|compute.Gravity)))
	gl.DispatchCompute(groups(n, group), 1, 1)
	barrier()
}

// integrate moves the bodies by the forces.
func (e *Engine) integrate(p *compute.Params, n int) {
	k := e.use("integrate")
	k.u("uN", uint32(n))
	k.f("uDt", p.Dt)
	k.f("uDamping", p.Damping)
	k.f("uMaxVelocity", p.MaxVelocity)
	k.f("uTemp", e.temp)
	k.f("uBounds", p.BoundsSize)
	k.f("uBoundaryDamping", p.BoundaryDamping)
	k.b("uAnneal", p.Features&compute.Annealing != 0)
	k.b("uEnableBounds", p.EnableBounds)
	gl.DispatchCompute(groups(n, group), 1, 1)
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT | gl.BUFFER_UPDATE_BARRIER_BIT | gl.VERTEX_ATTRIB_ARRAY_BARRIER_BIT)
	gl.UseProgram(0)
}

// copyBack queues a copy of the positions, velocities and step statistics
// into a free staging buffer, with a fence; collect reads it once the fence
// has passed. So positions reach the stream a step or two late, and the
// frame never waits for them.
func (e *Engine) copyBack(n int) {
	var s *staging
	for i := range e.stage {
		if e.stage[i].fence == 0 {
			s = &e.stage[i]
			break
		}
	}
	if s == nil {
		return // both copies still in flight: skip this step's
	}
	energy := (n + group - 1) / group
	need := 32*n + 32 + 4*energy
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, s.buf)
	if s.size < need {
		gl.BufferData(gl.COPY_WRITE_BUFFER, need, nil, gl.STREAM_READ)
		s.size = need
	}
	copyBuf := func(src uint32, off, bytes int) {
		gl.BindBuffer(gl.COPY_READ_BUFFER, src)
		gl.CopyBufferSubData(gl.COPY_READ_BUFFER, gl.COPY_WRITE_BUFFER, 0, off, bytes)
	}
	copyBuf(e.bufs[bindPos], 0, 16*n)
	copyBuf(e.bufs[bindVel], 16*n, 16*n)
	copyBuf(e.bufs[bindBounds], 32*n, 32)
	copyBuf(e.bufs[bindEnergy], 32*n+32, 4*energy)
	s.fence = gl.FenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0)
	s.step, s.version, s.n = e.steps, e.version, n
}

// collect reads back every staging copy whose fence has passed, newest last.
func (e *Engine) collect() {
	for {
		var ready *staging
		for i := range e.stage {
			s := &e.stage[i]
			if s.fence == 0 {
				continue
			}
			r := gl.ClientWaitSync(s.fence, 0, 0)
			if r == gl.ALREADY_SIGNALED || r == gl.CONDITION_SATISFIED {
				if ready == nil || s.step < ready.step {
					ready = s
				}
			}
		}
		if ready == nil {
			return
		}
		e.read(ready)
		gl.DeleteSync(ready.fence)
		ready.fence = 0
	}
}

func (e *Engine) read(s *staging) {
	n := s.n
	energy := (n + group - 1) / group
	gl.BindBuffer(gl.COPY_READ_BUFFER, s.buf)
	ptr := gl.MapBufferRange(gl.COPY_READ_BUFFER, 0, 32*n+32+4*energy, gl.MAP_READ_BIT)
	if ptr == nil {
		return
	}
	defer gl.UnmapBuffer(gl.COPY_READ_BUFFER)
	if s.version != e.structV || n != len(e.ids) {
		return // the structure changed since: these positions no longer fit
	}
	all := unsafe.Slice((*[4]float32)(ptr), 2*n)
	pos, vel := all[:n], all[n:]
	tail := unsafe.Slice((*uint32)(unsafe.Add(ptr, 32*n)), 8+energy)
	var kinetic float64
	for _, x := range tail[8:] {
		kinetic += float64(math.Float32frombits(x))
	}
	e.stats.Kinetic = kinetic
	e.stats.MaxMove = math.Float32frombits(tail[6])
	e.latest = e.latest[:0]
	for i, id := range e.ids {
		e.latest = append(e.latest, compute.Body{ID: id,
			Position: graph.Vec3{X: pos[i][0], Y: pos[i][1], Z: pos[i][2]},
			Velocity: graph.Vec3{X: vel[i][0], Y: vel[i][1], Z: vel[i][2]},
			Pinned:   vel[i][3] != 0})
	}
	e.latestV = s.version
}

// Sync waits until the positions of the last step are back (for tests and
// for saving at shutdown).
func (e *Engine) Sync() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.thread.Call(func() {
		for i := range e.stage {
			if s := &e.stage[i]; s.fence != 0 {
				gl.ClientWaitSync(s.fence, gl.SYNC_FLUSH_COMMANDS_BIT, math.MaxUint64)
			}
		}
		e.collect()
	})
}

// flush brings the GPU buffers up to the CPU copy: everything after a
// structure change, else the bodies moved or pinned. GL thread, e.mu held.
func (e *Engine) flush() {
	if e.dirty || e.version != e.structV {
		e.upload()
	}
	for i := range e.patches {
		off := int(i) * 16
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, e.bufs[bindPos])
		gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, off, 12, gl.Ptr(&e.pos[i][0]))
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, e.bufs[bindVel])
		gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, off, 16, gl.Ptr(&e.vel[i][0]))
	}
	clear(e.patches)
}

// PositionBuffer returns, on the GL thread, the buffer holding every body's
// position (vec4: xyz, mass) for the renderer, the bodies in its order, and
// a version that changes whenever that order does. Callers must not keep
// order past the call.
func (e *Engine) PositionBuffer() (buf uint32, order []graph.WireID, version uint64) {
	// Changes made while the layout rests (a drag, physics switched off)
	// reach the buffer here. When the lock is taken, a step or a change is
	// under way on the layout goroutine (which may be waiting for this very
	// thread) and will flush them itself.
	if e.mu.TryLock() {
		e.flush()
		e.mu.Unlock()
	}
	return e.bufs[bindPos], e.order, e.version
}
