package window

import "github.com/go-gl/glfw/v3.3/glfw"

// On Linux, Gio draws only into an OpenGL ES context made through EGL.
func hints() { glfw.WindowHint(glfw.ContextCreationAPI, glfw.EGLContextAPI) }
