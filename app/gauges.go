package app

import (
	"context"
	"sync"
	"time"

	"visionflow/metrics"
)

// gauges registers what /metrics reads from the session when scraped.
func (s *Session) gauges(ms *metrics.Set, clients func() int) {
	ctx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 5*time.Second)
	}
	// One scrape reads six of these gauges: the health report (a query of
	// the store) is made once a second at most, not once a gauge.
	type numbers struct{ graphs, nodes, edges, moving, steps, stepMs float64 }
	var mu sync.Mutex
	var last numbers
	var at time.Time
	health := func() numbers {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(at) < time.Second {
			return last
		}
		c, cancel := ctx()
		defer cancel()
		if x, err := s.Health(c); err == nil {
			last = numbers{float64(x.Graphs), float64(x.Nodes), float64(x.Edges), float64(x.Engine.Moving), x.Engine.StepsPerSecond, x.Engine.StepMillis}
			at = time.Now()
		}
		return last
	}
	ms.Gauge("visionflow_graphs", "Graphs in the database.", func() float64 { return health().graphs })
	ms.Gauge("visionflow_nodes", "Nodes of every graph.", func() float64 { return health().nodes })
	ms.Gauge("visionflow_edges", "Edges of every graph.", func() float64 { return health().edges })
	ms.Gauge("visionflow_layouts_moving", "Graphs whose layout has not settled.", func() float64 { return health().moving })
	ms.Gauge("visionflow_physics_steps_per_second", "Physics steps a second, summed over the layouts.", func() float64 { return health().steps })
	ms.Gauge("visionflow_physics_step_seconds", "The longest recent physics step.", func() float64 { return health().stepMs / 1000 })
	ms.GaugeVec("visionflow_graph_commands_waiting", "Commands (edits, reads, saves) waiting for a graph's worker, by graph: its queue.", "graph", func() map[string]float64 {
		out := map[string]float64{}
		s.mu.Lock()
		defer s.mu.Unlock()
		for id, w := range s.workers {
			out[id] = float64(w.waiting.Load())
		}
		return out
	})
	ms.GaugeVec("visionflow_layout_step_seconds", "Recent time of one physics step, by graph (0 while its layout rests).", "graph", func() map[string]float64 {
		out := map[string]float64{}
		s.layoutMu.RLock()
		defer s.layoutMu.RUnlock()
		for id, l := range s.layouts {
			if l.stepsPerSecond() > 0 {
				out[id] = l.stepMillis() / 1000
			} else {
				out[id] = 0
			}
		}
		return out
	})
	ms.Gauge("visionflow_ws_clients", "WebSocket clients connected.", func() float64 { return float64(clients()) })
	ms.GaugeVec("visionflow_agents", "Agents of the live swarms, by state (stale: silent past the heartbeat timeout).", "state", func() map[string]float64 {
		out := map[string]float64{}
		s.swarms.mu.Lock()
		ids := make([]string, 0, len(s.swarms.live))
		for id := range s.swarms.live {
			ids = append(ids, id)
		}
		s.swarms.mu.Unlock()
		for _, id := range ids {
			for _, a := range s.swarms.agentsOf(id) {
				state := string(a.State)
				if a.Stale {
					state = "stale"
				}
				out[state]++
			}
		}
		return out
	})
	ms.GaugeVec("visionflow_tasks", "Tasks held, by state.", "state", func() map[string]float64 {
		out := map[string]float64{}
		s.tasks.mu.Lock()
		for _, t := range s.tasks.b.List("", "") {
			out[string(t.State)]++
		}
		s.tasks.mu.Unlock()
		return out
	})
	ms.Gauge("visionflow_dead_letters_open", "Dead letters waiting for an operator.", func() float64 {
		c, cancel := ctx()
		defer cancel()
		letters, err := s.DeadLetters(c, "open", "", 100_000)
		if err != nil {
			return 0
		}
		return float64(len(letters))
	})
	ms.GaugeVec("visionflow_embedder_breaker", "The embeddings endpoint's circuit breaker: 1 for its state (closed, open, half-open).", "state", func() map[string]float64 {
		c, cancel := ctx()
		defer cancel()
		st, err := s.MemoryStatus(c)
		if err != nil || st.Breaker == "" {
			return map[string]float64{}
		}
		return map[string]float64{st.Breaker: 1}
	})
}
