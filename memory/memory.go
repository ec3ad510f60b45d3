// Package memory is what agents remember: memories (text an agent keeps,
// with a type, an importance and links to knowledge nodes), the Embedder
// that turns text into vectors (a local one that needs nothing installed),
// an exact cosine index to recall them by meaning, and the codec that
// keeps large contents compressed. It does no I/O.
package memory

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"visionflow/graph"
	"visionflow/internal/strictjson"
)

// Memory is one thing an agent remembers.
type Memory struct {
	ID         string    `json:"id"`
	Swarm      string    `json:"swarmId,omitempty"`
	Agent      string    `json:"agentId"`
	Type       string    `json:"type"`
	Content    string    `json:"content"`
	Importance float64   `json:"importance"`      // 0–1
	Given      bool      `json:"importanceGiven"` // by the agent, else computed
	Links      []string  `json:"links"`           // knowledge node ids
	Size       int       `json:"size"`            // bytes of content
	Compressed bool      `json:"compressed"`      // stored compressed
	Embedder   string    `json:"embedder"`        // what made its vector
	Fallback   string    `json:"fallback,omitempty"`
	Created    time.Time `json:"created"`
}

// Types are the kinds of memory VisionFlow names; others of the same form
// are allowed.
var Types = []string{"observation", "fact", "plan", "result", "reflection", "message", "decision"}

// Limits on what a memory may hold and what a search may ask.
const (
	MaxContentBytes = 1 << 20
	MaxLinks        = 64
	MaxK            = 100
	DefaultK        = 10
	MaxQueryBytes   = 4 << 10
)

var typeRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// Input is what an agent asks to remember.
type Input struct {
	AgentID    string   `json:"agentId"`
	SwarmID    string   `json:"swarmId,omitempty"`
	Content    string   `json:"content"`
	Type       string   `json:"type"`
	Importance *float64 `json:"importance,omitempty"`
	Links      []string `json:"links,omitempty"`
}

var inputFields = []string{"agentId", "swarmId", "content", "type", "importance", "links"}

// UnmarshalJSON refuses field names that are not exactly Input's.
func (in *Input) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, inputFields); err != nil {
		return err
	}
	type plain Input
	return json.Unmarshal(b, (*plain)(in))
}

func invalid(field, format string, args ...any) error {
	return &graph.Error{Kind: graph.ErrInvalid, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// Validate checks an input's fields, naming the first that is wrong.
func (in *Input) Validate() error {
	if err := graph.ValidateID("agentId", in.AgentID); err != nil {
		return err
	}
	if in.SwarmID != "" {
		if err := graph.ValidateID("swarmId", in.SwarmID); err != nil {
			return err
		}
	}
	switch {
	case strings.TrimSpace(in.Content) == "":
		return invalid("content", "say what to remember")
	case len(in.Content) > MaxContentBytes:
		return &graph.Error{Kind: graph.ErrTooLarge, Field: "content", Detail: fmt.Sprintf("is %d bytes; a memory holds at most %d (1 MiB): split it, or link to where it lives", len(in.Content), MaxContentBytes)}
	case !utf8.ValidString(in.Content):
		return invalid("content", "is not valid UTF-8")
	case !typeRE.MatchString(in.Type):
		return invalid("type", "%q is not a memory type: a lower-case word such as %s", in.Type, strings.Join(Types, ", "))
	case in.Importance != nil && (math.IsNaN(*in.Importance) || *in.Importance < 0 || *in.Importance > 1):
		return invalid("importance", "is %v; want a number from 0 to 1", *in.Importance)
	case len(in.Links) > MaxLinks:
		return invalid("links", "names %d nodes; at most %d", len(in.Links), MaxLinks)
	}
	for i, l := range in.Links {
		if err := graph.ValidateID(fmt.Sprintf("links[%d]", i), l); err != nil {
			return err
		}
		if slices.Contains(in.Links[:i], l) {
			return invalid(fmt.Sprintf("links[%d]", i), "%q is named twice", l)
		}
	}
	return nil
}

// BaseImportance is a memory's importance when its agent gives none: more
// for longer contents, more links, and the kinds that record outcomes.
// Recency counts at search time (Rank).
func BaseImportance(content, typ string, links int) float64 {
	v := 0.3
	v += 0.25 * math.Sqrt(min(1, float64(len(content))/2000))
	v += 0.15 * min(1, float64(links)/4)
	switch typ {
	case "fact", "result", "decision":
		v += 0.15
	case "plan", "reflection":
		v += 0.08
	}
	return min(1, v)
}

// HalfLife is how long a memory takes to lose half its recency.
const HalfLife = 7 * 24 * time.Hour

// Rank is a memory's score for a query: its cosine similarity, weighted by
// its importance and recency, so that of two equally close memories the
// important and recent one comes first.
func Rank(cosine, importance float64, age time.Duration) float64 {
	recency := math.Exp2(-max(0, age.Hours()) / HalfLife.Hours())
	return cosine * (0.7 + 0.2*importance + 0.1*recency)
}

// Query is a search of memories.
type Query struct {
	Text  string
	K     int
	Agent string // "" for every agent's
	Type  string // "" for every type
	Swarm string // "" for every swarm's
}

// Validate checks a query and fills in its defaults.
func (q *Query) Validate() error {
	switch {
	case strings.TrimSpace(q.Text) == "":
		return invalid("q", "say what to search for")
	case len(q.Text) > MaxQueryBytes:
		return invalid("q", "is %d bytes; at most %d", len(q.Text), MaxQueryBytes)
	case q.K == 0:
		q.K = DefaultK
	case q.K < 0 || q.K > MaxK:
		return invalid("k", "is %d; ask for 1 to %d memories", q.K, MaxK)
	}
	if q.Agent != "" {
		if err := graph.ValidateID("agent", q.Agent); err != nil {
			return err
		}
	}
	if q.Type != "" && !typeRE.MatchString(q.Type) {
		return invalid("type", "%q is not a memory type", q.Type)
	}
	return nil
}

// Hit is a memory found by a search.
type Hit struct {
	Memory Memory  `json:"memory"`
	Cosine float64 `json:"cosine"`
	Score  float64 `json:"score"` // Rank's
}

// Result is what a search found, and how.
type Result struct {
	Hits     []Hit  `json:"hits"`
	Embedder string `json:"embedder"`           // what embedded the query
	Fallback string `json:"fallback,omitempty"` // why not the configured embedder
	Searched int    `json:"searched"`           // memories compared
	Skipped  int    `json:"skipped"`            // memories of other embedders, not comparable
}
