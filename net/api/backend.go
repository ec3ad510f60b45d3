package api

import (
	"context"
	"time"

	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/settings"
)

// Backend is the live session as the API sees it. Every method is safe for
// concurrent use; mutations are durable when they return nil.
type Backend interface {
	ListGraphs(ctx context.Context) ([]graph.Summary, error)
	// CreateGraph makes a free id from idBase when info.ID is empty.
	CreateGraph(ctx context.Context, client string, info graph.Info, idBase string) (graph.Summary, error)
	ImportGraph(ctx context.Context, client string, info graph.Info, imp *ingest.Import, opt ImportOptions) (graph.Summary, error)
	DeleteGraph(ctx context.Context, id string) error

	Graph(ctx context.Context, id string) (graph.Contents, error)
	GraphAt(ctx context.Context, id string, at time.Time) (graph.Contents, error)
	Events(ctx context.Context, id string, since uint64, limit int) ([]graph.Event, error)
	Apply(ctx context.Context, client, graphID string, ops []graph.Op) (graph.Changes, error)

	Settings() *settings.Manager
	SettingsHistory(ctx context.Context, path string, since int64, limit int) ([]settings.Delta, error)

	Health(ctx context.Context) (Health, error)
}

// ImportOptions tune ImportGraph.
type ImportOptions struct {
	IDBase  string // with an empty info.ID: make a free id from this
	Replace bool   // replace the graph with info.ID, in the same transaction
}

// Health is the answer of GET /api/health.
type Health struct {
	Status    string    `json:"status"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"startedAt"`
	Uptime    float64   `json:"uptimeSeconds"`
	Graphs    int       `json:"graphs"`
	Nodes     int       `json:"nodes"`
	Edges     int       `json:"edges"`
	Database  string    `json:"database"`
	// Engine describes the physics engine; nil while none runs.
	Engine *EngineHealth `json:"engine"`
}

// EngineHealth describes the running physics engine.
type EngineHealth struct {
	Name           string  `json:"name"`
	StepsPerSecond float64 `json:"stepsPerSecond"`
}
