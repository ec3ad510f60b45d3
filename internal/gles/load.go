package gles

/*
// vfMissing stands in for the entry points a context lacks. It counts the
// calls, so that Check reports a call to one as an error instead of the
// process jumping to a null pointer.
// It returns 0 only so that the integer-returning ones give a defined
// value; nothing should read it, since Check reports the call.
static unsigned long vfMissingCalls;
static long long vfMissing(void) { vfMissingCalls++; return 0; }
static void *vfMissingAddr(void) { return (void *)vfMissing; }
static unsigned long vfMissingCount(void) { return vfMissingCalls; }
*/
import "C"

import (
	"fmt"
	"slices"
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

// notInES30 are the core OpenGL ES 3.1 entry points that OpenGL ES 3.0
// lacks (compute, program pipelines, indirect draws and the rest).
var notInES30 = []string{
	"glActiveShaderProgram", "glBindImageTexture", "glBindProgramPipeline", "glBindVertexBuffer",
	"glCreateShaderProgramv", "glDeleteProgramPipelines", "glDispatchCompute",
	"glDispatchComputeIndirect", "glDrawArraysIndirect", "glDrawElementsIndirect",
	"glFramebufferParameteri", "glGenProgramPipelines", "glGetBooleani_v", "glGetFramebufferParameteriv",
	"glGetMultisamplefv", "glGetProgramInterfaceiv", "glGetProgramPipelineInfoLog",
	"glGetProgramPipelineiv", "glGetProgramResourceIndex", "glGetProgramResourceLocation",
	"glGetProgramResourceName", "glGetProgramResourceiv", "glGetTexLevelParameterfv",
	"glGetTexLevelParameteriv", "glIsProgramPipeline", "glMemoryBarrier", "glMemoryBarrierByRegion",
	"glProgramUniform1f", "glProgramUniform1fv", "glProgramUniform1i", "glProgramUniform1iv",
	"glProgramUniform1ui", "glProgramUniform1uiv", "glProgramUniform2f", "glProgramUniform2fv",
	"glProgramUniform2i", "glProgramUniform2iv", "glProgramUniform2ui", "glProgramUniform2uiv",
	"glProgramUniform3f", "glProgramUniform3fv", "glProgramUniform3i", "glProgramUniform3iv",
	"glProgramUniform3ui", "glProgramUniform3uiv", "glProgramUniform4f", "glProgramUniform4fv",
	"glProgramUniform4i", "glProgramUniform4iv", "glProgramUniform4ui", "glProgramUniform4uiv",
	"glProgramUniformMatrix2fv", "glProgramUniformMatrix2x3fv", "glProgramUniformMatrix2x4fv",
	"glProgramUniformMatrix3fv", "glProgramUniformMatrix3x2fv", "glProgramUniformMatrix3x4fv",
	"glProgramUniformMatrix4fv", "glProgramUniformMatrix4x2fv", "glProgramUniformMatrix4x3fv",
	"glSampleMaski", "glTexStorage2DMultisample", "glUseProgramStages", "glValidateProgramPipeline",
	"glVertexAttribBinding", "glVertexAttribFormat", "glVertexAttribIFormat",
	"glVertexBindingDivisor",
}

// ProcAddr finds a GL entry point of the current context by name (GLFW's
// glfwGetProcAddress); nil when the context has none.
type ProcAddr func(name string) unsafe.Pointer

// load fills go-gl's OpenGL ES 3.1 function table for a context of
// dialect d. The entry points the dialect lacks get the counting stand-in,
// even where the driver has them, so that a call to one is an error on
// Mesa as it would be on the platforms that lack them; any other missing
// core entry point is an error here. It returns the names it stood in for.
func load(d Dialect, find ProcAddr) ([]string, error) {
	var lacks []string
	switch d {
	case GL410:
		lacks = notInGL41
	case ES300:
		lacks = notInES30
	}
	err := gl.InitWithProcAddrFunc(func(name string) unsafe.Pointer {
		if slices.Contains(lacks, name) {
			return C.vfMissingAddr()
		}
		return find(name)
	})
	if err != nil {
		return nil, fmt.Errorf("the %s context has no %s", d, err)
	}
	return slices.Clone(lacks), nil
}

// missingCalls is how often an entry point the context lacks was called.
func missingCalls() uint64 { return uint64(C.vfMissingCount()) }
