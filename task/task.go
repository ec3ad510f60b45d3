// Package task is the work a swarm does: tasks that may be split into a
// DAG of subtasks, the states a task goes through (planned, ready, claimed
// under a lease, done, failed and retried with backoff, dead-lettered,
// cancelled), and the rules of moving between them. A Board holds the live
// tasks and computes each move without changing anything, so the caller
// can store the result before it takes effect. It does no I/O.
package task

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"

	"visionflow/graph"
	"visionflow/internal/strictjson"
)

// State is where a task is.
type State string

const (
	Planning  State = "planning"  // waiting for a planner to split it
	Pending   State = "pending"   // waiting for its dependencies
	Ready     State = "ready"     // can be claimed
	Claimed   State = "claimed"   // an agent holds it under a lease
	Failed    State = "failed"    // an attempt failed; retried at RetryAt
	Dead      State = "dead"      // out of attempts: in the dead-letter queue
	Done      State = "done"      // finished, with a result
	Cancelled State = "cancelled" // withdrawn by an operator
	Running   State = "running"   // split: its subtasks are under way
)

// States lists every state.
var States = []State{Planning, Pending, Ready, Claimed, Failed, Dead, Done, Cancelled, Running}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Final reports whether nothing more happens to a task in this state (but
// an operator's retry of a dead one).
func (s State) Final() bool { return s == Done || s == Cancelled || s == Dead }

// Task is one unit of work, or a parent of subtasks.
type Task struct {
	ID          string    `json:"id"`
	Swarm       string    `json:"swarmId"`
	Parent      string    `json:"parent,omitempty"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Priority    int       `json:"priority"`
	Requires    []string  `json:"requires"`
	Knowledge   []string  `json:"knowledge"`
	DependsOn   []string  `json:"dependsOn"`
	Subtasks    []string  `json:"subtasks"`
	State       State     `json:"state"`
	Progress    float64   `json:"progress"`
	Note        string    `json:"note,omitempty"`
	Result      string    `json:"result,omitempty"`
	Agent       string    `json:"agent,omitempty"` // who holds or last held it
	LeaseUntil  time.Time `json:"leaseUntil,omitzero"`
	RetryAt     time.Time `json:"retryAt,omitzero"`
	Attempts    []Attempt `json:"attempts"`
	MaxAttempts int       `json:"maxAttempts"`
	By          string    `json:"by"` // who submitted it
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// Attempt is one claim of a task and how it ended.
type Attempt struct {
	Agent   string    `json:"agent"`
	Claimed time.Time `json:"claimed"`
	Ended   time.Time `json:"ended,omitzero"`
	Outcome string    `json:"outcome,omitempty"` // done, failed, expired, cancelled
	Error   string    `json:"error,omitempty"`
}

// Clone returns a copy that shares nothing mutable with t.
func (t *Task) Clone() *Task {
	c := *t
	c.Requires = slices.Clone(t.Requires)
	c.Knowledge = slices.Clone(t.Knowledge)
	c.DependsOn = slices.Clone(t.DependsOn)
	c.Subtasks = slices.Clone(t.Subtasks)
	c.Attempts = slices.Clone(t.Attempts)
	return &c
}

// Leaf reports whether the task is claimed itself rather than split.
func (t *Task) Leaf() bool { return len(t.Subtasks) == 0 && t.State != Planning && t.State != Running }

// Limits on what a submission may hold.
const (
	MaxTitleBytes       = 512
	MaxDescriptionBytes = 16 << 10
	MaxResultBytes      = 64 << 10
	MaxNoteBytes        = 4 << 10
	MaxSubtasks         = 1000
	MaxRequires         = 32
	MaxKnowledge        = 256
	MaxPriority         = 100
)

var capabilityRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidCapability reports whether c is a capability name: lower-case
// letters, digits, '.', '_' and '-', starting with a letter or digit, at
// most 64 bytes.
func ValidCapability(c string) bool { return capabilityRE.MatchString(c) }

// Spec describes a task or a subtask to make.
type Spec struct {
	Key         string   `json:"key,omitempty"` // a subtask's name within its submission, for dependsOn
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Priority    int      `json:"priority,omitempty"`
	Requires    []string `json:"requires,omitempty"`
	Knowledge   []string `json:"knowledge,omitempty"`
	DependsOn   []string `json:"dependsOn,omitempty"` // keys of sibling subtasks
}

// Submission is a new task, optionally split into a DAG of subtasks.
type Submission struct {
	SwarmID     string   `json:"swarmId"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Priority    int      `json:"priority,omitempty"`
	Requires    []string `json:"requires,omitempty"`
	Knowledge   []string `json:"knowledge,omitempty"`
	Subtasks    []Spec   `json:"subtasks,omitempty"`
}

// Spec is the submission's own task as a spec.
func (s *Submission) Spec() Spec {
	return Spec{Title: s.Title, Description: s.Description, Priority: s.Priority, Requires: s.Requires, Knowledge: s.Knowledge}
}

var specFields = []string{"key", "title", "description", "priority", "requires", "knowledge", "dependsOn"}

// UnmarshalJSON refuses field names that are not exactly Spec's.
func (s *Spec) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, specFields); err != nil {
		return err
	}
	type plain Spec
	return json.Unmarshal(b, (*plain)(s))
}

// UnmarshalJSON refuses field names that are not exactly Submission's.
func (s *Submission) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, []string{"swarmId", "title", "description", "priority", "requires", "knowledge", "subtasks"}); err != nil {
		return err
	}
	type plain Submission
	return json.Unmarshal(b, (*plain)(s))
}

func invalid(field, format string, args ...any) error {
	return &graph.Error{Kind: graph.ErrInvalid, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// validate checks one spec; field prefixes the errors' field names.
func (s *Spec) validate(field string, top bool) error {
	f := func(name string) string {
		if field == "" {
			return name
		}
		return field + "." + name
	}
	if s.Title == "" {
		return invalid(f("title"), "must not be empty")
	}
	if err := graph.ValidateText(f("title"), s.Title, MaxTitleBytes); err != nil {
		return err
	}
	if err := graph.ValidateText(f("description"), s.Description, MaxDescriptionBytes); err != nil {
		return err
	}
	if s.Priority < 0 || s.Priority > MaxPriority {
		return invalid(f("priority"), "is %d; want 0 to %d", s.Priority, MaxPriority)
	}
	if len(s.Requires) > MaxRequires {
		return &graph.Error{Kind: graph.ErrTooLarge, Field: f("requires"), Detail: fmt.Sprintf("has %d capabilities; the limit is %d", len(s.Requires), MaxRequires)}
	}
	for i, c := range s.Requires {
		if !ValidCapability(c) {
			return invalid(fmt.Sprintf("%s[%d]", f("requires"), i), "%q is not a capability (lower-case letters, digits, '.', '_' and '-', at most 64 bytes)", c)
		}
	}
	if len(s.Knowledge) > MaxKnowledge {
		return &graph.Error{Kind: graph.ErrTooLarge, Field: f("knowledge"), Detail: fmt.Sprintf("has %d nodes; the limit is %d", len(s.Knowledge), MaxKnowledge)}
	}
	for i, k := range s.Knowledge {
		if err := graph.ValidateID(fmt.Sprintf("%s[%d]", f("knowledge"), i), k); err != nil {
			return err
		}
	}
	if top && (s.Key != "" || len(s.DependsOn) > 0) {
		return invalid(f("dependsOn"), "a task's subtasks depend on each other; the task itself has no key or dependencies")
	}
	return nil
}

// ValidateSpecs checks a DAG of subtasks: each valid, keys unique, every
// dependency a key of the same list, and no cycle. field names the list
// in errors (such as "subtasks").
func ValidateSpecs(field string, specs []Spec) error {
	if len(specs) > MaxSubtasks {
		return &graph.Error{Kind: graph.ErrTooLarge, Field: field, Detail: fmt.Sprintf("has %d subtasks; the limit is %d", len(specs), MaxSubtasks)}
	}
	keys := map[string]int{}
	for i := range specs {
		s := &specs[i]
		item := fmt.Sprintf("%s[%d]", field, i)
		if err := s.validate(item, false); err != nil {
			return err
		}
		if s.Key == "" {
			continue
		}
		if err := graph.ValidateID(item+".key", s.Key); err != nil {
			return err
		}
		if j, dup := keys[s.Key]; dup {
			return invalid(item+".key", "%q is the key of %s[%d] too", s.Key, field, j)
		}
		keys[s.Key] = i
	}
	for i := range specs {
		for j, d := range specs[i].DependsOn {
			item := fmt.Sprintf("%s[%d].dependsOn[%d]", field, i, j)
			k, ok := keys[d]
			switch {
			case !ok:
				return invalid(item, "%q is not the key of a subtask of this list", d)
			case k == i:
				return invalid(item, "a subtask does not depend on itself")
			}
		}
	}
	// Kahn's algorithm: what is left over lies on a cycle.
	indeg := make([]int, len(specs))
	out := make([][]int, len(specs))
	for i := range specs {
		for _, d := range specs[i].DependsOn {
			k := keys[d]
			out[k] = append(out[k], i)
			indeg[i]++
		}
	}
	var queue []int
	for i, n := range indeg {
		if n == 0 {
			queue = append(queue, i)
		}
	}
	seen := 0
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		seen++
		for _, j := range out[i] {
			if indeg[j]--; indeg[j] == 0 {
				queue = append(queue, j)
			}
		}
	}
	if seen < len(specs) {
		for i, n := range indeg {
			if n > 0 {
				return invalid(fmt.Sprintf("%s[%d].dependsOn", field, i), "subtask %q is on a dependency cycle", specs[i].Key)
			}
		}
	}
	return nil
}

// Validate checks a submission.
func (s *Submission) Validate() error {
	if s.SwarmID == "" {
		return invalid("swarmId", "must not be empty")
	}
	if err := graph.ValidateGraphID(s.SwarmID); err != nil {
		return invalid("swarmId", "%v", err.(*graph.Error).Detail)
	}
	top := s.Spec()
	if err := top.validate("", true); err != nil {
		return err
	}
	return ValidateSpecs("subtasks", s.Subtasks)
}

// DeadLetter is work that failed after its retries (a task, an embedding,
// …), kept with every attempt's error until an operator retries or
// discards it.
type DeadLetter struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"` // task, embedding, …
	Ref     string    `json:"ref"`  // the task id, memory id, …
	Swarm   string    `json:"swarm,omitempty"`
	State   string    `json:"state"` // open, retried, discarded
	Title   string    `json:"title"`
	Errors  []string  `json:"errors"`       // every attempt's, oldest first
	By      string    `json:"by,omitempty"` // who retried or discarded it
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Payload is the work itself when nothing else keeps it (a telemetry
	// report a window could not deliver).
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Kinds of dead letter.
const (
	KindTask      = "task"
	KindEmbedding = "embedding"
	KindTelemetry = "telemetry"
)

// Handed is work a client hands to the dead-letter queue after its own
// retries failed: only kinds the server can retry (telemetry reports).
type Handed struct {
	Kind    string          `json:"kind"`
	Title   string          `json:"title"`
	Errors  []string        `json:"errors"`
	Payload json.RawMessage `json:"payload"`
}

// MaxPayloadBytes bounds a handed letter's payload.
const MaxPayloadBytes = 64 << 10

var handedFields = []string{"kind", "title", "errors", "payload"}

// UnmarshalJSON refuses field names that are not exactly Handed's.
func (h *Handed) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, handedFields); err != nil {
		return err
	}
	type plain Handed
	return json.Unmarshal(b, (*plain)(h))
}

// Validate checks a handed letter's form (the kind's own check of the
// payload is the caller's).
func (h *Handed) Validate() error {
	switch {
	case h.Kind != KindTelemetry:
		return invalid("kind", "%q: a client hands over only %q work (tasks and embeddings are the server's own)", h.Kind, KindTelemetry)
	case len(h.Errors) == 0 || len(h.Errors) > 100:
		return invalid("errors", "give the errors of the attempts, 1 to 100")
	case len(h.Payload) == 0 || len(h.Payload) > MaxPayloadBytes:
		return invalid("payload", "is %d bytes; give the work, at most %d bytes", len(h.Payload), MaxPayloadBytes)
	}
	if err := graph.ValidateText("title", h.Title, MaxTitleBytes); err != nil {
		return err
	}
	for i, e := range h.Errors {
		if err := graph.ValidateText(fmt.Sprintf("errors[%d]", i), e, MaxNoteBytes); err != nil {
			return err
		}
	}
	return nil
}

// States of a dead letter.
const (
	LetterOpen      = "open"
	LetterRetried   = "retried"
	LetterDiscarded = "discarded"
)

// Letter is the dead letter of a task that went dead.
func (t *Task) Letter(id string, now time.Time) DeadLetter {
	d := DeadLetter{ID: id, Kind: KindTask, Ref: t.ID, Swarm: t.Swarm, State: LetterOpen, Title: t.Title, Errors: []string{}, Created: now, Updated: now}
	for _, a := range t.Attempts {
		if a.Error != "" {
			d.Errors = append(d.Errors, a.Error)
		}
	}
	return d
}
