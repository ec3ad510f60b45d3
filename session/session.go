// Package session is the contract between VisionFlow's live session and
// everything that reaches it: the REST API, the WebSocket stream, the MCP
// server and the desktop window import these types; app implements them.
package session

import (
	"context"
	"time"

	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/net/wire"
	"visionflow/settings"
)

// Backend is the live session as its transports see it. Every method is
// safe for concurrent use; mutations are durable when they return nil.
type Backend interface {
	Graphs
	Agents
	Tasks
	Memories
	Telemetry
	Tokens
	Sync

	Settings() *settings.Manager
	SettingsHistory(ctx context.Context, path string, since int64, limit int) ([]settings.Delta, error)

	Health(ctx context.Context) (Health, error)
}

// Graphs is the knowledge half of the session: named graphs, their
// history, edits and live layout.
type Graphs interface {
	ListGraphs(ctx context.Context) ([]graph.Summary, error)
	// CreateGraph makes a free id from idBase when info.ID is empty.
	CreateGraph(ctx context.Context, client string, info graph.Info, idBase string) (graph.Summary, error)
	ImportGraph(ctx context.Context, client string, info graph.Info, imp *ingest.Import, opt ImportOptions) (graph.Summary, error)
	DeleteGraph(ctx context.Context, id string) error

	Graph(ctx context.Context, id string) (graph.Contents, error)
	GraphAt(ctx context.Context, id string, at time.Time) (graph.Contents, error)
	Events(ctx context.Context, id string, since uint64, limit int) ([]graph.Event, error)
	Apply(ctx context.Context, client, graphID string, ops []graph.Op) (graph.Changes, error)

	// OpenGraph makes sure a graph is live (loaded, its layout running)
	// and describes it.
	OpenGraph(ctx context.Context, id string) (graph.Summary, error)
	// DefaultGraph is the graph a client gets when it names none: the
	// most recently created one ("" when there are none).
	DefaultGraph(ctx context.Context) (string, error)
	// Positions returns a graph's latest layout positions (nil when it has
	// no running layout). It does not block the session.
	Positions(graphID string) *wire.Positions
	// Subscribe registers fn for every committed change, in order; fn
	// must not block.
	Subscribe(fn func(Change)) (cancel func(), err error)
}

// Change is one committed change to a graph: a batch of events, or the
// graph appearing whole (created, imported, replaced: Reload) or going
// away (Deleted).
type Change struct {
	Graph   string
	Events  []graph.Event
	Seq     uint64 // the graph's last event after the change
	Reload  bool
	Deleted bool
}

// ImportOptions tune ImportGraph.
type ImportOptions struct {
	IDBase  string // with an empty info.ID: make a free id from this
	Replace bool   // replace the graph with info.ID, in the same transaction
}

// Health is the answer of GET /api/health.
type Health struct {
	Status    string       `json:"status"`             // "ok", or "degraded" with Problems
	Problems  []string     `json:"problems,omitempty"` // what is broken, such as a graph that does not load
	Version   string       `json:"version"`
	StartedAt time.Time    `json:"startedAt"`
	Uptime    float64      `json:"uptimeSeconds"`
	Graphs    int          `json:"graphs"`
	Nodes     int          `json:"nodes"`
	Edges     int          `json:"edges"`
	Database  string       `json:"database"`
	Engine    EngineHealth `json:"engine"`
	Swarms    int          `json:"swarms"`  // live ones
	Agents    int          `json:"agents"`  // in them, stale ones included
	Clients   int          `json:"clients"` // WebSocket connections
}

// EngineHealth describes the physics engine.
type EngineHealth struct {
	Name           string   `json:"name"`                   // "cpu"
	Layouts        int      `json:"layouts"`                // graphs laid out
	Moving         int      `json:"moving"`                 // of them, not yet settled
	MovingGraphs   []string `json:"movingGraphs,omitempty"` // which
	StepsPerSecond float64  `json:"stepsPerSecond"`         // summed over the moving layouts
	// StepMillis is the longest recent step of a moving layout, in ms, as
	// its goroutine waits for it (for the GPU engine that includes waiting
	// for the GL thread's next frame).
	StepMillis float64 `json:"stepMillis"`
	// Why says why the physics runs on this engine, when it was chosen
	// (the desktop's --engine auto): "software rasteriser", for one.
	Why string `json:"why,omitempty"`
}
