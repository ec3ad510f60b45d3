package app

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/gen"
	"visionflow/ingest"
	"visionflow/net/client"
	"visionflow/net/wire"
)

// BenchmarkEditToSubscribers16: one client adds a node over REST while 16
// WebSocket clients follow the graph's events and positions; the figures
// are the time from sending the POST to each client holding the node, as
// an events message and in its positions (a frame), p50 and p99 over every
// (edit, client) pair, and the POST's own time. Edits come 20 ms apart. On
// a still graph of 1,000 nodes and on a 64,000-node / 245,000-edge graph
// whose layout is moving, with v1 frames and with v2.
func BenchmarkEditToSubscribers16(b *testing.B) {
	for _, c := range []struct {
		name   string
		n, m   int
		moving bool
		frames string
	}{
		{"still-1k", 1000, 3800, false, wire.FramesV1},
		{"moving-64k", 64_000, 245_000, true, wire.FramesV1},
		{"moving-64k-v2", 64_000, 245_000, true, wire.FramesV2}, // as the window and the browser ask for it
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			ts := startServer(b, filepath.Join(b.TempDir(), "lat.db"))
			defer ts.Close()
			imp := &ingest.Import{Type: graph.Knowledge, Ops: gen.Ops(c.n, c.m, 1)}
			if _, err := ts.Session.Import(ctx, "bench", graph.Info{ID: "g", Type: graph.Knowledge}, imp, ImportOptions{}); err != nil {
				b.Fatal(err)
			}
			l := ts.Session.layoutOf("g")
			for !c.moving && !l.settled.Load() {
				time.Sleep(10 * time.Millisecond)
			}
			type heard struct{ event, frame time.Time }
			var (
				mu      sync.Mutex
				want    graph.WireID // the node being waited for
				wantID  string
				got     = make([]heard, 16)
				wantK   = make([]graph.WireID, 16) // what each client heard the node is
				arrived = make(chan struct{}, 64)
			)
			note := func(k int, event bool) {
				now := time.Now()
				mu.Lock()
				if event && got[k].event.IsZero() {
					got[k].event = now
				} else if !event && got[k].frame.IsZero() {
					got[k].frame = now
				}
				mu.Unlock()
				select {
				case arrived <- struct{}{}:
				default:
				}
			}
			var streams []*client.Stream
			for k := range 16 {
				st, err := ts.c.Stream(ctx)
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				streams = append(streams, st)
				st.OnFrame(func(g string, _ uint8, _ uint64, _ int, _ time.Time) {
					mu.Lock()
					w := want
					if w == 0 {
						w = wantK[k] // heard of in an event before the POST's answer came
					}
					mu.Unlock()
					if w != 0 {
						if _, ok := st.Node("g", w); ok {
							note(k, false)
						}
					}
				})
				if _, err := st.SubscribeWith(ctx, "g", client.SubscribeOptions{Streams: []string{wire.StreamPositions, wire.StreamEvents}, Frames: c.frames}); err != nil {
					b.Fatal(err)
				}
				go func() {
					for {
						var m client.Message
						select {
						case m = <-st.Messages():
						case <-st.Done():
							return
						}
						if m.Type != "events" {
							continue
						}
						var msg struct {
							Events []graph.Event `json:"events"`
						}
						if json.Unmarshal(m.Raw, &msg) != nil {
							continue
						}
						mu.Lock()
						id := wantID
						mu.Unlock()
						for _, ev := range msg.Events {
							if ev.Node != nil && ev.Node.ID == id {
								mu.Lock()
								wantK[k] = ev.Node.WireID
								mu.Unlock()
								note(k, true)
								if _, ok := st.Node("g", ev.Node.WireID); ok {
									note(k, false) // its frame came first
								}
							}
						}
					}
				}()
			}
			var events, frames, posts []time.Duration
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				// Edits a frame period apart, as people and agents make
				// them: an edit right behind another shares its frame
				// period (the hub sends one extra frame a period at most).
				time.Sleep(20 * time.Millisecond)
				id := fmt.Sprintf("lat%d", i)
				mu.Lock()
				wantID, want = id, 0
				clear(got)
				clear(wantK)
				mu.Unlock()
				start := time.Now()
				ch, err := ts.c.AddNode(ctx, "g", graph.Op{ID: id})
				if err != nil {
					b.Fatal(err)
				}
				posts = append(posts, time.Since(start))
				mu.Lock()
				want = ch.Node.WireID
				mu.Unlock()
				deadline := time.After(20 * time.Second)
				for {
					mu.Lock()
					done := true
					for _, h := range got {
						done = done && !h.event.IsZero() && !h.frame.IsZero()
					}
					mu.Unlock()
					if done {
						break
					}
					select {
					case <-arrived:
					case <-time.After(5 * time.Millisecond):
						// The frame may have come before want was set.
						for k, st := range streams {
							if _, ok := st.Node("g", ch.Node.WireID); ok {
								note(k, false)
							}
						}
					case <-deadline:
						b.Fatalf("edit %d did not reach every client: %+v", i, got)
					}
				}
				mu.Lock()
				for _, h := range got {
					events = append(events, h.event.Sub(start))
					frames = append(frames, h.frame.Sub(start))
				}
				mu.Unlock()
			}
			b.StopTimer()
			if c.moving && l.settled.Load() {
				b.Logf("the layout settled during the run: a longer run measures a still graph")
			}
			pct := func(d []time.Duration, p int) float64 {
				slices.Sort(d)
				return float64(d[(len(d)-1)*p/100].Microseconds()) / 1000
			}
			b.ReportMetric(pct(events, 50), "event-p50-ms")
			b.ReportMetric(pct(events, 99), "event-p99-ms")
			b.ReportMetric(pct(frames, 50), "frame-p50-ms")
			b.ReportMetric(pct(frames, 99), "frame-p99-ms")
			b.ReportMetric(pct(posts, 50), "post-p50-ms")
			b.ReportMetric(pct(posts, 99), "post-p99-ms")
		})
	}
}
