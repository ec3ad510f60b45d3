package settings

import (
	"fmt"
	"net/url"
)

// Kind is the type of a setting's value.
type Kind string

const (
	Float Kind = "float"
	Int   Kind = "int"
	Bool  Kind = "bool"
	Enum  Kind = "enum"  // one of Options
	Color Kind = "color" // "#rrggbb" or "#rrggbbaa"
	Range Kind = "range" // [min, max] with min < max, both within Min..Max
	Text  Kind = "text"  // a line of at most Max bytes, checked by Check
	// Secret is a text that is never shown: reading it gives Hidden when it
	// is set and "" when not, and its history records no value.
	Secret Kind = "secret"
)

// Hidden is what reading a secret that is set gives.
const Hidden = "(set)"

// Field describes one setting.
type Field struct {
	Path    string   `json:"path"`
	Kind    Kind     `json:"kind"`
	Default any      `json:"default"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Options []string `json:"options,omitempty"`
	Doc     string   `json:"doc"`
	// Check validates a text's value beyond its length (nil: any line).
	Check func(string) error `json:"-"`
}

func floatField(path string, def, lo, hi float64, doc string) Field {
	return Field{Path: path, Kind: Float, Default: def, Min: &lo, Max: &hi, Doc: doc}
}

func intField(path string, def, lo, hi int64, doc string) Field {
	flo, fhi := float64(lo), float64(hi)
	return Field{Path: path, Kind: Int, Default: def, Min: &flo, Max: &fhi, Doc: doc}
}

func boolField(path string, def bool, doc string) Field {
	return Field{Path: path, Kind: Bool, Default: def, Doc: doc}
}

func colorField(path, def, doc string) Field {
	return Field{Path: path, Kind: Color, Default: def, Doc: doc}
}

func enumField(path, def string, options []string, doc string) Field {
	return Field{Path: path, Kind: Enum, Default: def, Options: options, Doc: doc}
}

func textField(path, def string, maxBytes int, check func(string) error, doc string) Field {
	lo, hi := 0.0, float64(maxBytes)
	return Field{Path: path, Kind: Text, Default: def, Min: &lo, Max: &hi, Check: check, Doc: doc}
}

func secretField(path string, maxBytes int, doc string) Field {
	lo, hi := 0.0, float64(maxBytes)
	return Field{Path: path, Kind: Secret, Default: "", Min: &lo, Max: &hi, Doc: doc}
}

func rangeField(path string, def [2]float64, lo, hi float64, doc string) Field {
	return Field{Path: path, Kind: Range, Default: def, Min: &lo, Max: &hi, Doc: doc}
}

var quality = []string{"low", "medium", "high"}

// Schema is every setting VisionFlow knows, in display order. Names follow
// the original VisionFlow's settings where it had them.
var Schema = []Field{
	colorField("nodes.baseColor", "#00e5ff", "colour of knowledge-graph nodes"),
	colorField("nodes.agentColor", "#40ff00", "colour of agent nodes"),
	floatField("nodes.metalness", 0.85, 0, 1, "PBR metalness of node material"),
	floatField("nodes.roughness", 0.15, 0, 1, "PBR roughness of node material"),
	floatField("nodes.opacity", 0.95, 0, 1, "node opacity"),
	floatField("nodes.nodeSize", 1.2, 0.01, 100, "node radius in layout units"),
	enumField("nodes.quality", "high", quality, "mesh detail of nodes"),
	boolField("nodes.enableInstancing", true, "draw nodes with GPU instancing"),
	boolField("nodes.enableHologram", true, "animated hologram shell around nodes"),
	boolField("nodes.enableMetadataShape", false, "choose each node's shape from its metadata"),
	boolField("nodes.enableMetadataVisualisation", true, "show metadata in labels and the inspector"),

	colorField("edges.color", "#56b6c2", "edge colour"),
	floatField("edges.opacity", 0.5, 0, 1, "edge opacity"),
	floatField("edges.baseWidth", 0.5, 0.01, 5, "edge width in layout units"),
	rangeField("edges.widthRange", [2]float64{0.3, 1.5}, 0.01, 10, "edge width range that weights map to"),
	boolField("edges.enableArrows", false, "draw arrow heads at edge targets"),
	floatField("edges.arrowSize", 1.5, 0.01, 5, "arrow head length, in node radii"),
	enumField("edges.quality", "high", quality, "edge geometry detail"),

	boolField("physics.enabled", true, "run the layout simulation"),
	floatField("physics.springK", 0.05, 0, 10, "spring stiffness along edges (scaled by edge weight)"),
	floatField("physics.repelK", 50, 0, 10000, "repulsion strength between every pair of nodes"),
	floatField("physics.attractionK", 0, 0, 10, "extra linear attraction along edges"),
	floatField("physics.gravity", 0.01, -5, 5, "pull of every node towards the centre"),
	floatField("physics.dt", 1, 0.001, 10, "integration time step"),
	floatField("physics.maxVelocity", 100, 0.1, 10000, "speed limit per node"),
	floatField("physics.damping", 0.9, 0, 1, "velocity kept per step (1 = no friction)"),
	floatField("physics.temperature", 2, 0, 100, "annealing: largest move per step when hot, in rest lengths"),
	floatField("physics.coolingRate", 0.02, 0, 0.5, "fraction of the temperature lost per step"),
	boolField("physics.enableBounds", true, "keep nodes inside a cube"),
	floatField("physics.boundsSize", 5000, 1, 1000000, "half-width of the bounding cube"),
	floatField("physics.boundaryDamping", 0.5, 0, 1, "velocity kept when a node hits the bounds"),
	floatField("physics.restLength", 30, 0.1, 1000, "spring rest length"),
	floatField("physics.repulsionCutoff", 0, 0, 100000, "ignore repulsion beyond this distance (0 keeps the far field)"),
	floatField("physics.gridCellSize", 50, 1, 10000, "cell size of the grid used with a repulsion cutoff"),
	floatField("physics.theta", 0.8, 0, 2, "Barnes–Hut opening angle: larger is faster and coarser, 0 is exact"),
	boolField("physics.featureFlags.repulsion", true, "repulsion force on"),
	boolField("physics.featureFlags.springs", true, "spring force on"),
	boolField("physics.featureFlags.attraction", true, "linear attraction on"),
	boolField("physics.featureFlags.gravity", true, "centre gravity on"),
	boolField("physics.featureFlags.annealing", true, "temperature cooling on"),

	colorField("rendering.backgroundColor", "#0a0e1a", "window background"),
	floatField("rendering.ambientLightIntensity", 0.6, 0, 10, "ambient light"),
	floatField("rendering.directionalLightIntensity", 1.0, 0, 10, "key light"),
	floatField("rendering.environmentIntensity", 0.5, 0, 10, "environment reflection strength"),
	boolField("rendering.enableAntialiasing", true, "multisample antialiasing"),
	boolField("rendering.enableShadows", false, "shadow mapping"),
	boolField("rendering.enableAmbientOcclusion", false, "screen-space ambient occlusion"),

	intField("agents.heartbeatTimeout", 30, 1, 3600, "seconds of silence after which an agent is drawn greyed out"),
	intField("agents.removeAfter", 300, 5, 86400, "seconds of silence after which an agent leaves its swarm"),
	floatField("agents.linkHalfLife", 20, 1, 3600, "seconds in which an interaction link's weight halves without traffic"),
	intField("agents.sampleInterval", 5, 1, 3600, "seconds between stored snapshots of each agent's status"),
	intField("agents.historyRetention", 24, 1, 8760, "hours that agents' stored status history is kept"),

	intField("tasks.leaseSeconds", 30, 5, 3600, "seconds an agent holds a claimed task unless its heartbeat renews it"),
	intField("tasks.maxAttempts", 3, 1, 100, "failed or timed-out attempts before a task goes to the dead-letter queue"),

	enumField("memory.embedder", "local", []string{"local", "openai"}, "what embeds memories: local (built in, offline) or openai (an OpenAI-compatible /v1/embeddings endpoint, falling back to local while it fails)"),
	textField("memory.endpoint.url", "", 2048, checkURL, "base URL of the OpenAI-compatible API, such as http://localhost:11434/v1 (Ollama) or https://api.openai.com/v1"),
	textField("memory.endpoint.model", "", 256, nil, "the embedding model the endpoint runs, such as nomic-embed-text"),
	secretField("memory.endpoint.key", 4096, "API key sent as a bearer token (never shown once set)"),
	intField("memory.endpoint.timeout", 10, 1, 300, "seconds to wait for the endpoint before the local embedder stands in"),
	intField("memory.compressAbove", 4096, 64, 1<<20, "memories longer than this many bytes are stored compressed (zstd)"),
	intField("memory.cacheSize", 1000, 0, 100000, "recently used memories kept decoded in memory"),

	intField("system.websocket.updateRate", 60, 1, 120, "position frames per second"),
	intField("system.websocket.heartbeatInterval", 10000, 1000, 600000, "ping interval in ms"),
	intField("system.websocket.heartbeatTimeout", 30000, 1000, 3600000, "drop a client silent this long, in ms"),
	intField("system.websocket.maxConnections", 100, 1, 10000, "most WebSocket clients at once"),
	intField("system.websocket.maxMessageSize", 1<<20, 1024, 64<<20, "largest client message in bytes"),
	intField("system.websocket.subscribeTimeout", 10, 1, 3600, "seconds a WebSocket client has to subscribe to a graph or report an agent before it is closed"),
	intField("system.http.maxConnsPerAddress", 256, 1, 100000, "most HTTP and WebSocket connections open at once from one address"),
	intField("system.http.maxBatchOps", 100000, 1, 1000000, "most ops one batch request may hold; a larger one is refused (413) before anything is applied"),
	intField("system.websocket.maxReplay", 10000, 0, 1000000, "most events (or settings changes) replayed to a client that resumes; past it the client fetches the whole graph"),
	floatField("system.auth.rateLimit", 100, 0, 100000, "requests and WebSocket messages a second each token may make (0: no limit)"),
	intField("system.auth.rateBurst", 200, 1, 100000, "requests a token may make at once above its rate"),
	intField("system.import.maxPages", 100000, 1, 10000000, "most page and journal files a Logseq import may hold"),
	intField("system.import.maxLinksPerPage", 10000, 1, 10000000, "most links, tags and aliases on one page of a Logseq import"),
	intField("system.import.maxNodes", 250000, 1, 10000000, "most nodes an import may make (a Logseq notebook's pages and linked names, a JSON file's nodes)"),
	intField("system.import.maxEdges", 1000000, 1, 50000000, "most links a JSON import may hold"),
	floatField("system.persistence.positionSaveInterval", 5, 1, 3600, "seconds between saves of moved positions"),
	intField("system.telemetry.uploadInterval", 30, 5, 3600, "seconds between the window's telemetry reports"),
	intField("system.telemetry.retention", 168, 1, 8760, "hours that telemetry reports are kept"),
	boolField("system.debug.enabled", false, "extra diagnostics"),
	enumField("system.debug.logLevel", "info", []string{"debug", "info", "warn", "error"}, "log verbosity"),
}

// Sections are the top-level groups of the tree.
var Sections = []string{"nodes", "edges", "physics", "rendering", "agents", "tasks", "memory", "system"}

// checkURL accepts an http(s) URL with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http(s) URL with a host, such as http://localhost:11434/v1; got %q", s)
	}
	return nil
}

var byPath = func() map[string]*Field {
	m := make(map[string]*Field, len(Schema))
	for k := range Schema {
		m[Schema[k].Path] = &Schema[k]
	}
	return m
}()

// Lookup returns the field at path.
func Lookup(path string) (*Field, bool) {
	fld, ok := byPath[path]
	return fld, ok
}
