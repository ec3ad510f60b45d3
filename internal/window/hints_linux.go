package window

import "github.com/go-gl/glfw/v3.3/glfw"

// On Linux, Gio draws only into contexts made through EGL; every dialect
// comes from there.
const defaultAPI = ES31

func contextHints(API) error {
	glfw.WindowHint(glfw.ContextCreationAPI, glfw.EGLContextAPI)
	return nil
}

const contextHelp = ""
