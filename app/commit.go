package app

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"visionflow/graph"
	"visionflow/session"
)

// A command is what a graph's worker runs next: a closure, or an edit
// that the worker may commit together with the edits queued behind it.
type command struct {
	run   func(*worker)
	apply *applyReq
}

// An applyReq is one caller's edit: ops applied all or nothing.
type applyReq struct {
	ctx    context.Context
	client string
	ops    []graph.Op
	done   chan applyResult // buffered: the worker never waits for the caller
}

type applyResult struct {
	ch  graph.Changes
	err error
}

// Bounds of one group commit, so that one flush stays short and its
// answers come back together soon.
const (
	maxGroupEdits = 1024
	maxGroupOps   = 16384
)

// Apply runs ops against a graph as one transaction. It returns when the
// events are durable; on any error nothing is applied.
//
// Edits that reach a graph's worker while it waits for the disk are
// committed together (group commit): each is applied in memory as its own
// graph.Tx, so each keeps its own all-or-nothing outcome, and all of them
// go to SQLite in one transaction and one fsync. None is answered before
// that transaction is durable; if it fails, every edit in it is rolled back
// and told why.
func (s *Session) Apply(ctx context.Context, client, graphID string, ops []graph.Op) (graph.Changes, error) {
	if err := s.awaitReady(ctx); err != nil {
		return graph.Changes{}, err
	}
	r := &applyReq{ctx: ctx, client: client, ops: ops, done: make(chan applyResult, 1)}
	w, err := s.send(ctx, graphID, command{apply: r})
	if err != nil {
		return graph.Changes{}, err
	}
	res := awaitWorker(w, r.done, applyResult{err: ErrClosed})
	return res.ch, res.err
}

// runApplies commits first together with the edits queued behind it, up
// to the group's bounds, and answers the group once its fsync is over. An
// edit that arrives before that is taken off the queue first, which lets
// the next group grow while the disk works. It returns the first other
// command it took off the queue, which runs next, so commands still run in
// arrival order; every edit is answered before it returns.
func (s *Session) runApplies(w *worker, first *applyReq) command {
	next := command{apply: first}
	for next.apply != nil {
		if w.grouped > 1 {
			// Edits are arriving together: let the goroutines about to
			// send theirs run first, so they join this group rather than
			// wait through the next commit. Groups grew from about 11 to
			// 19 edits with 64 clients on 2 cores, and each edit's share of
			// a commit (the transaction, the fsync, the layout row) shrank
			// with them. A lone writer's edits never wait here.
			runtime.Gosched()
		}
		var group []*applyReq
		group, next = gather(w, next.apply)
		w.grouped = len(group)
		s.commitGroupUnsynced(w, group)
		if next.apply == nil && next.run == nil {
			select {
			case cmd := <-w.cmds:
				next = cmd
			default:
			}
		}
		s.finishUnsynced(w)
	}
	return next
}

// gather returns first with the edits queued behind it, up to the group's
// bounds, and the first other command it took, if any.
func gather(w *worker, first *applyReq) ([]*applyReq, command) {
	group := []*applyReq{first}
	ops := len(first.ops)
	for len(group) < maxGroupEdits && ops < maxGroupOps {
		select {
		case cmd := <-w.cmds:
			if cmd.apply == nil {
				return group, cmd
			}
			group = append(group, cmd.apply)
			ops += len(cmd.apply.ops)
		default:
			return group, command{}
		}
	}
	return group, command{}
}

// commitGroup applies each edit of group in turn, commits the events of
// those that applied in one store transaction, and answers every one once
// it is durable.
func (s *Session) commitGroup(w *worker, group []*applyReq) {
	s.commitGroupUnsynced(w, group)
	s.finishUnsynced(w)
}

// commitGroupUnsynced is commitGroup leaving the answers to wait for the
// disk: the group becomes the worker's unsynced one.
func (s *Session) commitGroupUnsynced(w *worker, group []*applyReq) {
	s.commitGroupWith(w, group, func(ctx context.Context, g *graph.Graph, events []graph.Event) (func() error, error) {
		return s.store.CommitLater(ctx, g, events)
	})
}

// An applied edit and its answer.
type applied struct {
	r  *applyReq
	tx *graph.Tx
	ch graph.Changes
}

// An unsyncedGroup is a committed group whose answers wait for its fsync.
type unsyncedGroup struct {
	wait       func() error // nil: durable already
	ok         []applied
	change     session.Change
	committing time.Time
}

// commitGroupWith is commitGroup committing through commit, which returns
// the wait for durability (nil for a commit durable on return). Edits that
// fail are answered at once; those that apply become the worker's unsynced
// group, answered by finishUnsynced.
func (s *Session) commitGroupWith(w *worker, group []*applyReq, commit func(context.Context, *graph.Graph, []graph.Event) (func() error, error)) {
	s.finishUnsynced(w) // answers go out in commit order
	ctx := context.WithoutCancel(group[0].ctx)
	g, err := s.loaded(ctx, w)
	if err != nil {
		for _, r := range group {
			answer(r, graph.Changes{}, err)
		}
		return
	}
	var ok []applied
	var events []graph.Event
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			answer(r, graph.Changes{}, err) // its caller gave up before it started
			continue
		}
		tx, targets, err := s.doOps(g, r.client, r.ops)
		if err != nil {
			answer(r, graph.Changes{}, err)
			continue
		}
		// Taken now: later edits of the group may change the same nodes.
		ok = append(ok, applied{r, tx, changesOf(g, tx.Events(), targets)})
		events = append(events, tx.Events()...)
	}
	if len(ok) == 0 {
		return
	}
	d := &unsyncedGroup{ok: ok, committing: time.Now(), change: session.Change{Graph: w.id}}
	if len(events) > 0 {
		d.wait, err = commit(ctx, g, events)
		if err != nil {
			for i := len(ok) - 1; i >= 0; i-- {
				ok[i].tx.Rollback()
			}
			s.forgetIfMoved(w, err)
			for _, a := range ok {
				answer(a.r, graph.Changes{}, err)
			}
			return
		}
	}
	for _, a := range ok {
		a.tx.Commit()
	}
	if len(events) > 0 {
		// The layout takes the edits now, so the next frame shows them;
		// the events go out with the answers, once they are on disk.
		s.feedLayout(ctx, g, events)
		d.change.Events, d.change.Seq = events, g.Seq
	}
	w.unsynced = d
}

// finishUnsynced waits for the worker's unsynced group to be durable, then
// tells subscribers and answers its edits. If the log could not be synced,
// the store refuses writes from then on; the graph in memory, which holds
// changes that may not be on disk, is dropped, and every edit is told why.
func (s *Session) finishUnsynced(w *worker) {
	d := w.unsynced
	if d == nil {
		return
	}
	w.unsynced = nil
	var err error
	if d.wait != nil {
		err = d.wait()
	}
	if err != nil {
		s.log.Error("the database could not be made durable; writes are refused until VisionFlow restarts", "graph", w.id, "err", err)
		w.g = nil
		s.stopLayout(w.id, false)
		for _, a := range d.ok {
			answer(a.r, graph.Changes{}, err)
		}
		return
	}
	if n := len(d.change.Events); n > 0 {
		s.metrics.Commit(n, time.Since(d.committing).Seconds())
		s.metrics.CommitGroup(len(d.ok))
		s.publish(d.change)
	}
	for _, a := range d.ok {
		answer(a.r, a.ch, nil)
	}
}

func answer(r *applyReq, ch graph.Changes, err error) { r.done <- applyResult{ch, err} }

// applyOn is Apply on the graph's worker, committed on its own.
func (s *Session) applyOn(ctx context.Context, w *worker, client string, ops []graph.Op) (graph.Changes, error) {
	return s.applyOnWith(ctx, w, client, ops, func(g *graph.Graph, events []graph.Event) error { return s.store.Commit(ctx, g, events) })
}

// applyOnWith is applyOn committing through commit (a merge commits its
// CRDT ops with its events): a group of one.
func (s *Session) applyOnWith(ctx context.Context, w *worker, client string, ops []graph.Op, commit func(*graph.Graph, []graph.Event) error) (graph.Changes, error) {
	r := &applyReq{ctx: ctx, client: client, ops: ops, done: make(chan applyResult, 1)}
	s.commitGroupWith(w, []*applyReq{r}, func(_ context.Context, g *graph.Graph, events []graph.Event) (func() error, error) {
		return nil, commit(g, events)
	})
	s.finishUnsynced(w)
	res := <-r.done
	return res.ch, res.err
}

// forgetIfMoved drops the worker's graph when a commit found that the
// stored log moved on without us (another process wrote to the file), so
// the next command loads what is really stored.
func (s *Session) forgetIfMoved(w *worker, err error) {
	if errors.Is(err, graph.ErrCorruptEvent) {
		w.g = nil
		s.stopLayout(w.id, false)
	}
}

// A target is what one op touched, for the answer.
type target struct {
	id   string
	edge bool
}

// doOps applies ops to g as one graph.Tx, rolled back if any op fails.
func (s *Session) doOps(g *graph.Graph, client string, ops []graph.Op) (*graph.Tx, []target, error) {
	tx := g.Begin(s.clock, client)
	targets := make([]target, 0, len(ops))
	for i, op := range ops {
		id, err := tx.Do(op)
		if err != nil {
			tx.Rollback()
			if len(ops) > 1 {
				return nil, nil, fmt.Errorf("ops[%d] (%v): %w", i, op.String(), err)
			}
			return nil, nil, err
		}
		targets = append(targets, target{id, op.Op == graph.AddEdge || op.Op == graph.UpdateEdge || op.Op == graph.RemoveEdge})
	}
	return tx, targets, nil
}

// changesOf is the answer to an edit: its events and the nodes and edges
// it touched as they stand in g.
func changesOf(g *graph.Graph, events []graph.Event, targets []target) graph.Changes {
	ch := graph.Changes{Events: events, Nodes: []graph.Node{}, Edges: []graph.Edge{}}
	seen := map[target]bool{}
	for _, t := range targets {
		if seen[t] {
			continue
		}
		seen[t] = true
		if t.edge {
			if e, ok := g.Edge(t.id); ok {
				ch.Edges = append(ch.Edges, e)
			}
		} else if n, ok := g.Node(t.id); ok {
			ch.Nodes = append(ch.Nodes, n)
		}
	}
	if ch.Events == nil {
		ch.Events = []graph.Event{}
	}
	return ch
}
