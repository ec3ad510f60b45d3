package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"visionflow/telemetry"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/session"
	"visionflow/task"
)

var _ session.Tasks = (*Session)(nil)

// taskBoard keeps the tasks of every swarm: a task.Board in memory, every
// move stored in SQLite before it takes effect and is answered; the moves
// are told to the streams (taskProgress), ready work is offered to the
// least loaded agent that can do it (taskOffer), and each swarm's graph is
// kept showing its tasks.
type taskBoard struct {
	s *Session

	mu     sync.Mutex // one move at a time: compute, store, take effect
	b      *task.Board
	leases map[string]bool // tasks whose renewed lease is not stored yet
	saved  time.Time       // when renewed leases were last stored
	mirror map[string]bool // swarms whose graph is behind their tasks
}

func newTaskBoard(s *Session) *taskBoard {
	return &taskBoard{s: s, b: task.NewBoard(), leases: map[string]bool{}, mirror: map[string]bool{}}
}

// load reads the stored tasks into the board. A lease held when the
// server stopped runs for a whole lease from now: the downtime is not the
// agent's silence, and a live agent's next heartbeat renews it.
func (tb *taskBoard) load(ctx context.Context) error {
	ts, err := tb.s.store.AllTasks(ctx)
	if err != nil {
		return err
	}
	until := tb.s.now().Add(tb.policy().Lease)
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, t := range ts {
		if t.State == task.Claimed && t.LeaseUntil.Before(until) {
			t.LeaseUntil = until
			tb.leases[t.ID] = true
		}
		tb.mirror[t.Swarm] = true
	}
	tb.b.Put(ts...)
	return nil
}

// lock takes the board once the session has loaded it.
func (tb *taskBoard) lock(ctx context.Context) error {
	if err := tb.s.awaitReady(ctx); err != nil {
		return err
	}
	tb.mu.Lock()
	return nil
}

// drop forgets a deleted swarm's tasks (the store deleted them with it).
func (tb *taskBoard) drop(swarm string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.dropLocked(swarm)
}

func (tb *taskBoard) dropLocked(swarm string) {
	tb.b.Drop(swarm)
	delete(tb.mirror, swarm)
	for id := range tb.leases {
		if _, ok := tb.b.Get(id); !ok {
			delete(tb.leases, id)
		}
	}
}

// policy is the board's policy from the settings.
func (tb *taskBoard) policy() task.Policy {
	set := tb.s.settings
	return task.Policy{
		Lease:       time.Duration(set.Float("tasks.leaseSeconds")) * time.Second,
		MaxAttempts: int(set.Float("tasks.maxAttempts")),
	}
}

// newID makes an id that sorts by time (tasks, memories).
func (s *Session) newID() string {
	return strings.ToLower(ulid.MustNew(ulid.Timestamp(s.now()), ulid.DefaultEntropy()).String())
}

// commit stores a move's tasks, with a dead letter for each task that went
// dead, then lets the move take effect, and tells the streams. Called with
// tb.mu held.
func (tb *taskBoard) commit(ctx context.Context, changed []*task.Task, letters ...task.DeadLetter) error {
	if len(changed) == 0 && len(letters) == 0 {
		return nil
	}
	now := tb.s.now()
	for _, t := range changed {
		old, ok := tb.b.Get(t.ID)
		switch {
		case t.State == task.Dead && (!ok || old.State != task.Dead):
			letters = append(letters, t.Letter("dl-"+t.ID+"-"+strconv.Itoa(len(t.Attempts)), now))
		case ok && old.State == task.Dead && t.State != task.Dead &&
			!slices.ContainsFunc(letters, func(d task.DeadLetter) bool { return d.Ref == t.ID }):
			// It left the queue another way (cancelled with its parent):
			// its letter is settled with it.
			d, open, err := tb.s.store.OpenDeadLetterFor(ctx, task.KindTask, t.ID)
			if err != nil {
				return err
			}
			if open {
				d.State, d.By, d.Updated = task.LetterRetried, "the task moved on", now
				if t.State == task.Cancelled {
					d.State, d.By = task.LetterDiscarded, "cancelled with its task"
				}
				letters = append(letters, d)
			}
		}
	}
	if err := tb.s.store.SaveTasks(ctx, changed, letters...); err != nil {
		return err
	}
	tb.b.Put(changed...)
	for _, t := range changed {
		delete(tb.leases, t.ID)
		tb.mirror[t.Swarm] = true
		tb.s.swarms.emit(session.AgentEvent{Swarm: t.Swarm, Task: t})
	}
	tb.offer(changed)
	return nil
}

// offer hands each task that became claimable to the least loaded live
// agent of its swarm that can claim it. Called with tb.mu held.
func (tb *taskBoard) offer(changed []*task.Task) {
	for _, t := range changed {
		if t.State != task.Ready && t.State != task.Planning {
			continue
		}
		best, load := "", 0
		for _, a := range tb.s.swarms.agentsOf(t.Swarm) {
			if a.Stale || a.Control != "running" || !task.Claimable(t, a.Capabilities) {
				continue
			}
			n := tb.b.Held(t.Swarm, a.ID)
			if best == "" || n < load {
				best, load = a.ID, n
			}
		}
		if best != "" {
			tb.s.swarms.emit(session.AgentEvent{Swarm: t.Swarm, Offer: t, OfferTo: best})
		}
	}
}

// hasPlanner reports whether a swarm has a live, running agent that plans.
func (tb *taskBoard) hasPlanner(swarm string) bool {
	for _, a := range tb.s.swarms.agentsOf(swarm) {
		if !a.Stale && a.Control == "running" && slices.Contains(a.Capabilities, task.Planner) {
			return true
		}
	}
	return false
}

// agentCaps returns a live agent's capabilities, or why it cannot work.
func (s *Session) agentCaps(ctx context.Context, swarm, agentID string) ([]string, error) {
	if err := graph.ValidateID("agentId", agentID); err != nil {
		return nil, err
	}
	ls, err := s.swarms.open(ctx, swarm, "swarmId")
	if err != nil {
		return nil, err
	}
	s.swarms.mu.Lock()
	a, ok := ls.sw.Agent(agentID)
	s.swarms.mu.Unlock()
	if !ok {
		return nil, fieldErr(graph.ErrNotFound, "agentId", "swarm %q has no live agent %q (report its status first)", swarm, agentID)
	}
	return a.Capabilities, nil
}

func (tb *taskBoard) view(id string) (session.TaskView, error) {
	t, ok := tb.b.Get(id)
	if !ok {
		return session.TaskView{}, fieldErr(graph.ErrNotFound, "task", "there is no task %q", id)
	}
	v := session.TaskView{Task: t, SubtaskList: []*task.Task{}}
	for _, k := range t.Subtasks {
		if c, ok := tb.b.Get(k); ok {
			v.SubtaskList = append(v.SubtaskList, c)
		}
	}
	return v, nil
}

// SubmitTask stores a new task. The swarm is made if need be; a task
// without subtasks waits for a planner when the swarm has a live one.
func (s *Session) SubmitTask(ctx context.Context, who string, sub task.Submission) (session.TaskView, error) {
	if err := sub.Validate(); err != nil {
		return session.TaskView{}, err
	}
	if err := s.swarms.ensure(ctx, who, sub.SwarmID, "", "swarmId"); err != nil {
		return session.TaskView{}, err
	}
	tb := s.tasks
	planner := len(sub.Subtasks) == 0 && tb.hasPlanner(sub.SwarmID)
	tb.mu.Lock()
	defer tb.mu.Unlock()
	ts, err := tb.b.Submit(&sub, s.newID, who, s.now(), planner, tb.policy().MaxAttempts)
	if err != nil {
		return session.TaskView{}, err
	}
	if err := tb.commit(ctx, ts); err != nil {
		return session.TaskView{}, err
	}
	return tb.view(ts[0].ID)
}

// Tasks lists tasks.
func (s *Session) Tasks(ctx context.Context, swarm string, state task.State, limit int) ([]*task.Task, error) {
	if state != "" && !state.Valid() {
		return nil, fieldErr(graph.ErrInvalid, "state", "%q is not a task state (want one of %v)", string(state), task.States)
	}
	if limit < 1 || limit > MaxTaskList {
		return nil, fieldErr(graph.ErrInvalid, "limit", "is %d; ask for 1 to %d tasks", limit, MaxTaskList)
	}
	if err := s.tasks.lock(ctx); err != nil {
		return nil, err
	}
	defer s.tasks.mu.Unlock()
	out := s.tasks.b.List(swarm, state)
	if out == nil {
		out = []*task.Task{}
	}
	return out[:min(len(out), limit)], nil
}

// MaxTaskList bounds a list of tasks.
const MaxTaskList = 10_000

// Task returns a task with its subtasks.
func (s *Session) Task(ctx context.Context, id string) (session.TaskView, error) {
	if err := s.tasks.lock(ctx); err != nil {
		return session.TaskView{}, err
	}
	defer s.tasks.mu.Unlock()
	return s.tasks.view(id)
}

// CancelTask withdraws a task and its unfinished subtasks.
func (s *Session) CancelTask(ctx context.Context, who, id string) (session.TaskView, error) {
	tb := s.tasks
	if err := tb.lock(ctx); err != nil {
		return session.TaskView{}, err
	}
	defer tb.mu.Unlock()
	ts, err := tb.b.Cancel(id, s.now())
	if err != nil {
		return session.TaskView{}, err
	}
	if err := tb.commit(ctx, ts); err != nil {
		return session.TaskView{}, err
	}
	return tb.view(id)
}

// ClaimTask gives an agent a task under a lease.
func (s *Session) ClaimTask(ctx context.Context, who, swarm, agentID, id string) (*task.Task, error) {
	caps, err := s.agentCaps(ctx, swarm, agentID)
	if err != nil {
		return nil, err
	}
	tb := s.tasks
	if err := tb.lock(ctx); err != nil {
		return nil, err
	}
	defer tb.mu.Unlock()
	t, err := tb.b.Claim(swarm, agentID, caps, id, s.now(), tb.policy().Lease)
	if err != nil || t == nil {
		return t, err
	}
	return t, tb.commit(ctx, []*task.Task{t})
}

// PlanTask splits a task into subtasks.
func (s *Session) PlanTask(ctx context.Context, who, agentID, id string, subtasks []task.Spec) (session.TaskView, error) {
	tb := s.tasks
	if err := tb.lock(ctx); err != nil {
		return session.TaskView{}, err
	}
	defer tb.mu.Unlock()
	ts, err := tb.b.Plan(agentID, id, subtasks, s.newID, who, s.now(), tb.policy().MaxAttempts)
	if err != nil {
		return session.TaskView{}, err
	}
	if err := tb.commit(ctx, ts); err != nil {
		return session.TaskView{}, err
	}
	return tb.view(id)
}

// UpdateTask records progress of a task the agent holds.
func (s *Session) UpdateTask(ctx context.Context, who, agentID, id string, progress *float64, note string) (*task.Task, error) {
	tb := s.tasks
	if err := tb.lock(ctx); err != nil {
		return nil, err
	}
	defer tb.mu.Unlock()
	now := s.now()
	t, err := tb.b.Report(agentID, id, progress, note, now, now.Add(tb.policy().Lease))
	if err != nil {
		return nil, err
	}
	return t, tb.commit(ctx, []*task.Task{t})
}

// CompleteTask finishes a task the agent holds.
func (s *Session) CompleteTask(ctx context.Context, who, agentID, id, result string) (*task.Task, error) {
	tb := s.tasks
	if err := tb.lock(ctx); err != nil {
		return nil, err
	}
	defer tb.mu.Unlock()
	return tb.moved(ctx, id)(tb.b.Complete(agentID, id, result, s.now()))
}

// moved stores a move's tasks and returns task id as it now is.
func (tb *taskBoard) moved(ctx context.Context, id string) func([]*task.Task, error) (*task.Task, error) {
	return func(ts []*task.Task, err error) (*task.Task, error) {
		if err != nil {
			return nil, err
		}
		if err := tb.commit(ctx, ts); err != nil {
			return nil, err
		}
		t, _ := tb.b.Get(id)
		return t, nil
	}
}

// FailTask ends the agent's attempt at a task with an error.
func (s *Session) FailTask(ctx context.Context, who, agentID, id, errText string) (*task.Task, error) {
	tb := s.tasks
	if err := tb.lock(ctx); err != nil {
		return nil, err
	}
	defer tb.mu.Unlock()
	return tb.moved(ctx, id)(tb.b.Fail(agentID, id, errText, s.now(), tb.policy()))
}

// DeadLetters lists the dead-letter queue.
func (s *Session) DeadLetters(ctx context.Context, state, swarm string, limit int) ([]task.DeadLetter, error) {
	switch state {
	case "", task.LetterOpen, task.LetterRetried, task.LetterDiscarded:
	default:
		return nil, fieldErr(graph.ErrInvalid, "state", "%q is not a dead letter's state (want open, retried or discarded)", state)
	}
	return s.store.DeadLetters(ctx, state, swarm, limit)
}

// RetryDeadLetter tries a dead letter's work again.
func (s *Session) RetryDeadLetter(ctx context.Context, who, id string) (task.DeadLetter, error) {
	return s.settleLetter(ctx, who, id, task.LetterRetried)
}

// DiscardDeadLetter gives a dead letter's work up.
func (s *Session) DiscardDeadLetter(ctx context.Context, who, id string) (task.DeadLetter, error) {
	return s.settleLetter(ctx, who, id, task.LetterDiscarded)
}

// settleLetter retries or discards an open dead letter's work, and records
// who did, in one transaction.
func (s *Session) settleLetter(ctx context.Context, who, id, to string) (task.DeadLetter, error) {
	if d, err := s.store.DeadLetter(ctx, id); err != nil {
		return d, err
	} else if d.Kind == kindEmbedding {
		// Not under the board's lock: retrying calls the endpoint.
		return s.memory.settleEmbedding(ctx, who, d, to)
	} else if d.Kind == task.KindTelemetry {
		return s.settleTelemetry(ctx, who, d, to)
	}
	tb := s.tasks
	if err := tb.lock(ctx); err != nil {
		return task.DeadLetter{}, err
	}
	defer tb.mu.Unlock()
	d, err := s.store.DeadLetter(ctx, id)
	if err != nil {
		return d, err
	}
	if d.State != task.LetterOpen {
		return d, fmt.Errorf("%w: dead letter %q was %s already", task.ErrConflict, id, d.State)
	}
	now := s.now()
	var ts []*task.Task
	switch d.Kind {
	case task.KindTask:
		t, ok := tb.b.Get(d.Ref)
		switch {
		case to == task.LetterDiscarded && (!ok || t.State == task.Cancelled || t.State == task.Done):
			// Its task is over already: only the letter is settled.
		case to == task.LetterRetried:
			ts, err = tb.b.Revive(d.Ref, now, tb.policy())
		default:
			ts, err = tb.b.Cancel(d.Ref, now)
		}
	default:
		err = fmt.Errorf("%w: dead letters of kind %q are not retried here", task.ErrConflict, d.Kind)
	}
	if err != nil {
		return d, err
	}
	d.State, d.By, d.Updated = to, who, now
	return d, tb.commit(ctx, ts, d)
}

// HandDeadLetter takes a telemetry report a client could not deliver
// after its retries into the dead-letter queue.
func (s *Session) HandDeadLetter(ctx context.Context, who string, h task.Handed) (task.DeadLetter, error) {
	if err := h.Validate(); err != nil {
		return task.DeadLetter{}, err
	}
	var m telemetry.Metrics
	if err := json.Unmarshal(h.Payload, &m); err != nil {
		return task.DeadLetter{}, fieldErr(graph.ErrInvalid, "payload", "is not a telemetry report: %v", err)
	}
	now := s.now()
	id := s.newID()
	d := task.DeadLetter{ID: "dl-" + id, Kind: h.Kind, Ref: cmp.Or(m.SessionID, who), State: task.LetterOpen, Title: h.Title,
		Errors: h.Errors, By: who, Created: now, Updated: now, Payload: h.Payload}
	return d, s.store.SaveTasks(ctx, nil, d)
}

// settleTelemetry posts a dead telemetry report again, or drops it.
func (s *Session) settleTelemetry(ctx context.Context, who string, d task.DeadLetter, to string) (task.DeadLetter, error) {
	s.tasks.mu.Lock() // one settlement at a time
	defer s.tasks.mu.Unlock()
	d, err := s.store.DeadLetter(ctx, d.ID)
	if err != nil {
		return d, err
	}
	if d.State != task.LetterOpen {
		return d, fmt.Errorf("%w: dead letter %q was %s already", task.ErrConflict, d.ID, d.State)
	}
	if to == task.LetterRetried {
		var m telemetry.Metrics
		if err := json.Unmarshal(d.Payload, &m); err != nil {
			return d, fmt.Errorf("dead letter %s: its report: %w", d.ID, err)
		}
		if err := s.PostTelemetry(ctx, who, []telemetry.Metrics{m}); err != nil {
			return d, fmt.Errorf("%w: the report is refused again: %v", task.ErrConflict, err)
		}
	}
	d.State, d.By, d.Updated = to, who, s.now()
	return d, s.store.SaveTasks(ctx, nil, d)
}

// renew extends the leases of the tasks these agents hold: a status report
// is their heartbeat. Stored by tick, not at once (a heartbeat is not a
// transition).
func (tb *taskBoard) renew(updates []agent.Status, now time.Time) {
	lease := tb.policy().Lease
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, u := range updates {
		ts := tb.b.Renew(u.SwarmID, u.AgentID, now.Add(lease))
		tb.b.Put(ts...)
		for _, t := range ts {
			tb.leases[t.ID] = true
		}
	}
}

// tick moves what time has moved (expired leases, due retries), stores
// renewed leases every third of a lease, and brings the swarms' graphs up
// to date with their tasks.
func (tb *taskBoard) tick(ctx context.Context, now time.Time) {
	p := tb.policy()
	tb.mu.Lock()
	moved := tb.b.Tick(now, p)
	// Tasks that have waited a lease for a planner when the swarm has none
	// left (gone, silent, paused) become work of their own.
	for _, sw := range tb.b.Planning() {
		if !tb.hasPlanner(sw) {
			moved = append(moved, tb.b.Unplan(sw, now.Add(-p.Lease), now)...)
		}
	}
	if err := tb.commit(ctx, moved); err != nil {
		tb.s.log.Warn("tasks: could not store what time moved; will retry", "err", err)
	}
	if len(tb.leases) > 0 && now.Sub(tb.saved) >= p.Lease/3 {
		var ts []*task.Task
		for _, id := range slices.Sorted(maps.Keys(tb.leases)) {
			if t, ok := tb.b.Get(id); ok {
				ts = append(ts, t)
			}
		}
		if err := tb.s.store.SaveTasks(ctx, ts); err != nil {
			tb.s.log.Warn("tasks: could not store renewed leases; will retry", "err", err)
		} else {
			clear(tb.leases)
			tb.saved = now
		}
	}
	swarms := slices.Sorted(maps.Keys(tb.mirror))
	clear(tb.mirror)
	tb.mu.Unlock()
	for _, sw := range swarms {
		if err := tb.reflect(ctx, sw); err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, graph.ErrNotFound) {
			tb.s.log.Warn("tasks: the swarm's graph could not show its tasks", "swarm", sw, "err", err)
			tb.mu.Lock()
			tb.mirror[sw] = true
			tb.mu.Unlock()
		}
	}
}

// Metadata of task nodes and edges in a swarm's graph.
const (
	kindTask    = "task"
	kindSubtask = "subtask"
	kindDepends = "dependsOn"
	kindClaim   = "claim"
)

// shownFinished is how many finished tasks a swarm's graph keeps showing
// (the newest); the store keeps them all.
var shownFinished = 100

// reflect makes a swarm's graph show its tasks: a node per open task and
// per recently finished one (kind task, with its state, progress, priority
// and knowledge nodes), an edge to each subtask, from each dependency, and
// from the agent that holds it.
func (tb *taskBoard) reflect(ctx context.Context, swarm string) error {
	tb.mu.Lock()
	all := tb.b.List(swarm, "")
	tb.mu.Unlock()
	var ts []*task.Task
	finished := 0
	for _, t := range slices.Backward(all) { // newest first
		if t.State == task.Done || t.State == task.Cancelled {
			if finished++; finished > shownFinished {
				continue
			}
		}
		ts = append(ts, t)
	}
	slices.Reverse(ts)
	shown := make(map[string]bool, len(ts))
	for _, t := range ts {
		shown[t.ID] = true
	}
	return tb.s.onGraph(ctx, swarm, func(ctx context.Context, w *worker) error {
		g, err := tb.s.loaded(ctx, w)
		if err != nil {
			return err
		}
		var ops []graph.Op
		type edgeSpec struct{ src, dst, kind string }
		want := map[string]edgeSpec{}
		gone := map[string]bool{} // task nodes to remove, with their edges
		for _, n := range g.Nodes() {
			if n.Metadata[kindKey] == kindTask && !shown[n.ID] {
				ops = append(ops, graph.Op{Op: graph.RemoveNode, ID: n.ID})
				gone[n.ID] = true
			}
		}
		for _, t := range ts {
			md := map[string]*string{kindKey: new(kindTask), "state": new(string(t.State)), "progress": new(strconv.Itoa(int(t.Progress))),
				"priority": new(strconv.Itoa(t.Priority)), "knowledge": new(strings.Join(t.Knowledge, ","))}
			n, ok := g.Node(t.ID)
			switch {
			case !ok:
				ops = append(ops, graph.Op{Op: graph.AddNode, ID: t.ID, Label: new(t.Title), GraphType: graph.Agents, Metadata: md})
			case n.Metadata[kindKey] != kindTask:
				continue // an agent or a node of someone else's with this id
			default:
				changed := map[string]*string{}
				for k, v := range md {
					if n.Metadata[k] != *v {
						changed[k] = v
					}
				}
				if len(changed) > 0 {
					ops = append(ops, graph.Op{Op: graph.UpdateNode, ID: t.ID, Metadata: changed})
				}
			}
			for _, k := range t.Subtasks {
				if shown[k] {
					want["sub:"+k] = edgeSpec{t.ID, k, kindSubtask}
				}
			}
			for _, d := range t.DependsOn {
				if shown[d] {
					want["dep:"+t.ID+":"+d] = edgeSpec{d, t.ID, kindDepends}
				}
			}
			if t.State == task.Claimed {
				if _, ok := g.Node(t.Agent); ok {
					want["claim:"+t.ID] = edgeSpec{t.Agent, t.ID, kindClaim}
				}
			}
		}
		// Edges that should go: task edges no longer wanted.
		for _, e := range g.Edges() {
			k := e.Metadata[kindKey]
			if (k != kindSubtask && k != kindDepends && k != kindClaim) || gone[e.Source] || gone[e.Target] {
				continue
			}
			if w, ok := want[e.ID]; !ok || w.src != e.Source || w.dst != e.Target {
				ops = append(ops, graph.Op{Op: graph.RemoveEdge, ID: e.ID})
			} else {
				delete(want, e.ID)
			}
		}
		var adds []graph.Op
		for id, w := range want {
			adds = append(adds, graph.Op{Op: graph.AddEdge, ID: id, Source: w.src, Target: w.dst, Metadata: map[string]*string{kindKey: new(w.kind)}})
		}
		slices.SortFunc(adds, func(a, b graph.Op) int { return cmp.Compare(a.ID, b.ID) })
		ops = append(ops, adds...)
		if len(ops) == 0 {
			return nil
		}
		_, err = tb.s.applyOn(ctx, w, "tasks", ops)
		return err
	})
}

// concern is an open task and the knowledge nodes it concerns.
type concern struct {
	task      string
	knowledge []string
}

// concerns lists, by swarm, the open tasks that name knowledge nodes: the
// swarm's layout keeps each near them.
func (tb *taskBoard) concerns() map[string][]concern {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	out := map[string][]concern{}
	tb.b.Each(func(t *task.Task) {
		if len(t.Knowledge) > 0 && !t.State.Final() {
			out[t.Swarm] = append(out[t.Swarm], concern{t.ID, slices.Clone(t.Knowledge)})
		}
	})
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b concern) int { return strings.Compare(a.task, b.task) })
	}
	return out
}
