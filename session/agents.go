package session

import (
	"context"
	"time"

	"visionflow/agent"
	"visionflow/task"
	"visionflow/telemetry"
)

// Agents is the agent half of the session: status reports, the live
// swarms, messages between agents, operator commands and focus requests.
// Every method is safe for concurrent use.
type Agents interface {
	// ReportStatus records status updates, all or nothing: a swarm seen
	// for the first time becomes a graph of type visionflow, a new agent a
	// node of it, a new collaboration an edge. Updates that change
	// nothing structural touch only memory.
	ReportStatus(ctx context.Context, who string, updates []agent.Status) (StatusReport, error)
	// Agents lists the live agents of a swarm ("" for every swarm).
	Agents(ctx context.Context, swarm string) ([]agent.Agent, error)
	// Swarms lists the swarms: graphs of type visionflow.
	Swarms(ctx context.Context) ([]SwarmInfo, error)
	// SwarmsOf lists the live swarms that have an agent with this id.
	SwarmsOf(agentID string) []string
	// AgentHistory lists what was stored of an agent: its first report,
	// state transitions, sampled snapshots and its going away, oldest
	// first.
	AgentHistory(ctx context.Context, swarm, agentID string, since time.Time, limit int) ([]AgentRecord, error)
	// AgentChanges returns what changed in a swarm after version since;
	// it never waits for I/O (the stream calls it every tick).
	AgentChanges(swarm string, since uint64) AgentDelta
	// SendMessage records a message between two agents of a swarm: their
	// link grows, and subscribers see a pulse.
	SendMessage(ctx context.Context, who string, m agent.Message) (agent.LinkView, error)
	// QueueCommand stores an operator's command for an agent (durably,
	// before it returns) and offers it to the agent.
	QueueCommand(ctx context.Context, who, swarm, agentID string, req agent.CommandRequest) (agent.Command, error)
	// NextCommand hands an agent its oldest command not yet delivered
	// (nil when there is none), marking it delivered.
	NextCommand(ctx context.Context, swarm, agentID string) (*agent.Command, error)
	// PendingCommands lists an agent's commands not answered yet (queued
	// or delivered), oldest first.
	PendingCommands(ctx context.Context, swarm, agentID string) ([]agent.Command, error)
	// CommandDelivered marks a command delivered (the stream pushed it).
	CommandDelivered(ctx context.Context, id string) error
	// AckCommand records an agent's answer to a command.
	AckCommand(ctx context.Context, who string, ack agent.Ack) (agent.Command, error)
	// Commands lists the commands of a swarm, or of one agent of it,
	// newest first: the operators' audit trail.
	Commands(ctx context.Context, swarm, agentID string, limit int) ([]agent.Command, error)
	// Focus asks the people's windows to fly to some nodes of a graph.
	Focus(ctx context.Context, who string, f FocusRequest) error
	// SubscribeAgents registers fn for messages, commands and focus
	// requests as they happen; fn must not block.
	SubscribeAgents(fn func(AgentEvent)) (cancel func())
}

// StatusReport answers ReportStatus.
type StatusReport struct {
	Accepted  int      `json:"accepted"`
	NewAgents []string `json:"newAgents"` // "swarm/agent" of agents seen for the first time
	Swarms    []string `json:"swarms"`    // the swarms the updates went to
}

// SwarmInfo describes a swarm.
type SwarmInfo struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	KnowledgeGraph string `json:"knowledgeGraph"`
	Agents         int    `json:"agents"` // live, stale ones included
	Active         int    `json:"active"` // of them, not stale
}

// AgentDelta is what changed in a swarm after some version.
type AgentDelta struct {
	Exists  bool // the swarm is live
	Version uint64
	Agents  []agent.Agent
	Removed []string
	Links   []agent.LinkView // every link with its weight, when they changed
}

// AgentRecord is one stored moment of an agent's history.
type AgentRecord struct {
	Swarm string       `json:"swarm"`
	Agent string       `json:"agentId"`
	At    time.Time    `json:"at"`
	Kind  string       `json:"kind"` // "first", "transition", "sample", "gone"
	State agent.State  `json:"state,omitempty"`
	Data  *agent.Agent `json:"agent,omitempty"` // the agent as it was then
}

// FocusRequest asks windows to fly to nodes.
type FocusRequest struct {
	Graph string   `json:"graph"`
	Nodes []string `json:"nodes"`
	Note  string   `json:"note,omitempty"`
}

// AgentEvent is something that happened among agents, for the streams.
// Exactly one of its pointers is set.
type AgentEvent struct {
	Swarm   string
	Message *agent.Message
	Link    agent.LinkView // with Message: the link after it
	Command *agent.Command // queued, delivered, acked or refused
	Focus   *FocusRequest
	By      string     // with Focus: who asked
	Task    *task.Task // moved (taskProgress for the swarm's subscribers)
	Offer   *task.Task // offered to the agent OfferTo (taskOffer)
	OfferTo string
}

// Telemetry keeps the telemetry that servers, windows and agent runners
// report.
type Telemetry interface {
	// PostTelemetry stores reports, all or nothing.
	PostTelemetry(ctx context.Context, who string, ms []telemetry.Metrics) error
	// RecentTelemetry lists stored reports after since, newest first, at
	// most limit, of one reporter session when session is not "".
	RecentTelemetry(ctx context.Context, since time.Time, limit int, session string) ([]telemetry.Metrics, error)
}
