package gles_test

import (
	"slices"
	"strings"
	"testing"

	gl "github.com/go-gl/gl/v3.1/gles2"

	"visionflow/internal/gles"
	"visionflow/internal/gltest"
)

func TestMain(m *testing.M) { gltest.Main(m, 64, 64) }

func call(t *testing.T, fn func()) {
	t.Helper()
	if err := gltest.Thread.Call(fn); err != nil {
		t.Fatal(err)
	}
}

// The context is the one the tests asked for, and the OpenGL 4.1 dialect
// stands in for every ES 3.1 entry point that 4.1 lacks, even where the
// driver has it, so these tests catch on Linux what would fail on macOS.
func TestContextSpeaksTheDialectAskedFor(t *testing.T) {
	info := gltest.Window.Info
	t.Logf("%s: %s; stand-ins for %v", info.Dialect, info, info.Missing)
	api, err := gltest.API()
	if err != nil {
		t.Fatal(err)
	}
	if info.Dialect != api.Dialect() {
		t.Errorf("asked for %s (%s=%s), got %s", api.Dialect(), gltest.Env, gltest.GL(), info.Dialect)
	}
	if info.Dialect == gles.ES310 {
		if !info.Compute() || len(info.Missing) != 0 {
			t.Errorf("ES 3.1: compute %v, stand-ins %v", info.Compute(), info.Missing)
		}
	} else if info.Compute() || !slices.Contains(info.Missing, "glDispatchCompute") {
		t.Errorf("%s: compute %v, stand-ins %v", info.Dialect, info.Compute(), info.Missing)
	}
}

// A call to an entry point the context lacks is an error at the next
// check, not a jump through a null pointer.
func TestCallToAMissingEntryPointIsReported(t *testing.T) {
	if gltest.Window.Info.Compute() {
		t.Skip("this context has every entry point; run with " + gltest.Env + "=core")
	}
	var err error
	call(t, func() {
		gles.Check("before")
		gl.DispatchCompute(1, 1, 1)
		err = gles.Check("dispatching")
	})
	if err == nil || !strings.Contains(err.Error(), "1 call(s) to OpenGL functions this context does not have") {
		t.Errorf("got %v", err)
	}
	call(t, func() { err = gles.Check("again") })
	if err != nil {
		t.Errorf("reported twice: %v", err)
	}
}

// Shader build errors carry the driver's log, in either dialect.
func TestShaderErrorsCarryTheDriverLog(t *testing.T) {
	var err error
	call(t, func() {
		_, err = gles.RenderProgram(gltest.Window.Info.Dialect, "broken", "void main() { gl_Position = vec4(undefinedThing); }", "out highp vec4 c; void main() { c = vec4(1.0); }", nil)
	})
	if err == nil || !strings.Contains(err.Error(), "compile vertex shader broken") || !strings.Contains(err.Error(), "undefinedThing") {
		t.Errorf("got %v", err)
	}
}
