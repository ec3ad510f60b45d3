// Package compute lays graphs out with force-directed physics: the
// parameters (read from the settings tree), the Engine interface every
// physics implementation satisfies, and the CPU engine, which computes
// repulsion with a Barnes–Hut octree (or, with a cutoff, a uniform grid) on
// every core. docs/physics.md gives each force's formula.
package compute
