package render

import (
	"cmp"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	gl "github.com/go-gl/gl/v3.1/gles2"
	"github.com/go-gl/mathgl/mgl32"

	"visionflow/graph/gen"
	"visionflow/internal/gltest"
	"visionflow/internal/testenv"
	"visionflow/render/lod"
	"visionflow/render/view"
)

const testW, testH = 320, 240

var keep = flag.String("keep", "", "write TestDrawAndPick's image to this PNG file")

// The window is as large as the benchmarks' frames; tests draw into its
// lower left corner.
func TestMain(m *testing.M) { gltest.Main(m, 1280, 800) }

func onGL(t testing.TB, fn func()) {
	t.Helper()
	if err := gltest.Thread.Call(fn); err != nil {
		t.Fatal(err)
	}
}

func testSettings() Settings {
	return Settings{Background: [3]uint8{10, 14, 26}, NodeSize: 1, Metalness: 0.2, Roughness: 0.4, Opacity: 1, Quality: 2, Instancing: true,
		Ambient: 0.6, Directional: 1, Environment: 0.5, EdgeColor: [3]uint8{86, 182, 194}, EdgeOpacity: 1, EdgeQuality: 2}
}

func savePNG(t testing.TB, name string, px []byte, w, h int) {
	img := &image.NRGBA{Pix: px, Stride: w * 4, Rect: image.Rect(0, 0, w, h)}
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	png.Encode(f, img)
}

func TestDrawAndPick(t *testing.T) {
	positions := [][4]float32{{-10, 0, 0, 1}, {0, 0, 0, 1}, {10, 0, 0, 1}}
	styles := []Style{
		{Color: [4]uint8{255, 0, 0, 255}, Size: 2},
		{Color: [4]uint8{0, 255, 0, 255}, Size: 2},
		{Color: [4]uint8{0, 0, 255, 255}, Size: 2, Shape: ShapeCube},
	}
	cam := view.New()
	cam.Fit(mgl32.Vec3{}, 12, float32(testW)/testH)
	var px []byte
	var slot int
	var hit, miss bool
	onGL(t, func() {
		r, err := New(gltest.Window.Info.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		r.SetScene(styles, []Edge{{A: 0, B: 1, Width: 0.5}, {A: 1, B: 2, Width: 0.5}})
		buf := r.UploadPositions(positions)
		f := &Frame{Camera: cam, Width: testW, Height: testH, Positions: buf, Settings: testSettings()}
		if err := r.Draw(f); err != nil {
			t.Fatal(err)
		}
		px = ReadPixels(testW, testH)
		x, y, _, _ := cam.Project(mgl32.Vec3{10, 0, 0}, testW, testH)
		slot, hit, err = r.Pick(f, int(x), int(y))
		if err != nil {
			t.Fatal(err)
		}
		_, miss, _ = r.Pick(f, 2, 2)
	})
	if *keep != "" {
		savePNG(t, *keep, px, testW, testH)
	}
	if !hit || slot != 2 || miss {
		t.Errorf("pick: slot %d hit %v; corner hit %v", slot, hit, miss)
	}
}

// Where the edge_expand kernel does not build, the edge ends come from the
// CPU and the picture is the same.
func TestEdgesFromTheCPUWhenTheKernelDoesNotBuild(t *testing.T) {
	if !gltest.Window.Info.Dialect.Compute() {
		t.Skip("no compute shaders: the CPU path is the only one, tested everywhere else")
	}
	positions := [][4]float32{{-10, -4, 0, 1}, {0, 6, 0, 1}, {10, -4, 0, 1}}
	styles := []Style{{Color: [4]uint8{255, 0, 0, 255}, Size: 2}, {Color: [4]uint8{0, 255, 0, 255}, Size: 2}, {Color: [4]uint8{0, 0, 255, 255}, Size: 2}}
	edges := []Edge{{A: 0, B: 1, Width: 0.8}, {A: 1, B: 2, Width: 0.8}, {A: 2, B: 0, Width: 0.8}}
	cam := view.New()
	cam.Fit(mgl32.Vec3{}, 12, float32(testW)/testH)
	draw := func(broken bool) (px []byte, expandErr error) {
		if broken {
			defer func(src string) { expandSource = src }(expandSource)
			expandSource = "void main() { not glsl; }"
		}
		onGL(t, func() {
			r, err := New(gltest.Window.Info.Dialect)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			expandErr = r.ExpandErr
			r.SetScene(styles, edges)
			f := &Frame{Camera: cam, Width: testW, Height: testH, Positions: r.UploadPositions(positions), Settings: testSettings()}
			if err := r.Draw(f); err != nil {
				t.Fatal(err)
			}
			px = ReadPixels(testW, testH)
		})
		return px, expandErr
	}
	gpu, err := draw(false)
	if err != nil {
		t.Fatalf("the kernel should build: %v", err)
	}
	cpu, err := draw(true)
	if err == nil || !strings.Contains(err.Error(), "edge_expand") {
		t.Fatalf("the broken kernel built, or its error does not name it: %v", err)
	}
	x, y, _, _ := cam.Project(mgl32.Vec3{0, -4, 0}, testW, testH) // the middle of the bottom edge
	i := (int(y)*testW + int(x)) * 4
	bg := testSettings().Background
	if p := cpu[i : i+3]; p[0] == bg[0] && p[1] == bg[1] && p[2] == bg[2] {
		t.Errorf("no edge drawn at (%.0f, %.0f) from CPU ends", x, y)
	}
	differ := 0
	for j := 0; j < len(gpu); j += 4 {
		if gpu[j] != cpu[j] || gpu[j+1] != cpu[j+1] || gpu[j+2] != cpu[j+2] {
			differ++
		}
	}
	if differ > 0 {
		t.Errorf("%d pixels differ between kernel and CPU edge ends", differ)
	}
}

// SetStyle changes one slot's look and no other's.
func TestSetStyleChangesOneSlot(t *testing.T) {
	positions := [][4]float32{{-10, 0, 0, 1}, {0, 0, 0, 1}, {10, 0, 0, 1}}
	green := Style{Color: [4]uint8{0, 255, 0, 255}, Size: 2}
	cam := view.New()
	cam.Fit(mgl32.Vec3{}, 12, float32(testW)/testH)
	pixel := func(px []byte, p mgl32.Vec3) [3]byte {
		x, y, _, _ := cam.Project(p, testW, testH)
		i := (int(y)*testW + int(x)) * 4
		return [3]byte{px[i], px[i+1], px[i+2]}
	}
	var before, after []byte
	onGL(t, func() {
		r, err := New(gltest.Window.Info.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		r.SetStyles([]Style{green, green, green})
		f := &Frame{Camera: cam, Width: testW, Height: testH, Positions: r.UploadPositions(positions), Settings: testSettings()}
		if err := r.Draw(f); err != nil {
			t.Fatal(err)
		}
		before = ReadPixels(testW, testH)
		r.SetStyle(2, Style{Color: [4]uint8{255, 0, 0, 255}, Size: 2})
		r.SetStyle(7, green) // past the last slot: ignored
		if err := r.Draw(f); err != nil {
			t.Fatal(err)
		}
		after = ReadPixels(testW, testH)
	})
	for i, p := range []mgl32.Vec3{{-10, 0, 0}, {0, 0, 0}} {
		if a, b := pixel(before, p), pixel(after, p); a != b || a[1] < 100 {
			t.Errorf("node %d changed or is not green: %v then %v", i, a, b)
		}
	}
	if c := pixel(after, mgl32.Vec3{10, 0, 0}); c[0] < 100 || c[1] > c[0]/2 {
		t.Errorf("node 2 is not red after SetStyle: %v (was %v)", c, pixel(before, mgl32.Vec3{10, 0, 0}))
	}
}

// Drawing one node at a time, and arrow heads, must work too; without
// arrows the per-node path gives the instanced image.
func TestPerNodeDrawAndArrows(t *testing.T) {
	positions := [][4]float32{{-10, 0, 0, 1}, {0, 5, 0, 1}, {10, 0, 0, 1}}
	styles := []Style{{Color: [4]uint8{255, 0, 0, 255}, Size: 2}, {Color: [4]uint8{0, 255, 0, 255}, Size: 2}, {Color: [4]uint8{0, 0, 255, 255}, Size: 2}}
	cam := view.New()
	cam.Yaw, cam.Pitch = 0, 0
	cam.Fit(mgl32.Vec3{}, 12, float32(testW)/testH)
	draw := func(s Settings, aa bool) (px []byte) {
		onGL(t, func() {
			r, err := New(gltest.Window.Info.Dialect)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.SetScene(styles, []Edge{{A: 0, B: 2, Width: 0.3}})
			f := &Frame{Camera: cam, Width: testW, Height: testH, Positions: r.UploadPositions(positions), Settings: s, Antialias: aa}
			if err := r.Draw(f); err != nil {
				t.Fatal(err)
			}
			px = ReadPixels(testW, testH)
		})
		return px
	}
	s := testSettings()
	instanced := draw(s, false)
	s.Instancing = false
	perNode := draw(s, false)
	if d := differing(instanced, perNode); d != 0 {
		t.Errorf("per-node drawing differs from instanced in %d pixels", d)
	}
	s.Instancing, s.Arrows, s.ArrowSize = true, true, 3
	arrows := draw(s, false)
	if d := differing(instanced, arrows); d < 20 {
		t.Errorf("arrow heads changed only %d pixels", d)
	}
	// Low edge quality draws one-pixel lines instead of ribbons.
	s.Arrows = false
	s.EdgeQuality = 0
	lines := draw(s, false)
	if d := differing(instanced, lines); d == 0 {
		t.Error("lines look like ribbons")
	}
	s.EdgeQuality = 2
	// Multisampling changes only the edges of shapes.
	s.Arrows = false
	aa := draw(s, true)
	if d := differing(instanced, aa); d == 0 || d > testW*testH/20 {
		t.Errorf("antialiasing changed %d pixels", d)
	}
}

func differing(a, b []byte) int {
	n := 0
	for i := 0; i < len(a); i += 4 {
		if a[i] != b[i] || a[i+1] != b[i+1] || a[i+2] != b[i+2] {
			n++
		}
	}
	return n
}

// BenchmarkDraw is the renderer alone at 1280×800: n nodes, 2n edges, GL
// finished before the clock stops.
func BenchmarkDraw(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		for _, aa := range []bool{false, true} {
			for _, q := range []int{0, 2} {
				b.Run(fmt.Sprintf("nodes=%d/aa=%v/quality=%d", n, aa, q), func(b *testing.B) {
					benchDraw(b, n, aa, q)
				})
			}
		}
	}
}

// BenchmarkMovingLayout is a frame of a layout the CPU engine moves: the
// positions uploaded, the edge ends expanded (by a compute shader on ES
// 3.1, on the CPU on OpenGL 4.1: run it with VISIONFLOW_TEST_GL=core too)
// and the scene drawn at low quality without multisampling, so that the
// upload and the expansion weigh as much as they can.
func BenchmarkMovingLayout(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("nodes=%d/edges=%d", n, 2*n), func(b *testing.B) { benchDrawMoving(b, n) })
	}
}

func benchDrawMoving(b *testing.B, n int) {
	pos, styles, edges, cam := benchScene(n)
	s := testSettings()
	s.Quality = 0
	var r *Renderer
	onGL(b, func() {
		var err error
		if r, err = New(gltest.Window.Info.Dialect); err != nil {
			b.Fatal(err)
		}
		r.SetScene(styles, edges)
	})
	defer onGL(b, r.Close)
	b.ResetTimer()
	for b.Loop() {
		for i := range pos {
			pos[i][0] += 0.01 // a step of the layout
		}
		onGL(b, func() {
			f := &Frame{Camera: cam, Width: 1280, Height: 800, Positions: r.UploadPositions(pos), Settings: s}
			if err := r.Draw(f); err != nil {
				b.Fatal(err)
			}
			gl.Finish()
		})
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/frame")
}

// benchScene is n nodes shaped like a settled layout: spread through a
// cube about restLength apart, edges joining near neighbours (consecutive
// nodes along a Morton curve), so edges are short as they are in a real
// layout rather than spanning the screen.
func benchScene(n int) (pos [][4]float32, styles []Style, edges []Edge, cam view.Camera) {
	rng := rand.New(rand.NewPCG(1, 2))
	side := float32(math.Cbrt(float64(n))) * 30
	pos = make([][4]float32, n)
	for i := range pos {
		pos[i] = [4]float32{(rng.Float32() - 0.5) * side, (rng.Float32() - 0.5) * side, (rng.Float32() - 0.5) * side, 1}
	}
	slices.SortFunc(pos, func(a, c [4]float32) int { return cmp.Compare(morton(a, side), morton(c, side)) })
	styles = make([]Style, n)
	for i := range styles {
		styles[i] = Style{Color: [4]uint8{0, 229, 255, 255}, Size: 1.5}
	}
	edges = make([]Edge, 0, 2*n)
	for i := range n {
		edges = append(edges, Edge{A: uint32(i), B: uint32((i + 1) % n), Width: 0.5}, Edge{A: uint32(i), B: uint32((i + 7) % n), Width: 0.5})
	}
	cam = view.New()
	cam.Fit(mgl32.Vec3{}, side*0.87, 1.6)
	return pos, styles, edges, cam
}

// benchDraw draws benchScene(n).
func benchDraw(b *testing.B, n int, aa bool, quality int) {
	pos, styles, edges, cam := benchScene(n)
	s := testSettings()
	s.Quality, s.Hologram, s.EdgeOpacity = quality, true, 0.5
	var r *Renderer
	var f *Frame
	onGL(b, func() {
		var err error
		if r, err = New(gltest.Window.Info.Dialect); err != nil {
			b.Fatal(err)
		}
		r.SetScene(styles, edges)
		f = &Frame{Camera: cam, Width: 1280, Height: 800, Positions: r.UploadPositions(pos), Settings: s, Antialias: aa}
	})
	defer onGL(b, r.Close)
	b.ResetTimer()
	for b.Loop() {
		onGL(b, func() {
			if err := r.Draw(f); err != nil {
				b.Fatal(err)
			}
			gl.Finish()
		})
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/frame")
}

// morton interleaves a point's quantised coordinates.
func morton(p [4]float32, side float32) uint64 {
	var code uint64
	for k := range 3 {
		q := uint64((p[k]/side + 0.5) * 1023)
		for bit := range 10 {
			code |= (q >> bit & 1) << (3*bit + k)
		}
	}
	return code
}

// Past pointsAbove nodes are point sprites shading a sphere per pixel:
// they must look like the meshes they replace and pick the same.
func TestPointSpritesMatchMeshes(t *testing.T) {
	const n = 1200 // above pointsAbove[low], below pointsAbove[high]
	positions := make([][4]float32, n)
	styles := make([]Style, n)
	for i := range positions {
		positions[i] = [4]float32{0, 0, 1e6, 1} // far behind the camera
		styles[i] = Style{Color: [4]uint8{255, 255, 255, 255}, Size: 1}
	}
	positions[0], positions[1], positions[2] = [4]float32{-10, 0, 0, 1}, [4]float32{0, 0, 0, 1}, [4]float32{10, 0, 0, 1}
	styles[0].Color, styles[1].Color, styles[2].Color = [4]uint8{255, 0, 0, 255}, [4]uint8{0, 255, 0, 255}, [4]uint8{0, 0, 255, 255}
	for i := range 3 {
		styles[i].Size = 3
	}
	cam := view.New()
	cam.Yaw, cam.Pitch = 0, 0
	cam.Fit(mgl32.Vec3{}, 14, float32(testW)/testH)
	draw := func(quality int) (px []byte, points bool, slot int, hit bool) {
		onGL(t, func() {
			r, err := New(gltest.Window.Info.Dialect)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.SetScene(styles, nil)
			s := testSettings()
			s.Quality, s.Hologram = quality, false
			f := &Frame{Camera: cam, Width: testW, Height: testH, Positions: r.UploadPositions(positions), Settings: s}
			points = r.Points(quality)
			if err := r.Draw(f); err != nil {
				t.Fatal(err)
			}
			px = ReadPixels(testW, testH)
			x, y, _, _ := cam.Project(mgl32.Vec3{10, 0, 0}, testW, testH)
			if slot, hit, err = r.Pick(f, int(x), int(y)); err != nil {
				t.Fatal(err)
			}
		})
		return
	}
	meshes, pm, slotM, hitM := draw(2)
	sprites, ps, slotS, hitS := draw(0)
	if pm || !ps {
		t.Fatalf("points at high quality %v, at low %v", pm, ps)
	}
	if !hitM || !hitS || slotM != 2 || slotS != 2 {
		t.Errorf("pick: meshes %d %v, sprites %d %v", slotM, hitM, slotS, hitS)
	}
	covered, off := 0, 0
	for i := 0; i < len(meshes); i += 4 {
		bgM := meshes[i] < 40 && meshes[i+1] < 40 && meshes[i+2] < 60
		bgS := sprites[i] < 40 && sprites[i+1] < 40 && sprites[i+2] < 60
		if !bgM || !bgS {
			covered++
			if bgM != bgS {
				off++
			}
		}
	}
	t.Logf("%d pixels covered, silhouettes differ in %d", covered, off)
	if covered < 500 || off > covered/8 {
		t.Errorf("sprites differ from meshes: %d of %d covered pixels", off, covered)
	}
}

// An edge with a tint is drawn in it, whatever the edges' colour; the
// others keep theirs. (Both edge-end paths: the kernel's and the CPU's.)
func TestEdgeTints(t *testing.T) {
	positions := [][4]float32{{-10, -4, 0, 1}, {10, -4, 0, 1}, {-10, 4, 0, 1}, {10, 4, 0, 1}}
	styles := make([]Style, 4)
	for i := range styles {
		styles[i] = Style{Color: [4]uint8{255, 255, 255, 255}, Size: 0.5}
	}
	edges := []Edge{{A: 0, B: 1, Width: 1.5, Tint: [4]uint8{255, 40, 0, 255}}, {A: 2, B: 3, Width: 1.5}}
	cam := view.New()
	cam.Fit(mgl32.Vec3{}, 12, float32(testW)/testH)
	px := drawOnce(t, cam, positions, styles, edges)
	at := func(p mgl32.Vec3) []byte {
		x, y, _, _ := cam.Project(p, testW, testH)
		i := (int(y)*testW + int(x)) * 4
		return px[i : i+3]
	}
	if c := at(mgl32.Vec3{0, -4, 0}); c[0] < 200 || c[1] > 80 || c[2] > 40 {
		t.Errorf("the tinted edge is %v, not red-orange", c)
	}
	if c := at(mgl32.Vec3{0, 4, 0}); !(c[2] > c[0] && c[1] > c[0]) {
		t.Errorf("the plain edge is %v, not the edges' cyan", c)
	}
}

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

// golden compares an image with testdata/name within a tolerance (drivers
// round differently), or rewrites it with -update.
func golden(t *testing.T, name string, px []byte, w, h int) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		os.MkdirAll("testdata", 0o755)
		savePNG(t, path, px, w, h)
		t.Logf("wrote %s", path)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run with -update to make it)", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	want, ok := img.(*image.NRGBA)
	if !ok || want.Bounds().Dx() != w || want.Bounds().Dy() != h {
		t.Fatalf("%s is not a %dx%d NRGBA image", path, w, h)
	}
	differ := 0
	for i := 0; i < len(px); i += 4 {
		for c := range 3 {
			if d := int(px[i+c]) - int(want.Pix[i+c]); d > 48 || d < -48 {
				differ++
				break
			}
		}
	}
	t.Logf("%d of %d pixels differ from %s", differ, w*h, path)
	if differ > w*h/100 {
		keep := os.TempDir() + "/visionflow-" + name
		savePNG(t, keep, px, w, h)
		t.Errorf("%d of %d pixels differ from %s (more than 1%%); the image is in %s; rerun with -update if the change is intended", differ, w*h, path, keep)
	}
}

// Agents beside knowledge nodes: octahedra coloured by state (executing,
// error, idle) with their glow, a stale one grey and dark; a faint link of
// an agent to its work and a bright pulse on a link between two agents.
func TestAgentsGolden(t *testing.T) {
	positions := [][4]float32{
		{-8, -3, 0, 1}, {0, -5, 0, 1}, {8, -3, 0, 1}, // knowledge
		{-6, 4, 0, 1}, {-1, 5, 0, 1}, {4, 4, 0, 1}, {9, 5, 0, 1}, // agents
	}
	knowledge := Style{Color: [4]uint8{0, 229, 255, 255}, Size: 1.2}
	agent := func(c [4]uint8, code uint8, extra uint32) Style {
		return Style{Color: c, Size: 1.6, Shape: ShapeOctahedron, Flags: FlagAgent | StateFlags(code) | extra}
	}
	styles := []Style{knowledge, knowledge, knowledge,
		agent([4]uint8{0xf0, 0xe4, 0x42, 255}, 3, 0),         // executing
		agent([4]uint8{0xd5, 0x5e, 0x00, 255}, 6, 0),         // error
		agent([4]uint8{0x40, 0xff, 0x00, 255}, 1, 0),         // idle
		agent([4]uint8{0x5b, 0x62, 0x70, 255}, 1, FlagStale), // stale
	}
	edges := []Edge{
		{A: 0, B: 1, Width: 0.4}, {A: 1, B: 2, Width: 0.4},
		{A: 3, B: 0, Width: 0.3, Tint: [4]uint8{0x40, 0xff, 0x00, 110}}, // ada works on node 0
		{A: 4, B: 5, Width: 0.8, Tint: [4]uint8{255, 245, 200, 255}},    // a message's pulse
		{A: 5, B: 6, Width: 0.4}, // a quiet link
	}
	cam := view.New()
	cam.Fit(mgl32.Vec3{}, 12, float32(testW)/testH)
	px := drawOnce(t, cam, positions, styles, edges)
	golden(t, "agents.png", px, testW, testH)
}

// drawOnce draws a scene with a fresh renderer and the test settings, and
// reads the pixels back.
func drawOnce(t *testing.T, cam view.Camera, positions [][4]float32, styles []Style, edges []Edge) []byte {
	t.Helper()
	var px []byte
	onGL(t, func() {
		r, err := New(gltest.Window.Info.Dialect)
		if err != nil {
			t.Error(err) // not Fatal: this is the GL thread
			return
		}
		defer r.Close()
		r.SetScene(styles, edges)
		f := &Frame{Camera: cam, Width: testW, Height: testH, Positions: r.UploadPositions(positions), Settings: testSettings()}
		if err := r.Draw(f); err != nil {
			t.Error(err)
			return
		}
		px = ReadPixels(testW, testH)
	})
	if px == nil {
		t.FailNow()
	}
	return px
}

// BenchmarkDrawHairball is the renderer alone on a graph whose edges join
// nodes far apart, as a large real graph's hubs and long-range links do:
// n nodes in a ball, m skewed edges (graph/gen) between random slots, the
// camera fitted to the ball, the desktop's default look (hologram, edge
// opacity 0.5, high quality, a software rasteriser's limits); with every
// edge in view drawn (lod=off) and with the area cap the window sets on a
// software rasteriser (lod=on).
func BenchmarkDrawHairball(b *testing.B) {
	for _, sz := range [][2]int{{10_000, 20_000}, {64_000, 245_000}} {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprintf("nodes=%d/edges=%d/lod=%v", sz[0], sz[1], on), func(b *testing.B) {
				benchHairball(b, sz[0], sz[1], on)
			})
		}
	}
}

func hairballScene(n, m int) (pos [][4]float32, styles []Style, edges []Edge, cam view.Camera) {
	rng := rand.New(rand.NewPCG(3, 4))
	radius := float32(math.Cbrt(float64(n))) * 15
	pos = make([][4]float32, n)
	for i := range pos {
		for {
			p := [3]float32{rng.Float32()*2 - 1, rng.Float32()*2 - 1, rng.Float32()*2 - 1}
			if p[0]*p[0]+p[1]*p[1]+p[2]*p[2] <= 1 {
				pos[i] = [4]float32{p[0] * radius, p[1] * radius, p[2] * radius, 1}
				break
			}
		}
	}
	styles = make([]Style, n)
	for i := range styles {
		styles[i] = Style{Color: [4]uint8{0, 229, 255, 255}, Size: 1.5}
	}
	for _, e := range gen.SkewedEdges(n, m, 1) {
		edges = append(edges, Edge{A: uint32(e.Source), B: uint32(e.Target), Width: 0.5})
	}
	cam = view.New()
	cam.Fit(mgl32.Vec3{}, radius, 1.6)
	return pos, styles, edges, cam
}

func benchHairball(b *testing.B, n, m int, capped bool) {
	pos, styles, edges, cam := hairballScene(n, m)
	s := testSettings()
	s.Hologram, s.EdgeOpacity, s.NodeSize = true, 0.5, 1.2
	var r *Renderer
	var f *Frame
	onGL(b, func() {
		var err error
		if r, err = New(gltest.Window.Info.Dialect); err != nil {
			b.Fatal(err)
		}
		r.Software = true
		r.SetScene(styles, edges)
		f = &Frame{Camera: cam, Width: 1280, Height: 800, Positions: r.UploadPositions(pos), Settings: s}
		if capped {
			f.EdgeAreaCap = lod.NewView(cam, 1280, 800).Cap(len(edges), func(i int) (a, b mgl32.Vec3, w float32, ok bool) {
				p, q := pos[edges[i].A], pos[edges[i].B]
				return mgl32.Vec3{p[0], p[1], p[2]}, mgl32.Vec3{q[0], q[1], q[2]}, edges[i].Width, true
			}, lod.SoftwareBudget*1280*800)
		}
	})
	defer onGL(b, r.Close)
	b.ResetTimer()
	cpu := testenv.CPUTime()
	for b.Loop() {
		onGL(b, func() {
			if err := r.Draw(f); err != nil {
				b.Fatal(err)
			}
			gl.Finish()
		})
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/frame")
	b.ReportMetric(float64((testenv.CPUTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/frame")
}

// drawLOD draws a scene with a fresh renderer at testW×testH, with the
// edges' area cap set, and reads the pixels back; nil when GL failed
// (reported).
func drawLOD(t *testing.T, cam view.Camera, positions [][4]float32, styles []Style, edges []Edge, s Settings, areaCap float32) []byte {
	t.Helper()
	var px []byte
	onGL(t, func() {
		r, err := New(gltest.Window.Info.Dialect)
		if err != nil {
			t.Error(err) // not Fatal: this is the GL thread
			return
		}
		defer r.Close()
		r.SetScene(styles, edges)
		f := &Frame{Camera: cam, Width: testW, Height: testH, Positions: r.UploadPositions(positions), Settings: s, EdgeAreaCap: areaCap}
		if err := r.Draw(f); err != nil {
			t.Error(err)
			return
		}
		px = ReadPixels(testW, testH)
	})
	return px
}

// ink is how far the picture is from the background: the sum over pixels
// of the largest channel difference, and how many pixels differ by more
// than 8.
func ink(px []byte, bg [3]uint8) (sum, covered int) {
	for i := 0; i < len(px); i += 4 {
		d := 0
		for c := range 3 {
			d = max(d, abs(int(px[i+c])-int(bg[c])))
		}
		sum += d
		if d > 8 {
			covered++
		}
	}
	return sum, covered
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Past the area cap a big graph's edges are thinned, each kept one as
// opaque as those it stands for: the picture keeps most of its ink, is the
// same from one frame to the next, and the same from the kernel's edge
// ends and the CPU's.
func TestEdgeLevelOfDetail(t *testing.T) {
	pos, styles, edges, _ := hairballScene(3000, 12000)
	for i := range styles {
		styles[i].Size = 0.5
	}
	radius := float32(math.Cbrt(3000)) * 15
	cam := view.New()
	cam.Fit(mgl32.Vec3{}, radius, float32(testW)/testH)
	s := testSettings()
	s.EdgeOpacity, s.Hologram = 0.3, false
	budget := lod.SoftwareBudget * float32(testW*testH)
	areaCap := lod.NewView(cam, testW, testH).Cap(len(edges), func(i int) (a, b mgl32.Vec3, w float32, ok bool) {
		p, q := pos[edges[i].A], pos[edges[i].B]
		return mgl32.Vec3{p[0], p[1], p[2]}, mgl32.Vec3{q[0], q[1], q[2]}, edges[i].Width, true
	}, budget)
	if areaCap <= 0 {
		t.Fatalf("12,000 edges across a %dx%d view fit a budget of one view's area: cap %v", testW, testH, areaCap)
	}
	full := drawLOD(t, cam, pos, styles, edges, s, 0)
	thin := drawLOD(t, cam, pos, styles, edges, s, areaCap)
	again := drawLOD(t, cam, pos, styles, edges, s, areaCap)
	if full == nil || thin == nil || again == nil {
		t.FailNow()
	}
	if *keep != "" {
		savePNG(t, strings.TrimSuffix(*keep, ".png")+"-full.png", full, testW, testH)
		savePNG(t, strings.TrimSuffix(*keep, ".png")+"-lod.png", thin, testW, testH)
	}
	kept := 0
	v := lod.NewView(cam, testW, testH)
	for i, e := range edges {
		p, q := pos[e.A], pos[e.B]
		l, area, in := v.Footprint(mgl32.Vec3{p[0], p[1], p[2]}, mgl32.Vec3{q[0], q[1], q[2]}, e.Width)
		if in && l >= lod.MinLength && lod.Kept(uint32(i), lod.Keep(area, areaCap)) {
			kept++
		}
	}
	sumFull, covFull := ink(full, s.Background)
	sumThin, covThin := ink(thin, s.Background)
	t.Logf("cap %.0f px²: %d of %d edges drawn; ink %d → %d, pixels covered %d → %d", areaCap, kept, len(edges), sumFull, sumThin, covFull, covThin)
	if kept > len(edges)/2 || kept == 0 {
		t.Errorf("%d of %d edges drawn under the cap", kept, len(edges))
	}
	if float64(sumThin) < 0.6*float64(sumFull) || float64(covThin) < 0.6*float64(covFull) {
		t.Errorf("the thinned picture lost too much: ink %d of %d, covered %d of %d pixels", sumThin, sumFull, covThin, covFull)
	}
	if d := differing(thin, again); d != 0 {
		t.Errorf("%d pixels differ between two frames of the same view", d)
	}
	if gltest.Window.Info.Dialect.Compute() {
		defer func(src string) { expandSource = src }(expandSource)
		expandSource = "void main() { not glsl; }"
		cpu := drawLOD(t, cam, pos, styles, edges, s, areaCap)
		if d := differing(thin, cpu); cpu != nil && d != 0 {
			t.Errorf("%d pixels differ between the kernel's edge ends and the CPU's", d)
		}
	}
}

// Edges marked Keep are drawn whatever the cap; others may be dropped;
// a ribbon whose centre line is just out of view still shows its inner
// half.
func TestEdgeLevelOfDetailKeepsAndClips(t *testing.T) {
	cam := view.New()
	cam.Yaw, cam.Pitch = 0, 0
	cam.Fit(mgl32.Vec3{}, 12, float32(testW)/testH)
	positions := [][4]float32{{-10, 0, 0, 1}, {10, 0, 0, 1}, {0, 0, 0, 1}}
	styles := []Style{{Size: 0}, {Size: 0}, {Size: 0}}
	// The edge under test sits at an index whose hash drops it at any
	// chance below a half; the ones before it have no length.
	at := uint32(0)
	for lod.Kept(at, 0.5) {
		at++
	}
	red := [4]uint8{255, 0, 0, 255}
	scene := func(keep bool) []Edge {
		edges := make([]Edge, at+1)
		for i := range edges {
			edges[i] = Edge{A: 2, B: 2, Width: 1}
		}
		edges[at] = Edge{A: 0, B: 1, Width: 1, Tint: red, Keep: keep}
		return edges
	}
	s := testSettings()
	x, y, _, _ := cam.Project(mgl32.Vec3{0, 0, 0}, testW, testH)
	mid := (int(y)*testW + int(x)) * 4
	isRed := func(px []byte, i int) bool { return px != nil && px[i] > 150 && px[i+1] < 80 && px[i+2] < 80 }
	if px := drawLOD(t, cam, positions, styles, scene(false), s, 0); !isRed(px, mid) {
		t.Errorf("without a cap the edge is not drawn")
	}
	if px := drawLOD(t, cam, positions, styles, scene(false), s, 1); px == nil || isRed(px, mid) {
		t.Errorf("under a 1-pixel cap an edge of chance ≪ 1/2 at index %d is still drawn", at)
	}
	if px := drawLOD(t, cam, positions, styles, scene(true), s, 1); !isRed(px, mid) {
		t.Errorf("an edge marked Keep is dropped under the cap")
	}
	// A ribbon 6 pixels wide whose centre line runs 2 pixels above the
	// top of the view: its lower 1 pixel shows in the top row.
	up := lod.NewView(cam, testW, testH).ViewProj.Mul4x1(mgl32.Vec4{0, 1, 0, 1})
	perUnit := up[1] / up[3] * testH / 2
	yTop := (testH/2 + 2) / perUnit
	positions = [][4]float32{{-10, yTop, 0, 1}, {10, yTop, 0, 1}, {0, 0, 0, 1}}
	edges := scene(false)
	edges[at].Width = 6 / perUnit
	px := drawLOD(t, cam, positions, styles, edges, s, 0)
	if !isRed(px, testW/2*4) {
		t.Errorf("a wide ribbon reaching into view from above is culled")
	}
}
