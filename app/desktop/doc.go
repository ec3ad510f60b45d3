// Package desktop is VisionFlow's window: one GL thread that steps the GPU
// physics and draws the graph (package render), the Gio overlay, mouse and
// keyboard, screenshots, and joining another instance's session. It is a
// leaf: only the main package imports it.
package desktop
