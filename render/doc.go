// Package render draws graphs with OpenGL ES 3.1: nodes as one instanced,
// lit mesh (shaped, sized and coloured per node, with an optional hologram
// shell), edges as camera-facing ribbons, and an id buffer for picking. It
// reads node positions from a GPU buffer — the GPU physics' own, or one it
// fills from the CPU engine or a remote stream — so a GPU layout never
// round-trips through the CPU to be drawn. Edges out of view or shorter
// than a pixel are never rasterised, and past Frame.EdgeAreaCap the
// larger ones are thinned (render/lod). It runs on the GL thread only.
package render
