package desktop

import (
	"hash/fnv"
	"math"
	"strconv"
	"strings"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/render"
	"visionflow/render/overlay"
)

// values are settings by path, as settings.Manager holds them: float64,
// int64, bool, string or [2]float64. A snapshot is never modified.
type values map[string]any

func (v values) float(path string) float32 {
	switch x := v[path].(type) {
	case float64:
		return float32(x)
	case int64:
		return float32(x)
	}
	return 0
}

func (v values) bool(path string) bool { b, _ := v[path].(bool); return b }

func (v values) str(path string) string { s, _ := v[path].(string); return s }

func (v values) pair(path string) [2]float32 {
	p, _ := v[path].([2]float64)
	return [2]float32{float32(p[0]), float32(p[1])}
}

func (v values) rgb(path string) [3]uint8 { return parseColor(v.str(path)) }

// parseColor reads #rrggbb (the settings schema guarantees the form).
func parseColor(s string) [3]uint8 {
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	if err != nil || len(s) != 7 {
		return [3]uint8{255, 255, 255}
	}
	return [3]uint8{uint8(n >> 16), uint8(n >> 8), uint8(n)}
}

func qualityLevel(s string) int {
	switch s {
	case "low":
		return 0
	case "medium":
		return 1
	}
	return 2
}

// sceneSettings is the look of the scene from the settings.
func sceneSettings(v values) render.Settings {
	return render.Settings{
		Background:  v.rgb("rendering.backgroundColor"),
		NodeSize:    v.float("nodes.nodeSize"),
		Metalness:   v.float("nodes.metalness"),
		Roughness:   v.float("nodes.roughness"),
		Opacity:     v.float("nodes.opacity"),
		Quality:     qualityLevel(v.str("nodes.quality")),
		Instancing:  v.bool("nodes.enableInstancing"),
		Hologram:    v.bool("nodes.enableHologram"),
		Ambient:     v.float("rendering.ambientLightIntensity"),
		Directional: v.float("rendering.directionalLightIntensity"),
		Environment: v.float("rendering.environmentIntensity"),
		EdgeColor:   v.rgb("edges.color"),
		EdgeOpacity: v.float("edges.opacity"),
		EdgeQuality: qualityLevel(v.str("edges.quality")),
		Arrows:      v.bool("edges.enableArrows"),
		ArrowSize:   v.float("edges.arrowSize"),
	}
}

// styleKeys are the settings that change node or edge styles (the rest
// reach the shaders as uniforms).
var styleKeys = []string{"nodes.baseColor", "nodes.agentColor", "nodes.enableMetadataShape", "edges.baseWidth", "edges.widthRange"}

// shapeKeys are the metadata fields that choose a node's shape when
// nodes.enableMetadataShape is on, in order of preference. "shape" may
// name one; any other value picks one by its hash, so nodes of one kind
// share a shape.
var shapeKeys = []string{"shape", "type", "kind", "group", "category"}

// metadataShape picks a node's shape from its metadata.
func metadataShape(md map[string]string) uint32 {
	for _, k := range shapeKeys {
		v, ok := md[k]
		if !ok || v == "" {
			continue
		}
		switch strings.ToLower(v) {
		case "sphere":
			return render.ShapeSphere
		case "cube", "box":
			return render.ShapeCube
		case "octahedron", "diamond":
			return render.ShapeOctahedron
		}
		h := fnv.New32a()
		h.Write([]byte(strings.ToLower(v)))
		return h.Sum32() % 3
	}
	return render.ShapeSphere
}

// nodeStyle is how a node looks: agents in the agent colour as octahedra
// (unless metadata chooses), knowledge nodes in the base colour; size grows
// with the logarithm of the degree, so hubs stand out without swamping.
func nodeStyle(n *nodeView, v values) render.Style {
	s := render.Style{Size: 1 + 0.5*float32(math.Log1p(float64(n.degree))), Shape: render.ShapeSphere}
	c := v.rgb("nodes.baseColor")
	if n.agent {
		c = v.rgb("nodes.agentColor")
		s.Flags |= render.FlagAgent
		s.Shape = render.ShapeOctahedron
	}
	if v.bool("nodes.enableMetadataShape") {
		s.Shape = n.shape
	}
	s.Color = [4]uint8{c[0], c[1], c[2], 255}
	if n.pinned {
		s.Flags |= render.FlagPinned
	}
	return s
}

// edgeWidth maps an edge's weight into edges.widthRange around
// edges.baseWidth: weight 1 is the base width.
func edgeWidth(weight float32, v values) float32 {
	base := v.float("edges.baseWidth")
	r := v.pair("edges.widthRange")
	w := base * weight
	return min(max(w, r[0]), r[1])
}

// isAgent tells agent nodes from knowledge nodes.
func isAgent(n *graph.Node) bool { return n.Type == graph.Agents || n.WireID&graph.AgentFlag != 0 }

// taskStyle draws a task as a cube in its state's colour
// (overlay.TaskStateColors), growing as its progress does; finished tasks
// shrink back, out of the way.
func taskStyle(s render.Style, tk taskMark) render.Style {
	c, ok := overlay.TaskStateColors[tk.state]
	if !ok {
		c = overlay.TaskStateColors["cancelled"]
	}
	s.Color = [4]uint8{c[0], c[1], c[2], 255}
	s.Shape = render.ShapeCube
	switch tk.state {
	case "done", "cancelled":
		s.Size = 1.2
	default:
		s.Size = 1.4 + float32(min(max(tk.progress, 0), 100))/100
	}
	return s
}

// highlitColor marks the knowledge nodes a memory search found.
var highlitColor = [4]uint8{0xff, 0xd5, 0x4a, 0xff}

// highlitStyle makes a node a memory search found stand out: gold, larger,
// glowing.
func highlitStyle(s render.Style) render.Style {
	s.Color = highlitColor
	s.Size = max(s.Size*1.6, 2)
	s.Flags |= render.FlagHovered
	return s
}

// agentStyle colours an agent by its state: idle in nodes.agentColor, the
// other states in their own colours (overlay.StateColors, as the swarm
// panel shows them); its glow's pace follows the state. A silent agent is
// grey and dark, a paused or halted one smaller.
func agentStyle(s render.Style, mk agentMark, v values) render.Style {
	var c [3]uint8
	switch {
	case mk.stale:
		c = overlay.StateColors["stale"]
		s.Flags |= render.FlagStale
	case mk.state == agent.Idle || mk.state == "":
		c = v.rgb("nodes.agentColor")
	default:
		c = overlay.StateColors[string(mk.state)]
	}
	s.Color = [4]uint8{c[0], c[1], c[2], 255}
	s.Flags |= render.FlagAgent | render.StateFlags(mk.state.Code())
	s.Size = max(s.Size, 2.2) // a swarm stands out among the pages it works on
	if mk.control == "paused" || mk.control == "halted" {
		s.Size *= 0.75
	}
	return s
}
