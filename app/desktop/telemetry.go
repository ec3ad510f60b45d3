package desktop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/task"
	"visionflow/telemetry"
)

// maxPendingReports bounds the reports kept while the session cannot take
// them; past it the oldest go.
const maxPendingReports = 120

// uploader collects the window's own telemetry (frame time, render
// cycles, memory, errors) and hands a report to the session every
// system.telemetry.uploadInterval seconds: the host when joined, else the
// local database. A report that cannot be sent is kept and sent, in order,
// with the next; one refused maxAttempts times is handed to the session's
// dead-letter queue (when it takes it), so that it holds up no other.
type uploader struct {
	post    func(context.Context, telemetry.Metrics) error
	hand    func(context.Context, task.Handed) error
	session string

	// Counted by the GL thread.
	cycles   atomic.Int64  // frames drawn so far
	frameSum atomic.Uint64 // float64 bits: ms summed since the last report
	frames   atomic.Int64  // frames since the last report
	errors   atomic.Int64  // GL errors and refused requests so far
	agents   atomic.Int64  // agents shown

	mu      sync.Mutex
	last    time.Time
	pending []pendingReport
	sent    int
	dead    int // handed to the dead-letter queue
	dropped int // refused by the dead-letter queue too
}

// pendingReport is a report not sent yet, with why the last tries failed.
type pendingReport struct {
	m     telemetry.Metrics
	errs  []string
	tries int
}

// oneLine is an error's text as one line of valid UTF-8 of at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// refused reports whether the session refused a request as such (a 4xx
// from a host, invalid input for the local session), not for being out of
// reach.
func refused(err error) bool {
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.Status >= 400 && ce.Status < 500
	}
	var ge *graph.Error
	return errors.As(err, &ge)
}

// maxAttempts is how many times a report is tried before it goes to the
// dead-letter queue.
const maxAttempts = 3

func newUploader(post func(context.Context, telemetry.Metrics) error, hand func(context.Context, task.Handed) error) *uploader {
	b := make([]byte, 4)
	rand.Read(b)
	return &uploader{post: post, hand: hand, session: "window-" + hex.EncodeToString(b)}
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
	u.pending = append(u.pending, pendingReport{m: u.report(now)})
	if len(u.pending) > maxPendingReports {
		u.pending = u.pending[len(u.pending)-maxPendingReports:]
	}
	for len(u.pending) > 0 {
		p := &u.pending[0]
		err := u.post(ctx, p.m)
		if err == nil {
			u.pending = u.pending[1:]
			u.sent++
			continue
		}
		// The last few errors, each one line of bounded length: what the
		// dead-letter queue takes.
		p.errs = append(p.errs, oneLine(err.Error(), 1024))
		p.errs = p.errs[max(0, len(p.errs)-maxAttempts):]
		p.tries++
		if p.tries < maxAttempts {
			return // kept for the next interval
		}
		payload, _ := json.Marshal(p.m)
		h := task.Handed{Kind: task.KindTelemetry, Title: fmt.Sprintf("telemetry of %s at %s", p.m.SessionID, p.m.Timestamp.Format(time.RFC3339)),
			Errors: p.errs, Payload: payload}
		if u.hand == nil {
			return
		}
		if err := u.hand(ctx, h); err != nil {
			if !refused(err) {
				return // the session is out of reach: kept
			}
			u.dropped++ // refused even as a dead letter: it holds up no other
		} else {
			u.dead++
		}
		u.pending = u.pending[1:]
	}
}
