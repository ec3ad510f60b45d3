package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/internal/strictjson"
	"visionflow/settings"
	"visionflow/task"
)

// Streams a client can subscribe to, per graph.
const (
	StreamPositions = "positions"
	StreamEvents    = "events"
	StreamAgents    = "agents" // agent status, messages and commands of a swarm graph
)

// AllStreams is what a subscribe without streams asks for.
var AllStreams = []string{StreamAgents, StreamEvents, StreamPositions}

// MaxSubscriptions is the most graphs one connection may follow at once.
const MaxSubscriptions = 16

// Client message types.
const (
	TypeSubscribe    = "subscribe"
	TypeUnsubscribe  = "unsubscribe"
	TypeFullFrame    = "fullFrame"
	TypeApply        = "apply"
	TypePing         = "ping"
	TypeAgentStatus  = "agentStatus" // also sent by the server
	TypeSendMessage  = "sendMessage"
	TypeCommandAck   = "commandAck"
	TypeClaimTask    = "claimTask"
	TypePlanTask     = "planTask"
	TypeUpdateTask   = "updateTask"
	TypeCompleteTask = "completeTask"
	TypeFailTask     = "failTask"
)

// ClientMessageTypes lists every client message type.
var ClientMessageTypes = []string{TypeSubscribe, TypeUnsubscribe, TypeFullFrame, TypeApply, TypePing, TypeAgentStatus,
	TypeSendMessage, TypeCommandAck, TypeClaimTask, TypePlanTask, TypeUpdateTask, TypeCompleteTask, TypeFailTask, TypePresence}

// TaskTypes are the client messages that move a task.
var TaskTypes = []string{TypeClaimTask, TypePlanTask, TypeUpdateTask, TypeCompleteTask, TypeFailTask}

// Server message types.
const (
	TypeHello        = "hello"
	TypeSubscribed   = "subscribed"
	TypeUnsubscribed = "unsubscribed"
	TypeEvents       = "events"
	TypeSettings     = "settings"
	TypeApplied      = "applied"
	TypeError        = "error"
	TypePong         = "pong"
	TypeReload       = "reload"
	TypeOK           = "ok"
	TypeAgentMessage = "agentMessage"
	TypeCommand      = "command"
	TypeCommandState = "commandState"
	TypeFocus        = "focus"
	TypeTask         = "task"
	TypeTaskProgress = "taskProgress"
	TypeTaskOffer    = "taskOffer"
)

// ClientMessage is anything a client sends as text. Which fields apply
// depends on Type:
//
//	{"type": "subscribe", "graph": "g", "streams": ["positions", "events", "agents"], "since"?: 41, "frames"?: "v2", "velocities"?: true}
//	{"type": "unsubscribe", "graph": "g"}       (no graph: every subscription)
//	{"type": "fullFrame", "graph": "g"}         (no graph: every subscription)
//	{"type": "apply", "id": "r1", "graph": "g", "ops": [...], "base"?: 41}
//	{"type": "ping", "id": "p1"}
//	{"type": "agentStatus", "updates": [{"agentId": …, "swarmId": …, "state": …}]}
//	{"type": "sendMessage", "message": {"swarmId": …, "from": …, "to": …, "text": …}}
//	{"type": "commandAck", "ack": {"commandId": …, "ok": true, "note": …}}
//	{"type": "claimTask", "task": {"swarmId": …, "agentId": …, "taskId"?: …}}
//	{"type": "planTask", "task": {"agentId": …, "taskId": …, "subtasks": [...]}}
//	{"type": "updateTask", "task": {"agentId": …, "taskId": …, "progress": 40, "note": …}}
//	{"type": "completeTask", "task": {"agentId": …, "taskId": …, "result": …}}
//	{"type": "failTask", "task": {"agentId": …, "taskId": …, "error": …}}
type ClientMessage struct {
	Type    string   `json:"type"`
	ID      string   `json:"id,omitempty"`    // echoed in the answer
	Graph   string   `json:"graph,omitempty"` // subscribe, apply: empty means the default / only subscribed graph
	Streams []string `json:"streams"`         // subscribe: null or absent means all; [] means none
	// Since (subscribe) is the last event of the graph the client has:
	// the server sends the events after it before any newer one.
	Since *uint64 `json:"since,omitempty"`
	// Frames (subscribe) picks the position frames' format: FramesV1 (the
	// default) or FramesV2; Velocities asks v2 frames to carry velocities
	// (v1 frames always do).
	Frames     string `json:"frames,omitempty"`
	Velocities bool   `json:"velocities,omitempty"`
	// Base (apply) is the seq of the graph the ops were made on: the
	// answer says how many events of others they were committed after.
	Base    *uint64        `json:"base,omitempty"`
	Ops     []graph.Op     `json:"ops,omitempty"` // apply
	Updates []agent.Status `json:"updates,omitempty"`
	Message *agent.Message `json:"message,omitempty"`
	Ack     *agent.Ack     `json:"ack,omitempty"`
	Task    *TaskMove      `json:"task,omitempty"`
	// Presence (presence): where the client is.
	Presence *Presence `json:"presence,omitempty"`
}

// TaskMove is an agent's move on a task: the body of the REST task routes
// (whose path names the task) and of the WebSocket's task messages.
type TaskMove struct {
	SwarmID  string      `json:"swarmId,omitempty"` // claimTask
	AgentID  string      `json:"agentId"`
	TaskID   string      `json:"taskId,omitempty"` // claimTask: none for the best
	Progress *float64    `json:"progress,omitempty"`
	Note     string      `json:"note,omitempty"`
	Result   string      `json:"result,omitempty"`
	Error    string      `json:"error,omitempty"`
	Subtasks []task.Spec `json:"subtasks,omitempty"`
}

// UnmarshalJSON refuses field names that are not exactly TaskMove's.
func (m *TaskMove) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, []string{"swarmId", "agentId", "taskId", "progress", "note", "result", "error", "subtasks"}); err != nil {
		return err
	}
	type plain TaskMove
	return json.Unmarshal(b, (*plain)(m))
}

var clientFields = []string{"type", "id", "graph", "streams", "since", "frames", "velocities", "base", "ops", "updates", "message", "ack", "task", "presence"}

// MaxRequestID bounds the id a client attaches to a message.
const MaxRequestID = 128

// ErrMessage is wrapped by every client message decoding error.
var ErrMessage = errors.New("malformed message")

// DecodeClientMessage decodes and checks one client message: known type,
// no unknown or misplaced fields, known streams, no trailing data.
func DecodeClientMessage(b []byte) (ClientMessage, error) {
	// encoding/json matches field names without regard to case; the
	// protocol's names are exact.
	var keys map[string]json.RawMessage
	if json.Unmarshal(b, &keys) == nil {
		for k := range keys {
			if !slices.Contains(clientFields, k) {
				return ClientMessage{}, fmt.Errorf("%w: unknown field %q", ErrMessage, k)
			}
		}
	}
	var m ClientMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return ClientMessage{}, fmt.Errorf("%w: %v", ErrMessage, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ClientMessage{}, fmt.Errorf("%w: data after the message", ErrMessage)
	}
	bad := func(format string, args ...any) (ClientMessage, error) {
		return ClientMessage{}, fmt.Errorf("%w: %s", ErrMessage, fmt.Sprintf(format, args...))
	}
	if len(m.ID) > MaxRequestID {
		return bad("id is %d bytes; the limit is %d", len(m.ID), MaxRequestID)
	}
	if m.Graph != "" {
		if err := graph.ValidateGraphID(m.Graph); err != nil {
			return bad("%v", err)
		}
	}
	// fields lists the fields each type may carry beside type and id.
	given := map[string]bool{"graph": m.Graph != "", "streams": m.Streams != nil, "since": m.Since != nil, "base": m.Base != nil, "ops": m.Ops != nil,
		"updates": m.Updates != nil, "message": m.Message != nil, "ack": m.Ack != nil, "task": m.Task != nil, "presence": m.Presence != nil,
		"frames": keys["frames"] != nil, "velocities": keys["velocities"] != nil}
	only := func(allowed ...string) error {
		for _, f := range []string{"graph", "streams", "since", "frames", "velocities", "base", "ops", "updates", "message", "ack", "task", "presence"} {
			if given[f] && !slices.Contains(allowed, f) {
				return fmt.Errorf("%w: %s takes no %s", ErrMessage, m.Type, f)
			}
		}
		return nil
	}
	var err error
	switch m.Type {
	case TypeSubscribe:
		if err = only("graph", "streams", "since", "frames", "velocities"); err != nil {
			return ClientMessage{}, err
		}
		if m.Streams == nil {
			m.Streams = slices.Clone(AllStreams)
		}
		for _, s := range m.Streams {
			if !slices.Contains(AllStreams, s) {
				return bad("unknown stream %q (want %q, %q or %q)", s, StreamPositions, StreamEvents, StreamAgents)
			}
		}
		slices.Sort(m.Streams)
		m.Streams = slices.Compact(m.Streams)
		if given["frames"] || given["velocities"] {
			if !slices.Contains(m.Streams, StreamPositions) {
				return bad("frames and velocities are options of the %q stream, which this subscribe does not ask for", StreamPositions)
			}
			if m.Frames != FramesV1 && m.Frames != FramesV2 && (given["frames"] || m.Frames != "") {
				return bad("unknown frames %q (want %q or %q)", m.Frames, FramesV1, FramesV2)
			}
			if m.Velocities && m.Frames != FramesV2 {
				return bad("velocities is an option of %q frames (%q frames always carry velocities)", FramesV2, FramesV1)
			}
		}
	case TypeApply:
		if err = only("graph", "ops", "base"); err != nil {
			return ClientMessage{}, err
		}
		if len(m.Ops) == 0 {
			return bad("apply needs ops")
		}
	case TypeUnsubscribe, TypeFullFrame:
		err = only("graph")
	case TypePing:
		err = only()
	case TypeAgentStatus:
		if err = only("updates"); err != nil {
			return ClientMessage{}, err
		}
		if len(m.Updates) == 0 {
			return bad("agentStatus needs updates")
		}
		if len(m.Updates) > agent.MaxUpdatesPerRequest {
			return bad("%d updates in one message; the limit is %d", len(m.Updates), agent.MaxUpdatesPerRequest)
		}
	case TypeSendMessage:
		if err = only("message"); err != nil {
			return ClientMessage{}, err
		}
		if m.Message == nil {
			return bad("sendMessage needs a message")
		}
	case TypeCommandAck:
		if err = only("ack"); err != nil {
			return ClientMessage{}, err
		}
		if m.Ack == nil {
			return bad("commandAck needs an ack")
		}
	case TypePresence:
		if err = only("presence"); err != nil {
			return ClientMessage{}, err
		}
		if m.Presence == nil {
			return bad("presence needs a presence")
		}
		if err := m.Presence.Check(); err != nil {
			return bad("%v", err)
		}
	case TypeClaimTask, TypePlanTask, TypeUpdateTask, TypeCompleteTask, TypeFailTask:
		if err = only("task"); err != nil {
			return ClientMessage{}, err
		}
		if m.Task == nil {
			return bad("%s needs a task", m.Type)
		}
		// An empty list is none, as it is sent again (omitempty).
		if len(m.Task.Subtasks) == 0 {
			m.Task.Subtasks = nil
		}
		for i := range m.Task.Subtasks {
			sp := &m.Task.Subtasks[i]
			for _, l := range []*[]string{&sp.Requires, &sp.Knowledge, &sp.DependsOn} {
				if len(*l) == 0 {
					*l = nil
				}
			}
		}
		if m.Task.AgentID == "" {
			return bad("%s: task.agentId is missing", m.Type)
		}
		if m.Type != TypeClaimTask && m.Task.TaskID == "" {
			return bad("%s: task.taskId is missing", m.Type)
		}
	case "":
		return bad(`"type" is missing`)
	default:
		return bad("unknown type %q", m.Type)
	}
	if err != nil {
		return ClientMessage{}, err
	}
	return m, nil
}

// Hello greets a client when it connects.
type Hello struct {
	Type         string `json:"type"` // "hello"
	Protocol     int    `json:"protocol"`
	ClientID     string `json:"clientId"`
	Server       string `json:"server"`
	DefaultGraph string `json:"defaultGraph"`
	// SettingsSeq is the id of the last settings change: a client that
	// connects again with /ws?settingsSince=N gets the changes after N
	// first (or, when they are too many, the settings whole).
	SettingsSeq int64 `json:"settingsSeq"`
}

// Subscribed confirms a subscription; a full frame follows it when
// positions are subscribed. Frames of this graph carry Stream in their
// header for as long as the subscription lasts.
type Subscribed struct {
	Type      string     `json:"type"` // "subscribed"
	ID        string     `json:"id,omitempty"`
	Graph     string     `json:"graph"`
	GraphType graph.Type `json:"graphType"`
	Streams   []string   `json:"streams"`
	Seq       uint64     `json:"seq"`    // the graph's last event
	Stream    uint16     `json:"stream"` // in position frames' headers
	// Frames is the format of the subscription's position frames
	// (FramesV1 or FramesV2; absent without positions), and Velocities
	// whether v2 frames carry velocities.
	Frames     string `json:"frames,omitempty"`
	Velocities bool   `json:"velocities,omitempty"`
	// Replayed is how many events after the subscribe's since follow
	// this answer, in order, before any newer event.
	Replayed int `json:"replayed,omitempty"`
	// Stale says the events after since cannot be replayed (too many, or
	// since is ahead of the graph): fetch the graph whole.
	Stale bool `json:"stale,omitempty"`
}

// Unsubscribed confirms an unsubscribe.
type Unsubscribed struct {
	Type  string `json:"type"` // "unsubscribed"
	ID    string `json:"id,omitempty"`
	Graph string `json:"graph,omitempty"` // empty: every subscription ended
}

// OK answers a message that carries an id and has no other answer
// (agentStatus, sendMessage, commandAck).
type OK struct {
	Type string `json:"type"` // "ok"
	ID   string `json:"id"`
}

// AgentStatus carries what changed in a swarm since the last one (sent at
// most once per stream tick, newest state winning): agents whose status
// changed, and the ids of agents that went away. The first one after a
// subscribe holds every agent.
type AgentStatus struct {
	Type    string           `json:"type"` // "agentStatus"
	Swarm   string           `json:"swarm"`
	Agents  []agent.Agent    `json:"agents"`
	Removed []string         `json:"removed,omitempty"`
	Links   []agent.LinkView `json:"links,omitempty"` // every link of the swarm, when their weights changed
}

// AgentMessage tells a swarm's subscribers that one agent messaged
// another (a pulse along their link).
type AgentMessage struct {
	Type    string         `json:"type"` // "agentMessage"
	Message agent.Message  `json:"message"`
	Link    agent.LinkView `json:"link"` // after it
}

// CommandMsg delivers an operator's command to the agent's connection.
type CommandMsg struct {
	Type    string        `json:"type"` // "command"
	Command agent.Command `json:"command"`
}

// CommandState tells a swarm's subscribers where a command stands.
type CommandState struct {
	Type    string        `json:"type"` // "commandState"
	Command agent.Command `json:"command"`
}

// TaskMsg answers a task move with the task as it now is (null when a
// claim found nothing to claim).
type TaskMsg struct {
	Type string     `json:"type"` // "task"
	ID   string     `json:"id,omitempty"`
	Task *task.Task `json:"task"`
}

// TaskProgress tells a swarm's subscribers that a task moved.
type TaskProgress struct {
	Type string     `json:"type"` // "taskProgress"
	Task *task.Task `json:"task"`
}

// TaskOffer offers a task to an agent (on the connections that report
// its status): it may claim it.
type TaskOffer struct {
	Type    string     `json:"type"` // "taskOffer"
	AgentID string     `json:"agentId"`
	Task    *task.Task `json:"task"`
}

// Focus asks the people's windows to fly to some nodes of a graph.
type Focus struct {
	Type  string   `json:"type"` // "focus"
	Graph string   `json:"graph"`
	Nodes []string `json:"nodes"`
	By    string   `json:"by"`
	Note  string   `json:"note,omitempty"`
}

// Events carries committed graph events, in order. Nodes in NodeAdded and
// NodeRemoved carry their wire ids.
type Events struct {
	Type   string        `json:"type"` // "events"
	Graph  string        `json:"graph"`
	Events []graph.Event `json:"events"`
}

// AppendJSON appends m as encoding/json writes it without HTML escaping:
// every commit of a followed graph is sent as one.
func (m *Events) AppendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = graph.AppendJSONString(b, m.Type)
	b = append(b, `,"graph":`...)
	b = graph.AppendJSONString(b, m.Graph)
	if m.Events == nil {
		return append(b, `,"events":null}`...)
	}
	b = append(b, `,"events":[`...)
	for i := range m.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = m.Events[i].AppendJSON(b)
	}
	return append(b, "]}"...)
}

// Reload says a graph changed too much to send event by event (an import,
// a replacement, a deletion): fetch it again over REST. Deleted says
// whether it is gone.
type Reload struct {
	Type    string `json:"type"` // "reload"
	Graph   string `json:"graph"`
	Seq     uint64 `json:"seq"`
	Deleted bool   `json:"deleted,omitempty"`
}

// Settings carries applied settings changes.
type Settings struct {
	Type   string           `json:"type"` // "settings"
	Deltas []settings.Delta `json:"deltas"`
	// Values, when present, are every setting's value after Deltas: sent
	// to a client that resumes from too old a change.
	Values map[string]json.RawMessage `json:"values,omitempty"`
}

// Applied answers an apply: the ops were committed as these events.
type Applied struct {
	Type   string        `json:"type"` // "applied"
	ID     string        `json:"id,omitempty"`
	Graph  string        `json:"graph"`
	Events []graph.Event `json:"events"`
	// Rebased is how many events of others were committed between the
	// apply's base and these (0 without a base).
	Rebased uint64 `json:"rebased,omitempty"`
}

// Error answers a message that could not be carried out.
type Error struct {
	Type   string `json:"type"` // "error"
	ID     string `json:"id,omitempty"`
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// Pong answers a ping.
type Pong struct {
	Type string `json:"type"` // "pong"
	ID   string `json:"id,omitempty"`
}

// ServerMessage is what a client decodes first: the type, and the rest to
// decode once the type is known.
type ServerMessage struct {
	Type string `json:"type"`
}
