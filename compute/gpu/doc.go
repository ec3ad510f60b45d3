// Package gpu is the physics engine on the GPU: the CPU engine's forces
// and integration in OpenGL ES 3.1 compute shaders (assets/shaders),
// writing the position buffer the renderer draws from. Repulsion keeps the
// far field through a multi-level grid: exact within the 27 nearest cells
// of the finest level, through cell centres of mass beyond, level by level,
// in O(N log N). It runs on the GL thread; other goroutines reach it through
// the thread's call queue.
package gpu
