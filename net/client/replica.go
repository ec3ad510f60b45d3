package client

import (
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"visionflow/graph"
)

// Replica is a client's copy of one graph that it edits optimistically: an
// edit shows in View at once (new nodes and edges get ids made here, so
// they can be drawn before the server has seen them), goes to the server
// with the seq it was made on, and is reconciled with what the server
// says: confirmed (its events arrive), rebased (other clients' events came
// first: the edit is replayed on top of them), or rolled back (the server
// refused it).
type Replica struct {
	mu        sync.Mutex
	confirmed *graph.Graph // the server's graph, from contents and events
	pending   []*Edit      // made here, not yet in confirmed, oldest first
	view      *graph.Graph // confirmed with pending on top; nil when stale
	clock     *graph.Clock
	entropy   *ulid.MonotonicEntropy
	onOutcome func(*Edit, Outcome, error)
}

// Edit is one optimistic edit.
type Edit struct {
	ID    string     // made here, for logs and notices
	Graph string     // the graph it edits
	Ops   []graph.Op // with the ids made here filled in
	Base  uint64     // the confirmed seq it was made on
	// Set once the server has answered.
	accepted bool
	last     uint64 // seq of its last event
	foreign  int    // events of others committed between Base and it
}

// Outcome is how an edit ended.
type Outcome int

const (
	Confirmed  Outcome = iota // the server committed it as it was made
	Rebased                   // the server committed it after other clients' changes
	RolledBack                // the server refused it: it is gone from the view
)

func (o Outcome) String() string {
	return [...]string{"confirmed", "rebased", "rolled back"}[o]
}

// NewReplica starts a replica from a graph's contents. onOutcome (may be
// nil) is told how each edit ended; it runs with the replica unlocked.
func NewReplica(c graph.Contents, onOutcome func(*Edit, Outcome, error)) (*Replica, error) {
	g, err := restore(c)
	if err != nil {
		return nil, err
	}
	return &Replica{confirmed: g, clock: graph.NewClock(nil), entropy: ulid.Monotonic(rand.Reader, 0), onOutcome: onOutcome}, nil
}

func restore(c graph.Contents) (*graph.Graph, error) {
	var next uint32
	for _, n := range c.Nodes {
		next = max(next, n.WireID.Index()+1)
	}
	return graph.Restore(c.Info, next, c.Nodes, c.Edges)
}

// Reset replaces the confirmed graph (after a reload); pending edits stay
// on top of it.
func (r *Replica) Reset(c graph.Contents) error {
	g, err := restore(c)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.confirmed, r.view = g, nil
	r.settleLocked()
	return nil
}

// Seq is the last server event the replica holds.
func (r *Replica) Seq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.confirmed.Seq
}

// Pending is how many edits wait for the server.
func (r *Replica) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// View is the graph to show: the server's, with the edits made here on
// top. It must not be changed.
func (r *Replica) View() *graph.Graph {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.viewLocked()
}

func (r *Replica) viewLocked() *graph.Graph {
	if len(r.pending) == 0 {
		return r.confirmed
	}
	if r.view == nil {
		v := r.confirmed.Clone()
		for _, e := range r.pending {
			// An edit that no longer applies (another client removed
			// what it changes) is left out until the server answers.
			tx := v.Begin(r.clock, "optimistic")
			ok := true
			for _, op := range e.Ops {
				if _, err := tx.Do(op); err != nil {
					ok = false
					break
				}
			}
			if ok {
				tx.Commit()
			} else {
				tx.Rollback()
			}
		}
		r.view = v
	}
	return r.view
}

// Edit makes an edit: ids are filled in for new nodes and edges, the ops
// are checked against the view (an edit that cannot apply is refused here
// and now), and the view shows it at once. Send e.Ops with e.Base, then
// call Accepted or Refused with the answer.
func (r *Replica) Edit(graphID string, ops []graph.Op) (*Edit, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := &Edit{ID: r.newID(), Graph: graphID, Ops: make([]graph.Op, len(ops)), Base: r.confirmed.Seq}
	for i, op := range ops {
		if (op.Op == graph.AddNode || op.Op == graph.AddEdge) && op.ID == "" {
			op.ID = r.newID()
		}
		e.Ops[i] = op
	}
	v := r.viewLocked().Clone()
	tx := v.Begin(r.clock, "optimistic")
	for i, op := range e.Ops {
		if _, err := tx.Do(op); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("ops[%d]: %w", i, err)
		}
	}
	tx.Commit()
	r.pending = append(r.pending, e)
	r.view = v
	return e, nil
}

func (r *Replica) newID() string {
	return ulid.MustNew(ulid.Timestamp(time.Now()), r.entropy).String()
}

// Apply takes the server's events, in order (those the replica holds are
// skipped). It fails on a gap or an event that does not apply: the caller
// then fetches the graph and calls Reset.
func (r *Replica) Apply(events []graph.Event) error {
	r.mu.Lock()
	for _, ev := range events {
		if ev.Seq <= r.confirmed.Seq {
			continue
		}
		if err := r.confirmed.Apply(ev); err != nil {
			r.mu.Unlock()
			return err
		}
		r.view = nil
	}
	done := r.settleLocked()
	r.mu.Unlock()
	r.tell(done)
	return nil
}

type outcome struct {
	e   *Edit
	o   Outcome
	err error
}

// settleLocked drops the accepted edits the confirmed graph now holds.
func (r *Replica) settleLocked() []outcome {
	var done []outcome
	keep := r.pending[:0]
	for _, e := range r.pending {
		if e.accepted && r.confirmed.Seq >= e.last {
			o := Confirmed
			if e.foreign > 0 {
				o = Rebased
			}
			done = append(done, outcome{e, o, nil})
			r.view = nil
			continue
		}
		keep = append(keep, e)
	}
	r.pending = keep
	return done
}

func (r *Replica) tell(done []outcome) {
	if r.onOutcome == nil {
		return
	}
	for _, d := range done {
		r.onOutcome(d.e, d.o, d.err)
	}
}

// Accepted records the server's answer to e: the events it was committed
// as. They are applied at once when they follow what the replica holds
// (so the edit never flickers out of the view); otherwise the stream
// brings them, and the edit stays shown until it does.
func (r *Replica) Accepted(e *Edit, events []graph.Event) {
	r.mu.Lock()
	e.accepted = true
	if len(events) > 0 {
		e.last = events[len(events)-1].Seq
		e.foreign = int(events[0].Seq - 1 - e.Base)
		if events[0].Seq == r.confirmed.Seq+1 {
			for _, ev := range events {
				if r.confirmed.Apply(ev) != nil {
					break // the stream or a reload will set it right
				}
			}
			r.view = nil
		}
	}
	done := r.settleLocked()
	r.mu.Unlock()
	r.tell(done)
}

// Refused rolls e back: it leaves the view, and onOutcome says why.
func (r *Replica) Refused(e *Edit, err error) {
	r.mu.Lock()
	for i, p := range r.pending {
		if p == e {
			r.pending = append(r.pending[:i], r.pending[i+1:]...)
			r.view = nil
			break
		}
	}
	r.mu.Unlock()
	r.tell([]outcome{{e, RolledBack, err}})
}
