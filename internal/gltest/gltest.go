// Package gltest runs a package's tests with a real OpenGL ES 3.1 context:
// TestMain opens a hidden window (Mesa's llvmpipe under xvfb-run on CI) and
// serves GL calls on the main thread while the tests run.
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
	w, err := window.Open(window.Options{Width: width, Height: height, Title: "visionflow test", Hidden: true})
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
