package agent

import (
	"encoding/json"
	"fmt"
	"time"

	"visionflow/graph"
	"visionflow/internal/strictjson"
)

// CommandKind is what an operator asks of an agent.
type CommandKind string

const (
	Pause    CommandKind = "pause"
	Resume   CommandKind = "resume"
	Halt     CommandKind = "halt"
	Redirect CommandKind = "redirect" // work on Text instead
)

// CommandKinds lists every kind.
var CommandKinds = []CommandKind{Pause, Resume, Halt, Redirect}

// CommandState is where a command is on its way to the agent.
type CommandState string

const (
	Queued    CommandState = "queued"    // waiting for the agent to take it
	Delivered CommandState = "delivered" // sent on the agent's WebSocket or taken through next_command
	Acked     CommandState = "acked"     // the agent carried it out
	Refused   CommandState = "refused"   // the agent answered that it could not
)

// MaxCommandText bounds a redirect's new task and an agent's note.
const MaxCommandText = 4 << 10

// Command is an operator's command to one agent, with its history.
type Command struct {
	ID          string       `json:"id"`
	Swarm       string       `json:"swarm"`
	Agent       string       `json:"agentId"`
	Kind        CommandKind  `json:"kind"`
	Text        string       `json:"text,omitempty"`
	By          string       `json:"by"` // who asked
	State       CommandState `json:"state"`
	QueuedAt    time.Time    `json:"queuedAt"`
	DeliveredAt *time.Time   `json:"deliveredAt,omitempty"`
	AckedAt     *time.Time   `json:"ackedAt,omitempty"`
	Note        string       `json:"note,omitempty"` // the agent's answer
}

// CommandRequest is what an operator sends.
type CommandRequest struct {
	Kind CommandKind `json:"kind"`
	Text string      `json:"text,omitempty"`
}

// Validate checks a request.
func (r *CommandRequest) Validate() error {
	switch r.Kind {
	case Pause, Resume, Halt:
		if r.Text != "" {
			return invalid("text", "%s takes no text; only redirect does", r.Kind)
		}
	case Redirect:
		if r.Text == "" {
			return invalid("text", "redirect needs the new task as text")
		}
		if err := graph.ValidateText("text", r.Text, MaxCommandText); err != nil {
			return err
		}
	default:
		return invalid("kind", "%q is not a command (want pause, resume, halt or redirect)", string(r.Kind))
	}
	return nil
}

// Control is the state an agent is in once it has carried out a command
// of this kind.
func (k CommandKind) Control() string {
	switch k {
	case Pause:
		return "paused"
	case Halt:
		return "halted"
	}
	return "running"
}

// Ack is an agent's answer to a command.
type Ack struct {
	CommandID string `json:"commandId"`
	OK        bool   `json:"ok"`
	Note      string `json:"note,omitempty"`
}

// Validate checks an ack.
func (a *Ack) Validate() error {
	if a.CommandID == "" {
		return invalid("commandId", "must not be empty")
	}
	if err := graph.ValidateID("commandId", a.CommandID); err != nil {
		return err
	}
	return graph.ValidateText("note", a.Note, MaxCommandText)
}

// Message is one agent's message to another: it becomes an interaction
// (a link that grows with traffic) and a pulse in the window.
type Message struct {
	Swarm string    `json:"swarmId"`
	From  string    `json:"from"`
	To    string    `json:"to"`
	Kind  string    `json:"kind,omitempty"` // "message" (default) or "handoff"
	Text  string    `json:"text,omitempty"`
	At    time.Time `json:"at,omitzero"` // set by the server
}

// MaxMessageText bounds a message's text.
const MaxMessageText = 16 << 10

// Validate checks a message on its own (whether both agents exist is the
// session's question).
func (m *Message) Validate() error {
	if m.Swarm == "" {
		return invalid("swarmId", "must not be empty")
	}
	if err := graph.ValidateGraphID(m.Swarm); err != nil {
		return invalid("swarmId", "%v", err.(*graph.Error).Detail)
	}
	if err := graph.ValidateID("from", m.From); err != nil {
		return err
	}
	if err := graph.ValidateID("to", m.To); err != nil {
		return err
	}
	if m.From == m.To {
		return invalid("to", "an agent does not message itself")
	}
	switch m.Kind {
	case "":
		m.Kind = Messaging
	case Messaging, Handoff:
	default:
		return invalid("kind", "%q is not a message kind (want %q or %q)", m.Kind, Messaging, Handoff)
	}
	return graph.ValidateText("text", m.Text, MaxMessageText)
}

// String describes a command for logs.
func (c *Command) String() string {
	return fmt.Sprintf("%s %s to %s/%s (%s)", c.ID, c.Kind, c.Swarm, c.Agent, c.State)
}

// UnmarshalJSON refuses field names that are not exactly the request's.
func (r *CommandRequest) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, []string{"kind", "text"}); err != nil {
		return err
	}
	type plain CommandRequest
	return json.Unmarshal(b, (*plain)(r))
}

// UnmarshalJSON refuses field names that are not exactly the ack's.
func (a *Ack) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, []string{"commandId", "ok", "note"}); err != nil {
		return err
	}
	type plain Ack
	return json.Unmarshal(b, (*plain)(a))
}

// UnmarshalJSON refuses field names that are not exactly the message's.
func (m *Message) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, []string{"swarmId", "from", "to", "kind", "text", "at"}); err != nil {
		return err
	}
	type plain Message
	return json.Unmarshal(b, (*plain)(m))
}
