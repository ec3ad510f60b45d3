// Package assets holds the files VisionFlow embeds in its binary: the sample
// graph shown on first start (and, later, shaders, fonts and the web viewer).
package assets

import (
	"embed"
	"io/fs"
	"strings"
)

// SampleGraph is a node-link JSON map of VisionFlow itself, loaded into an
// empty database so a first start shows something meaningful.
//
//go:embed sample.json
var SampleGraph []byte

//go:embed shaders
var shaders embed.FS

// Shader returns the source of a shader in assets/shaders; a compute
// kernel named physics_* is preceded by physics_common.glsl.
func Shader(name string) string {
	b, err := fs.ReadFile(shaders, "shaders/"+name)
	if err != nil {
		panic("assets: no shader " + name)
	}
	if strings.HasPrefix(name, "physics_") && strings.HasSuffix(name, ".comp") {
		common, _ := fs.ReadFile(shaders, "shaders/physics_common.glsl")
		return string(common) + "\n" + string(b)
	}
	return string(b)
}

// SampleGraphID is the id the sample graph gets.
const SampleGraphID = "visionflow-tour"
