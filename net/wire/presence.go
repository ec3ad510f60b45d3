package wire

import (
	"fmt"
	"math"
	"time"
	"unicode"

	"visionflow/graph"
)

// TypePresence is sent both ways: a client says where it is (its graph,
// its selection, its camera, what it is editing), and the server tells the
// subscribers of a graph who is there.
const TypePresence = "presence"

// Presence is what a client says of itself.
type Presence struct {
	Graph    string    `json:"graph"`
	Name     string    `json:"name,omitempty"` // heeded only without a token: a token names its holder
	Selected string    `json:"selected,omitempty"`
	Editing  string    `json:"editing,omitempty"` // a node being dragged or changed
	Eye      []float32 `json:"eye,omitempty"`     // the camera's position: x, y, z
	Target   []float32 `json:"target,omitempty"`  // what it looks at: x, y, z
	// View is how the client looks at the graph, when it shares that
	// with the others so they may follow it (nil: kept to itself).
	View *View `json:"view,omitempty"`
}

// View is a window's way of looking at a graph: its colouring, sizing,
// hidden classes, filters and local graph (the selection is its centre).
type View struct {
	ColourBy     string   `json:"colourBy,omitempty"` // "", community, component, degree, pagerank, betweenness, meta:KEY
	SizeBy       string   `json:"sizeBy,omitempty"`   // "", pagerank, betweenness
	Hidden       []string `json:"hidden,omitempty"`   // classes of the colouring hidden
	Only         string   `json:"only,omitempty"`     // the class isolated
	Local        int      `json:"local,omitempty"`    // local graph depth, 0 to 3
	DimRest      bool     `json:"dimRest,omitempty"`  // the local graph dims the rest rather than hides it
	HideOrphans  bool     `json:"hideOrphans,omitempty"`
	HideLinkOnly bool     `json:"hideLinkOnly,omitempty"`
	MinDegree    int      `json:"minDegree,omitempty"`
}

// Check validates a view.
func (v *View) Check() error {
	text := func(field, s string) error {
		if len(s) > 256 {
			return fmt.Errorf("presence.view.%s is %d bytes; the limit is 256", field, len(s))
		}
		for _, c := range s {
			if unicode.IsControl(c) {
				return fmt.Errorf("presence.view.%s contains control character %U", field, c)
			}
		}
		return nil
	}
	for field, s := range map[string]string{"colourBy": v.ColourBy, "sizeBy": v.SizeBy, "only": v.Only} {
		if err := text(field, s); err != nil {
			return err
		}
	}
	if len(v.Hidden) > 64 {
		return fmt.Errorf("presence.view.hidden lists %d classes; the limit is 64", len(v.Hidden))
	}
	for _, h := range v.Hidden {
		if err := text("hidden", h); err != nil {
			return err
		}
	}
	if v.Local < 0 || v.Local > 3 {
		return fmt.Errorf("presence.view.local is %d; want 0 to 3", v.Local)
	}
	if v.MinDegree < 0 || v.MinDegree > 1_000_000 {
		return fmt.Errorf("presence.view.minDegree is %d; want 0 to 1000000", v.MinDegree)
	}
	return nil
}

// Check validates a presence.
func (p Presence) Check() error {
	if err := graph.ValidateGraphID(p.Graph); err != nil {
		return err
	}
	if len(p.Name) > 64 {
		return fmt.Errorf("presence.name is %d bytes; the limit is 64", len(p.Name))
	}
	for _, c := range p.Name {
		if unicode.IsControl(c) {
			return fmt.Errorf("presence.name contains control character %U", c)
		}
	}
	for field, id := range map[string]string{"selected": p.Selected, "editing": p.Editing} {
		if id != "" {
			if err := graph.ValidateID("presence."+field, id); err != nil {
				return err
			}
		}
	}
	if p.View != nil {
		if err := p.View.Check(); err != nil {
			return err
		}
	}
	for field, v := range map[string][]float32{"eye": p.Eye, "target": p.Target} {
		if v == nil {
			continue
		}
		if len(v) != 3 {
			return fmt.Errorf("presence.%s must be three finite numbers, not %d", field, len(v))
		}
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || math.Abs(float64(x)) > 1e9 {
				return fmt.Errorf("presence.%s must be three finite numbers", field)
			}
		}
	}
	return nil
}

// Peer is one client in a graph, as the others see it.
type Peer struct {
	ID    string `json:"id"`    // the connection's client id ("local": the host's own window)
	Name  string `json:"name"`  // its token's name, or what it calls itself
	Color string `json:"color"` // #rrggbb, from the name
	Presence
	At time.Time `json:"at"`
}

// PresenceMsg lists the peers in a graph: sent to its subscribers when
// anyone comes, moves, selects or goes, at most ten times a second.
type PresenceMsg struct {
	Type  string `json:"type"` // "presence"
	Graph string `json:"graph"`
	Peers []Peer `json:"peers"`
}

// PeerColors are the colours peers are drawn in: Okabe and Ito's, told
// apart by people with any common colour blindness, and clear on the dark
// background.
var PeerColors = []string{"#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"}

// PeerColor is the colour of a peer's name.
func PeerColor(name string) string {
	h := uint32(2166136261)
	for i := range len(name) {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return PeerColors[h%uint32(len(PeerColors))]
}
