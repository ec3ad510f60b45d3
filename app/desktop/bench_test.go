package desktop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"visionflow/agent"
	"visionflow/app"
	"visionflow/graph"
	"visionflow/graph/gen"
	"visionflow/internal/gltest"
	"visionflow/settings"
	"visionflow/store"
)

// benchDB makes a database holding one generated graph of n nodes and 2n
// edges, with physics on or off.
func benchDB(b testing.TB, n int, physics bool) string {
	b.Helper()
	ctx := context.Background()
	db := filepath.Join(b.TempDir(), "bench.db")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	g, evs := gen.Build("bench", n, 2*n, 1, graph.NewClock(nil))
	if err := st.CreateGraph(ctx, g, evs, store.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	if err := st.SetMeta(ctx, "sample_loaded", "no: benchmark"); err != nil {
		b.Fatal(err)
	}
	set, err := settings.Open(ctx, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(physics)
	if _, err := set.Apply(ctx, "bench", []settings.Update{{Path: "physics.enabled", Value: raw}}); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkFrame is the desktop's whole frame at 1280×800 with the sample
// settings (multisampling, labels, overlay): with the GPU engine stepping
// between frames (physics=on), and drawing only (physics=off). A frame's
// time includes the physics step run before it. Without compute shaders
// (VISIONFLOW_TEST_GL=core or es30) the CPU engine steps instead, on its
// own goroutines, and each frame uploads its positions.
func BenchmarkFrame(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		for _, physics := range []bool{true, false} {
			b.Run(fmt.Sprintf("nodes=%d/physics=%v", n, physics), func(b *testing.B) {
				cfg := app.Config{DB: benchDB(b, n, physics), Addr: "127.0.0.1:0", Width: 1280, Height: 800, Engine: gpuEngine(), GL: gltest.GL()}
				runFrames(b, cfg, nil, nil, func(d *desk) bool {
					return d.sceneNow != nil && len(d.sceneNow.nodes) == n && len(d.order) == n && (!physics || !gltest.Compute() || d.engNow != nil)
				})
			})
		}
	}
}

// BenchmarkFrameWithSwarm is the desktop's whole frame at 1280×800 with a
// swarm of 1,000 agents beside a 10,000-node knowledge graph: each agent
// works on a knowledge node and reports twice a second (states and
// progress change, so styles and labels follow), with the physics of both
// layouts on.
func BenchmarkFrameWithSwarm(b *testing.B) {
	const n, agents = 10_000, 1_000
	cfg := app.Config{DB: benchDB(b, n, true), Addr: "127.0.0.1:0", Width: 1280, Height: 800, Engine: gpuEngine(), GL: gltest.GL()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	report := func(s *app.Session, round int) error {
		ups := make([]agent.Status, agents)
		for i := range ups {
			ups[i] = agent.Status{AgentID: fmt.Sprintf("a%04d", i), SwarmID: "swarm", State: agent.States[(i+round)%len(agent.States)],
				Progress: new(float64((i + 7*round) % 101)), WorkingOn: []string{fmt.Sprintf("n%d", (i*37+round/8)%n)}, KnowledgeGraph: "bench"}
		}
		_, err := s.ReportStatus(ctx, "bench", ups)
		return err
	}
	started := false
	runFrames(b, cfg, cancel, func(d *desk) {
		if !started && d.sceneNow != nil && len(d.sceneNow.nodes) == n {
			started = true
			s := d.loc.srv.Session
			go func() {
				if err := report(s, 0); err != nil {
					b.Error(err)
					return
				}
				tick := time.NewTicker(500 * time.Millisecond)
				defer tick.Stop()
				for round := 1; ; round++ {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
					if err := report(s, round); err != nil && ctx.Err() == nil {
						b.Error(err)
						return
					}
				}
			}()
		}
	}, func(d *desk) bool {
		return d.lookNow != nil && len(d.lookNow.marks) == agents && len(d.order) == n+agents
	})
}

// runFrames runs the window on cfg and times b.N frames once shown says
// the scene is in place, and reports ms/frame. every, when not nil, runs
// after every frame; done, when not nil, after the last, before the window
// and its server close.
func runFrames(b *testing.B, cfg app.Config, done func(), every func(d *desk), shown func(d *desk) bool) {
	var start time.Time
	frames := -1
	h := hooks{afterFrame: func(d *desk, frame int) bool {
		if every != nil {
			every(d)
		}
		if frames < 0 {
			if !shown(d) {
				return true
			}
			frames = 0
			b.ResetTimer()
			start = time.Now()
			return true
		}
		frames++
		if frames < b.N {
			return true
		}
		b.StopTimer()
		b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(frames), "ms/frame")
		if done != nil {
			done()
		}
		return false
	}}
	var err error
	onMain(func() { err = run(context.Background(), cfg, io.Discard, slog.New(slog.DiscardHandler), h) })
	if err != nil {
		b.Fatal(err)
	}
}
