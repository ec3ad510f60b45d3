// Package gles is the thin layer over OpenGL ES 3.1 that the renderer and
// the GPU physics share: the GL thread and its call queue, shader
// compilation with a header per GLSL dialect (errors carry the driver's
// log), and GL error checks. It is one of the few packages that use cgo.
package gles
