//go:build !linux && !windows && !darwin

package window

import "github.com/go-gl/glfw/v3.3/glfw"

const defaultAPI = ES31

const coreFallback = false

func contextHints(API) error {
	glfw.WindowHint(glfw.ContextCreationAPI, glfw.EGLContextAPI)
	return nil
}

const contextHelp = ""
