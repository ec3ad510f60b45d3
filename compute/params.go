package compute

import "visionflow/settings"

// Features switch individual forces on and off.
type Features uint32

const (
	Repulsion Features = 1 << iota
	Springs
	Attraction
	Gravity
	Annealing

	AllFeatures = Repulsion | Springs | Attraction | Gravity | Annealing
)

// Params are the physics settings for one step. The zero value stands
// still; DefaultParams gives the settings tree's defaults.
type Params struct {
	SpringK         float32 // spring stiffness along edges, times edge weight
	RepelK          float32 // repulsion between every pair of nodes
	AttractionK     float32 // extra linear pull along edges
	Gravity         float32 // pull towards the origin
	Dt              float32 // time step
	MaxVelocity     float32 // speed limit
	Damping         float32 // velocity kept per step, 0..1
	Temperature     float32 // annealing: largest move per step, in rest lengths, when hot
	CoolingRate     float32 // fraction of the temperature lost per step
	EnableBounds    bool
	BoundsSize      float32 // half-width of the bounding cube
	BoundaryDamping float32 // velocity kept by a node that hits the bounds
	RestLength      float32 // spring rest length
	RepulsionCutoff float32 // 0: the whole far field (Barnes–Hut); >0: nothing beyond it (grid)
	GridCellSize    float32 // cell size of the grid used with a cutoff
	Theta           float32 // Barnes–Hut opening angle; 0 computes every pair exactly
	Features        Features
}

// Settings is what Params are read from: the live settings manager, or
// anything else that answers the same paths.
type Settings interface {
	Float(path string) float64
	Bool(path string) bool
}

var _ Settings = (*settings.Manager)(nil)

// ParamsFrom reads the physics.* settings.
func ParamsFrom(s Settings) Params {
	f := func(p string) float32 { return float32(s.Float("physics." + p)) }
	p := Params{
		SpringK:         f("springK"),
		RepelK:          f("repelK"),
		AttractionK:     f("attractionK"),
		Gravity:         f("gravity"),
		Dt:              f("dt"),
		MaxVelocity:     f("maxVelocity"),
		Damping:         f("damping"),
		Temperature:     f("temperature"),
		CoolingRate:     f("coolingRate"),
		EnableBounds:    s.Bool("physics.enableBounds"),
		BoundsSize:      f("boundsSize"),
		BoundaryDamping: f("boundaryDamping"),
		RestLength:      f("restLength"),
		RepulsionCutoff: f("repulsionCutoff"),
		GridCellSize:    f("gridCellSize"),
		Theta:           f("theta"),
	}
	for flag, name := range map[Features]string{Repulsion: "repulsion", Springs: "springs", Attraction: "attraction", Gravity: "gravity", Annealing: "annealing"} {
		if s.Bool("physics.featureFlags." + name) {
			p.Features |= flag
		}
	}
	return p
}

// defaults answers from the settings schema's defaults.
type defaults struct{}

func (defaults) Float(path string) float64 {
	f, _ := settings.Lookup(path)
	switch v := f.Default.(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	panic("compute: " + path + " is not numeric")
}

func (defaults) Bool(path string) bool {
	f, _ := settings.Lookup(path)
	return f.Default.(bool)
}

// DefaultParams are the settings tree's defaults.
func DefaultParams() Params { return ParamsFrom(defaults{}) }
