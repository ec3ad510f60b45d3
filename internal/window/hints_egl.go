//go:build !windows && !darwin

package window

import "github.com/go-gl/glfw/v3.3/glfw"

// On Linux (and the BSDs), Gio draws only into contexts made through EGL;
// every dialect comes from there.
const defaultAPI = ES31

// Gio draws into 4.1 core through its GLSL 1.50 shaders, so it is a last
// resort of --gl auto.
const coreFallback = true

func contextHints(API) error {
	glfw.WindowHint(glfw.ContextCreationAPI, glfw.EGLContextAPI)
	return nil
}

const contextHelp = ""
