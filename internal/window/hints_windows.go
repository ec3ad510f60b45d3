package window

import (
	"errors"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// On Windows, Gio's OpenGL backend calls ANGLE (libGLESv2.dll), so the
// scene must be drawn into an ANGLE context too: GLFW makes it through
// ANGLE's libEGL.dll, which has to sit beside the executable. ANGLE has no
// desktop OpenGL, so OpenGL 4.1 core is not offered.
const defaultAPI = ES31

const coreFallback = false // ANGLE has no desktop OpenGL

func contextHints(api API) error {
	if api == Core41 {
		return errors.New("OpenGL 4.1 core: on Windows the window draws through ANGLE, which has OpenGL ES only; use --gl es or leave --gl out")
	}
	glfw.WindowHint(glfw.ContextCreationAPI, glfw.EGLContextAPI)
	return nil
}

const contextHelp = "; on Windows OpenGL ES comes from ANGLE: put its libEGL.dll, libGLESv2.dll and d3dcompiler_47.dll beside visionflow.exe"
