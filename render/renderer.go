package render

import (
	"errors"
	"fmt"
	"math"
	"slices"

	gl "github.com/go-gl/gl/v3.1/gles2"
	"github.com/go-gl/mathgl/mgl32"

	"visionflow/assets"
	"visionflow/internal/gles"
	"visionflow/render/view"
)

// Node flags, as in assets/shaders/node_shade.glsl. An agent's state code
// (agent.State.Code: 1 idle … 6 error) sits in bits 8–11 and sets the
// pace of its glow.
const (
	FlagPinned   = 1
	FlagSelected = 2
	FlagHovered  = 4
	FlagAgent    = 8
	FlagStale    = 16 // an agent gone silent: no glow
	stateShift   = 8
)

// StateFlags puts an agent's state code into a style's flags.
func StateFlags(code uint8) uint32 { return uint32(code&15) << stateShift }

// Shapes a node can have.
const (
	ShapeSphere = iota
	ShapeCube
	ShapeOctahedron
)

// Style is how one node looks.
type Style struct {
	Color [4]uint8 // sRGB, as settings give colours
	Size  float32  // times nodes.nodeSize
	Flags uint32
	Shape uint32
}

// Edge joins two slots of the position buffer.
type Edge struct {
	A, B  uint32
	Width float32 // layout units
	// Tint, when its alpha is not 0, replaces the edges' colour and
	// opacity for this edge (sRGB; 5 bits of each channel and 7 of alpha
	// survive): a link of an agent to its work, a pulse of a message.
	Tint [4]uint8
	// Keep exempts the edge from the level of detail (Frame.EdgeAreaCap
	// and the sub-pixel cut): the selected and hovered nodes' edges,
	// agents' links, message pulses.
	Keep bool
}

// keepAlways is the tint code's bit for Edge.Keep (edge_lod.glsl).
const keepAlways = 1 << 22

// tintCode packs a tint and Keep into a number a float carries exactly
// (below 2^23), so they can ride in the edge ends' spare component: r, g,
// b in 5 bits each, alpha in 7, then Keep; 0 means no tint.
func (e Edge) tintCode() float32 {
	var code uint32
	if t := e.Tint; t[3] != 0 {
		a := max(uint32(t[3])>>1, 1)
		code = uint32(t[0])>>3<<17 | uint32(t[1])>>3<<12 | uint32(t[2])>>3<<7 | a
	}
	if e.Keep {
		code |= keepAlways
	}
	return float32(code)
}

// Settings are the look of the whole scene (from the settings tree).
type Settings struct {
	Background                        [3]uint8 // sRGB
	NodeSize, Metalness, Roughness    float32
	Opacity                           float32
	Quality                           int  // 0 low, 1 medium, 2 high
	Instancing                        bool // one draw for all nodes; else one per node
	Hologram                          bool
	Ambient, Directional, Environment float32
	EdgeColor                         [3]uint8
	EdgeOpacity                       float32
	EdgeQuality                       int // 0: one-pixel lines; else ribbons of the edges' widths
	Arrows                            bool
	ArrowSize                         float32 // head length in node radii
}

// Frame is one frame to draw.
type Frame struct {
	Camera        view.Camera
	Width, Height int
	Time          float32
	Positions     uint32 // buffer of vec4 per slot (xyz, mass)
	Settings      Settings
	Antialias     bool // draw multisampled, then resolve into the window
	// EdgeAreaCap, in pixels, thins the edges that cover more of the
	// screen: each is drawn with the chance cap/area, as opaque as the
	// edges it stands for (render/lod). 0 draws every edge in view; the
	// window sets it on a software rasteriser, whose frames a big graph's
	// edges would fill.
	EdgeAreaCap float32
}

type mesh struct {
	vbo, ibo uint32
	count    int32
}

// Renderer draws one scene. GL thread only.
type Renderer struct {
	// Software says the GL renderer is a CPU rasteriser (Mesa's
	// llvmpipe): large graphs switch to point sprites sooner.
	Software bool

	// ExpandErr says why edge ends are expanded on the CPU in a context
	// that has compute shaders; nil otherwise.
	ExpandErr error

	dialect gles.Dialect
	// Without the edge_expand kernel (OpenGL 4.1 and ES 3.0, or ExpandErr)
	// the edges' ends are copied out on the CPU, from the positions
	// UploadPositions was given.
	cpuPos    [][4]float32
	cpuEdges  []Edge
	cpuEnds   [][4]float32
	endsStale bool

	node, edge, arrow, pick, expand *gles.Program
	nodePoint, pickPoint            *gles.Program
	maxPointSize                    float32
	meshes                          [4]mesh // by level of detail
	quad, tri, line                 uint32
	vao                             uint32
	idle                            uint32 // VAO left bound between frames on desktop GL
	styles, edges, ends, own        uint32
	slots, nEdges                   int
	ownCap                          int

	pickFBO, pickTex, pickDepth uint32
	pickW, pickH                int

	msFBO, msColor, msDepth uint32
	msW, msH                int
}

// expandSource is the edge_expand kernel (a variable so that a test can
// break it).
var expandSource = assets.Shader("edge_expand.comp")

// Entry points of desktop OpenGL that OpenGL ES has no names for.
const (
	programPointSize = 0x8642 // GL_PROGRAM_POINT_SIZE
	framebufferSRGB  = 0x8DB9 // GL_FRAMEBUFFER_SRGB
	pointSizeRange   = 0x0B12 // GL_POINT_SIZE_RANGE
)

// New builds the programs and meshes for a context speaking dialect d.
func New(d gles.Dialect) (*Renderer, error) {
	r := &Renderer{dialect: d}
	var err error
	if r.node, err = gles.RenderProgram(d, "node", assets.Shader("node.vert"), assets.Shader("node.frag"), nil); err != nil {
		return nil, err
	}
	if r.edge, err = gles.RenderProgram(d, "edge", assets.Shader("edge.vert"), assets.Shader("edge.frag"), nil); err != nil {
		return nil, err
	}
	if r.arrow, err = gles.RenderProgram(d, "arrow", assets.Shader("arrow.vert"), assets.Shader("edge.frag"), nil); err != nil {
		return nil, err
	}
	if r.pick, err = gles.RenderProgram(d, "pick", assets.Shader("pick.vert"), assets.Shader("pick.frag"), nil); err != nil {
		return nil, err
	}
	if r.nodePoint, err = gles.RenderProgram(d, "node_point", assets.Shader("node_point.vert"), assets.Shader("node_point.frag"), nil); err != nil {
		return nil, err
	}
	if r.pickPoint, err = gles.RenderProgram(d, "pick_point", assets.Shader("pick_point.vert"), assets.Shader("pick_point.frag"), nil); err != nil {
		return nil, err
	}
	var sizes [2]float32
	if d == gles.GL410 {
		gl.GetFloatv(pointSizeRange, &sizes[0]) // core profiles dropped the aliased range
	} else {
		gl.GetFloatv(gl.ALIASED_POINT_SIZE_RANGE, &sizes[0])
	}
	r.maxPointSize = max(sizes[1], 1)
	if d.Compute() {
		// A context whose compute shaders cannot build this one (too few
		// storage buffers, a driver bug) still draws: edges from the CPU.
		r.expand, r.ExpandErr = gles.ComputeProgram(d, "edge_expand", expandSource, nil)
	}
	for q, level := range []int{0, 1, 2, 3} {
		verts, idx := icosphere(level)
		m := &r.meshes[q]
		gl.GenBuffers(1, &m.vbo)
		gl.BindBuffer(gl.ARRAY_BUFFER, m.vbo)
		gl.BufferData(gl.ARRAY_BUFFER, len(verts)*12, gl.Ptr(verts), gl.STATIC_DRAW)
		gl.GenBuffers(1, &m.ibo)
		gl.BindBuffer(gl.ELEMENT_ARRAY_BUFFER, m.ibo)
		gl.BufferData(gl.ELEMENT_ARRAY_BUFFER, len(idx)*4, gl.Ptr(idx), gl.STATIC_DRAW)
		m.count = int32(len(idx))
	}
	quad := []float32{0, -1, 1, -1, 0, 1, 1, 1}
	gl.GenBuffers(1, &r.quad)
	gl.BindBuffer(gl.ARRAY_BUFFER, r.quad)
	gl.BufferData(gl.ARRAY_BUFFER, len(quad)*4, gl.Ptr(quad), gl.STATIC_DRAW)
	line := []float32{0, 0, 1, 0}
	gl.GenBuffers(1, &r.line)
	gl.BindBuffer(gl.ARRAY_BUFFER, r.line)
	gl.BufferData(gl.ARRAY_BUFFER, len(line)*4, gl.Ptr(line), gl.STATIC_DRAW)
	tri := []float32{1, 0, 0, 1, 0, -1}
	gl.GenBuffers(1, &r.tri)
	gl.BindBuffer(gl.ARRAY_BUFFER, r.tri)
	gl.BufferData(gl.ARRAY_BUFFER, len(tri)*4, gl.Ptr(tri), gl.STATIC_DRAW)
	gl.GenVertexArrays(1, &r.vao)
	gl.GenVertexArrays(1, &r.idle)
	for _, b := range []*uint32{&r.styles, &r.edges, &r.ends, &r.own} {
		gl.GenBuffers(1, b)
	}
	gl.BindBuffer(gl.ARRAY_BUFFER, 0)
	gl.BindBuffer(gl.ELEMENT_ARRAY_BUFFER, 0)
	if err := gles.Check("creating the renderer"); err != nil {
		return nil, err
	}
	return r, nil
}

// Close frees the renderer's GL objects.
func (r *Renderer) Close() {
	for _, p := range []*gles.Program{r.node, r.edge, r.arrow, r.pick, r.expand, r.nodePoint, r.pickPoint} {
		p.Delete()
	}
	for i := range r.meshes {
		gl.DeleteBuffers(1, &r.meshes[i].vbo)
		gl.DeleteBuffers(1, &r.meshes[i].ibo)
	}
	for _, b := range []*uint32{&r.quad, &r.tri, &r.line, &r.styles, &r.edges, &r.ends, &r.own} {
		gl.DeleteBuffers(1, b)
	}
	gl.DeleteVertexArrays(1, &r.vao)
	gl.DeleteVertexArrays(1, &r.idle)
	if r.msFBO != 0 {
		gl.DeleteFramebuffers(1, &r.msFBO)
		gl.DeleteRenderbuffers(1, &r.msColor)
		gl.DeleteRenderbuffers(1, &r.msDepth)
	}
	if r.pickFBO != 0 {
		gl.DeleteFramebuffers(1, &r.pickFBO)
		gl.DeleteTextures(1, &r.pickTex)
		gl.DeleteRenderbuffers(1, &r.pickDepth)
	}
}

// SetScene uploads what the nodes look like and the edges. Slots index the
// position buffer.
func (r *Renderer) SetScene(styles []Style, edges []Edge) {
	r.SetStyles(styles)
	r.SetEdges(edges)
}

// SetStyles uploads what the nodes look like, one per slot of the position
// buffer.
func (r *Renderer) SetStyles(styles []Style) {
	packed := make([]uint32, 0, 4*len(styles))
	for _, s := range styles {
		p := s.pack()
		packed = append(packed, p[:]...)
	}
	upload(gl.ARRAY_BUFFER, r.styles, packed)
	gl.BindBuffer(gl.ARRAY_BUFFER, 0)
	r.slots = len(styles)
}

// SetStyle changes one slot's look, leaving the others as they are (a
// hover or a selection touches one or two nodes of perhaps a million).
func (r *Renderer) SetStyle(slot int, s Style) {
	if slot < 0 || slot >= r.slots {
		return
	}
	p := s.pack()
	gl.BindBuffer(gl.ARRAY_BUFFER, r.styles)
	gl.BufferSubData(gl.ARRAY_BUFFER, 16*slot, 16, gl.Ptr(&p[0]))
	gl.BindBuffer(gl.ARRAY_BUFFER, 0)
}

// pack is a style as the vertex shaders read it: colour rgba8, size
// (float bits), flags, shape.
func (s Style) pack() [4]uint32 {
	c := s.Color
	return [4]uint32{uint32(c[0]) | uint32(c[1])<<8 | uint32(c[2])<<16 | uint32(c[3])<<24, math.Float32bits(s.Size), s.Flags, s.Shape}
}

// SetEdges uploads the edges.
func (r *Renderer) SetEdges(edges []Edge) {
	r.nEdges = len(edges)
	gl.BindBuffer(gl.ARRAY_BUFFER, r.ends)
	if r.expand == nil {
		r.cpuEdges = append(r.cpuEdges[:0], edges...)
		r.endsStale = true
		gl.BufferData(gl.ARRAY_BUFFER, max(32*len(edges), 32), nil, gl.STREAM_DRAW)
		gl.BindBuffer(gl.ARRAY_BUFFER, 0)
		return
	}
	gl.BufferData(gl.ARRAY_BUFFER, max(32*len(edges), 32), nil, gl.DYNAMIC_COPY)
	e := make([]uint32, 4*len(edges))
	for i, x := range edges {
		e[4*i], e[4*i+1], e[4*i+2], e[4*i+3] = x.A, x.B, math.Float32bits(x.Width), math.Float32bits(x.tintCode())
	}
	upload(gl.ARRAY_BUFFER, r.edges, e)
	gl.BindBuffer(gl.ARRAY_BUFFER, 0)
}

// expandOnCPU does edge_expand.comp's work where there are no compute
// shaders: each edge's two end positions side by side. An end outside
// the positions (a node not placed yet) sits at the origin.
func (r *Renderer) expandOnCPU() {
	if !r.endsStale {
		return
	}
	r.endsStale = false
	r.cpuEnds = slices.Grow(r.cpuEnds[:0], 2*len(r.cpuEdges))[:2*len(r.cpuEdges)]
	at := func(i uint32) [4]float32 {
		if int(i) < len(r.cpuPos) {
			return r.cpuPos[i]
		}
		return [4]float32{}
	}
	for i, e := range r.cpuEdges {
		a, b := at(e.A), at(e.B)
		r.cpuEnds[2*i] = [4]float32{a[0], a[1], a[2], e.Width}
		r.cpuEnds[2*i+1] = [4]float32{b[0], b[1], b[2], e.tintCode()}
	}
	if len(r.cpuEnds) > 0 {
		gl.BindBuffer(gl.ARRAY_BUFFER, r.ends)
		gl.BufferSubData(gl.ARRAY_BUFFER, 0, 16*len(r.cpuEnds), gl.Ptr(r.cpuEnds))
		gl.BindBuffer(gl.ARRAY_BUFFER, 0)
	}
}

func upload(target, buf uint32, data []uint32) {
	gl.BindBuffer(target, buf)
	if len(data) == 0 {
		gl.BufferData(target, 16, nil, gl.DYNAMIC_DRAW)
		return
	}
	gl.BufferData(target, len(data)*4, gl.Ptr(data), gl.DYNAMIC_DRAW)
}

// UploadPositions fills the renderer's own position buffer (for the CPU
// engine and remote streams) and returns it. Without compute shaders it
// is the only buffer frames may draw from.
func (r *Renderer) UploadPositions(pos [][4]float32) uint32 {
	if r.expand == nil {
		r.cpuPos = append(r.cpuPos[:0], pos...)
		r.endsStale = true
	}
	gl.BindBuffer(gl.ARRAY_BUFFER, r.own)
	if len(pos) > r.ownCap {
		r.ownCap = len(pos) + len(pos)/4
		gl.BufferData(gl.ARRAY_BUFFER, r.ownCap*16, nil, gl.STREAM_DRAW)
	}
	if len(pos) > 0 {
		gl.BufferSubData(gl.ARRAY_BUFFER, 0, len(pos)*16, gl.Ptr(pos))
	}
	return r.own
}

// linear converts an sRGB colour to linear light.
func linear(c uint8) float32 {
	v := float64(c) / 255
	if v <= 0.04045 {
		return float32(v / 12.92)
	}
	return float32(math.Pow((v+0.055)/1.055, 2.4))
}

// state puts the GL state this renderer needs; Gio restores only what it
// tracks, so depth, culling and scissor are set here each frame.
func (r *Renderer) state(f *Frame) {
	gl.Viewport(0, 0, int32(f.Width), int32(f.Height))
	gl.Disable(gl.SCISSOR_TEST)
	gl.Enable(gl.DEPTH_TEST)
	gl.DepthFunc(gl.LESS)
	gl.DepthMask(true)
	gl.Enable(gl.CULL_FACE)
	gl.CullFace(gl.BACK)
	gl.FrontFace(gl.CCW)
	if r.dialect == gles.GL410 {
		// ES always takes the point size from the vertex shader and
		// writes sRGB to an sRGB framebuffer; desktop GL does on request.
		gl.Enable(programPointSize)
		gl.Enable(framebufferSRGB)
		gl.BindVertexArray(r.idle) // see unbind
	}
}

func (r *Renderer) matrices(p *gles.Program, f *Frame) {
	view := f.Camera.View()
	proj := f.Camera.Projection(float32(f.Width) / float32(max(f.Height, 1)))
	gl.UniformMatrix4fv(p.Uniform("uView"), 1, false, &view[0])
	gl.UniformMatrix4fv(p.Uniform("uProj"), 1, false, &proj[0])
}

// edgeLOD sets the uniforms of edge_lod.glsl.
func edgeLOD(p *gles.Program, f *Frame) {
	gl.Uniform2f(p.Uniform("uViewport"), float32(f.Width), float32(f.Height))
	gl.Uniform1f(p.Uniform("uAreaCap"), max(f.EdgeAreaCap, 0))
}

// Level of detail: the quality setting picks the finest mesh (1280
// triangles at high), and larger graphs step down from it, since with
// thousands of nodes each sphere covers a few pixels and triangles would
// only cost time: a level per tenfold growth past 2,000 nodes.
func (r *Renderer) lod(quality int) *mesh {
	level := min(max(quality, 0), 2) + 1
	for n := r.slots; n > 2_000 && level > 0; n /= 10 {
		level--
	}
	return &r.meshes[level]
}

// pointsAbove is, by quality, the node count above which nodes are drawn
// as point sprites that shade a sphere (or the silhouette of a cube or an
// octahedron) per pixel: one vertex per node instead of a mesh.
var pointsAbove = [3]int{1_000, 5_000, 20_000}

// softwarePointsAbove caps pointsAbove on a software rasteriser, where
// vertex shading runs on the CPU and costs far more than the pixels.
const softwarePointsAbove = 2_000

// Points reports whether nodes are drawn as point sprites.
func (r *Renderer) Points(quality int) bool {
	limit := pointsAbove[min(max(quality, 0), 2)]
	if r.Software {
		limit = min(limit, softwarePointsAbove)
	}
	return r.slots > limit
}

// bindPoints sets up the point sprites' attributes: a node per vertex.
func (r *Renderer) bindPoints(f *Frame, p *gles.Program) {
	gl.BindVertexArray(r.vao)
	r.bindPerNode(f, 0)
	gl.Uniform1f(p.Uniform("uViewportHeight"), float32(f.Height))
	gl.Uniform1f(p.Uniform("uMaxPointSize"), r.maxPointSize)
}

// bindNodes sets up the node attributes: the mesh, then per instance the
// position (from the frame's buffer) and the style.
func (r *Renderer) bindNodes(f *Frame, m *mesh) {
	gl.BindVertexArray(r.vao)
	gl.BindBuffer(gl.ARRAY_BUFFER, m.vbo)
	gl.EnableVertexAttribArray(0)
	gl.VertexAttribPointer(0, 3, gl.FLOAT, false, 12, nil)
	gl.VertexAttribDivisor(0, 0)
	r.bindPerNode(f, 1)
	gl.BindBuffer(gl.ELEMENT_ARRAY_BUFFER, m.ibo)
}

// bindPerNode points attributes 1 (position) and 2 (style) at the
// per-node buffers, advancing per vertex (divisor 0) or per instance (1).
func (r *Renderer) bindPerNode(f *Frame, divisor uint32) {
	gl.BindBuffer(gl.ARRAY_BUFFER, f.Positions)
	gl.EnableVertexAttribArray(1)
	gl.VertexAttribPointer(1, 4, gl.FLOAT, false, 16, nil)
	gl.VertexAttribDivisor(1, divisor)
	gl.BindBuffer(gl.ARRAY_BUFFER, r.styles)
	gl.EnableVertexAttribArray(2)
	gl.VertexAttribIPointer(2, 4, gl.UNSIGNED_INT, 16, nil)
	gl.VertexAttribDivisor(2, divisor)
}

// Draw clears to the background and draws edges, then nodes, into the
// window's framebuffer.
func (r *Renderer) Draw(f *Frame) error {
	if !f.Antialias {
		gl.BindFramebuffer(gl.FRAMEBUFFER, 0)
		return r.draw(f)
	}
	if err := r.msTarget(f.Width, f.Height); err != nil {
		return err
	}
	gl.BindFramebuffer(gl.FRAMEBUFFER, r.msFBO)
	err := r.draw(f)
	gl.BindFramebuffer(gl.READ_FRAMEBUFFER, r.msFBO)
	gl.BindFramebuffer(gl.DRAW_FRAMEBUFFER, 0)
	gl.BlitFramebuffer(0, 0, int32(f.Width), int32(f.Height), 0, 0, int32(f.Width), int32(f.Height), gl.COLOR_BUFFER_BIT, gl.NEAREST)
	gl.BindFramebuffer(gl.FRAMEBUFFER, 0)
	return errors.Join(err, gles.Check("resolving the multisampled frame"))
}

// msTarget makes the multisampled framebuffer the scene is drawn into when
// antialiasing is on; it is resolved into the window (whose own
// framebuffer has no samples, so antialiasing can be switched at run time).
func (r *Renderer) msTarget(w, h int) error {
	if r.msFBO != 0 && r.msW == w && r.msH == h {
		return nil
	}
	if r.msFBO == 0 {
		gl.GenFramebuffers(1, &r.msFBO)
		gl.GenRenderbuffers(1, &r.msColor)
		gl.GenRenderbuffers(1, &r.msDepth)
	}
	var most int32
	gl.GetIntegerv(gl.MAX_SAMPLES, &most)
	samples := min(most, 4)
	gl.BindRenderbuffer(gl.RENDERBUFFER, r.msColor)
	gl.RenderbufferStorageMultisample(gl.RENDERBUFFER, samples, gl.SRGB8_ALPHA8, int32(w), int32(h))
	gl.BindRenderbuffer(gl.RENDERBUFFER, r.msDepth)
	gl.RenderbufferStorageMultisample(gl.RENDERBUFFER, samples, gl.DEPTH_COMPONENT24, int32(w), int32(h))
	gl.BindFramebuffer(gl.FRAMEBUFFER, r.msFBO)
	gl.FramebufferRenderbuffer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.RENDERBUFFER, r.msColor)
	gl.FramebufferRenderbuffer(gl.FRAMEBUFFER, gl.DEPTH_ATTACHMENT, gl.RENDERBUFFER, r.msDepth)
	status := gl.CheckFramebufferStatus(gl.FRAMEBUFFER)
	gl.BindFramebuffer(gl.FRAMEBUFFER, 0)
	gl.BindRenderbuffer(gl.RENDERBUFFER, 0)
	if status != gl.FRAMEBUFFER_COMPLETE {
		return fmt.Errorf("multisampled framebuffer (%d samples) incomplete: 0x%x", samples, status)
	}
	r.msW, r.msH = w, h
	return nil
}

func (r *Renderer) draw(f *Frame) error {
	s := &f.Settings
	r.state(f)
	gl.ClearColor(linear(s.Background[0]), linear(s.Background[1]), linear(s.Background[2]), 1)
	gl.Clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT)
	if r.slots == 0 || f.Positions == 0 {
		return gles.Check("drawing an empty scene")
	}
	if r.dialect.Compute() {
		// Positions may come straight from the physics kernels.
		gl.MemoryBarrier(gl.VERTEX_ATTRIB_ARRAY_BARRIER_BIT | gl.SHADER_STORAGE_BARRIER_BIT)
	}
	if r.expand == nil && f.Positions != r.own {
		return fmt.Errorf("draw: with edge ends expanded on the CPU, frames must draw the positions given to UploadPositions (buffer %d), not buffer %d", r.own, f.Positions)
	}
	gl.Enable(gl.BLEND)
	gl.BlendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA)

	if r.nEdges > 0 {
		// Edge ends from the positions, then the ribbons.
		if r.expand != nil {
			gl.UseProgram(r.expand.ID)
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 0, f.Positions)
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 1, r.edges)
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 2, r.ends)
			gl.Uniform1ui(r.expand.Uniform("uEdges"), uint32(r.nEdges))
			gl.DispatchCompute(uint32((r.nEdges+63)/64), 1, 1)
			gl.MemoryBarrier(gl.VERTEX_ATTRIB_ARRAY_BARRIER_BIT)
		} else {
			r.expandOnCPU()
		}
		gl.UseProgram(r.edge.ID)
		r.matrices(r.edge, f)
		edgeLOD(r.edge, f)
		gl.Uniform4f(r.edge.Uniform("uColor"), linear(s.EdgeColor[0]), linear(s.EdgeColor[1]), linear(s.EdgeColor[2]), s.EdgeOpacity)
		gl.Uniform1i(r.edge.Uniform("uArrows"), boolInt(s.Arrows))
		gl.BindVertexArray(r.vao)
		corners := r.quad
		if s.EdgeQuality == 0 {
			corners = r.line // the ribbon's centre line
		}
		gl.BindBuffer(gl.ARRAY_BUFFER, corners)
		gl.EnableVertexAttribArray(0)
		gl.VertexAttribPointer(0, 2, gl.FLOAT, false, 8, nil)
		gl.VertexAttribDivisor(0, 0)
		gl.BindBuffer(gl.ARRAY_BUFFER, r.ends)
		gl.EnableVertexAttribArray(1)
		gl.VertexAttribPointer(1, 4, gl.FLOAT, false, 32, nil)
		gl.VertexAttribDivisor(1, 1)
		gl.EnableVertexAttribArray(2)
		gl.VertexAttribPointerWithOffset(2, 4, gl.FLOAT, false, 32, 16)
		gl.VertexAttribDivisor(2, 1)
		gl.Disable(gl.CULL_FACE)
		gl.DepthMask(s.EdgeOpacity >= 1)
		if s.EdgeQuality == 0 {
			gl.DrawArraysInstanced(gl.LINES, 0, 2, int32(r.nEdges))
		} else {
			gl.DrawArraysInstanced(gl.TRIANGLE_STRIP, 0, 4, int32(r.nEdges))
		}
		if s.Arrows {
			gl.UseProgram(r.arrow.ID)
			r.matrices(r.arrow, f)
			edgeLOD(r.arrow, f)
			gl.Uniform4f(r.arrow.Uniform("uColor"), linear(s.EdgeColor[0]), linear(s.EdgeColor[1]), linear(s.EdgeColor[2]), max(s.EdgeOpacity, 0.6))
			gl.Uniform1i(r.arrow.Uniform("uArrows"), 0)
			gl.Uniform1f(r.arrow.Uniform("uLength"), s.ArrowSize*s.NodeSize)
			gl.Uniform1f(r.arrow.Uniform("uTipInset"), s.NodeSize)
			gl.BindBuffer(gl.ARRAY_BUFFER, r.tri)
			gl.VertexAttribPointer(0, 2, gl.FLOAT, false, 8, nil)
			gl.DrawArraysInstanced(gl.TRIANGLES, 0, 3, int32(r.nEdges))
		}
		gl.DepthMask(true)
		gl.Enable(gl.CULL_FACE)
	}

	prog := r.node
	if r.Points(s.Quality) {
		prog = r.nodePoint
	}
	gl.UseProgram(prog.ID)
	r.matrices(prog, f)
	eye := f.Camera.Eye()
	// The key light comes from above and behind the viewer.
	light := eye.Sub(f.Camera.Target).Normalize().Add(mgl32.Vec3{0, 0.6, 0}).Normalize()
	gl.Uniform3f(prog.Uniform("uEye"), eye[0], eye[1], eye[2])
	gl.Uniform3f(prog.Uniform("uLightDir"), light[0], light[1], light[2])
	for name, v := range map[string]float32{"uNodeSize": s.NodeSize, "uAmbient": s.Ambient, "uDirectional": s.Directional,
		"uEnvironment": s.Environment, "uMetalness": s.Metalness, "uRoughness": s.Roughness, "uOpacity": s.Opacity, "uTime": f.Time} {
		gl.Uniform1f(prog.Uniform(name), v)
	}
	gl.Uniform1i(prog.Uniform("uHologram"), boolInt(s.Hologram))
	switch {
	case prog == r.nodePoint:
		r.bindPoints(f, prog)
		gl.DrawArrays(gl.POINTS, 0, int32(r.slots))
	case s.Instancing:
		m := r.lod(s.Quality)
		r.bindNodes(f, m)
		gl.DrawElementsInstanced(gl.TRIANGLES, m.count, gl.UNSIGNED_INT, nil, int32(r.slots))
	default:
		// One draw per node: the per-node attributes start at its slot.
		m := r.lod(s.Quality)
		r.bindNodes(f, m)
		for i := range r.slots {
			gl.BindBuffer(gl.ARRAY_BUFFER, f.Positions)
			gl.VertexAttribPointerWithOffset(1, 4, gl.FLOAT, false, 16, uintptr(16*i))
			gl.BindBuffer(gl.ARRAY_BUFFER, r.styles)
			gl.VertexAttribIPointerWithOffset(2, 4, gl.UNSIGNED_INT, 16, uintptr(16*i))
			gl.DrawElementsInstanced(gl.TRIANGLES, m.count, gl.UNSIGNED_INT, nil, 1)
		}
	}
	r.unbind()
	return gles.Check("drawing the graph")
}

func (r *Renderer) unbind() {
	for a := range uint32(3) {
		gl.VertexAttribDivisor(a, 0)
		gl.DisableVertexAttribArray(a)
	}
	if r.dialect == gles.GL410 {
		// Gio restores vertex attributes into whatever vertex array it
		// found bound; a core profile refuses that with none bound.
		gl.BindVertexArray(r.idle)
	} else {
		gl.BindVertexArray(0)
	}
	gl.BindBuffer(gl.ARRAY_BUFFER, 0)
	gl.BindBuffer(gl.ELEMENT_ARRAY_BUFFER, 0)
	gl.UseProgram(0)
	gl.Disable(gl.BLEND)
	gl.Disable(gl.DEPTH_TEST)
	gl.Disable(gl.CULL_FACE)
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// Pick returns the slot of the node drawn at window pixel (x, y) (origin
// top left), drawing node ids into an offscreen buffer.
func (r *Renderer) Pick(f *Frame, x, y int) (slot int, ok bool, err error) {
	if r.slots == 0 || x < 0 || y < 0 || x >= f.Width || y >= f.Height {
		return 0, false, nil
	}
	if err := r.pickTarget(f.Width, f.Height); err != nil {
		return 0, false, err
	}
	r.state(f)
	gl.BindFramebuffer(gl.FRAMEBUFFER, r.pickFBO)
	zero := [4]uint32{}
	gl.ClearBufferuiv(gl.COLOR, 0, &zero[0])
	gl.Clear(gl.DEPTH_BUFFER_BIT)
	if r.Points(f.Settings.Quality) {
		gl.UseProgram(r.pickPoint.ID)
		r.matrices(r.pickPoint, f)
		gl.Uniform1f(r.pickPoint.Uniform("uNodeSize"), f.Settings.NodeSize)
		r.bindPoints(f, r.pickPoint)
		gl.DrawArrays(gl.POINTS, 0, int32(r.slots))
	} else {
		gl.UseProgram(r.pick.ID)
		r.matrices(r.pick, f)
		gl.Uniform1f(r.pick.Uniform("uNodeSize"), f.Settings.NodeSize)
		m := &r.meshes[1]
		r.bindNodes(f, m)
		gl.DrawElementsInstanced(gl.TRIANGLES, m.count, gl.UNSIGNED_INT, nil, int32(r.slots))
	}
	var px [4]uint32
	gl.ReadPixels(int32(x), int32(f.Height-1-y), 1, 1, gl.RGBA_INTEGER, gl.UNSIGNED_INT, gl.Ptr(&px[0]))
	r.unbind()
	gl.BindFramebuffer(gl.FRAMEBUFFER, 0)
	if err := gles.Check("picking"); err != nil {
		return 0, false, err
	}
	if px[0] == 0 {
		return 0, false, nil
	}
	return int(px[0] - 1), true, nil
}

func (r *Renderer) pickTarget(w, h int) error {
	if r.pickFBO != 0 && r.pickW == w && r.pickH == h {
		return nil
	}
	if r.pickFBO == 0 {
		gl.GenFramebuffers(1, &r.pickFBO)
		gl.GenTextures(1, &r.pickTex)
		gl.GenRenderbuffers(1, &r.pickDepth)
	}
	gl.BindTexture(gl.TEXTURE_2D, r.pickTex)
	gl.TexImage2D(gl.TEXTURE_2D, 0, gl.R32UI, int32(w), int32(h), 0, gl.RED_INTEGER, gl.UNSIGNED_INT, nil)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST)
	gl.BindRenderbuffer(gl.RENDERBUFFER, r.pickDepth)
	gl.RenderbufferStorage(gl.RENDERBUFFER, gl.DEPTH_COMPONENT24, int32(w), int32(h))
	gl.BindFramebuffer(gl.FRAMEBUFFER, r.pickFBO)
	gl.FramebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, r.pickTex, 0)
	gl.FramebufferRenderbuffer(gl.FRAMEBUFFER, gl.DEPTH_ATTACHMENT, gl.RENDERBUFFER, r.pickDepth)
	status := gl.CheckFramebufferStatus(gl.FRAMEBUFFER)
	gl.BindFramebuffer(gl.FRAMEBUFFER, 0)
	gl.BindTexture(gl.TEXTURE_2D, 0)
	if status != gl.FRAMEBUFFER_COMPLETE {
		return fmt.Errorf("picking framebuffer incomplete: 0x%x", status)
	}
	r.pickW, r.pickH = w, h
	return nil
}

// ReadPixels returns the window's pixels, top row first (RGBA, sRGB).
func ReadPixels(w, h int) []byte {
	gl.BindFramebuffer(gl.FRAMEBUFFER, 0)
	px := make([]byte, w*h*4)
	gl.ReadPixels(0, 0, int32(w), int32(h), gl.RGBA, gl.UNSIGNED_BYTE, gl.Ptr(px))
	row := w * 4
	tmp := make([]byte, row)
	for y := 0; y < h/2; y++ {
		a, b := px[y*row:(y+1)*row], px[(h-1-y)*row:(h-y)*row]
		copy(tmp, a)
		copy(a, b)
		copy(b, tmp)
	}
	return px
}
