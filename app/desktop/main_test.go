package desktop

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"

	"visionflow/app"
	"visionflow/internal/gltest"
	"visionflow/render"
)

// The window must be made and driven on the main OS thread: TestMain keeps
// it and runs there what tests hand it.
var mainCalls = make(chan func())

func TestMain(m *testing.M) {
	if code, ran := gltest.UnderXvfb(); ran {
		os.Exit(code)
	}
	runtime.LockOSThread()
	// A test may start this binary as another desktop peer: the whole
	// visionflow command, with its window, on this main thread.
	if args := os.Getenv("VISIONFLOW_TEST_WINDOW"); args != "" {
		os.Exit(app.Main(strings.Fields(args), os.Stdout, os.Stderr, Run))
	}
	flag.Parse()
	code := make(chan int, 1)
	go func() { code <- m.Run() }()
	for {
		select {
		case fn := <-mainCalls:
			fn()
		case c := <-code:
			os.Exit(c)
		}
	}
}

func onMain(fn func()) {
	done := make(chan struct{})
	mainCalls <- func() {
		defer close(done)
		fn()
	}
	<-done
}

func testConfig(t *testing.T) app.Config {
	return app.Config{DB: filepath.Join(t.TempDir(), "vf.db"), Addr: "127.0.0.1:0", Width: 480, Height: 320, Frames: 1, Engine: "auto", GL: gltest.GL()}
}

// gpuEngine is the engine a test that wants GPU physics gets: the CPU one
// where the tests' OpenGL has no compute shaders (VISIONFLOW_TEST_GL=core
// or es30, and macOS).
func gpuEngine() string {
	if !gltest.Compute() {
		return "cpu"
	}
	return "gpu"
}

func skipWithoutCompute(t *testing.T) {
	if !gltest.Compute() {
		t.Skipf("GPU physics: %s=%s has no compute shaders", gltest.Env, gltest.GL())
	}
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}

// runDesk runs the window on the main thread until the hooks close it.
func runDesk(t *testing.T, cfg app.Config, h hooks) {
	t.Helper()
	var err error
	onMain(func() { err = run(context.Background(), cfg, io.Discard, testLog(t), h) })
	if err != nil {
		t.Fatal(err)
	}
}

// step is one stage of a test's script: it runs after every frame until
// it reports done.
type step struct {
	name string
	fn   func(d *desk) bool
}

// script plays steps in order, each within timeout, and closes the window
// after the last (or when one times out, failing the test).
func script(t *testing.T, timeout time.Duration, steps ...step) hooks {
	i := 0
	deadline := time.Now().Add(timeout)
	return hooks{afterFrame: func(d *desk, frame int) bool {
		if i >= len(steps) || t.Failed() {
			return false // done, or a step failed (t.Errorf: t.Fatal cannot end the main thread's loop)
		}
		if steps[i].fn(d) {
			i++
			deadline = time.Now().Add(timeout)
			return i < len(steps)
		}
		if time.Now().After(deadline) {
			t.Errorf("step %q: not done after %v", steps[i].name, timeout)
			return false
		}
		return true
	}}
}

// settled waits until the graph is shown and its layout has come to rest.
func settled() step {
	r := &readiness{deadline: time.Now().Add(time.Hour)}
	frame := 0
	return step{"graph shown and settled", func(d *desk) bool {
		frame++
		return r.done(d, frame)
	}}
}

func readPNG(t *testing.T, path string) *image.NRGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := img.(*image.NRGBA)
	if !ok {
		b := img.Bounds()
		n = image.NewNRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				n.Set(x, y, img.At(x, y))
			}
		}
	}
	return n
}

// pixel is the colour at a window pixel of the frame just drawn.
func pixel(d *desk, x, y int) [3]uint8 {
	px := readPixel(x, d.height-1-y)
	return [3]uint8{px[0], px[1], px[2]}
}

func colourClose(a, b [3]uint8, tol int) bool {
	for i := range a {
		if diff := int(a[i]) - int(b[i]); diff > tol || diff < -tol {
			return false
		}
	}
	return true
}

func fmtRGB(c [3]uint8) string { return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2]) }

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	keyLeft   = glfw.KeyLeft
	keyPress  = glfw.Press
	mouseLeft = glfw.MouseButtonLeft
)

// matchGolden compares an image with testdata/name within a tolerance:
// at most 1% of the pixels may differ by more than 48 in a channel
// (drivers round differently; a moving number in the bar). -update
// rewrites the golden instead.
func matchGolden(t *testing.T, name string, got *image.NRGBA) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	// t.Errorf, not t.Fatal: this runs on the window's thread, which
	// t.Fatal would end without closing the window.
	if *update {
		if err := writeNRGBA(golden, got); err != nil {
			t.Error(err)
		}
		t.Logf("wrote %s", golden)
		return
	}
	if _, err := os.Stat(golden); err != nil {
		t.Errorf("%s: %v (run with -update to make it)", name, err)
		return
	}
	want := readPNG(t, golden)
	if got.Bounds().Size() != want.Bounds().Size() {
		t.Errorf("%s: image is %v, golden %v", name, got.Bounds().Size(), want.Bounds().Size())
		return
	}
	differ := 0
	for i := 0; i < len(got.Pix); i += 4 {
		for c := range 3 {
			if d := int(got.Pix[i+c]) - int(want.Pix[i+c]); d > 48 || d < -48 {
				differ++
				break
			}
		}
	}
	total := got.Bounds().Dx() * got.Bounds().Dy()
	t.Logf("%s: %d of %d pixels differ from the golden image", name, differ, total)
	if differ > total/100 {
		keep := filepath.Join(os.TempDir(), "visionflow-golden-failed-"+name)
		writeNRGBA(keep, got)
		t.Errorf("%d of %d pixels differ from %s (more than 1%%); the image is in %s; rerun with -update if the change is intended", differ, total, golden, keep)
	}
}

func writeNRGBA(path string, img *image.NRGBA) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return png.Encode(f, img)
}

// frameImage is the frame just drawn, cut to r (window pixels, y down).
func frameImage(d *desk, r image.Rectangle) *image.NRGBA {
	px := render.ReadPixels(d.width, d.height)
	r = r.Intersect(image.Rect(0, 0, d.width, d.height))
	img := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := range r.Dy() {
		src := ((r.Min.Y+y)*d.width + r.Min.X) * 4 // ReadPixels gives the top row first
		copy(img.Pix[y*img.Stride:y*img.Stride+r.Dx()*4], px[src:src+r.Dx()*4])
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	return img
}
