// Package clock gives components their time: the system's, or a manual
// clock that a test moves, so that what happens "after a second" happens
// when the test says, not when a busy machine gets there.
package clock

import (
	"sync"
	"time"
)

// Clock is where a component reads the time and waits for it.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
	NewTimer(d time.Duration) Timer
}

// Ticker is a time.Ticker.
type Ticker interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

// Timer is a time.Timer.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// System is the machine's clock.
var System Clock = system{}

// Or is c, or System when c is nil.
func Or(c Clock) Clock {
	if c == nil {
		return System
	}
	return c
}

type system struct{}

func (system) Now() time.Time                   { return time.Now() }
func (system) NewTicker(d time.Duration) Ticker { return sysTicker{time.NewTicker(d)} }
func (system) NewTimer(d time.Duration) Timer   { return sysTimer{time.NewTimer(d)} }

type sysTicker struct{ t *time.Ticker }

func (t sysTicker) C() <-chan time.Time   { return t.t.C }
func (t sysTicker) Reset(d time.Duration) { t.t.Reset(d) }
func (t sysTicker) Stop()                 { t.t.Stop() }

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time { return t.t.C }
func (t sysTimer) Stop() bool          { return t.t.Stop() }

// Manual is a clock that moves only when Advance is called. Its tickers
// and timers fire in Advance, in time order; like the system's, a ticker
// whose last tick was not taken drops the next.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	waiters map[*waiter]bool
}

// NewManual returns a manual clock reading start.
func NewManual(start time.Time) *Manual {
	return &Manual{now: start, waiters: map[*waiter]bool{}}
}

type waiter struct {
	m      *Manual
	c      chan time.Time
	at     time.Time
	period time.Duration // 0 for a timer
}

// Now implements Clock.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// NewTicker implements Clock.
func (m *Manual) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive ticker period")
	}
	return manualTicker{m.add(d, d)}
}

// manualTicker is a waiter seen as a Ticker (whose Stop says nothing).
type manualTicker struct{ *waiter }

func (t manualTicker) Stop() { t.waiter.Stop() }

// NewTimer implements Clock.
func (m *Manual) NewTimer(d time.Duration) Timer { return m.add(d, 0) }

func (m *Manual) add(d, period time.Duration) *waiter {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := &waiter{m: m, c: make(chan time.Time, 1), at: m.now.Add(d), period: period}
	m.waiters[w] = true
	return w
}

// Waiting is how many tickers and timers are armed: a test waits for a
// component to arm its own before it advances the clock.
func (m *Manual) Waiting() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiters)
}

// Advance moves the clock by d, firing what falls due on the way.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	end := m.now.Add(d)
	for {
		var next *waiter
		for w := range m.waiters {
			if !w.at.After(end) && (next == nil || w.at.Before(next.at)) {
				next = w
			}
		}
		if next == nil {
			break
		}
		m.now = next.at
		select {
		case next.c <- next.at:
		default: // not taken: dropped, as the system's tickers do
		}
		if next.period > 0 {
			next.at = next.at.Add(next.period)
		} else {
			delete(m.waiters, next)
		}
	}
	m.now = end
}

func (w *waiter) C() <-chan time.Time { return w.c }

func (w *waiter) Reset(d time.Duration) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	w.at, w.period = w.m.now.Add(d), d
	w.m.waiters[w] = true
}

func (w *waiter) Stop() bool {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	armed := w.m.waiters[w]
	delete(w.m.waiters, w)
	return armed
}

var (
	_ Clock  = system{}
	_ Clock  = (*Manual)(nil)
	_ Ticker = manualTicker{}
	_ Timer  = (*waiter)(nil)
)
