package gles

import (
	"fmt"
	"strings"

	gl "github.com/go-gl/gl/v3.1/gles2"
)

var errorNames = map[uint32]string{
	gl.INVALID_ENUM:                  "INVALID_ENUM",
	gl.INVALID_VALUE:                 "INVALID_VALUE",
	gl.INVALID_OPERATION:             "INVALID_OPERATION",
	gl.OUT_OF_MEMORY:                 "OUT_OF_MEMORY",
	gl.INVALID_FRAMEBUFFER_OPERATION: "INVALID_FRAMEBUFFER_OPERATION",
}

// Check returns the GL errors raised since the last check, naming where.
func Check(where string) error {
	var names []string
	for range 16 {
		e := gl.GetError()
		if e == gl.NO_ERROR {
			break
		}
		n, ok := errorNames[e]
		if !ok {
			n = fmt.Sprintf("0x%x", e)
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("GL error after %s: %s", where, strings.Join(names, ", "))
}

// Init loads the GL entry points for the current context and reports what
// it is. It fails when the context cannot run compute shaders.
func Init() (Info, error) {
	if err := gl.Init(); err != nil {
		return Info{}, fmt.Errorf("load OpenGL ES entry points: %w", err)
	}
	info := Info{
		Version:  gl.GoStr(gl.GetString(gl.VERSION)),
		Renderer: gl.GoStr(gl.GetString(gl.RENDERER)),
		Vendor:   gl.GoStr(gl.GetString(gl.VENDOR)),
	}
	gl.GetIntegerv(gl.MAJOR_VERSION, &info.Major)
	gl.GetIntegerv(gl.MINOR_VERSION, &info.Minor)
	gl.GetIntegerv(gl.MAX_SHADER_STORAGE_BUFFER_BINDINGS, &info.MaxSSBOBindings)
	gl.GetIntegerv(gl.MAX_COMPUTE_SHADER_STORAGE_BLOCKS, &info.MaxComputeSSBOs)
	gl.GetIntegerv(gl.MAX_COMPUTE_SHARED_MEMORY_SIZE, &info.MaxSharedMemory)
	gl.GetError() // drain anything the queries raised on odd drivers
	return info, nil
}

// Info describes the current context.
type Info struct {
	Version, Renderer, Vendor string
	Major, Minor              int32
	MaxSSBOBindings           int32
	MaxComputeSSBOs           int32
	MaxSharedMemory           int32
}

// Compute reports whether the context can run VisionFlow's physics kernels:
// OpenGL ES 3.1 with 11 storage buffer bindings, 8 of them in one compute
// shader (ES 3.1 itself promises only 4).
func (i Info) Compute() bool {
	return (i.Major > 3 || i.Major == 3 && i.Minor >= 1) && i.MaxSSBOBindings >= 11 && i.MaxComputeSSBOs >= 8
}

func (i Info) String() string {
	return fmt.Sprintf("%s (%s)", i.Renderer, i.Version)
}
