// Package render will draw graphs with OpenGL (instanced nodes, edges,
// picking, camera) under a Gio overlay for panels and labels. It is not
// built yet (see the README's status table); it is the only place besides
// the GPU physics and the desktop start-up where GL, GLFW and Gio may be
// imported.
package render
