// Package agent is the domain of the AI agents that join a session: their
// states, the status updates they report, the live view of an agent, the
// interaction links between agents (weights that grow with traffic and
// decay with silence), operator commands, messages and telemetry, each with
// its validation. It does no I/O.
package agent

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"visionflow/graph"
	"visionflow/internal/strictjson"
)

// State is what an agent is doing.
type State string

const (
	Idle          State = "idle"
	Thinking      State = "thinking"
	Executing     State = "executing"
	Collaborating State = "collaborating"
	Blocked       State = "blocked"
	Error         State = "error"
)

// States lists every state in the order of their wire codes (1 to 6).
var States = []State{Idle, Thinking, Executing, Collaborating, Blocked, Error}

// Code is the state's number on the binary stream: 1 to 6, 0 for an
// unknown state.
func (s State) Code() uint8 {
	for i, t := range States {
		if t == s {
			return uint8(i + 1)
		}
	}
	return 0
}

// StateOf returns the state with a wire code ("" for 0 or an unknown code).
func StateOf(code uint8) State {
	if code == 0 || int(code) > len(States) {
		return ""
	}
	return States[code-1]
}

// Valid reports whether s is one of the known states.
func (s State) Valid() bool { return s.Code() != 0 }

// Limits on one status update: an agent reports often, so what one report
// may carry is small.
const (
	MaxNameBytes         = 256
	MaxTypeBytes         = 64
	MaxTaskBytes         = 1024
	MaxCapabilities      = 64
	MaxCapabilityBytes   = 64
	MaxCollaborators     = 256
	MaxWorkingOn         = 256
	MaxUpdatesPerRequest = 10_000
	// MaxAgentsPerSwarm bounds a swarm: a client cannot grow the
	// session's memory without end by inventing agents.
	MaxAgentsPerSwarm = 100_000
	// MaxFutureSkew is how far ahead of the server's clock a report's
	// timestamp may be.
	MaxFutureSkew = time.Minute
)

// Status is one status update from an agent (the seed's
// AgentStatusUpdate, with what an operator needs beside it). Optional
// numbers are pointers, so that "not reported" differs from zero.
type Status struct {
	AgentID           string    `json:"agentId"`
	SwarmID           string    `json:"swarmId"`
	State             State     `json:"state"`
	CurrentTask       string    `json:"currentTask,omitempty"`
	Progress          *float64  `json:"progress,omitempty"` // 0–100
	CollaboratingWith []string  `json:"collaboratingWith,omitempty"`
	Timestamp         time.Time `json:"timestamp,omitzero"` // when the agent observed it; the server's time when absent

	Name         string   `json:"name,omitempty"`
	Type         string   `json:"type,omitempty"` // coordinator, researcher, coder, …
	Capabilities []string `json:"capabilities,omitempty"`
	Health       *float64 `json:"health,omitempty"` // 0–100
	Tokens       *int64   `json:"tokens,omitempty"`
	TokenRate    *float64 `json:"tokenRate,omitempty"` // tokens per second
	// WorkingOn names the knowledge nodes the agent reads or edits, in the
	// swarm's knowledge graph.
	WorkingOn []string `json:"workingOn,omitempty"`
	// KnowledgeGraph is the knowledge graph the swarm works on; the first
	// report of a swarm sets it (default: the session's default graph),
	// and later ones must agree.
	KnowledgeGraph string `json:"knowledgeGraph,omitempty"`
}

// StatusFields are the JSON names of Status's fields, for decoders that
// refuse unknown ones.
var StatusFields = []string{"agentId", "swarmId", "state", "currentTask", "progress", "collaboratingWith", "timestamp",
	"name", "type", "capabilities", "health", "tokens", "tokenRate", "workingOn", "knowledgeGraph"}

// UnmarshalJSON decodes a status, refusing field names that are not
// exactly Status's.
func (u *Status) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, StatusFields); err != nil {
		return err
	}
	type plain Status
	return json.Unmarshal(b, (*plain)(u))
}

func invalid(field, format string, args ...any) error {
	return &graph.Error{Kind: graph.ErrInvalid, Field: field, Detail: fmt.Sprintf(format, args...)}
}

func tooLarge(field string, n, limit int, unit string) error {
	return &graph.Error{Kind: graph.ErrTooLarge, Field: field, Detail: fmt.Sprintf("has %d %s; the limit is %d", n, unit, limit)}
}

// Validate checks an update on its own (whether the agents it names exist
// is the session's question). field prefixes every field name in errors,
// such as "updates[3]". now is the server's time, for the timestamp.
func (u *Status) Validate(field string, now time.Time) error {
	f := func(name string) string {
		if field == "" {
			return name
		}
		return field + "." + name
	}
	if err := graph.ValidateID(f("agentId"), u.AgentID); err != nil {
		return err
	}
	if u.SwarmID == "" {
		return invalid(f("swarmId"), "must not be empty")
	}
	if err := graph.ValidateGraphID(u.SwarmID); err != nil {
		return invalid(f("swarmId"), "%v", err.(*graph.Error).Detail)
	}
	if u.KnowledgeGraph != "" {
		if err := graph.ValidateGraphID(u.KnowledgeGraph); err != nil {
			return invalid(f("knowledgeGraph"), "%v", err.(*graph.Error).Detail)
		}
	}
	if !u.State.Valid() {
		return invalid(f("state"), "%q is not a state (want idle, thinking, executing, collaborating, blocked or error)", string(u.State))
	}
	if err := graph.ValidateText(f("currentTask"), u.CurrentTask, MaxTaskBytes); err != nil {
		return err
	}
	if err := percent(f("progress"), u.Progress); err != nil {
		return err
	}
	if err := percent(f("health"), u.Health); err != nil {
		return err
	}
	if u.Tokens != nil && *u.Tokens < 0 {
		return invalid(f("tokens"), "is %d; it must not be negative", *u.Tokens)
	}
	if u.TokenRate != nil && (math.IsNaN(*u.TokenRate) || math.IsInf(*u.TokenRate, 0) || *u.TokenRate < 0 || *u.TokenRate > 1e9) {
		return invalid(f("tokenRate"), "is %v; want a number from 0 to 1e9", *u.TokenRate)
	}
	if err := graph.ValidateText(f("name"), u.Name, MaxNameBytes); err != nil {
		return err
	}
	if err := graph.ValidateText(f("type"), u.Type, MaxTypeBytes); err != nil {
		return err
	}
	if err := idList(f("capabilities"), u.Capabilities, MaxCapabilities, MaxCapabilityBytes); err != nil {
		return err
	}
	if err := idList(f("collaboratingWith"), u.CollaboratingWith, MaxCollaborators, graph.MaxIDBytes); err != nil {
		return err
	}
	for i, c := range u.CollaboratingWith {
		if c == u.AgentID {
			return invalid(fmt.Sprintf("%s[%d]", f("collaboratingWith"), i), "an agent does not collaborate with itself")
		}
	}
	if err := idList(f("workingOn"), u.WorkingOn, MaxWorkingOn, graph.MaxIDBytes); err != nil {
		return err
	}
	if !u.Timestamp.IsZero() && u.Timestamp.After(now.Add(MaxFutureSkew)) {
		return invalid(f("timestamp"), "%s is more than %v ahead of the server's clock", u.Timestamp.Format(time.RFC3339), MaxFutureSkew)
	}
	return nil
}

func percent(field string, v *float64) error {
	if v != nil && (math.IsNaN(*v) || *v < 0 || *v > 100) {
		return invalid(field, "is %v; want a number from 0 to 100", *v)
	}
	return nil
}

// idList checks a list of ids: at most limit entries, each a valid id of at
// most bytes, no duplicates.
func idList(field string, ids []string, limit, bytes int) error {
	if len(ids) > limit {
		return tooLarge(field, len(ids), limit, "entries")
	}
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		item := fmt.Sprintf("%s[%d]", field, i)
		if err := graph.ValidateID(item, id); err != nil {
			return err
		}
		if len(id) > bytes {
			return &graph.Error{Kind: graph.ErrTooLarge, Field: item, Detail: fmt.Sprintf("is %d bytes; the limit is %d", len(id), bytes)}
		}
		if seen[id] {
			return invalid(item, "%q is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}
