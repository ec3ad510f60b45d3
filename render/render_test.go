package render

import (
	"image"
	"image/png"
	"os"
	"testing"

	"github.com/go-gl/mathgl/mgl32"

	"visionflow/internal/gltest"
	"visionflow/render/view"
)

const testW, testH = 320, 240

func TestMain(m *testing.M) { gltest.Main(m, testW, testH) }

func onGL(t testing.TB, fn func()) {
	t.Helper()
	if err := gltest.Thread.Call(fn); err != nil {
		t.Fatal(err)
	}
}

func testSettings() Settings {
	return Settings{Background: [3]uint8{10, 14, 26}, NodeSize: 1, Metalness: 0.2, Roughness: 0.4, Opacity: 1, Quality: 2, Instancing: true,
		Ambient: 0.6, Directional: 1, Environment: 0.5, EdgeColor: [3]uint8{86, 182, 194}, EdgeOpacity: 1}
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
		r, err := New()
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
	savePNG(t, "/tmp/render_test.png", px, testW, testH)
	if !hit || slot != 2 || miss {
		t.Errorf("pick: slot %d hit %v; corner hit %v", slot, hit, miss)
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
	draw := func(s Settings) (px []byte) {
		onGL(t, func() {
			r, err := New()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.SetScene(styles, []Edge{{A: 0, B: 2, Width: 0.3}})
			f := &Frame{Camera: cam, Width: testW, Height: testH, Positions: r.UploadPositions(positions), Settings: s}
			if err := r.Draw(f); err != nil {
				t.Fatal(err)
			}
			px = ReadPixels(testW, testH)
		})
		return px
	}
	s := testSettings()
	instanced := draw(s)
	s.Instancing = false
	perNode := draw(s)
	if d := differing(instanced, perNode); d != 0 {
		t.Errorf("per-node drawing differs from instanced in %d pixels", d)
	}
	s.Instancing, s.Arrows, s.ArrowSize = true, true, 3
	arrows := draw(s)
	if d := differing(instanced, arrows); d < 20 {
		t.Errorf("arrow heads changed only %d pixels", d)
	}
	// Multisampling changes only the edges of shapes.
	s.Arrows = false
	aa := drawAA(t, cam, positions, styles, s)
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

func drawAA(t *testing.T, cam view.Camera, positions [][4]float32, styles []Style, s Settings) (px []byte) {
	onGL(t, func() {
		r, err := New()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		r.SetScene(styles, []Edge{{A: 0, B: 2, Width: 0.3}})
		f := &Frame{Camera: cam, Width: testW, Height: testH, Positions: r.UploadPositions(positions), Settings: s, Antialias: true}
		if err := r.Draw(f); err != nil {
			t.Fatal(err)
		}
		px = ReadPixels(testW, testH)
	})
	return px
}
