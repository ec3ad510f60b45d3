package api_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/internal/clock"
	"visionflow/net/api"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/settings"
	"visionflow/store"
)

// Three WebSocket clients on loopback follow one moving layout, in v1
// frames, v2 frames, and v2 frames with velocities. The hub runs on a
// manual clock. After every state each client is within the tolerance
// (1/4096 of the layout's extent; v2 also half a quantum) of the layout;
// once the layout stops, v1 holds it exactly and v2 within half a quantum.
func TestStreamFramesV1AndV2OverWebSocket(t *testing.T) {
	const n = 3000
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "vf.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	set, err := settings.Open(ctx, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var latest *wire.Positions
	be := &streamBackend{set: set, pos: func() *wire.Positions { mu.Lock(); defer mu.Unlock(); return latest }}
	// Odd nodes move 2 units a step, even ones 0.1 (below the tolerance of
	// about 0.24: they go every few steps, when it has added up).
	layout := func(step int) *wire.Positions {
		ns := make([]wire.NodeState, n)
		for i := range ns {
			a, b := float64(i)*0.7, float64(i)*1.3
			dir := graph.Vec3{X: float32(math.Cos(a) * math.Sin(b)), Y: float32(math.Sin(a) * math.Sin(b)), Z: float32(math.Cos(b))}
			speed := float32(0.1)
			if i%2 == 1 {
				speed = 2
			}
			r := 500 + speed*float32(step)
			ns[i] = wire.NodeState{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1)),
				Position: graph.Vec3{X: dir.X * r, Y: dir.Y * r, Z: dir.Z * r},
				Velocity: graph.Vec3{X: dir.X * speed, Y: dir.Y * speed, Z: dir.Z * speed}, Value: float32(i % 7)}
		}
		return &wire.Positions{Step: uint64(step + 1), Nodes: ns}
	}
	publish := func(p *wire.Positions) { mu.Lock(); latest = p; mu.Unlock() }
	publish(layout(0))

	clk := clock.NewManual(time.Unix(1_800_000_000, 0))
	var sent atomic.Uint64
	srv := api.New(be, api.Options{Clock: clk, FrameSent: func(_ string, seq uint64, _ uint8, _ int, _ time.Time) {
		for old := sent.Load(); seq > old && !sent.CompareAndSwap(old, seq); old = sent.Load() {
		}
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	hs := &http.Server{Handler: srv.Handler()}
	go func() { done <- hs.Serve(ln) }()
	hubDone := make(chan struct{})
	go func() { srv.Hub().Run(srvCtx); close(hubDone) }()
	defer func() { stop(); <-hubDone; hs.Close(); <-done }()

	c := client.New("http://"+ln.Addr().String(), "test")
	open := func(o client.SubscribeOptions) (*client.Stream, wire.Subscribed, error) {
		s, err := c.Stream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		sub, err := s.SubscribeWith(ctx, "g", o)
		return s, sub, err
	}
	// What cannot be asked is refused, and says why.
	for o, want := range map[*client.SubscribeOptions]string{
		{Frames: "v3"}: `unknown frames "v3"`,
		{Frames: wire.FramesV1, Velocities: true}:       `velocities is an option of "v2" frames`,
		{Streams: []string{"events"}, Frames: "v2"}:     `options of the "positions" stream`,
		{Streams: []string{"positions"}, Frames: "v2 "}: `unknown frames "v2 "`,
	} {
		var me *client.MessageError
		if _, _, err := open(*o); !errors.As(err, &me) || me.Code != "invalid" || !strings.Contains(me.Detail, want) {
			t.Errorf("%+v: %v, want …%s…", *o, err, want)
		}
	}
	type follower struct {
		name string
		s    *client.Stream
	}
	var fs []follower
	for _, f := range []struct {
		name string
		o    client.SubscribeOptions
	}{
		{"v1", client.SubscribeOptions{Streams: []string{wire.StreamPositions}}},
		{"v2", client.SubscribeOptions{Streams: []string{wire.StreamPositions}, Frames: wire.FramesV2}},
		{"v2+velocities", client.SubscribeOptions{Streams: []string{wire.StreamPositions}, Frames: wire.FramesV2, Velocities: true}},
	} {
		s, sub, err := open(f.o)
		if err != nil {
			t.Fatal(err)
		}
		wantFrames := f.o.Frames
		if wantFrames == "" {
			wantFrames = wire.FramesV1
		}
		if sub.Frames != wantFrames || sub.Velocities != f.o.Velocities {
			t.Fatalf("%s: the answer says %q frames, velocities %v", f.name, sub.Frames, sub.Velocities)
		}
		fs = append(fs, follower{f.name, s})
	}

	// tick moves the clock until the hub has sent a state past seq, then
	// waits for every client to hold it. (The hub's ticker drops a tick it
	// has not taken, as the system's does; the pause lets it take them.)
	tick := func(seq uint64) uint64 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second) // against a hang, not a measure
		for sent.Load() <= seq {
			if time.Now().After(deadline) {
				t.Fatalf("no frame after seq %d", seq)
			}
			clk.Advance(time.Second / 60)
			time.Sleep(time.Millisecond)
		}
		now := sent.Load()
		for _, f := range fs {
			for {
				ch := f.s.Changed("g")
				if _, got, synced := f.s.Positions("g"); synced && got >= now {
					break
				}
				select {
				case <-ch:
				case <-time.After(10 * time.Second):
					t.Fatalf("%s never reached seq %d", f.name, now)
				}
			}
		}
		return now
	}
	check := func(truth *wire.Positions, exact bool) {
		t.Helper()
		lo, hi := truth.Nodes[0].Position, truth.Nodes[0].Position
		for _, nd := range truth.Nodes {
			p := nd.Position
			lo = graph.Vec3{X: min(lo.X, p.X), Y: min(lo.Y, p.Y), Z: min(lo.Z, p.Z)}
			hi = graph.Vec3{X: max(hi.X, p.X), Y: max(hi.Y, p.Y), Z: max(hi.Z, p.Z)}
		}
		halfQuantum := math.Sqrt(float64((hi.X-lo.X)*(hi.X-lo.X)+(hi.Y-lo.Y)*(hi.Y-lo.Y)+(hi.Z-lo.Z)*(hi.Z-lo.Z))) / (2 * wire.QuantaV2)
		tol := float64(max(hi.X-lo.X, hi.Y-lo.Y, hi.Z-lo.Z)) / 4096 * 1.0001
		for _, f := range fs {
			held, _, _ := f.s.Positions("g")
			limit := tol
			if exact {
				limit = 0
			}
			if f.name != "v1" {
				limit += halfQuantum * 1.01
			}
			for _, nd := range truth.Nodes {
				h, ok := held[nd.ID]
				dx, dy, dz := float64(h.Position.X-nd.Position.X), float64(h.Position.Y-nd.Position.Y), float64(h.Position.Z-nd.Position.Z)
				if d := math.Sqrt(dx*dx + dy*dy + dz*dz); !ok || d > limit || h.Value != nd.Value {
					t.Fatalf("%s: node %v at %v (value %g), the layout's at %v (value %g): %.4g apart, limit %.4g",
						f.name, nd.ID, h.Position, h.Value, nd.Position, nd.Value, d, limit)
				}
				switch f.name {
				case "v2":
					if h.Velocity != (graph.Vec3{}) {
						t.Fatalf("v2 without velocities holds velocity %v", h.Velocity)
					}
				case "v2+velocities":
					if exact && math.Abs(float64(h.Velocity.X-nd.Velocity.X)) > 2.0/wire.VelQuantaV2 {
						t.Fatalf("velocity %v, the layout's %v", h.Velocity, nd.Velocity)
					}
				}
			}
		}
	}
	seq := tick(0)
	check(layout(0), true)
	// 150 steps at 60 a second: 2.5 s, so a periodic full frame falls in.
	var truth *wire.Positions
	for step := 1; step <= 150; step++ {
		truth = layout(step)
		publish(truth)
		seq = tick(seq)
		check(truth, false)
	}
	// The layout takes one last small step (within the tolerance, so
	// nothing goes) and stops: then one last delta brings everyone to
	// where it is.
	last := &wire.Positions{Step: truth.Step + 1, Nodes: append([]wire.NodeState(nil), truth.Nodes...)}
	for i := 0; i < n; i += 2 {
		last.Nodes[i].Position.X += 0.05
	}
	publish(last)
	tick(seq)
	check(last, true)
	var full, deltas int
	for _, f := range fs {
		s := f.s.Stats()
		t.Logf("%s: %d frames (%d full), %d bytes", f.name, s.Frames, s.FullFrames, s.Bytes)
		full, deltas = s.FullFrames, s.DeltaFrames
		if s.Gaps != 0 {
			t.Errorf("%s: %d gaps", f.name, s.Gaps)
		}
	}
	if full < 2 || deltas < 140 {
		t.Errorf("%d full frames and %d deltas: want the first, a periodic one, and a delta for every other state", full, deltas)
	}
	v1, v2 := fs[0].s.Stats().Bytes, fs[1].s.Stats().Bytes
	if float64(v1) < 3*float64(v2) {
		t.Errorf("v1 took %d bytes, v2 %d: less than 3× fewer", v1, v2)
	}
}
