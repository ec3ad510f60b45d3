package memory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Guard calls a primary embedder (an endpoint) behind a circuit breaker,
// trying once more after an error that may pass, and makes the vectors with
// a fallback embedder (the local one) when the primary fails or its
// breaker is open, saying why.
type Guard struct {
	primary, fallback Embedder
	cb                *gobreaker.CircuitBreaker[[][]float32]
	retryable         func(error) bool
	wait              func(n int) time.Duration
}

// GuardOptions tune a Guard. Zero values have defaults.
type GuardOptions struct {
	// Trip opens the breaker after this many failures in a row (3).
	Trip uint32
	// Open is how long the breaker stays open before it lets one call
	// try (30 s).
	Open time.Duration
	// Retryable tells errors worth another try (none when nil).
	Retryable func(error) bool
	// Wait is the pause before retry n (200 ms).
	Wait func(n int) time.Duration
}

// NewGuard guards primary, falling back to fallback.
func NewGuard(primary, fallback Embedder, opt GuardOptions) *Guard {
	if opt.Trip == 0 {
		opt.Trip = 3
	}
	if opt.Open <= 0 {
		opt.Open = 30 * time.Second
	}
	if opt.Retryable == nil {
		opt.Retryable = func(error) bool { return false }
	}
	if opt.Wait == nil {
		opt.Wait = func(int) time.Duration { return 200 * time.Millisecond }
	}
	g := &Guard{primary: primary, fallback: fallback, retryable: opt.Retryable, wait: opt.Wait}
	g.cb = gobreaker.NewCircuitBreaker[[][]float32](gobreaker.Settings{
		Name:        primary.Name(),
		Timeout:     opt.Open,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= opt.Trip },
		// The caller giving up says nothing about the endpoint.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
	})
	return g
}

// Name is the primary's name: what the guard means to make vectors with.
func (g *Guard) Name() string { return g.primary.Name() }

// State is the breaker's state: closed, half-open or open.
func (g *Guard) State() string { return g.cb.State().String() }

// Embedded is what a guarded call made.
type Embedded struct {
	Vectors  [][]float32
	By       string // the embedder that made them
	Fallback string // why the fallback made them ("" when the primary did)
	// Failed is the primary's error when a call to it failed (not when its
	// breaker kept it from being called): work for the dead-letter queue.
	Failed error
}

// Embed makes the texts' vectors with the primary if it can, else with the
// fallback. It fails only when the caller gives up or the fallback fails.
func (g *Guard) Embed(ctx context.Context, texts []string) (Embedded, error) {
	vecs, err := g.cb.Execute(func() ([][]float32, error) {
		var vecs [][]float32
		var err error
		for n := 1; ; n++ {
			if vecs, err = g.primary.Embed(ctx, texts); err == nil || n == 2 || !g.retryable(err) {
				return vecs, err
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(g.wait(n)):
			}
		}
	})
	if err == nil {
		return Embedded{Vectors: vecs, By: g.primary.Name()}, nil
	}
	if ctx.Err() != nil {
		return Embedded{}, ctx.Err()
	}
	out := Embedded{By: g.fallback.Name()}
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		out.Fallback = fmt.Sprintf("%s is failing and its circuit breaker is open; the %s embedder stood in", g.primary.Name(), g.fallback.Name())
	default:
		out.Fallback = fmt.Sprintf("%s failed (%v); the %s embedder stood in", g.primary.Name(), err, g.fallback.Name())
		out.Failed = err
	}
	if out.Vectors, err = g.fallback.Embed(ctx, texts); err != nil {
		return Embedded{}, err
	}
	return out, nil
}
