// Package telemetry is the seed's TelemetryMetrics: what a server, a
// window or an agent runner reports about itself every so often, and its
// validation. It does no I/O.
package telemetry

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"visionflow/graph"
	"visionflow/internal/strictjson"
)

// Metrics is one telemetry report (the seed's TelemetryMetrics). Counts
// are totals since the reporter started; SessionID tells reporters apart.
type Metrics struct {
	AgentSpawns         int64     `json:"agentSpawns"`
	ActiveAgents        int64     `json:"activeAgents"`
	CompletedTasks      int64     `json:"completedTasks"`
	FailedTasks         int64     `json:"failedTasks"`
	WebSocketMessages   int64     `json:"webSocketMessages"`
	RestAPICalls        int64     `json:"restApiCalls"`
	CollaborationEvents int64     `json:"collaborationEvents"`
	AverageFrameTime    float64   `json:"averageFrameTime"` // milliseconds
	RenderCycles        int64     `json:"renderCycles"`
	MemoryUsage         float64   `json:"memoryUsage"` // bytes
	ErrorCount          int64     `json:"errorCount"`
	Timestamp           time.Time `json:"timestamp,omitzero"` // the server's time when absent
	SessionID           string    `json:"sessionId"`
}

// Fields are the JSON names of Metrics's fields.
var Fields = []string{"agentSpawns", "activeAgents", "completedTasks", "failedTasks", "webSocketMessages", "restApiCalls",
	"collaborationEvents", "averageFrameTime", "renderCycles", "memoryUsage", "errorCount", "timestamp", "sessionId"}

// UnmarshalJSON refuses field names that are not exactly Metrics's.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	if err := strictjson.CheckKeys(b, Fields); err != nil {
		return err
	}
	type plain Metrics
	return json.Unmarshal(b, (*plain)(m))
}

// MaxCount bounds every count (far above anything real, well inside what
// JSON numbers carry exactly).
const MaxCount = 1 << 50

// MaxSessionIDBytes bounds SessionID.
const MaxSessionIDBytes = 128

// MaxPerRequest is the most reports one request may carry.
const MaxPerRequest = 1000

// Validate checks a report; field prefixes field names in errors. now is
// the server's time.
func (m *Metrics) Validate(field string, now time.Time) error {
	f := func(name string) string {
		if field == "" {
			return name
		}
		return field + "." + name
	}
	bad := func(name, format string, args ...any) error {
		return &graph.Error{Kind: graph.ErrInvalid, Field: f(name), Detail: fmt.Sprintf(format, args...)}
	}
	if m.SessionID == "" {
		return bad("sessionId", "must not be empty")
	}
	if err := graph.ValidateID(f("sessionId"), m.SessionID); err != nil {
		return err
	}
	if len(m.SessionID) > MaxSessionIDBytes {
		return bad("sessionId", "is %d bytes; the limit is %d", len(m.SessionID), MaxSessionIDBytes)
	}
	counts := []struct {
		name string
		v    int64
	}{
		{"agentSpawns", m.AgentSpawns}, {"activeAgents", m.ActiveAgents}, {"completedTasks", m.CompletedTasks},
		{"failedTasks", m.FailedTasks}, {"webSocketMessages", m.WebSocketMessages}, {"restApiCalls", m.RestAPICalls},
		{"collaborationEvents", m.CollaborationEvents}, {"renderCycles", m.RenderCycles}, {"errorCount", m.ErrorCount},
	}
	for _, c := range counts {
		if c.v < 0 || c.v > MaxCount {
			return bad(c.name, "is %d; want a count from 0 to 2^50", c.v)
		}
	}
	for _, x := range []struct {
		name string
		v    float64
		max  float64
	}{{"averageFrameTime", m.AverageFrameTime, 3.6e6}, {"memoryUsage", m.MemoryUsage, 1 << 50}} {
		if math.IsNaN(x.v) || x.v < 0 || x.v > x.max {
			return bad(x.name, "is %v; want a number from 0 to %g", x.v, x.max)
		}
	}
	if !m.Timestamp.IsZero() {
		if m.Timestamp.After(now.Add(time.Minute)) {
			return bad("timestamp", "%s is more than a minute ahead of the server's clock", m.Timestamp.Format(time.RFC3339))
		}
		if m.Timestamp.Year() < 2000 {
			return bad("timestamp", "%s is before the year 2000", m.Timestamp.Format(time.RFC3339))
		}
	}
	return nil
}
