package desktop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"visionflow/telemetry"
)

// maxPendingReports bounds the reports kept while the session cannot take
// them; past it the oldest go.
const maxPendingReports = 120

// uploader collects the window's own telemetry (frame time, render
// cycles, memory, errors) and hands a report to the session every
// system.telemetry.uploadInterval seconds: the host when joined, else the
// local database. A report that cannot be sent is kept and sent, in order,
// with the next.
type uploader struct {
	post    func(context.Context, telemetry.Metrics) error
	session string

	// Counted by the GL thread.
	cycles   atomic.Int64  // frames drawn so far
	frameSum atomic.Uint64 // float64 bits: ms summed since the last report
	frames   atomic.Int64  // frames since the last report
	errors   atomic.Int64  // GL errors and refused requests so far
	agents   atomic.Int64  // agents shown

	mu      sync.Mutex
	last    time.Time
	pending []telemetry.Metrics
	sent    int
}

func newUploader(post func(context.Context, telemetry.Metrics) error) *uploader {
	b := make([]byte, 4)
	rand.Read(b)
	return &uploader{post: post, session: "window-" + hex.EncodeToString(b)}
}

// frame counts a drawn frame that took ms.
func (u *uploader) frame(ms float64) {
	u.cycles.Add(1)
	u.frames.Add(1)
	for {
		old := u.frameSum.Load()
		if u.frameSum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+ms)) {
			return
		}
	}
}

// failure counts an error.
func (u *uploader) failure() { u.errors.Add(1) }

// report makes the report of the interval ending now.
func (u *uploader) report(now time.Time) telemetry.Metrics {
	n := u.frames.Swap(0)
	sum := math.Float64frombits(u.frameSum.Swap(0))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := telemetry.Metrics{SessionID: u.session, RenderCycles: u.cycles.Load(), ErrorCount: u.errors.Load(),
		ActiveAgents: u.agents.Load(), MemoryUsage: float64(ms.Sys), Timestamp: now}
	if n > 0 {
		m.AverageFrameTime = sum / float64(n)
	}
	return m
}

// due sends a report when one is due, with those still waiting.
func (u *uploader) due(ctx context.Context, now time.Time, every time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.last.IsZero() {
		u.last = now // the first interval starts with the window
		return
	}
	if now.Sub(u.last) < every {
		return
	}
	u.last = now
	u.pending = append(u.pending, u.report(now))
	if len(u.pending) > maxPendingReports {
		u.pending = u.pending[len(u.pending)-maxPendingReports:]
	}
	for len(u.pending) > 0 {
		if err := u.post(ctx, u.pending[0]); err != nil {
			return // kept for the next interval
		}
		u.pending = u.pending[1:]
		u.sent++
	}
}
