package gles

/*
// vfMissing stands in for the entry points a context lacks. It counts the
// calls, so that Check reports a call to one as an error instead of the
// process jumping to a null pointer.
static unsigned long vfMissingCalls;
static void vfMissing(void) { vfMissingCalls++; }
static void *vfMissingAddr(void) { return (void *)vfMissing; }
static unsigned long vfMissingCount(void) { return vfMissingCalls; }
*/
import "C"

import (
	"slices"
	"strings"
	"unsafe"

	gl "github.com/go-gl/gl/v3.1/gles2"
)

// notInGL41 are the core OpenGL ES 3.1 entry points that OpenGL 4.1 core
// lacks (compute, image load/store, program interface queries and the
// rest of what came with GL 4.2 and 4.3). The GL410 dialect never loads
// them, even where the driver has them, so a test on Linux catches a call
// that would fail on macOS.
var notInGL41 = []string{
	"glBindImageTexture", "glBindVertexBuffer", "glDispatchCompute", "glDispatchComputeIndirect",
	"glFramebufferParameteri", "glGetFramebufferParameteriv", "glGetInternalformativ",
	"glGetProgramInterfaceiv", "glGetProgramResourceIndex", "glGetProgramResourceLocation",
	"glGetProgramResourceName", "glGetProgramResourceiv", "glInvalidateFramebuffer",
	"glInvalidateSubFramebuffer", "glMemoryBarrier", "glMemoryBarrierByRegion", "glTexStorage2D",
	"glTexStorage2DMultisample", "glTexStorage3D", "glVertexAttribBinding", "glVertexAttribFormat",
	"glVertexAttribIFormat", "glVertexBindingDivisor",
}

// ProcAddr finds a GL entry point of the current context by name (GLFW's
// glfwGetProcAddress); nil when the context has none.
type ProcAddr func(name string) unsafe.Pointer

// load fills go-gl's function table. go-gl refuses a context that lacks
// any core OpenGL ES 3.1 entry point, naming the first; load puts the
// counting stand-in there and tries again, so that a context that lacks
// some (OpenGL 4.1 has no compute) still loads. It returns the names it
// stood in for.
func load(d Dialect, find ProcAddr) ([]string, error) {
	var missing []string
	if d == GL410 {
		missing = slices.Clone(notInGL41)
	}
	for {
		err := gl.InitWithProcAddrFunc(func(name string) unsafe.Pointer {
			if slices.Contains(missing, name) {
				return C.vfMissingAddr()
			}
			return find(name)
		})
		if err == nil {
			return missing, nil
		}
		name := err.Error()
		if !strings.HasPrefix(name, "gl") || strings.ContainsRune(name, ' ') || slices.Contains(missing, name) || len(missing) > 100 {
			return missing, err
		}
		missing = append(missing, name)
	}
}

// missingCalls is how often an entry point the context lacks was called.
func missingCalls() uint64 { return uint64(C.vfMissingCount()) }
