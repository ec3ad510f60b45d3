package gpu

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"
	"unsafe"

	gl "github.com/go-gl/gl/v3.1/gles2"

	"visionflow/assets"
	"visionflow/compute"
	"visionflow/graph"
	"visionflow/internal/gles"
)

const group = 64 // local size of the per-body and per-cell kernels

// Binding points, as in assets/shaders.
const (
	bindPos = iota
	bindVel
	bindBounds
	bindCount
	bindStart
	bindBodyCell
	bindSorted
	bindCells
	bindAdj // also the scan's block sums
	bindForce
	bindEnergy
)

// Engine implements compute.Engine on the GPU. Its methods may be called
// from any one goroutine (the layout's); they run their GL work on the GL
// thread.
type Engine struct {
	thread *gles.Thread

	owned *Kernels // freed with the engine

	// GL thread only.
	progs      map[string]*gles.Program
	bufs       [bindEnergy + 1]uint32
	cap        int // bodies the buffers hold
	capE       int // springs
	levels     uint32
	stage      [2]staging
	version    uint64 // structure version the GPU buffers hold
	blocks     uint32 // the scan's block sums
	adjTo      uint32 // where neighbours and weights start in the adjacency buffer
	adjW       uint32
	scanBlocks uint32
	order      []graph.WireID // the bodies in the GPU buffers' order

	mu       sync.Mutex
	ids      []graph.WireID
	index    map[graph.WireID]int32
	pos      [][4]float32 // CPU copy; xyz, w = mass (when synced)
	vel      [][4]float32 // w = pinned
	springs  []compute.Spring
	dirty    bool           // structure changed: upload everything
	patches  map[int32]bool // bodies moved or pinned since the last upload
	gpuAhead bool           // the GPU has stepped since pos was copied back
	structV  uint64         // structure version of the CPU copy
	latest   []compute.Body // the last positions read back
	latestV  uint64         // their structure version
	stats    compute.Stats  // of the last step read back
	temp     float32
	heat     bool
	steps    uint64
}

// staging is a buffer the positions are copied into, with a fence to know
// when the copy is done; reading it then does not stall.
type staging struct {
	buf     uint32
	size    int
	fence   uintptr
	step    uint64
	version uint64
	n       int
}

var _ compute.Engine = (*Engine)(nil)

var kernelNames = []string{"bounds", "clear", "count", "scan0", "scan1", "scan2", "scatter", "moments", "coarsen", "force", "integrate"}

// Kernels are the compiled physics programs of one GL context, shared by
// every engine made from them.
type Kernels struct {
	thread *gles.Thread
	progs  map[string]*gles.Program
}

// NewKernels builds the kernels on the GL thread. It fails, with the
// driver's log, when the context cannot compile or run them.
func NewKernels(thread *gles.Thread) (*Kernels, error) {
	k := &Kernels{thread: thread, progs: map[string]*gles.Program{}}
	var err error
	callErr := thread.Call(func() {
		for _, name := range kernelNames {
			src, defines := "physics_"+name+".comp", map[string]string(nil)
			if len(name) == 5 && name[:4] == "scan" {
				src, defines = "physics_scan.comp", map[string]string{"PASS": name[4:]}
			}
			var p *gles.Program
			if p, err = gles.ComputeProgram(gles.ES310, name, assets.Shader(src), defines); err != nil {
				return
			}
			k.progs[name] = p
		}
		err = gles.Check("creating the physics kernels")
	})
	if callErr != nil {
		return nil, callErr
	}
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("GPU physics: %w", err)
	}
	return k, nil
}

// Close frees the programs; engines made from them must be closed first.
func (k *Kernels) Close() {
	k.thread.Call(func() {
		for _, p := range k.progs {
			p.Delete()
		}
	})
}

// NewEngine returns an engine running these kernels. It makes no GL call
// (its buffers are made on the GL thread when bodies first arrive), so it
// may be called from a goroutine the GL thread waits for.
func (k *Kernels) NewEngine() *Engine {
	return &Engine{thread: k.thread, progs: k.progs, index: map[graph.WireID]int32{}, patches: map[int32]bool{}, heat: true}
}

// New builds kernels for one engine, which frees them when closed.
func New(thread *gles.Thread) (*Engine, error) {
	k, err := NewKernels(thread)
	if err != nil {
		return nil, err
	}
	e := k.NewEngine()
	e.owned = k
	return e, nil
}

// genBuffers makes the engine's buffers. GL thread.
func (e *Engine) genBuffers() {
	if e.bufs[0] != 0 {
		return
	}
	gl.GenBuffers(int32(len(e.bufs)), &e.bufs[0])
	for i := range e.stage {
		gl.GenBuffers(1, &e.stage[i].buf)
	}
}

// Close frees the engine's buffers (and its kernels, when New made them).
func (e *Engine) Close() {
	e.thread.Call(func() {
		if e.bufs[0] != 0 {
			gl.DeleteBuffers(int32(len(e.bufs)), &e.bufs[0])
		}
		if e.blocks != 0 {
			gl.DeleteBuffers(1, &e.blocks)
		}
		for i := range e.stage {
			if e.stage[i].fence != 0 {
				gl.DeleteSync(e.stage[i].fence)
			}
			if e.stage[i].buf != 0 {
				gl.DeleteBuffers(1, &e.stage[i].buf)
			}
		}
	})
	if e.owned != nil {
		e.owned.Close()
	}
}

// Name implements compute.Engine.
func (e *Engine) Name() string { return "gpu" }

// Len implements compute.Engine.
func (e *Engine) Len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.ids)
}

// pull copies the GPU's positions and velocities into the CPU copy before
// a structure change rebuilds the buffers. It waits for the GPU: structure
// changes are rare.
func (e *Engine) pull() {
	if !e.gpuAhead {
		return
	}
	n := len(e.ids)
	e.thread.Call(func() {
		read := func(buf uint32, dst [][4]float32) {
			gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, buf)
			p := gl.MapBufferRange(gl.SHADER_STORAGE_BUFFER, 0, n*16, gl.MAP_READ_BIT)
			if p != nil {
				copy(dst, unsafe.Slice((*[4]float32)(p), n))
				gl.UnmapBuffer(gl.SHADER_STORAGE_BUFFER)
			}
		}
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
		read(e.bufs[bindPos], e.pos)
		read(e.bufs[bindVel], e.vel)
	})
	e.gpuAhead = false
}

// Load implements compute.Engine.
func (e *Engine) Load(bodies []compute.Body, springs []compute.Spring) error {
	e.mu.Lock()
	e.ids, e.pos, e.vel = e.ids[:0], e.pos[:0], e.vel[:0]
	clear(e.index)
	e.gpuAhead = false
	e.steps = 0
	e.mu.Unlock()
	if err := e.AddBodies(bodies); err != nil {
		return err
	}
	return e.SetSprings(springs)
}

// AddBodies implements compute.Engine.
func (e *Engine) AddBodies(bodies []compute.Body) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range bodies {
		if _, dup := e.index[b.ID]; dup {
			return fmt.Errorf("add body %#x: already there", uint32(b.ID))
		}
		if !b.Position.Finite() || !b.Velocity.Finite() {
			return fmt.Errorf("add body %#x: non-finite position or velocity", uint32(b.ID))
		}
	}
	e.pull()
	taken := make(map[[3]float32]bool, len(e.pos)+len(bodies))
	for _, p := range e.pos {
		taken[[3]float32{p[0], p[1], p[2]}] = true
	}
	for _, b := range bodies {
		p := [3]float32{b.Position.X, b.Position.Y, b.Position.Z}
		// Bodies at one spot are nudged apart, as the CPU engine does.
		for n := uint32(0); taken[p]; n++ {
			h := (uint32(len(e.ids))*2654435761 ^ n*2246822519)
			s := 1e-2 * max(1, abs(p[0]), abs(p[1]), abs(p[2]))
			p = [3]float32{p[0] + (float32(h&255)-127.5)*1e-4*s, p[1] + (float32(h>>8&255)-127.5)*1e-4*s, p[2] + (float32(h>>16&255)-127.5)*1e-4*s}
		}
		taken[p] = true
		pinned := float32(0)
		if b.Pinned {
			pinned = 1
		}
		e.index[b.ID] = int32(len(e.ids))
		e.ids = append(e.ids, b.ID)
		e.pos = append(e.pos, [4]float32{p[0], p[1], p[2], 1})
		e.vel = append(e.vel, [4]float32{b.Velocity.X, b.Velocity.Y, b.Velocity.Z, pinned})
	}
	e.structChanged()
	return nil
}

func abs(x float32) float32 { return float32(math.Abs(float64(x))) }

func (e *Engine) structChanged() {
	e.dirty = true
	e.heat = true
	e.structV++
	clear(e.patches)
}

// RemoveBodies implements compute.Engine.
func (e *Engine) RemoveBodies(ids []graph.WireID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pull()
	gone := map[graph.WireID]bool{}
	for _, id := range ids {
		i, ok := e.index[id]
		if !ok {
			continue
		}
		gone[id] = true
		last := int32(len(e.ids) - 1)
		e.ids[i], e.pos[i], e.vel[i] = e.ids[last], e.pos[last], e.vel[last]
		e.index[e.ids[i]] = i
		delete(e.index, id)
		e.ids, e.pos, e.vel = e.ids[:last], e.pos[:last], e.vel[:last]
	}
	if len(gone) > 0 {
		e.springs = slices.DeleteFunc(e.springs, func(s compute.Spring) bool { return gone[s.Source] || gone[s.Target] })
		e.structChanged()
	}
}

// SetSprings implements compute.Engine.
func (e *Engine) SetSprings(springs []compute.Spring) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range springs {
		_, okS := e.index[s.Source]
		_, okT := e.index[s.Target]
		if !okS || !okT {
			return fmt.Errorf("spring %#x→%#x: unknown body", uint32(s.Source), uint32(s.Target))
		}
	}
	e.pull()
	e.springs = append(e.springs[:0], springs...)
	e.structChanged()
	return nil
}

// Pin implements compute.Engine.
func (e *Engine) Pin(id graph.WireID, pinned bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.index[id]
	if !ok {
		return false
	}
	e.pull()
	e.vel[i] = [4]float32{}
	if pinned {
		e.vel[i][3] = 1
	}
	e.patches[i] = true
	e.heat = true
	return true
}

// Move implements compute.Engine.
func (e *Engine) Move(id graph.WireID, p graph.Vec3) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.index[id]
	if !ok || !p.Finite() {
		return ok
	}
	e.pull()
	e.pos[i] = [4]float32{p.X, p.Y, p.Z, e.pos[i][3]}
	e.vel[i] = [4]float32{0, 0, 0, e.vel[i][3]}
	e.patches[i] = true
	e.heat = true
	return true
}

// Heat implements compute.Engine.
func (e *Engine) Heat() {
	e.mu.Lock()
	e.heat = true
	e.mu.Unlock()
}

// Bodies implements compute.Engine: the positions of the last step whose
// copy back has completed. It never waits for the GPU; right after a
// structure change it returns the CPU copy.
func (e *Engine) Bodies(dst []compute.Body) []compute.Body {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.latestV == e.structV && len(e.latest) == len(e.ids) {
		return append(dst, e.latest...)
	}
	for i, id := range e.ids {
		dst = append(dst, compute.Body{ID: id, Position: graph.Vec3{X: e.pos[i][0], Y: e.pos[i][1], Z: e.pos[i][2]},
			Velocity: graph.Vec3{X: e.vel[i][0], Y: e.vel[i][1], Z: e.vel[i][2]}, Pinned: e.vel[i][3] != 0})
	}
	return dst
}

// Step implements compute.Engine. It queues the kernels on the GL thread
// and returns the statistics of the last step whose results are back.
func (e *Engine) Step(p compute.Params) compute.Stats {
	start := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.heat {
		e.temp = p.Temperature * p.RestLength
		e.heat = false
	}
	e.steps++
	n := len(e.ids)
	if n > 0 {
		e.thread.Call(func() { e.run(&p, n) })
		e.gpuAhead = true
	}
	if p.Features&compute.Annealing != 0 {
		e.temp *= 1 - p.CoolingRate
	}
	st := e.stats
	st.Step, st.Temperature, st.Took = e.steps, e.temp, time.Since(start)
	return st
}

// levelsFor picks the finest grid level: about four bodies per finest cell,
// between 2 (4³ cells) and 7 (128³).
func levelsFor(n int) uint32 {
	cells := max(n/4, 1)
	l := uint32((bits.Len(uint(cells)) + 2) / 3)
	return min(max(l, 2), 7)
}

func cellsUpTo(level uint32) int { return (1<<(3*(level+1)) - 1) / 7 }

// upload (re)builds every buffer from the CPU copy. GL thread.
func (e *Engine) upload() {
	e.genBuffers()
	n, m := len(e.ids), len(e.springs)
	deg := make([]uint32, n+1)
	for _, s := range e.springs {
		deg[e.index[s.Source]+1]++
		deg[e.index[s.Target]+1]++
	}
	adj := make([]uint32, n+1+4*m)
	for i := range n {
		adj[i+1] = adj[i] + deg[i+1]
	}
	fill := slices.Clone(adj[:n])
	to, w := uint32(n+1), uint32(n+1+2*m)
	for _, s := range e.springs {
		a, b := e.index[s.Source], e.index[s.Target]
		for _, pair := range [2][2]int32{{a, b}, {b, a}} {
			k := fill[pair[0]]
			adj[to+k], adj[w+k] = uint32(pair[1]), math.Float32bits(s.Weight)
			fill[pair[0]]++
		}
	}
	for i := range n {
		e.pos[i][3] = 1 + float32(math.Log1p(float64(adj[i+1]-adj[i])))
	}
	e.levels = levelsFor(n)
	finest := 1 << (3 * e.levels)
	size := func(b int, bytes int) {
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, e.bufs[b])
		gl.BufferData(gl.SHADER_STORAGE_BUFFER, max(bytes, 16), nil, gl.DYNAMIC_COPY)
	}
	size(bindPos, n*16)
	gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, n*16, gl.Ptr(e.pos))
	size(bindVel, n*16)
	gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, n*16, gl.Ptr(e.vel))
	size(bindBounds, 32)
	size(bindCount, finest*4)
	size(bindStart, finest*4)
	size(bindBodyCell, n*8)
	size(bindSorted, n*4)
	size(bindCells, cellsUpTo(e.levels)*16)
	size(bindAdj, max(len(adj), (finest+1023)/1024)*4)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, e.bufs[bindAdj])
	gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, len(adj)*4, gl.Ptr(adj))
	size(bindForce, n*16)
	size(bindEnergy, (n+group-1)/group*4)
	e.adjTo, e.adjW = to, w
	e.scanBlocks = uint32((finest + 1023) / 1024)
	// The scan's block sums share the adjacency buffer's binding point, so
	// they get a buffer of their own, bound there only during the scan.
	if e.blocks == 0 {
		gl.GenBuffers(1, &e.blocks)
	}
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, e.blocks)
	gl.BufferData(gl.SHADER_STORAGE_BUFFER, int(e.scanBlocks)*4, nil, gl.DYNAMIC_COPY)
	e.cap, e.capE = n, m
	e.order = append(e.order[:0], e.ids...)
	e.version = e.structV
	e.dirty = false
	clear(e.patches)
}
