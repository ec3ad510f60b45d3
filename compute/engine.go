package compute

import (
	"time"

	"visionflow/graph"
)

// Body is one node as the physics sees it.
type Body struct {
	ID       graph.WireID
	Position graph.Vec3
	Velocity graph.Vec3
	Pinned   bool
}

// Spring is an edge as the physics sees it. Several springs may join the
// same pair.
type Spring struct {
	Source, Target graph.WireID
	Weight         float32
}

// Stats describe one step.
type Stats struct {
	Step        uint64        // steps taken since Load
	Kinetic     float64       // Σ ½·m·v²
	MaxMove     float32       // largest distance a node moved
	Temperature float32       // annealing temperature after the step
	Took        time.Duration // wall time of the step
}

// Engine steps force-directed physics for one graph. Bodies are known by
// wire id. An Engine is used by one goroutine at a time.
type Engine interface {
	// Name says which implementation this is ("cpu", "gpu").
	Name() string
	// Load replaces everything with these bodies and springs. Springs to
	// unknown bodies are an error.
	Load(bodies []Body, springs []Spring) error
	// AddBodies adds bodies; the others keep their state.
	AddBodies(bodies []Body) error
	// RemoveBodies removes bodies and every spring that touches them.
	RemoveBodies(ids []graph.WireID)
	// SetSprings replaces the springs.
	SetSprings(springs []Spring) error
	// Pin pins or unpins a body; pinned bodies never move.
	Pin(id graph.WireID, pinned bool) bool
	// Move puts a body somewhere and stops it.
	Move(id graph.WireID, pos graph.Vec3) bool
	// Heat raises the annealing temperature back to the parameters' level,
	// for when the graph changed and must settle again.
	Heat()
	// Step advances the simulation by one step.
	Step(p Params) Stats
	// Bodies appends the state of every body to dst, in the engine's order.
	Bodies(dst []Body) []Body
	// Len is the number of bodies.
	Len() int
}

// SpringPatcher is an Engine that changes its springs in the size of a
// change rather than taking them all again: an edit to a large graph then
// costs what the edit is.
type SpringPatcher interface {
	// PatchSprings removes one spring equal to each of remove (one whose
	// body is gone went with it, and is skipped) and then adds add;
	// springs to unknown bodies are an error, and then nothing changes.
	PatchSprings(remove, add []Spring) error
}
