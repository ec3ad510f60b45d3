// Package gltest runs a package's tests with a real OpenGL context:
// TestMain opens a hidden window (Mesa's llvmpipe under xvfb-run on CI) and
// serves GL calls on the main thread while the tests run. The context is
// the platform's unless VISIONFLOW_TEST_GL asks for another (core: the
// OpenGL 4.1 path of macOS; es30: OpenGL ES 3.0, the fallback where ES 3.1 is refused).
package gltest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"

	"visionflow/internal/gles"
	"visionflow/internal/window"
)

// Thread is the GL thread of the running tests.
var Thread *gles.Thread

// Window is the tests' hidden window.
var Window *window.Window

// Main is a package's TestMain. Without a display the tests fail with a
// message saying how to run them, rather than pass having tested nothing.
func Main(m *testing.M, width, height int) {
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
