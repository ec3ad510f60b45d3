// Package gioshaders gives Gio its GLSL 1.50 shaders outside macOS, so that
// Gio can draw into an OpenGL 4.1 core context on Linux and Windows too:
// gioui.org/shader carries them but loads them only on macOS. The sources
// are copied from that module by gen.go.
package gioshaders

import (
	"sync"

	"gioui.org/shader"
)

//go:generate go run gen.go

var once sync.Once

// Install fills in the GLSL 1.50 source of every Gio shader that has none.
// Call it before gpu.New with a desktop OpenGL context.
func Install() { once.Do(install) }

func set(s *shader.Sources, glsl150 string) {
	if s.GLSL150 == "" {
		s.GLSL150 = glsl150
	}
}
