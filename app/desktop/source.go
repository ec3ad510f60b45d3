package desktop

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"visionflow/agent"
	"visionflow/auth"
	"visionflow/graph"
	"visionflow/memory"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
	"visionflow/task"
	"visionflow/telemetry"
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
	// Apply commits ops made on the graph as of seq base, and returns the
	// events they became.
	Apply(ctx context.Context, graphID string, base uint64, ops []graph.Op) ([]graph.Event, error)
	// Settings returns every setting's current value, by path.
	Settings(ctx context.Context) (map[string]any, error)
	// SetSettings applies settings changes (validated, stored, recorded,
	// sent to every peer).
	SetSettings(ctx context.Context, updates []settings.Update) error
	// ImportPath imports a folder of notes (Logseq, Obsidian) or a graph
	// file (JSON, GraphML, GEXF, GML, CSV), told from its content, as a
	// new graph; report sums up what a folder's import found ("" for
	// none).
	ImportPath(ctx context.Context, path string, progress func(done, total int)) (sum graph.Summary, report string, err error)
	// Health describes the session (engine, clients).
	Health(ctx context.Context) (session.Health, error)

	// SwarmsOn lists the swarms that work on a knowledge graph.
	SwarmsOn(ctx context.Context, graphID string) ([]session.SwarmInfo, error)
	// WatchSwarm shows a swarm beside the watched graph ("" for none):
	// its changes, agent status, messages and commands arrive as updates
	// and its positions through SwarmPositions. It returns the swarm's
	// graph and its live agents.
	WatchSwarm(ctx context.Context, swarmID string) (graph.Contents, []agent.Agent, error)
	// SwarmPositions is the watched swarm's latest layout, with each agent's
	// state in its flags, or nil.
	SwarmPositions() *wire.Positions
	// Command queues an operator's command for an agent.
	Command(ctx context.Context, swarm, agentID string, req agent.CommandRequest) (agent.Command, error)
	// SubmitTask submits a task to a swarm.
	SubmitTask(ctx context.Context, sub task.Submission) (session.TaskView, error)
	// DeadLetters lists the open dead letters of a swarm.
	DeadLetters(ctx context.Context, swarm string) ([]task.DeadLetter, error)
	// SettleDeadLetter retries (retry) or discards a dead letter's work.
	SettleDeadLetter(ctx context.Context, id string, retry bool) (task.DeadLetter, error)
	// Recall finds the memories closest to a query.
	Recall(ctx context.Context, q memory.Query) (memory.Result, error)
	// AgentMemories lists an agent's newest memories.
	AgentMemories(ctx context.Context, agent string, limit int) ([]memory.Memory, error)
	// HandDeadLetter gives the session work the window gave up on (a
	// telemetry report it refused, again and again).
	HandDeadLetter(ctx context.Context, h task.Handed) error
	// PostTelemetry hands the window's telemetry to the session (the host,
	// when joined).
	PostTelemetry(ctx context.Context, m telemetry.Metrics) error
	// Where is "" for the local session, else the host's URL.
	Where() string
	// Link is "" for the local session, else the state of the connection
	// to the host: connecting, connected, subscribed, receiving,
	// reconnecting or disconnected.
	Link() string
	// SetPresence tells the session's other peers where the window is.
	SetPresence(p wire.Presence)
	// Peers are the others in a graph: where they are, what they select.
	Peers(graphID string) []wire.Peer
	// Events lists a graph's changes after since; GraphAt is the graph as
	// it was at a time (the timeline).
	Events(ctx context.Context, graphID string, since uint64, limit int) ([]graph.Event, error)
	GraphAt(ctx context.Context, graphID string, at time.Time) (graph.Contents, error)
	// ShareStatus says how the session can be joined, and whether this
	// window may make join links; ShareLink makes one for role.
	ShareStatus(ctx context.Context) (status string, canMake bool)
	ShareLink(ctx context.Context, role auth.Role) (string, error)
	// Close stops the source's goroutines.
	Close() error
}

// An Update is a change the window must apply.
type Update struct {
	Graph    string // the watched graph or the watched swarm
	Events   []graph.Event
	Reload   bool // the graph changed wholesale (or updates were lost): fetch it again
	Deleted  bool
	Settings []settings.Delta
	Resync   bool  // settings updates were lost: fetch them all again
	Gone     error // the session is gone (the host closed the connection)

	Agents  *AgentDelta           // the watched swarm's agents changed
	Message *agent.Message        // an agent of the watched swarm messaged another
	Link    agent.LinkView        // with Message: their link after it
	Command *agent.Command        // a command of the watched swarm moved on
	Focus   *session.FocusRequest // someone asks to look at nodes of the watched graph
	By      string                // with Focus: who
}

// AgentDelta is what changed among a swarm's agents.
type AgentDelta struct {
	Swarm   string
	Agents  []agent.Agent
	Removed []string
	Links   []agent.LinkView // every link, when their weights changed
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
