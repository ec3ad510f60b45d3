package window

import "github.com/go-gl/glfw/v3.3/glfw"

// On Windows, Gio's OpenGL backend calls ANGLE (libGLESv2.dll), so the
// scene must be drawn into an ANGLE context too: GLFW makes it through
// ANGLE's libEGL.dll, which has to sit beside the executable.
const defaultAPI = ES31

func contextHints(API) { glfw.WindowHint(glfw.ContextCreationAPI, glfw.EGLContextAPI) }
