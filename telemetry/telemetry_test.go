package telemetry

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"visionflow/graph"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestValidateNamesTheField(t *testing.T) {
	good := Metrics{SessionID: "w1", AgentSpawns: 3, ActiveAgents: 2, AverageFrameTime: 16.7, MemoryUsage: 1e8, Timestamp: now}
	if err := good.Validate("", now); err != nil {
		t.Fatal(err)
	}
	for field, mutate := range map[string]func(m *Metrics){
		"r.sessionId":        func(m *Metrics) { m.SessionID = "" },
		"r.activeAgents":     func(m *Metrics) { m.ActiveAgents = -1 },
		"r.averageFrameTime": func(m *Metrics) { m.AverageFrameTime = math.NaN() },
		"r.memoryUsage":      func(m *Metrics) { m.MemoryUsage = -5 },
		"r.timestamp":        func(m *Metrics) { m.Timestamp = now.Add(time.Hour) },
	} {
		m := good
		mutate(&m)
		var ge *graph.Error
		if err := m.Validate("r", now); !errors.As(err, &ge) || ge.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	var m Metrics
	if err := json.Unmarshal([]byte(`{"sessionID": "x"}`), &m); err == nil || !strings.Contains(err.Error(), "sessionID") {
		t.Errorf("a misspelt field: %v", err)
	}
}

// Reports decode and validate without panicking; accepted ones survive a
// round trip.
func FuzzMetrics(f *testing.F) {
	f.Add([]byte(`{"sessionId": "w", "agentSpawns": 1, "averageFrameTime": 16.6, "memoryUsage": 1000000, "timestamp": "2026-12-01T10:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Metrics
		if json.Unmarshal(b, &m) != nil || m.Validate("", now) != nil {
			return
		}
		again, _ := json.Marshal(m)
		var back Metrics
		if err := json.Unmarshal(again, &back); err != nil || back.Validate("", now) != nil {
			t.Fatalf("accepted %s, not after a round trip: %v", again, err)
		}
	})
}
