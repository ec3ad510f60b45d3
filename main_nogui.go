//go:build nogui

package main

import "visionflow/app"

// A build without a GUI (no cgo, no OpenGL headers) is the headless server.
var window app.Window
