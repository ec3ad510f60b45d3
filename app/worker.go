package app

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"visionflow/graph"
	"visionflow/graph/crdt"
)

// A worker is the one goroutine that owns a graph: it loads it, runs its
// commands in arrival order, starts and stops its layout and saves its
// positions. A worker exists while its graph is loaded or has commands
// waiting; one whose graph is not loaded after a command (it does not
// exist, or was deleted) retires, and the next command for that id starts
// a fresh one.
type worker struct {
	id   string
	cmds chan command
	save chan struct{} // a periodic save is due
	gone chan struct{} // closed when the goroutine stops taking commands

	waiting atomic.Int64 // callers waiting to hand it a command (/metrics)

	// Owned by the worker goroutine.
	g        *graph.Graph
	saved    uint64         // layout step of the positions last saved
	unsynced *unsyncedGroup // committed edits waiting for the disk (commit.go)
	grouped  int            // edits in the last group committed

	// The graph's CRDT replica (sync.go), loaded on first use for the
	// graph w.g was then, and the last event turned into its ops.
	crdt       *crdt.Doc
	crdtOf     *graph.Graph
	crdtCursor uint64
}

// workerFor returns the worker of graph id, starting one if needed.
func (s *Session) workerFor(id string) (*worker, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	w := s.workers[id]
	if w == nil {
		w = &worker{id: id, cmds: make(chan command), save: make(chan struct{}, 1), gone: make(chan struct{})}
		s.workers[id] = w
		s.workersWG.Add(1)
		go s.runWorker(w)
	}
	return w, nil
}

// awaitReady waits until the session has read what it keeps.
func (s *Session) awaitReady(ctx context.Context) error {
	select {
	case <-s.ready:
		return nil
	case <-s.stopped:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// onGraph runs fn on graph id's worker and waits for it. A command whose
// caller has given up before it starts is skipped; one that has started
// runs to the end with a context that cannot be cancelled, so a change is
// never half applied.
func (s *Session) onGraph(ctx context.Context, id string, fn func(ctx context.Context, w *worker) error) error {
	if err := s.awaitReady(ctx); err != nil {
		return err
	}
	done := make(chan error, 1)
	cmd := command{run: func(w *worker) {
		if err := ctx.Err(); err != nil {
			done <- err
			return
		}
		done <- fn(context.WithoutCancel(ctx), w)
	}}
	w, err := s.send(ctx, id, cmd)
	if err != nil {
		return err
	}
	return awaitWorker(w, done, ErrClosed)
}

// awaitWorker waits for the answer to a command w has taken; closed is the
// answer when w stopped without giving one.
func awaitWorker[T any](w *worker, done <-chan T, closed T) T {
	select {
	case v := <-done:
		return v
	case <-w.gone:
		// A worker stops only between commands, so ours has finished.
		select {
		case v := <-done:
			return v
		default:
			return closed
		}
	}
}

// send hands cmd to graph id's worker, starting one if needed, and returns
// the worker that took it.
func (s *Session) send(ctx context.Context, id string, cmd command) (*worker, error) {
	var w *worker
	for sent := false; !sent; {
		var err error
		if w, err = s.workerFor(id); err != nil {
			return nil, err
		}
		w.waiting.Add(1)
		select {
		case w.cmds <- cmd:
			sent = true
		case <-w.gone:
			if s.isClosed() {
				w.waiting.Add(-1)
				return nil, ErrClosed
			}
			// It retired between our lookup and our send: ask again.
		case <-ctx.Done():
			w.waiting.Add(-1)
			return nil, ctx.Err()
		}
		w.waiting.Add(-1)
	}
	return w, nil
}

func (s *Session) runWorker(w *worker) {
	defer s.workersWG.Done()
	for {
		select {
		case cmd := <-w.cmds:
			if cmd.apply != nil {
				cmd = s.runApplies(w, cmd.apply)
			}
			if cmd.run != nil {
				cmd.run(w)
			}
			if w.g == nil {
				s.mu.Lock()
				if s.workers[w.id] == w {
					delete(s.workers, w.id)
				}
				close(w.gone)
				s.mu.Unlock()
				return
			}
		case <-w.save:
			if err := s.saveGraph(s.runCtx, w); err != nil {
				s.log.Error("saving positions failed; will retry", "graph", w.id, "err", err)
			}
		case <-s.runCtx.Done():
			close(w.gone)
			if w.g == nil {
				return
			}
			// The layout stops with runCtx: wait for its last publish, so
			// the save holds its last step.
			if l := s.layoutOf(w.id); l != nil {
				<-l.done
			}
			if err := s.saveGraph(context.Background(), w); err != nil {
				s.mu.Lock()
				s.saveErrs = append(s.saveErrs, err)
				s.mu.Unlock()
			}
			return
		}
	}
}

// loaded returns the worker's graph, reading it from the store on first
// use and starting its layout.
func (s *Session) loaded(ctx context.Context, w *worker) (*graph.Graph, error) {
	if w.g != nil {
		return w.g, nil
	}
	start := time.Now()
	g, err := s.load(ctx, w.id)
	if err != nil {
		// A graph that exists but does not load is broken: health says so
		// until it loads (a missing one is only missing).
		if !errors.Is(err, graph.ErrNotFound) && ctx.Err() == nil {
			s.noteBroken(w.id, err)
		}
		return nil, fmt.Errorf("load graph %q: %w", w.id, err)
	}
	s.noteBroken(w.id, nil)
	w.g = g
	s.log.Info("graph loaded", "graph", w.id, "nodes", g.NodeCount(), "edges", g.EdgeCount(), "took", time.Since(start).Round(time.Millisecond))
	s.startLayout(g)
	return g, nil
}

// requestSaves asks every worker to save its moved positions, without
// waiting for any of them.
func (s *Session) requestSaves() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.workers {
		select {
		case w.save <- struct{}{}:
		default: // one is already due
		}
	}
}

// saveGraph saves the worker's layout if its positions moved since they
// were last saved. Layout motion is not logged; it is saved in bulk, a few
// rows per thousand nodes.
func (s *Session) saveGraph(ctx context.Context, w *worker) error {
	if w.g == nil {
		return nil
	}
	step, ok := s.syncPositions(w.g)
	if !ok || step == w.saved {
		return nil
	}
	if err := s.store.SaveLayout(ctx, w.g); err != nil {
		return err
	}
	w.saved = step
	s.log.Debug("positions saved", "graph", w.id, "step", step)
	return nil
}

// SavePositions saves every loaded graph's moved positions now.
func (s *Session) SavePositions(ctx context.Context) error {
	s.mu.Lock()
	ids := make([]string, 0, len(s.workers))
	for id := range s.workers {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	var errs []error
	for _, id := range ids {
		err := s.onGraph(ctx, id, func(ctx context.Context, w *worker) error { return s.saveGraph(ctx, w) })
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
