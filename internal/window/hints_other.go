//go:build !linux

package window

import "github.com/go-gl/glfw/v3.3/glfw"

// Elsewhere the platform's own API makes the ES context (WGL's ES profile
// on Windows).
func hints() { glfw.WindowHint(glfw.ContextCreationAPI, glfw.NativeContextAPI) }
