package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"visionflow/graph"
	"visionflow/graph/crdt"
	"visionflow/session"
)

// replicaID is this database's replica id.
func (s *Session) replicaID(ctx context.Context) (string, error) {
	s.replicaMu.Lock()
	defer s.replicaMu.Unlock()
	if s.replica == "" {
		id, err := s.store.Replica(ctx)
		if err != nil {
			return "", err
		}
		s.replica = id
	}
	return s.replica, nil
}

// crdtOf returns a graph's CRDT replica with every event of the graph
// turned into ops (those a merge committed excepted: the cursor moves past
// them in the merge's own transaction). It runs on the graph's worker.
func (s *Session) crdtOf(ctx context.Context, w *worker) (*crdt.Doc, *graph.Graph, error) {
	g, err := s.loaded(ctx, w)
	if err != nil {
		return nil, nil, err
	}
	if w.crdt == nil || w.crdtOf != g {
		replica, err := s.replicaID(ctx)
		if err != nil {
			return nil, nil, err
		}
		ops, cursor, err := s.store.LoadCRDT(ctx, w.id)
		if err != nil {
			return nil, nil, err
		}
		d := crdt.New(replica)
		if err := d.ApplyAll(ops); err != nil {
			return nil, nil, fmt.Errorf("the stored CRDT ops of graph %q do not apply: %w", w.id, err)
		}
		w.crdt, w.crdtOf, w.crdtCursor = d, g, cursor
	}
	for w.crdtCursor < g.Seq {
		evs, err := s.store.Events(ctx, w.id, w.crdtCursor, 10_000)
		if err == nil && len(evs) == 0 {
			err = fmt.Errorf("the log of graph %q ends before seq %d", w.id, g.Seq)
		}
		if err != nil {
			w.crdt = nil
			return nil, nil, err
		}
		ops, err := w.crdt.FromEvents(evs)
		last := evs[len(evs)-1].Seq
		if err == nil {
			err = s.store.SaveCRDT(ctx, w.id, ops, last)
		}
		if err != nil {
			w.crdt = nil // read again from what is stored
			return nil, nil, err
		}
		w.crdtCursor = last
	}
	return w.crdt, g, nil
}

// SyncOps returns the ops a replica that has seen since lacks.
func (s *Session) SyncOps(ctx context.Context, graphID string, since crdt.VV, limit int) (session.SyncBatch, error) {
	limit = min(max(limit, 0), session.MaxSyncOps) // 0: just the version vector
	var b session.SyncBatch
	err := s.onGraph(ctx, graphID, func(ctx context.Context, w *worker) error {
		d, g, err := s.crdtOf(ctx, w)
		if err != nil {
			return err
		}
		ops := d.OpsAfter(since)
		b = session.SyncBatch{Replica: d.Replica, Seen: d.Seen(), Ops: ops[:min(len(ops), limit)], More: len(ops) > limit, Graph: g.Info}
		if b.Ops == nil {
			b.Ops = []crdt.Op{}
		}
		return nil
	})
	return b, err
}

// MergeOps merges another replica's ops into a graph.
func (s *Session) MergeOps(ctx context.Context, who, graphID string, in session.SyncBatch) (session.MergeResult, error) {
	bad := func(format string, args ...any) error {
		return &graph.Error{Kind: graph.ErrInvalid, Field: "ops", Detail: fmt.Sprintf(format, args...)}
	}
	if len(in.Ops) > session.MaxSyncOps {
		return session.MergeResult{}, bad("%d ops in one batch; the limit is %d: send them in batches, each origin's in order", len(in.Ops), session.MaxSyncOps)
	}
	var res session.MergeResult
	err := s.onGraph(ctx, graphID, func(ctx context.Context, w *worker) error {
		d, g, err := s.crdtOf(ctx, w)
		if err != nil {
			return err
		}
		seen := d.Seen()
		var fresh []crdt.Op
		for i, op := range in.Ops {
			if seen.Covers(op.Stamp) {
				continue
			}
			if op.Stamp.Replica == d.Replica {
				return bad("ops[%d] claims to come from this replica (%s), which did not make it", i, d.Replica)
			}
			if _, err := s.clock.Observe(op.Stamp.T); err != nil {
				return bad("ops[%d] of replica %q: its time is %v; is that machine's clock right?", i, op.Stamp.Replica, strings.TrimPrefix(err.Error(), "observe "))
			}
			fresh = append(fresh, op)
		}
		if err := d.ApplyAll(fresh); err != nil {
			w.crdt = nil // partly applied: read again from what is stored
			return bad("%v", err)
		}
		if in.Replica != "" {
			d.Heard(in.Replica, in.Seen)
		}
		// The layout moves nodes without ops; only a position the merge
		// brought is taken.
		moved := map[string]bool{}
		for _, op := range fresh {
			if op.Kind == crdt.SetNode && op.Field == crdt.FieldPosition {
				if st, ok := d.Winner(op.ID, op.Field); ok && st == op.Stamp {
					moved[op.ID] = true
				}
			}
		}
		ops := crdt.Diff(canonical(g), d.View(), moved)
		ch, err := s.applyOnWith(ctx, w, who, ops, func(g *graph.Graph, events []graph.Event) error {
			return s.store.CommitMerge(ctx, g, events, fresh)
		})
		if err != nil {
			w.crdt = nil
			return fmt.Errorf("commit the merge: %w", err)
		}
		w.crdtCursor = g.Seq
		d.Compact()
		res = session.MergeResult{Seen: d.Seen(), Applied: len(fresh), Events: len(ch.Events), Seq: g.Seq}
		return nil
	})
	return res, err
}

// canonical is g as crdt.View gives a graph: sorted by id, without wire
// ids or velocities.
func canonical(g *graph.Graph) graph.Contents {
	c := graph.Contents{Nodes: g.Nodes(), Edges: g.Edges()}
	for i := range c.Nodes {
		c.Nodes[i].WireID, c.Nodes[i].Velocity = 0, graph.Vec3{}
	}
	slices.SortFunc(c.Nodes, func(a, b graph.Node) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(c.Edges, func(a, b graph.Edge) int { return strings.Compare(a.ID, b.ID) })
	return c
}
