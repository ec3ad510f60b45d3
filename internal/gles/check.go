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

// seenMissing is the count of missing-entry-point calls already reported.
var seenMissing uint64

// Check returns the GL errors raised since the last check, naming where,
// and calls made since then to entry points the context lacks.
func Check(where string) error {
	var names []string
	if n := missingCalls(); n != seenMissing {
		names = append(names, fmt.Sprintf("%d call(s) to OpenGL functions this context does not have", n-seenMissing))
		seenMissing = n
	}
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

// Init loads the GL entry points of the current context, which speaks
// dialect d, and reports what it is. The ES 3.1 entry points the dialect
// lacks are listed in Info.Missing; calling one is reported by the next
// Check.
func Init(d Dialect, find ProcAddr) (Info, error) {
	missing, err := load(d, find)
	if err != nil {
		return Info{}, fmt.Errorf("load the OpenGL entry points: %w", err)
	}
	info := Info{
		Dialect:  d,
		Version:  gl.GoStr(gl.GetString(gl.VERSION)),
		Renderer: gl.GoStr(gl.GetString(gl.RENDERER)),
		Vendor:   gl.GoStr(gl.GetString(gl.VENDOR)),
		Missing:  missing,
	}
	gl.GetIntegerv(gl.MAJOR_VERSION, &info.Major)
	gl.GetIntegerv(gl.MINOR_VERSION, &info.Minor)
	if d.Compute() {
		gl.GetIntegerv(gl.MAX_SHADER_STORAGE_BUFFER_BINDINGS, &info.MaxSSBOBindings)
		gl.GetIntegerv(gl.MAX_COMPUTE_SHADER_STORAGE_BLOCKS, &info.MaxComputeSSBOs)
		gl.GetIntegerv(gl.MAX_COMPUTE_SHARED_MEMORY_SIZE, &info.MaxSharedMemory)
	}
	gl.GetError() // drain anything the queries raised on odd drivers
	return info, nil
}

// Info describes the current context.
type Info struct {
	Dialect                   Dialect
	Version, Renderer, Vendor string
	Major, Minor              int32
	MaxSSBOBindings           int32
	MaxComputeSSBOs           int32
	MaxSharedMemory           int32
	Missing                   []string // entry points the context lacks
}

// Compute reports whether the context can run VisionFlow's physics kernels:
// OpenGL ES 3.1 with 11 storage buffer bindings, 8 of them in one compute
// shader (ES 3.1 itself promises only 4). OpenGL 4.1 (macOS) has none.
func (i Info) Compute() bool {
	return i.Dialect.Compute() && (i.Major > 3 || i.Major == 3 && i.Minor >= 1) && i.MaxSSBOBindings >= 11 && i.MaxComputeSSBOs >= 8
}

func (i Info) String() string {
	return fmt.Sprintf("%s (%s)", i.Renderer, i.Version)
}
