package window

import (
	"errors"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// macOS has no OpenGL ES: OpenGL 4.1 core through CGL, where Gio draws
// with its GLSL 1.50 shaders and physics runs on the CPU.
const defaultAPI = Core41

const coreFallback = false // the default already

func contextHints(api API) error {
	if api != Core41 {
		return errors.New("OpenGL ES: macOS has none; use --gl core or leave --gl out")
	}
	glfw.WindowHint(glfw.ContextCreationAPI, glfw.NativeContextAPI)
	return nil
}

const contextHelp = ""
