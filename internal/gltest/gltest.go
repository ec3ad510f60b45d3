// Package gltest runs a package's tests with a real OpenGL context:
// TestMain opens a hidden window (Mesa's llvmpipe under xvfb-run on CI) and
// serves GL calls on the main thread while the tests run. The context is
// the platform's unless VISIONFLOW_TEST_GL asks for another (core: the
// OpenGL 4.1 path of macOS; es30: OpenGL ES 3.0, the fallback where ES 3.1 is refused).
package gltest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"visionflow/internal/gles"
	"visionflow/internal/window"
)

// Thread is the GL thread of the running tests.
var Thread *gles.Thread

// Window is the tests' hidden window.
var Window *window.Window

// Main is a package's TestMain. Without a display on Linux it runs the
// test binary again under xvfb-run when that is installed, so a plain
// `go test ./...` tests the GL packages too; without either, the tests
// fail with a message saying how to run them, rather than pass having
// tested nothing.
func Main(m *testing.M, width, height int) {
	if code, ran := UnderXvfb(); ran {
		os.Exit(code)
	}
	runtime.LockOSThread()
	api, err := API()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w, err := window.Open(window.Options{API: api, Width: width, Height: height, Title: "visionflow test", Hidden: true})
	if err != nil {
		fmt.Fprintf(os.Stderr, "GL tests need a display: run them under xvfb-run (make test does): %v\n", err)
		os.Exit(1)
	}
	Window = w
	Thread = gles.NewThread()
	ctx, stop := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() {
		code <- m.Run()
		stop()
	}()
	for ctx.Err() == nil {
		Thread.Wait(ctx)
	}
	Thread.Stop()
	w.Close()
	os.Exit(<-code)
}

// Env names the environment variable that picks the tests' OpenGL, as
// --gl does: auto (the default: the platform's), es, es30 or core.
const Env = "VISIONFLOW_TEST_GL"

// GL is the --gl value the tests run with.
func GL() string {
	if v := os.Getenv(Env); v != "" {
		return v
	}
	return "auto"
}

// Compute reports whether the tests' OpenGL has compute shaders, as far
// as asking for it tells (ES 3.1 may still fall back to 3.0).
func Compute() bool {
	api, err := API()
	return err == nil && api.Dialect().Compute()
}

// API is the window API the tests run with.
func API() (window.API, error) {
	api, err := window.ParseAPI(GL())
	if err != nil {
		return 0, fmt.Errorf("%s: %w", Env, err)
	}
	return api, nil
}

// UnderXvfb runs this test binary again under xvfb-run when there is no
// display and it has not done so already; it reports the exit code and
// whether it ran.
func UnderXvfb() (int, bool) {
	if runtime.GOOS != "linux" || os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" || os.Getenv("VISIONFLOW_TEST_XVFB") != "" {
		return 0, false
	}
	xvfb, err := exec.LookPath("xvfb-run")
	if err != nil {
		return 0, false
	}
	fmt.Fprintln(os.Stderr, "gltest: no display: running the GL tests under xvfb-run")
	cmd := exec.Command(xvfb, append([]string{"-a", "-s", "-screen 0 1280x1024x24"}, os.Args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "VISIONFLOW_TEST_XVFB=1")
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), true
		}
		fmt.Fprintf(os.Stderr, "gltest: xvfb-run: %v\n", err)
		return 1, true
	}
	return 0, true
}
