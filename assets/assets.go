// Package assets holds the files VisionFlow embeds in its binary: the sample
// graph shown on first start (and, later, shaders, fonts and the web viewer).
package assets

import _ "embed"

// SampleGraph is a node-link JSON map of VisionFlow itself, loaded into an
// empty database so a first start shows something meaningful.
//
//go:embed sample.json
var SampleGraph []byte

// SampleGraphID is the id the sample graph gets.
const SampleGraphID = "visionflow-tour"
