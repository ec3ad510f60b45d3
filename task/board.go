package task

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"visionflow/graph"
)

// ErrConflict is wrapped by moves that the task's state does not allow
// (completing a cancelled task, claiming a claimed one): the request was
// well formed, but too late or out of turn.
var ErrConflict = errors.New("conflict")

func conflict(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, args...))
}

func notFound(id string) error {
	return &graph.Error{Kind: graph.ErrNotFound, Field: "task", Detail: fmt.Sprintf("there is no task %q", id)}
}

// Planner is the capability of agents that split tasks into subtasks.
const Planner = "planner"

// Modes of a claim.
const (
	ModeWork = ""
	ModePlan = "plan" // a planner holds the task to split it
)

// Policy is how the board treats time and failure.
type Policy struct {
	Lease       time.Duration // a claim lasts this long unless renewed
	MaxAttempts int           // failed or expired attempts before the dead-letter queue
	// Backoff is the wait before retry n (1 for the first); Retry's
	// exponential backoff with jitter when nil.
	Backoff func(n int) time.Duration
}

// Retry is the default backoff: exponential from one second, doubling, to
// at most a minute, each wait jittered by ±50% (cenkalti/backoff).
func Retry(n int) time.Duration {
	b := &backoff.ExponentialBackOff{InitialInterval: time.Second, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: time.Minute}
	b.Reset()
	d := b.NextBackOff()
	for range n - 1 {
		d = b.NextBackOff()
	}
	return d
}

func (p Policy) backoff(n int) time.Duration {
	if p.Backoff != nil {
		return p.Backoff(n)
	}
	return Retry(n)
}

// Board holds the live tasks of every swarm. Its moves compute what they
// would change and return copies; Put makes the change. It is not safe for
// concurrent use.
type Board struct {
	tasks map[string]*Task
	held  map[[2]string]map[string]bool // claimed tasks by swarm and agent
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{tasks: map[string]*Task{}, held: map[[2]string]map[string]bool{}}
}

// Put stores tasks as they now are.
func (b *Board) Put(ts ...*Task) {
	for _, t := range ts {
		if old, ok := b.tasks[t.ID]; ok && old.State == Claimed {
			k := [2]string{old.Swarm, old.Agent}
			if delete(b.held[k], old.ID); len(b.held[k]) == 0 {
				delete(b.held, k)
			}
		}
		c := t.Clone()
		b.tasks[t.ID] = c
		if c.State == Claimed {
			k := [2]string{c.Swarm, c.Agent}
			if b.held[k] == nil {
				b.held[k] = map[string]bool{}
			}
			b.held[k][c.ID] = true
		}
	}
}

// Drop forgets every task of a swarm (its graph went away).
func (b *Board) Drop(swarm string) {
	maps.DeleteFunc(b.tasks, func(_ string, t *Task) bool { return t.Swarm == swarm })
	maps.DeleteFunc(b.held, func(k [2]string, _ map[string]bool) bool { return k[0] == swarm })
}

// Each calls fn with every task, in no order; fn must neither keep nor
// change the task.
func (b *Board) Each(fn func(t *Task)) {
	for _, t := range b.tasks {
		fn(t)
	}
}

// Get returns a copy of a task.
func (b *Board) Get(id string) (*Task, bool) {
	t, ok := b.tasks[id]
	if !ok {
		return nil, false
	}
	return t.Clone(), true
}

// Len is the number of tasks held.
func (b *Board) Len() int { return len(b.tasks) }

// List returns copies of the tasks of a swarm ("" for all) in a state (""
// for all), oldest first.
func (b *Board) List(swarm string, state State) []*Task {
	var out []*Task
	for _, t := range b.tasks {
		if (swarm == "" || t.Swarm == swarm) && (state == "" || t.State == state) {
			out = append(out, t.Clone())
		}
	}
	slices.SortFunc(out, func(a, b *Task) int { return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID)) })
	return out
}

// Claimable lists a swarm's tasks an agent with these capabilities could
// claim now, best first: higher priority, then older.
func (b *Board) Claimable(swarm string, caps []string) []*Task {
	var out []*Task
	for _, t := range b.tasks {
		if t.Swarm == swarm && claimable(t, caps) {
			out = append(out, t.Clone())
		}
	}
	slices.SortFunc(out, func(a, b *Task) int {
		return cmp.Or(b.Priority-a.Priority, a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out
}

// Held counts the tasks an agent of a swarm holds now.
func (b *Board) Held(swarm, agentID string) int { return len(b.held[[2]string{swarm, agentID}]) }

// Claimable reports whether an agent with these capabilities can claim a
// task now: a ready one whose requirements it meets, or one waiting for a
// planner when it plans.
func Claimable(t *Task, caps []string) bool { return claimable(t, caps) }

func claimable(t *Task, caps []string) bool {
	switch t.State {
	case Ready:
		for _, r := range t.Requires {
			if !slices.Contains(caps, r) {
				return false
			}
		}
		return true
	case Planning:
		return slices.Contains(caps, Planner)
	}
	return false
}

// staged is a move's working copies.
type staged struct {
	b       *Board
	changed map[string]*Task
}

func (b *Board) stage() *staged { return &staged{b: b, changed: map[string]*Task{}} }

func (s *staged) get(id string) (*Task, bool) {
	if t, ok := s.changed[id]; ok {
		return t, true
	}
	t, ok := s.b.tasks[id]
	if !ok {
		return nil, false
	}
	c := t.Clone()
	s.changed[id] = c
	return c, true
}

// peek returns a task as the move has it so far, without making it part
// of the move: the caller must not change it.
func (s *staged) peek(id string) (*Task, bool) {
	if t, ok := s.changed[id]; ok {
		return t, true
	}
	t, ok := s.b.tasks[id]
	return t, ok
}

func (s *staged) add(t *Task) { s.changed[t.ID] = t }

// list returns the changed tasks, in a stable order.
func (s *staged) list() []*Task {
	out := make([]*Task, 0, len(s.changed))
	for _, id := range slices.Sorted(maps.Keys(s.changed)) {
		out = append(out, s.changed[id])
	}
	return out
}

// Submit makes a submission's tasks: the task, and its subtasks when it
// names them (ready when they depend on nothing, else pending). A task
// without subtasks waits for a planner when the swarm has one (planner),
// else is one unit of work, ready. ids makes task ids.
func (b *Board) Submit(sub *Submission, ids func() string, by string, now time.Time, planner bool, maxAttempts int) ([]*Task, error) {
	if err := sub.Validate(); err != nil {
		return nil, err
	}
	s := b.stage()
	top := newTask(sub.Spec(), sub.SwarmID, "", ids(), by, now, maxAttempts)
	switch {
	case len(sub.Subtasks) > 0:
		top.State = Running
	case planner:
		top.State = Planning
	default:
		top.State = Ready
	}
	s.add(top)
	if len(sub.Subtasks) > 0 {
		s.split(top, sub.Subtasks, ids, by, now, maxAttempts)
	}
	return s.list(), nil
}

func newTask(sp Spec, swarm, parent, id, by string, now time.Time, maxAttempts int) *Task {
	return &Task{ID: id, Swarm: swarm, Parent: parent, Title: sp.Title, Description: sp.Description, Priority: sp.Priority,
		Requires: append([]string{}, sp.Requires...), Knowledge: append([]string{}, sp.Knowledge...), DependsOn: []string{}, Subtasks: []string{},
		Attempts: []Attempt{}, MaxAttempts: maxAttempts, By: by, Created: now, Updated: now}
}

// split makes a task's subtasks from validated specs.
func (s *staged) split(parent *Task, specs []Spec, ids func() string, by string, now time.Time, maxAttempts int) {
	byKey := map[string]string{}
	kids := make([]*Task, len(specs))
	for i, sp := range specs {
		kids[i] = newTask(sp, parent.Swarm, parent.ID, ids(), by, now, maxAttempts)
		if sp.Key != "" {
			byKey[sp.Key] = kids[i].ID
		}
		parent.Subtasks = append(parent.Subtasks, kids[i].ID)
	}
	for i, sp := range specs {
		for _, d := range sp.DependsOn {
			kids[i].DependsOn = append(kids[i].DependsOn, byKey[d])
		}
		kids[i].State = Ready
		if len(kids[i].DependsOn) > 0 {
			kids[i].State = Pending
		}
		s.add(kids[i])
	}
	parent.State = Running
	parent.Updated = now
}

// Plan splits a task into subtasks, for the planner that holds it (or,
// while no planner holds it, for anyone).
func (b *Board) Plan(agentID, id string, specs []Spec, ids func() string, by string, now time.Time, maxAttempts int) ([]*Task, error) {
	s := b.stage()
	t, ok := s.get(id)
	switch {
	case !ok:
		return nil, notFound(id)
	case t.State == Claimed && t.Agent == agentID:
		if len(t.Attempts) > 0 {
			a := &t.Attempts[len(t.Attempts)-1]
			a.Ended, a.Outcome = now, "planned"
		}
	case t.State != Planning:
		return nil, conflict("task %q is %s; only a task waiting to be planned, or held by you to plan, can be split", id, t.State)
	}
	if len(specs) == 0 {
		return nil, invalid("subtasks", "name at least one subtask")
	}
	if err := ValidateSpecs("subtasks", specs); err != nil {
		return nil, err
	}
	t.LeaseUntil = time.Time{}
	s.split(t, specs, ids, by, now, maxAttempts)
	return s.list(), nil
}

// Claim gives an agent a task under a lease: the one named, or else the
// best it can claim. caps are the agent's capabilities.
func (b *Board) Claim(swarm, agentID string, caps []string, id string, now time.Time, lease time.Duration) (*Task, error) {
	if id == "" {
		best := b.Claimable(swarm, caps)
		if len(best) == 0 {
			return nil, nil
		}
		id = best[0].ID
	}
	s := b.stage()
	t, ok := s.get(id)
	switch {
	case !ok || t.Swarm != swarm:
		return nil, notFound(id)
	case t.State == Claimed:
		return nil, conflict("task %q is held by %s until %s", id, t.Agent, t.LeaseUntil.Format(time.RFC3339))
	case t.State != Ready && t.State != Planning:
		return nil, conflict("task %q is %s, not ready", id, t.State)
	case !claimable(t, caps):
		if t.State == Planning {
			return nil, conflict("task %q waits for a planner (an agent with the %q capability)", id, Planner)
		}
		return nil, conflict("task %q requires %s; the agent offers %s", id, strings.Join(t.Requires, ", "), strings.Join(caps, ", "))
	}
	mode := ModeWork
	if t.State == Planning {
		mode = ModePlan
	}
	t.State, t.Agent, t.LeaseUntil, t.Updated = Claimed, agentID, now.Add(lease), now
	t.Attempts = append(t.Attempts, Attempt{Agent: agentID, Claimed: now, Outcome: mode})
	return t, nil
}

// held returns the task an agent holds, or why it does not.
func (s *staged) held(agentID, id string) (*Task, error) {
	t, ok := s.get(id)
	switch {
	case !ok:
		return nil, notFound(id)
	case t.State == Claimed && t.Agent == agentID:
		return t, nil
	case t.State == Claimed:
		return nil, conflict("task %q is held by %s, not %s", id, t.Agent, agentID)
	case t.State == Done:
		return nil, conflict("task %q is done already", id)
	case t.State == Cancelled:
		return nil, conflict("task %q was cancelled", id)
	}
	return nil, conflict("task %q is %s: %s does not hold it (its lease may have run out)", id, t.State, agentID)
}

// Report records progress (0–100) and a note of the agent that holds a
// task, and renews its lease until then (a report is a sign of life).
func (b *Board) Report(agentID, id string, progress *float64, note string, now, until time.Time) (*Task, error) {
	if progress != nil && (*progress < 0 || *progress > 100 || *progress != *progress) {
		return nil, invalid("progress", "is %v; want a number from 0 to 100", *progress)
	}
	if err := graph.ValidateText("note", note, MaxNoteBytes); err != nil {
		return nil, err
	}
	s := b.stage()
	t, err := s.held(agentID, id)
	if err != nil {
		return nil, err
	}
	if progress != nil {
		t.Progress = *progress
	}
	if note != "" {
		t.Note = note
	}
	if until.After(t.LeaseUntil) {
		t.LeaseUntil = until
	}
	t.Updated = now
	return t, nil
}

// Complete finishes a task the agent holds, with its result: tasks that
// waited for it become ready, and a parent all of whose subtasks are done
// is done.
func (b *Board) Complete(agentID, id, result string, now time.Time) ([]*Task, error) {
	if err := graph.ValidateText("result", result, MaxResultBytes); err != nil {
		return nil, err
	}
	s := b.stage()
	t, err := s.held(agentID, id)
	if err != nil {
		return nil, err
	}
	end(t, now, "done", "")
	t.State, t.Progress, t.Result, t.LeaseUntil = Done, 100, result, time.Time{}
	s.unblock(t, now)
	s.rollUp(t.Parent, now)
	return s.list(), nil
}

func end(t *Task, now time.Time, outcome, errText string) {
	if len(t.Attempts) > 0 {
		a := &t.Attempts[len(t.Attempts)-1]
		if a.Ended.IsZero() {
			a.Ended = now
			if a.Outcome == ModePlan && outcome == "done" {
				outcome = "planned"
			}
			a.Outcome, a.Error = outcome, errText
		}
	}
	t.Updated = now
}

// unblock readies the siblings that waited for t.
func (s *staged) unblock(t *Task, now time.Time) {
	if t.Parent == "" {
		return
	}
	p, ok := s.get(t.Parent)
	if !ok {
		return
	}
	for _, id := range p.Subtasks {
		sib, ok := s.b.tasks[id]
		if !ok || sib.State != Pending || !slices.Contains(sib.DependsOn, t.ID) {
			continue
		}
		if s.depsDone(sib) {
			c, _ := s.get(id)
			c.State, c.Updated = Ready, now
		}
	}
}

func (s *staged) depsDone(t *Task) bool {
	for _, d := range t.DependsOn {
		dt, ok := s.peek(d)
		if !ok || dt.State != Done {
			return false
		}
	}
	return true
}

// rollUp keeps a parent's progress and state in step with its subtasks:
// done when they all are, its progress their mean.
func (s *staged) rollUp(id string, now time.Time) {
	if id == "" {
		return
	}
	p, ok := s.get(id)
	if !ok || p.State == Cancelled || len(p.Subtasks) == 0 {
		return
	}
	done, cancelled, sum := 0, 0, 0.0
	for _, k := range p.Subtasks {
		c, ok := s.peek(k)
		if !ok {
			continue
		}
		switch c.State {
		case Done:
			done++
			sum += 100
		case Cancelled:
			cancelled++
		default:
			sum += c.Progress
		}
	}
	if n := len(p.Subtasks) - cancelled; n > 0 {
		p.Progress = sum / float64(n)
	}
	// Finished when no part is left to do: done when some part was,
	// cancelled when every part was.
	switch {
	case done+cancelled < len(p.Subtasks):
	case done > 0:
		p.State, p.Progress = Done, 100
	default:
		p.State = Cancelled
	}
	p.Updated = now
	s.rollUp(p.Parent, now)
}

// Fail ends the agent's attempt at a task with an error: it is retried
// after a backoff, or goes to the dead-letter queue when it has had its
// attempts.
func (b *Board) Fail(agentID, id, errText string, now time.Time, p Policy) ([]*Task, error) {
	if errText == "" {
		return nil, invalid("error", "say what went wrong")
	}
	if err := graph.ValidateText("error", errText, MaxNoteBytes); err != nil {
		return nil, err
	}
	s := b.stage()
	t, err := s.held(agentID, id)
	if err != nil {
		return nil, err
	}
	s.failed(t, "failed", errText, now, p)
	return s.list(), nil
}

// failed ends an attempt that went wrong (failed or expired). A planner's
// failures are counted apart from the work's: after MaxAttempts of them the
// task is one unit of work, with all its attempts still to come.
func (s *staged) failed(t *Task, outcome, errText string, now time.Time, p Policy) {
	planning := len(t.Attempts) > 0 && t.Attempts[len(t.Attempts)-1].Outcome == ModePlan
	if planning {
		outcome = "plan-" + outcome
	}
	end(t, now, outcome, errText)
	t.LeaseUntil, t.Progress = time.Time{}, 0 // the next attempt starts over
	n := t.failures()
	switch {
	case planning && t.planFailures() < t.MaxAttempts:
		t.State = Planning
	case planning:
		// No planner managed: the task is one unit of work.
		t.State = Ready
	case n >= t.MaxAttempts:
		t.State, t.RetryAt = Dead, time.Time{}
	default:
		t.State, t.RetryAt = Failed, now.Add(p.backoff(n))
	}
}

// planFailures counts the planners' attempts that failed or expired.
func (t *Task) planFailures() int {
	n := 0
	for _, a := range t.Attempts {
		if a.Outcome == "plan-failed" || a.Outcome == "plan-expired" {
			n++
		}
	}
	return n
}

// Unplan makes the tasks of a swarm that have waited for a planner since
// before `since` units of work of their own, ready: the swarm has no
// planner left to split them.
func (b *Board) Unplan(swarm string, since, now time.Time) []*Task {
	s := b.stage()
	for id, t := range b.tasks {
		if t.Swarm == swarm && t.State == Planning && t.Updated.Before(since) {
			c, _ := s.get(id)
			c.State, c.Updated = Ready, now
		}
	}
	return s.list()
}

// Planning lists the swarms that have tasks waiting for a planner.
func (b *Board) Planning() []string {
	var out []string
	for _, t := range b.tasks {
		if t.State == Planning && !slices.Contains(out, t.Swarm) {
			out = append(out, t.Swarm)
		}
	}
	slices.Sort(out)
	return out
}

// failures counts the attempts that failed or expired.
func (t *Task) failures() int {
	n := 0
	for _, a := range t.Attempts {
		if a.Outcome == "failed" || a.Outcome == "expired" {
			n++
		}
	}
	return n
}

// Tick moves what time has moved: claims whose lease ran out end as
// failed attempts, and failed tasks whose retry is due become ready again
// (or pending, when a dependency is not done).
func (b *Board) Tick(now time.Time, p Policy) []*Task {
	s := b.stage()
	// Only the few tasks time moves are sorted (for a stable order), not
	// the whole board, four times a second.
	var due []string
	for id, t := range b.tasks {
		if (t.State == Claimed && now.After(t.LeaseUntil)) || (t.State == Failed && !now.Before(t.RetryAt)) {
			due = append(due, id)
		}
	}
	slices.Sort(due)
	for _, id := range due {
		t := b.tasks[id]
		switch {
		case t.State == Claimed && now.After(t.LeaseUntil):
			c, _ := s.get(id)
			s.failed(c, "expired", fmt.Sprintf("the lease of %s ran out", c.Agent), now, p)
		case t.State == Failed && !now.Before(t.RetryAt):
			c, _ := s.get(id)
			c.State, c.RetryAt, c.Updated = Ready, time.Time{}, now
			if !s.depsDone(c) {
				c.State = Pending
			}
		}
	}
	return s.list()
}

// Renew extends the leases an agent holds (its heartbeat).
func (b *Board) Renew(swarm, agentID string, until time.Time) []*Task {
	s := b.stage()
	for id := range b.held[[2]string{swarm, agentID}] {
		if until.After(b.tasks[id].LeaseUntil) {
			c, _ := s.get(id)
			c.LeaseUntil = until
		}
	}
	return s.list()
}

// Cancel withdraws a task and its subtasks that are not finished.
func (b *Board) Cancel(id string, now time.Time) ([]*Task, error) {
	s := b.stage()
	t, ok := s.get(id)
	if !ok {
		return nil, notFound(id)
	}
	if t.State == Done || t.State == Cancelled {
		return nil, conflict("task %q is %s already", id, t.State)
	}
	s.cancel(t, now)
	s.rollUp(t.Parent, now)
	return s.list(), nil
}

func (s *staged) cancel(t *Task, now time.Time) {
	if t.State == Done || t.State == Cancelled {
		return
	}
	if t.State == Claimed {
		end(t, now, "cancelled", "")
	}
	t.State, t.LeaseUntil, t.RetryAt, t.Updated = Cancelled, time.Time{}, time.Time{}, now
	for _, k := range t.Subtasks {
		if c, ok := s.get(k); ok {
			s.cancel(c, now)
		}
	}
	// What waited for it never will: its dependents go too.
	if p, ok := s.peek(t.Parent); ok {
		for _, k := range p.Subtasks {
			if sib, ok := s.peek(k); ok && slices.Contains(sib.DependsOn, t.ID) {
				c, _ := s.get(k)
				s.cancel(c, now)
			}
		}
	}
}

// Revive takes a dead task out of the dead-letter queue to try again, with
// the policy's number of attempts more.
func (b *Board) Revive(id string, now time.Time, p Policy) ([]*Task, error) {
	s := b.stage()
	t, ok := s.get(id)
	switch {
	case !ok:
		return nil, notFound(id)
	case t.State != Dead:
		return nil, conflict("task %q is %s, not in the dead-letter queue", id, t.State)
	}
	t.MaxAttempts = t.failures() + max(1, p.MaxAttempts)
	t.State, t.Updated = Ready, now
	if !s.depsDone(t) {
		t.State = Pending
	}
	return s.list(), nil
}
