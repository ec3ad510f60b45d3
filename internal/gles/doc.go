// Package gles is the thin layer over OpenGL that the renderer and the GPU
// physics share: the GL thread and its call queue, loading entry points for
// one of two dialects (OpenGL ES 3.1, or OpenGL 4.1 core where ES is
// missing, as on macOS), shader compilation with a header per GLSL dialect
// (errors carry the driver's log), and GL error checks. It is one of the
// few packages that use cgo.
package gles
