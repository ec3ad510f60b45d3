package desktop

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"visionflow/graph"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
)

// A Source is the session a window shows and edits: the local server's,
// or a host's when joined. Its methods may be called from any goroutine,
// but never from the GL thread except Positions, which never blocks.
type Source interface {
	// Graphs lists the session's graphs.
	Graphs(ctx context.Context) ([]graph.Summary, error)
	// DefaultGraph is the graph to show first ("" when there is none).
	DefaultGraph(ctx context.Context) (string, error)
	// Watch makes graphID the graph whose changes Updates delivers and
	// whose positions Positions returns, and returns its contents.
	Watch(ctx context.Context, graphID string) (graph.Contents, error)
	// Positions is the watched graph's latest layout, or nil.
	Positions() *wire.Positions
	// Updates delivers changes to the watched graph and to settings.
	Updates() <-chan Update
	// Apply commits ops to a graph as one transaction.
	Apply(ctx context.Context, graphID string, ops []graph.Op) error
	// Settings returns every setting's current value, by path.
	Settings(ctx context.Context) (map[string]any, error)
	// SetSettings applies settings changes (validated, stored, recorded,
	// sent to every peer).
	SetSettings(ctx context.Context, updates []settings.Update) error
	// ImportLogseq imports a Logseq notebook folder as a new graph.
	ImportLogseq(ctx context.Context, dir string, progress func(done, total int)) (graph.Summary, error)
	// Health describes the session (engine, clients).
	Health(ctx context.Context) (session.Health, error)
	// Where is "" for the local session, else the host's URL.
	Where() string
	// Close stops the source's goroutines.
	Close() error
}

// An Update is a change the window must apply.
type Update struct {
	Graph    string
	Events   []graph.Event
	Reload   bool // the graph changed wholesale (or updates were lost): fetch it again
	Deleted  bool
	Settings []settings.Delta
	Resync   bool  // settings updates were lost: fetch them all again
	Gone     error // the session is gone (the host closed the connection)
}

// settingsFromTree flattens a settings tree as GET /api/settings returns
// it into values by path, parsed as the schema says.
func settingsFromTree(tree map[string]any) (map[string]any, error) {
	values := make(map[string]any, len(settings.Schema))
	for i := range settings.Schema {
		f := &settings.Schema[i]
		var node any = tree
		for part := range strings.SplitSeq(f.Path, ".") {
			m, ok := node.(map[string]any)
			if !ok {
				node = nil
				break
			}
			node = m[part]
		}
		if node == nil {
			return nil, fmt.Errorf("settings: the host sent no %s", f.Path)
		}
		raw, _ := json.Marshal(node)
		v, err := f.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("settings from the host: %w", err)
		}
		values[f.Path] = v
	}
	return values, nil
}
