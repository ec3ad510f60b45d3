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

// Shader returns the source of a shader in assets/shaders, with each line
// `#include "file"` replaced by that file (GLSL ES has no includes of its
// own). A missing shader is a programming error and panics.
func Shader(name string) string {
	b, err := fs.ReadFile(shaders, "shaders/"+name)
	if err != nil {
		panic("assets: no shader " + name)
	}
	var out strings.Builder
	for line := range strings.Lines(string(b)) {
		if inc, ok := strings.CutPrefix(strings.TrimSpace(line), "#include "); ok {
			out.WriteString(Shader(strings.Trim(inc, `"`)))
			out.WriteString("\n")
			continue
		}
		out.WriteString(line)
	}
	return out.String()
}

// SampleGraphID is the id the sample graph gets.
const SampleGraphID = "visionflow-tour"
