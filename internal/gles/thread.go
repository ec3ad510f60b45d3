package gles

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// ErrStopped is returned for calls made after the GL thread stopped.
var ErrStopped = errors.New("the GL thread has stopped")

// Thread runs every GL call on one OS thread: the one that owns the
// context. Other goroutines hand it closures. The owner drains the queue
// between frames (Drain) or runs it alone (Run).
type Thread struct {
	calls   chan func()
	stopped chan struct{}
	once    sync.Once
}

// NewThread returns a call queue; the goroutine that will own the GL
// context must call runtime.LockOSThread and then Drain or Run.
func NewThread() *Thread {
	return &Thread{calls: make(chan func(), 64), stopped: make(chan struct{})}
}

// Call runs fn on the GL thread and waits for it.
func (t *Thread) Call(fn func()) error {
	done := make(chan struct{})
	select {
	case t.calls <- func() { fn(); close(done) }:
	case <-t.stopped:
		return ErrStopped
	}
	select {
	case <-done:
		return nil
	case <-t.stopped:
		// Stop drains the queue before it returns, so the call ran or
		// never will.
		select {
		case <-done:
			return nil
		default:
			return ErrStopped
		}
	}
}

// Drain runs the calls queued now, and those that arrive while it runs,
// until the queue is empty. The GL thread calls it between frames.
func (t *Thread) Drain() {
	for {
		select {
		case fn := <-t.calls:
			fn()
		default:
			return
		}
	}
}

// Wait runs calls until one arrives and the queue is empty again, or ctx
// ends; for a GL thread with nothing else to do (tests, offscreen work).
func (t *Thread) Wait(ctx context.Context) {
	select {
	case fn := <-t.calls:
		fn()
		t.Drain()
	case <-ctx.Done():
	}
}

// Run locks the calling goroutine to its OS thread and serves calls until
// ctx ends.
func (t *Thread) Run(ctx context.Context) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for ctx.Err() == nil {
		t.Wait(ctx)
	}
}

// Stop refuses further calls. Calls already queued are run first.
func (t *Thread) Stop() {
	t.once.Do(func() {
		t.Drain()
		close(t.stopped)
		t.Drain()
	})
}
