package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/net/api"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
	"visionflow/store"
)

// streamBackend is a Backend whose only graph is a moving layout: every
// publish moves every node, as a layout in full swing does. The methods it
// does not define are not used by the stream (calling one would panic).
type streamBackend struct {
	session.Backend
	set *settings.Manager
	pos func() *wire.Positions
}

func (b *streamBackend) Settings() *settings.Manager                     { return b.set }
func (b *streamBackend) Positions(string) *wire.Positions                { return b.pos() }
func (b *streamBackend) Subscribe(func(session.Change)) (func(), error)  { return func() {}, nil }
func (b *streamBackend) SubscribeAgents(func(session.AgentEvent)) func() { return func() {} }
func (b *streamBackend) DefaultGraph(context.Context) (string, error) {
	return "g", nil
}
func (b *streamBackend) OpenGraph(context.Context, string) (graph.Summary, error) {
	return graph.Summary{Info: graph.Info{ID: "g"}}, nil
}

// BenchmarkFanout measures the latency of position frames from the hub's
// tick to their arrival (decoded) at each of 8 WebSocket clients on
// loopback, with a 10,000-node layout moving every node at 60 Hz (so each
// frame carries all 10,000 nodes: 340 KB), for ten seconds.
func BenchmarkFanout(b *testing.B) {
	const nodes, clients = 10_000, 8
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "vf.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	set, err := settings.Open(ctx, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var latest *wire.Positions
	be := &streamBackend{set: set, pos: func() *wire.Positions { mu.Lock(); defer mu.Unlock(); return latest }}
	sent := sync.Map{} // seq → time queued
	srv := api.New(be, api.Options{FrameSent: func(_ string, seq uint64, _ uint8, _ int, at time.Time) { sent.Store(seq, at) }})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srvCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	hs := &http.Server{Handler: srv.Handler()}
	go func() { done <- hs.Serve(ln) }()
	go srv.Hub().Run(srvCtx)
	defer func() { stop(); hs.Close(); <-done }()

	// The layout: every node moves every 1/60 s.
	move := func(step uint64) {
		ns := make([]wire.NodeState, nodes)
		for i := range ns {
			a := float64(step)/60 + float64(i)
			ns[i] = wire.NodeState{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1)),
				Position: graph.Vec3{X: float32(100 * math.Cos(a)), Y: float32(100 * math.Sin(a)), Z: float32(i % 100)}}
		}
		mu.Lock()
		latest = &wire.Positions{Step: step, Nodes: ns}
		mu.Unlock()
	}
	move(1)
	var lmu sync.Mutex
	var lat []time.Duration
	c := client.New("http://"+ln.Addr().String(), "bench")
	var streams []*client.Stream
	for range clients {
		s, err := c.Stream(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		s.OnFrame(func(_ string, kind uint8, seq uint64, n int, at time.Time) {
			if t, ok := sent.Load(seq); ok {
				lmu.Lock()
				lat = append(lat, at.Sub(t.(time.Time)))
				lmu.Unlock()
			}
		})
		if _, err := s.Subscribe(ctx, "g", wire.StreamPositions); err != nil {
			b.Fatal(err)
		}
		streams = append(streams, s)
	}
	b.ResetTimer()
	start := time.Now()
	tick := time.NewTicker(time.Second / 60)
	defer tick.Stop()
	// A fixed ten seconds (600 frames) whatever b.N asks for: latency
	// percentiles need many frames, and a run takes real time at 60 Hz.
	step := uint64(1)
	for range 600 {
		<-tick.C
		step++
		move(step)
	}
	elapsed := time.Since(start)
	time.Sleep(200 * time.Millisecond) // let the last frames arrive
	b.StopTimer()
	lmu.Lock()
	defer lmu.Unlock()
	if len(lat) == 0 {
		b.Fatal("no frames arrived")
	}
	slices.Sort(lat)
	var frames, gaps int
	for _, s := range streams {
		st := s.Stats()
		frames += st.Frames
		gaps += st.Gaps
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(frames)/float64(clients)/elapsed.Seconds(), "frames/s/client")
	b.ReportMetric(float64(gaps), "gaps")
	b.Logf("%d frames over %d clients in %v; latency p50 %v p99 %v max %v", frames, clients, elapsed.Round(time.Millisecond),
		lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
}

// BenchmarkEncodeFrame measures encoding one full frame.
func BenchmarkEncodeFrame(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			ns := make([]wire.NodeState, n)
			for i := range ns {
				ns[i] = wire.NodeState{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1)), Position: graph.Vec3{X: float32(i)}}
			}
			buf := make([]byte, 0, wire.FrameSize(n))
			b.SetBytes(int64(wire.FrameSize(n)))
			for b.Loop() {
				buf = wire.AppendFrame(buf[:0], wire.FullFrame, 1, 1, ns)
			}
			b.ReportMetric(float64(len(buf)), "bytes/frame")
		})
	}
}
