package app

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"visionflow/agent"
	"visionflow/net/client"
	"visionflow/net/wire"
)

// BenchmarkAgentStatus sends status updates of 1,000 agents over REST
// (ten writers, each posting its 100 agents in one request) and measures,
// at a WebSocket client subscribed to the swarm, the time from a POST's
// answer to the agentStatus message that carries the update. rate=10000
// paces the writers at 10 updates per agent per second for ten seconds;
// rate=max sends as fast as the server takes them, for five. Each update
// is told apart by its currentTask.
func BenchmarkAgentStatus(b *testing.B) {
	for _, rate := range []int{10_000, 0} {
		name := "rate=" + strconv.Itoa(rate)
		if rate == 0 {
			name = "rate=max"
		}
		b.Run(name, func(b *testing.B) { benchStatus(b, rate) })
	}
}

func benchStatus(b *testing.B, rate int) {
	const agents, writers = 1000, 10
	ctx := context.Background()
	s := startServer(b, filepath.Join(b.TempDir(), "vf.db"))
	defer s.Close()
	first := make([]agent.Status, agents)
	for i := range first {
		first[i] = agent.Status{AgentID: fmt.Sprintf("a%04d", i), SwarmID: "bench", State: agent.Idle, CurrentTask: "0"}
	}
	if _, err := s.c.ReportStatus(ctx, first...); err != nil {
		b.Fatal(err)
	}
	st, err := s.c.Stream(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Subscribe(ctx, "bench", wire.StreamAgents); err != nil {
		b.Fatal(err)
	}
	// sent[agent][n] is when the POST carrying update n of that agent
	// was answered.
	var mu sync.Mutex
	sent := make([][]time.Time, agents)
	var lat []time.Duration
	var seen atomic.Int64
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			var m client.Message
			select {
			case m = <-st.Messages():
			case <-st.Done():
				return
			}
			if m.Type != wire.TypeAgentStatus {
				continue
			}
			at := time.Now()
			var msg wire.AgentStatus
			if json.Unmarshal(m.Raw, &msg) != nil {
				continue
			}
			mu.Lock()
			for _, a := range msg.Agents {
				i, _ := strconv.Atoi(strings.TrimPrefix(a.ID, "a"))
				n, _ := strconv.Atoi(a.CurrentTask)
				if n > 0 && n <= len(sent[i]) && !sent[i][n-1].IsZero() {
					lat = append(lat, at.Sub(sent[i][n-1]))
					seen.Add(1)
				}
			}
			mu.Unlock()
		}
	}()
	duration := 10 * time.Second
	if rate == 0 {
		duration = 5 * time.Second
	}
	var total atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			batch := make([]agent.Status, agents/writers)
			var tick *time.Ticker
			if rate > 0 {
				tick = time.NewTicker(time.Duration(float64(time.Second) * float64(len(batch)*writers) / float64(rate)))
				defer tick.Stop()
			}
			for n := 1; time.Since(start) < duration; n++ {
				for k := range batch {
					i := w*len(batch) + k
					batch[k] = agent.Status{AgentID: fmt.Sprintf("a%04d", i), SwarmID: "bench", State: agent.States[n%len(agent.States)],
						CurrentTask: strconv.Itoa(n), Progress: new(float64(n % 101))}
				}
				if _, err := s.c.ReportStatus(ctx, batch...); err != nil {
					b.Error(err)
					return
				}
				done := time.Now()
				mu.Lock()
				for k := range batch {
					i := w*len(batch) + k
					sent[i] = append(sent[i], done)
				}
				mu.Unlock()
				total.Add(int64(len(batch)))
				if tick != nil {
					<-tick.C
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	time.Sleep(200 * time.Millisecond) // the last ticks
	b.StopTimer()
	st.Close()
	<-readDone
	mu.Lock()
	defer mu.Unlock()
	if len(lat) == 0 {
		b.Fatal("no update reached the subscriber")
	}
	slices.Sort(lat)
	perSec := float64(total.Load()) / elapsed.Seconds()
	b.ReportMetric(perSec, "updates/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(seen.Load())/float64(total.Load()), "seen")
	b.Logf("%d updates in %v (%.0f/s); %d seen by the subscriber (the rest coalesced); latency p50 %v p99 %v max %v",
		total.Load(), elapsed.Round(time.Millisecond), perSec, seen.Load(), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
}

// BenchmarkMCPToolCall is one MCP tool call through the SDK's client over
// Streamable HTTP on loopback: report_status (one agent) and get_graph
// (the sample graph's summary).
func BenchmarkMCPToolCall(b *testing.B) {
	ctx := context.Background()
	s := startServer(b, filepath.Join(b.TempDir(), "vf.db"))
	defer s.Close()
	c := sdk.NewClient(&sdk.Implementation{Name: "bench", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: s.url + "/mcp"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()
	for _, tc := range []struct {
		name string
		args func(i int) map[string]any
	}{
		{"report_status", func(i int) map[string]any {
			return map[string]any{"updates": []any{map[string]any{"agentId": "a", "swarmId": "bench", "state": "executing", "progress": i % 101}}}
		}},
		{"get_graph", func(int) map[string]any { return map[string]any{"graph": "visionflow-tour"} }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tc.name, Arguments: tc.args(i)})
				if err != nil || res.IsError {
					b.Fatalf("%v %+v", err, res)
				}
			}
		})
	}
}
