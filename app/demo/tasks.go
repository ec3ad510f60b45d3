package demo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"visionflow/agent"
	"visionflow/memory"
	"visionflow/net/wire"
	"visionflow/task"
)

// The swarm's work: now and then a task is submitted about a page of the
// knowledge graph; a coordinator (a planner) claims it and splits it into
// research, code, review and docs; agents with the matching capabilities
// claim the parts that are ready, report progress, finish them, and now
// and then fail one (it is retried, and after its attempts dead-lettered).

// held is the task an agent holds.
type held struct {
	id, title string
	plan      bool // a planner holds it to split it
	knowledge []string
	progress  float64
}

// move is one agent's task move, decided under the lock and sent after.
type move struct {
	a    *simAgent
	kind string // a wire task message type
	mv   wire.TaskMove
	plan []task.Spec
}

// failRate is the chance that a tick of work ends the attempt in failure.
const failRate = 0.03

// planOf is how a coordinator splits a task about a page.
func planOf(page string) []task.Spec {
	return []task.Spec{
		{Key: "research", Title: "Research " + page, Requires: []string{"search"}},
		{Key: "code", Title: "Prototype " + page, Requires: []string{"go"}},
		{Key: "review", Title: "Review " + page, Requires: []string{"review"}, DependsOn: []string{"code"}},
		{Key: "docs", Title: "Write up " + page, Requires: []string{"docs"}, DependsOn: []string{"research", "review"}},
	}
}

// taskMoves decides the agents' task moves this tick. Called with the lock
// held.
func (s *Swarm) taskMoves(now time.Time) []move {
	var out []move
	for _, a := range s.agents {
		if a.halted || a.paused {
			continue
		}
		switch h := a.held; {
		case h != nil && h.plan:
			if !slices.Contains(a.caps, task.Planner) {
				continue
			}
			page := s.label(firstOr(h.knowledge, ""))
			specs := planOf(page)
			for i := range specs {
				specs[i].Knowledge = h.knowledge
			}
			out = append(out, move{a: a, kind: wire.TypePlanTask, mv: wire.TaskMove{AgentID: a.id, TaskID: h.id}, plan: specs})
		case h != nil:
			h.progress = min(100, h.progress+8+14*s.rng.Float64())
			a.state, a.progress = agent.Executing, h.progress
			switch {
			case s.rng.Float64() < failRate:
				out = append(out, move{a: a, kind: wire.TypeFailTask, mv: wire.TaskMove{AgentID: a.id, TaskID: h.id,
					Error: fmt.Sprintf("%s hit a simulated failure at %.0f%%", a.name, h.progress)}})
			case h.progress >= 100:
				out = append(out, move{a: a, kind: wire.TypeCompleteTask, mv: wire.TaskMove{AgentID: a.id, TaskID: h.id,
					Result: fmt.Sprintf("%s finished %q", a.name, h.title)}})
			default:
				out = append(out, move{a: a, kind: wire.TypeUpdateTask, mv: wire.TaskMove{AgentID: a.id, TaskID: h.id,
					Progress: new(h.progress), Note: fmt.Sprintf("%s at %.0f%%", a.name, h.progress)}})
			}
		}
	}
	return out
}

// maxClaims bounds the claims of one tick.
const maxClaims = 8

// dispatch finds the work waiting (ready tasks, and tasks waiting for a
// planner) and has free agents that can do it claim it, taking turns, so
// that every agent gets its share whatever its transport.
func (s *Swarm) dispatch(ctx context.Context) []move {
	s.mu.Lock()
	waits := s.workWaits
	s.mu.Unlock()
	if !waits {
		return nil
	}
	var work []*task.Task
	for _, st := range []task.State{task.Planning, task.Ready} {
		list, err := s.c.Tasks(ctx, s.opt.Swarm, st)
		if err != nil {
			s.log.Debug("demo: the queue could not be read", "err", err)
			return nil
		}
		work = append(work, list...)
	}
	slices.SortStableFunc(work, func(a, b *task.Task) int { return b.Priority - a.Priority })
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workWaits = len(work) > 0
	var out []move
	taken := map[*simAgent]bool{}
	for _, t := range work {
		if len(out) == maxClaims {
			break
		}
		var can []*simAgent
		for _, a := range s.agents {
			if !taken[a] && s.free(a) && task.Claimable(t, a.caps) {
				can = append(can, a)
			}
		}
		if len(can) == 0 {
			continue
		}
		// Those who can do this kind of work take turns at it.
		kind := string(t.State) + ":" + strings.Join(t.Requires, ",")
		a := can[s.turns[kind]%len(can)]
		s.turns[kind]++
		taken[a] = true
		out = append(out, move{a: a, kind: wire.TypeClaimTask, mv: wire.TaskMove{SwarmID: s.opt.Swarm, AgentID: a.id, TaskID: t.ID}})
	}
	return out
}

// free reports whether an agent may take up work: one that holds none
// drops its reading for it. Called with the lock held.
func (s *Swarm) free(a *simAgent) bool { return !a.halted && !a.paused && a.held == nil }

func firstOr(list []string, or string) string {
	if len(list) > 0 {
		return list[0]
	}
	return or
}

// submitWork submits a task about a random page when the swarm has little
// to do.
func (s *Swarm) submitWork(ctx context.Context) {
	s.mu.Lock()
	open := slices.Sorted(maps.Keys(s.openTops))
	page := ""
	if len(s.nodes) > 0 {
		page = s.nodes[s.rng.IntN(len(s.nodes))]
	}
	s.mu.Unlock()
	// A task is open until it is finished, or one of its parts is dead.
	for _, id := range open {
		v, err := s.c.Task(ctx, id)
		over := err != nil || v.State.Final() || slices.ContainsFunc(v.SubtaskList, func(t *task.Task) bool { return t.State.Final() && t.State != task.Done })
		if over {
			s.mu.Lock()
			delete(s.openTops, id)
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	n := len(s.openTops)
	s.mu.Unlock()
	if n >= max(2, len(s.agents)/10) {
		return
	}
	sub := task.Submission{SwarmID: s.opt.Swarm, Title: "Explain " + s.label(page), Priority: s.rng.IntN(10)}
	if page != "" {
		sub.Knowledge = []string{page}
	}
	v, err := s.c.SubmitTask(ctx, sub)
	if err != nil {
		s.log.Warn("demo: a task was refused", "err", err)
		return
	}
	s.mu.Lock()
	s.openTops[v.ID] = true
	s.workWaits = true
	s.stats.Submitted++
	s.mu.Unlock()
	s.log.Debug("demo: task submitted", "task", v.ID, "state", v.State)
}

// sendMoves carries out the agents' task moves over their transports and
// takes in what came of them. An agent that takes up work recalls what the
// swarm remembers of it; one that finishes remembers what it did.
func (s *Swarm) sendMoves(ctx context.Context, moves []move) {
	found := false
	for _, m := range moves {
		t, err := s.moveVia(ctx, m)
		if err == nil && t != nil {
			switch m.kind {
			case wire.TypeClaimTask:
				s.recall(ctx, m.a, t)
			case wire.TypeCompleteTask:
				s.remember(ctx, m.a, t, m.mv.Result)
			}
		}
		s.mu.Lock()
		a := m.a
		if err == nil && t != nil {
			s.stats.Moves[a.via]++
		}
		switch {
		case err != nil:
			// Lost the lease, cancelled by an operator, …: let it go.
			s.log.Debug("demo: task move refused", "agent", a.id, "move", m.kind, "err", err)
			if m.kind != wire.TypeClaimTask {
				a.held = nil
				a.state = agent.Idle
			}
		case m.kind == wire.TypeClaimTask && t != nil:
			found = true
			h := &held{id: t.ID, title: t.Title, knowledge: t.Knowledge}
			if len(t.Attempts) > 0 && t.Attempts[len(t.Attempts)-1].Outcome == task.ModePlan {
				h.plan = true
				a.state, a.task = agent.Thinking, "Plan "+t.Title
			} else {
				a.state, a.task, a.progress = agent.Executing, t.Title, 0
			}
			if len(t.Knowledge) > 0 {
				a.at = t.Knowledge[0]
			}
			a.held = h
			s.stats.Claimed++
		case m.kind == wire.TypePlanTask:
			a.held, a.state, a.until = nil, agent.Collaborating, time.Now().Add(2*time.Second)
			s.stats.Planned++
			s.workWaits = true
		case m.kind == wire.TypeCompleteTask:
			a.held, a.state, a.until = nil, agent.Collaborating, time.Now().Add(2*time.Second)
			s.stats.Completed++
			s.workWaits = true // what waited for it may be ready
		case m.kind == wire.TypeFailTask:
			a.held, a.state, a.until = nil, agent.Error, time.Now().Add(2*time.Second)
			s.stats.Failed++
			s.workWaits = true
		}
		s.mu.Unlock()
	}
	if found {
		s.mu.Lock()
		s.workWaits = true // there may be more
		s.mu.Unlock()
	}
}

// moveVia sends a task move over the agent's transport.
func (s *Swarm) moveVia(ctx context.Context, m move) (*task.Task, error) {
	mv := m.mv
	if m.kind == wire.TypePlanTask {
		mv.Subtasks = m.plan
	}
	switch m.a.via {
	case viaWS:
		return s.st.MoveTask(ctx, m.kind, mv)
	case viaREST:
		switch m.kind {
		case wire.TypeClaimTask:
			return s.c.ClaimTask(ctx, mv.SwarmID, mv.AgentID, mv.TaskID)
		case wire.TypePlanTask:
			v, err := s.c.PlanTask(ctx, mv.AgentID, mv.TaskID, mv.Subtasks)
			return v.Task, err
		case wire.TypeUpdateTask:
			return s.c.UpdateTask(ctx, mv.AgentID, mv.TaskID, mv.Progress, mv.Note)
		case wire.TypeCompleteTask:
			return s.c.CompleteTask(ctx, mv.AgentID, mv.TaskID, mv.Result)
		}
		return s.c.FailTask(ctx, mv.AgentID, mv.TaskID, mv.Error)
	}
	tool := map[string]string{wire.TypeClaimTask: "claim_task", wire.TypePlanTask: "plan_task", wire.TypeUpdateTask: "update_task",
		wire.TypeCompleteTask: "complete_task", wire.TypeFailTask: "fail_task"}[m.kind]
	args := map[string]any{"agentId": mv.AgentID}
	if mv.SwarmID != "" {
		args["swarmId"] = mv.SwarmID
	}
	if mv.TaskID != "" {
		args["taskId"] = mv.TaskID
	}
	switch m.kind {
	case wire.TypePlanTask:
		args["subtasks"] = mv.Subtasks
	case wire.TypeUpdateTask:
		args["progress"], args["note"] = *mv.Progress, mv.Note
	case wire.TypeCompleteTask:
		args["result"] = mv.Result
	case wire.TypeFailTask:
		args["error"] = mv.Error
	}
	if m.kind == wire.TypePlanTask {
		var v struct {
			task.Task
		}
		err := s.callTool(ctx, tool, args, &v)
		return &v.Task, err
	}
	var out struct {
		Task *task.Task `json:"task"`
	}
	err := s.callTool(ctx, tool, args, &out)
	return out.Task, err
}

// recall asks what the swarm remembers about a task's subject, over the
// agent's transport (REST for those on the WebSocket, which has no memory
// messages).
func (s *Swarm) recall(ctx context.Context, a *simAgent, t *task.Task) {
	q := memory.Query{Text: t.Title, K: 3, Swarm: s.opt.Swarm}
	var err error
	if a.via == viaMCP {
		var res memory.Result
		err = s.callTool(ctx, "recall", map[string]any{"query": q.Text, "k": q.K, "swarmId": q.Swarm}, &res)
	} else {
		_, err = s.c.Recall(ctx, q)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.log.Debug("demo: recall refused", "agent", a.id, "err", err)
		return
	}
	s.stats.Recalled++
}

// remember keeps what an agent did, linked to what it concerned.
func (s *Swarm) remember(ctx context.Context, a *simAgent, t *task.Task, result string) {
	in := memory.Input{AgentID: a.id, SwarmID: s.opt.Swarm, Type: "result", Links: t.Knowledge,
		Content: fmt.Sprintf("%s. %s, working on %s.", result, a.name, strings.Join(s.labelsOf(t.Knowledge), ", "))}
	var err error
	if a.via == viaMCP {
		err = s.callTool(ctx, "remember", map[string]any{"agentId": in.AgentID, "swarmId": in.SwarmID, "type": in.Type, "links": in.Links, "content": in.Content}, nil)
	} else {
		_, err = s.c.Remember(ctx, in)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.log.Warn("demo: a memory was refused", "agent", a.id, "err", err)
		return
	}
	s.stats.Remembered++
}

func (s *Swarm) labelsOf(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = s.label(id)
	}
	return out
}
