package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"visionflow/agent"
	"visionflow/assets"
	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/settings"
	"visionflow/task"
)

// status returns the HTTP status of a client error (0 for none).
func status(err error) int {
	var e *client.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// taskOf reads a task message of a stream's that satisfies ok.
func taskOf(t *testing.T, st *client.Stream, typ string, ok func(*task.Task, string) bool) *task.Task {
	t.Helper()
	var got *task.Task
	nextOf(t, st, typ, func(raw []byte) bool {
		var m struct {
			Task    *task.Task `json:"task"`
			AgentID string     `json:"agentId"`
		}
		json.Unmarshal(raw, &m)
		got = m.Task
		return m.Task != nil && ok(m.Task, m.AgentID)
	})
	return got
}

// The task pipeline through the real server: submit over REST, a planner
// splits it, ready subtasks are offered to the agent that can do them,
// claimed, progressed and finished over REST and the WebSocket; watchers
// see it move; the swarm's graph shows it; a failure out of attempts goes
// to the dead-letter queue, from where an operator retries or discards it.
func TestTasksEndToEnd(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	kg, err := s.c.Graph(ctx, assets.SampleGraphID)
	if err != nil || len(kg.Nodes) < 2 {
		t.Fatal(err, len(kg.Nodes))
	}
	topic := kg.Nodes[0].ID

	if _, err := s.c.ReportStatus(ctx,
		agent.Status{AgentID: "plan", SwarmID: "crew", State: agent.Idle, Capabilities: []string{"planner"}},
		agent.Status{AgentID: "writer", SwarmID: "crew", State: agent.Idle, Capabilities: []string{"docs"}},
	); err != nil {
		t.Fatal(err)
	}
	watch, err := s.c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	if _, err := watch.Subscribe(ctx, "crew", wire.StreamAgents); err != nil {
		t.Fatal(err)
	}
	// The coder works over the WebSocket: its connection hears its offers.
	bot, err := s.c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	if err := bot.ReportStatus(ctx, agent.Status{AgentID: "coder", SwarmID: "crew", State: agent.Idle, Capabilities: []string{"go"}}); err != nil {
		t.Fatal(err)
	}

	// Submitted: stored before the answer, waiting for the planner.
	top, err := s.c.SubmitTask(ctx, task.Submission{SwarmID: "crew", Title: "ship the parser", Priority: 5, Knowledge: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	if top.State != task.Planning || top.ID == "" || top.By != "tester" || len(top.SubtaskList) != 0 {
		t.Fatalf("submitted: %+v", top)
	}
	taskOf(t, watch, wire.TypeTaskProgress, func(x *task.Task, _ string) bool { return x.ID == top.ID && x.State == task.Planning })

	// The planner claims it (the best it can claim) and splits it; a plan
	// with a cycle is refused and changes nothing.
	held, err := s.c.ClaimTask(ctx, "crew", "plan", "")
	if err != nil || held == nil || held.ID != top.ID || held.State != task.Claimed || held.Attempts[0].Outcome != task.ModePlan {
		t.Fatalf("the planner's claim: %v %+v", err, held)
	}
	_, err = s.c.PlanTask(ctx, "plan", top.ID, []task.Spec{
		{Key: "a", Title: "a", DependsOn: []string{"b"}}, {Key: "b", Title: "b", DependsOn: []string{"a"}},
	})
	if status(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("a cyclic plan: %v", err)
	}
	if v, _ := s.c.Task(ctx, top.ID); v.State != task.Claimed || len(v.Subtasks) != 0 {
		t.Fatalf("a refused plan changed the task: %+v", v)
	}
	plan, err := s.c.PlanTask(ctx, "plan", top.ID, []task.Spec{
		{Key: "code", Title: "write the parser", Requires: []string{"go"}, Knowledge: []string{topic}},
		{Key: "doc", Title: "document it", Requires: []string{"docs"}, DependsOn: []string{"code"}},
	})
	if err != nil || plan.State != task.Running || len(plan.SubtaskList) != 2 {
		t.Fatalf("the plan: %v %+v", err, plan)
	}
	code, doc := plan.SubtaskList[0], plan.SubtaskList[1]
	if code.Title != "write the parser" {
		code, doc = doc, code
	}
	if code.State != task.Ready || doc.State != task.Pending || doc.DependsOn[0] != code.ID || code.Parent != top.ID {
		t.Fatalf("subtasks: %+v %+v", code, doc)
	}

	// The ready subtask is offered to the coder, who claims it over the
	// WebSocket; others cannot take it or move it.
	taskOf(t, bot, wire.TypeTaskOffer, func(x *task.Task, to string) bool { return x.ID == code.ID && to == "coder" })
	if _, err := s.c.ClaimTask(ctx, "crew", "writer", doc.ID); status(err) != http.StatusConflict {
		t.Fatalf("claiming a pending subtask: %v", err)
	}
	if _, err := s.c.ClaimTask(ctx, "crew", "writer", code.ID); status(err) != http.StatusConflict || !strings.Contains(err.Error(), "go") {
		t.Fatalf("claiming without the capability: %v", err)
	}
	got, err := bot.MoveTask(ctx, wire.TypeClaimTask, wire.TaskMove{SwarmID: "crew", AgentID: "coder"})
	if err != nil || got == nil || got.ID != code.ID || got.Agent != "coder" || got.LeaseUntil.IsZero() {
		t.Fatalf("the coder's claim: %v %+v", err, got)
	}
	if _, err := s.c.UpdateTask(ctx, "writer", code.ID, pct(10), ""); status(err) != http.StatusConflict || !strings.Contains(err.Error(), "held by coder") {
		t.Fatalf("progress by an agent that does not hold it: %v", err)
	}
	if _, err := bot.MoveTask(ctx, wire.TypeUpdateTask, wire.TaskMove{AgentID: "coder", TaskID: code.ID, Progress: pct(150)}); err == nil || !strings.Contains(err.Error(), "progress") {
		t.Fatalf("progress 150: %v", err)
	}
	if _, err := bot.MoveTask(ctx, wire.TypeUpdateTask, wire.TaskMove{AgentID: "coder", TaskID: code.ID, Progress: pct(50), Note: "lexer done"}); err != nil {
		t.Fatal(err)
	}
	taskOf(t, watch, wire.TypeTaskProgress, func(x *task.Task, _ string) bool {
		return x.ID == code.ID && x.Progress == 50 && x.Note == "lexer done"
	})

	// The scene: task nodes with their state, the holder's claim, the
	// subtask and dependency edges.
	waitFor(t, "the tasks in the swarm's graph", func() bool {
		g, err := s.c.Graph(ctx, "crew")
		if err != nil {
			return false
		}
		i := slices.IndexFunc(g.Nodes, func(n graph.Node) bool { return n.ID == code.ID })
		edge := func(id string) bool {
			return slices.ContainsFunc(g.Edges, func(e graph.Edge) bool { return e.ID == id })
		}
		claim, sub, dep := edge("claim:"+code.ID), edge("sub:"+doc.ID), edge("dep:"+doc.ID+":"+code.ID)
		if i < 0 {
			return false
		}
		n := g.Nodes[i]
		return n.Metadata["kind"] == "task" && n.Metadata["state"] == "claimed" && n.Metadata["progress"] == "50" && claim && sub && dep
	})

	// Done over the WebSocket: the dependent becomes ready; the writer
	// finishes it over REST and the parent is done.
	if got, err = bot.MoveTask(ctx, wire.TypeCompleteTask, wire.TaskMove{AgentID: "coder", TaskID: code.ID, Result: "parser.go"}); err != nil || got.State != task.Done || got.Result != "parser.go" {
		t.Fatalf("completing: %v %+v", err, got)
	}
	if _, err := bot.MoveTask(ctx, wire.TypeCompleteTask, wire.TaskMove{AgentID: "coder", TaskID: code.ID, Result: "again"}); err == nil || !strings.Contains(err.Error(), "done already") {
		t.Fatalf("completing twice: %v", err)
	}
	if got, err = s.c.ClaimTask(ctx, "crew", "writer", ""); err != nil || got == nil || got.ID != doc.ID {
		t.Fatalf("the writer's claim: %v %+v", err, got)
	}
	if _, err := s.c.CompleteTask(ctx, "writer", doc.ID, "README"); err != nil {
		t.Fatal(err)
	}
	v, err := s.c.Task(ctx, top.ID)
	if err != nil || v.State != task.Done || v.Progress != 100 || len(v.SubtaskList) != 2 {
		t.Fatalf("the parent after its subtasks: %v %+v", err, v)
	}
	if done, _ := s.c.Tasks(ctx, "crew", task.Done); len(done) != 3 {
		t.Fatalf("done tasks: %d", len(done))
	}

	// Cancelled work cannot be finished.
	other, _ := s.c.SubmitTask(ctx, task.Submission{SwarmID: "crew", Title: "refactor", Subtasks: []task.Spec{{Title: "one", Requires: []string{"go"}}}})
	one := other.SubtaskList[0]
	if _, err := s.c.ClaimTask(ctx, "crew", "coder", one.ID); err != nil {
		t.Fatal(err)
	}
	if v, err := s.c.CancelTask(ctx, other.ID); err != nil || v.State != task.Cancelled || v.SubtaskList[0].State != task.Cancelled {
		t.Fatalf("cancel: %v %+v", err, v)
	}
	if _, err := s.c.CompleteTask(ctx, "coder", one.ID, "x"); status(err) != http.StatusConflict || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("completing a cancelled task: %v", err)
	}

	// One attempt each: a failure goes to the dead-letter queue with its
	// error; retried, it is ready again; failed again and discarded, it is
	// cancelled.
	if _, err := s.c.SetSettings(ctx, settings.Update{Path: "tasks.maxAttempts", Value: json.RawMessage("1")}); err != nil {
		t.Fatal(err)
	}
	flaky, _ := s.c.SubmitTask(ctx, task.Submission{SwarmID: "crew", Title: "flaky", Subtasks: []task.Spec{{Title: "fetch", Requires: []string{"go"}}}})
	fetch := flaky.SubtaskList[0]
	fail := func(msg string) {
		t.Helper()
		if _, err := s.c.ClaimTask(ctx, "crew", "coder", fetch.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.c.FailTask(ctx, "coder", fetch.ID, msg); err != nil || got.State != task.Dead {
			t.Fatalf("failing: %v %+v", err, got)
		}
	}
	fail("connection refused")
	letters, err := s.c.DeadLetters(ctx, "", "", 0)
	if err != nil || len(letters) != 1 || letters[0].Ref != fetch.ID || letters[0].Kind != "task" || !slices.Equal(letters[0].Errors, []string{"connection refused"}) {
		t.Fatalf("the dead-letter queue: %v %+v", err, letters)
	}
	if d, err := s.c.RetryDeadLetter(ctx, letters[0].ID); err != nil || d.State != task.LetterRetried || d.By != "tester" {
		t.Fatalf("retry: %v %+v", err, d)
	}
	if _, err := s.c.RetryDeadLetter(ctx, letters[0].ID); status(err) != http.StatusConflict {
		t.Fatalf("retrying twice: %v", err)
	}
	if v, _ := s.c.Task(ctx, fetch.ID); v.State != task.Ready {
		t.Fatalf("a retried dead letter: %+v", v)
	}
	fail("timeout")
	letters, _ = s.c.DeadLetters(ctx, "", "", 0)
	if len(letters) != 1 || !slices.Equal(letters[0].Errors, []string{"connection refused", "timeout"}) {
		t.Fatalf("the second dead letter: %+v", letters)
	}
	if _, err := s.c.DiscardDeadLetter(ctx, letters[0].ID); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.c.Task(ctx, fetch.ID); v.State != task.Cancelled {
		t.Fatalf("a discarded dead letter's task: %+v", v)
	}
	if all, _ := s.c.DeadLetters(ctx, "all", "", 0); len(all) != 2 {
		t.Fatalf("every dead letter: %+v", all)
	}
	if open, _ := s.c.DeadLetters(ctx, "", "", 0); len(open) != 0 {
		t.Fatalf("open dead letters: %+v", open)
	}
}

// Bad task input is refused with the field and the reason, and nothing
// is stored.
func TestBadTaskInputChangesNothing(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	if _, err := s.c.ReportStatus(ctx, agent.Status{AgentID: "a", SwarmID: "crew", State: agent.Idle}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path, body, want string }{
		{"POST", "/api/tasks", `{"swarmId":"crew","title":"x","subtasks":[{"key":"a","title":"a","dependsOn":["a"]}]}`, "itself"},
		{"POST", "/api/tasks", `{"swarmId":"crew","title":"x","subtasks":[{"key":"a","title":"a","dependsOn":["b"]},{"key":"b","title":"b","dependsOn":["a"]}]}`, "cycle"},
		{"POST", "/api/tasks", `{"swarmId":"crew","title":"x","subtasks":[{"title":"a","dependsOn":["nope"]}]}`, "nope"},
		{"POST", "/api/tasks", `{"swarmId":"crew","title":"x","requires":["Go Lang"]}`, "requires"},
		{"POST", "/api/tasks", `{"swarmId":"crew","title":"x","priority":1000}`, "priority"},
		{"POST", "/api/tasks", `{"swarmId":"crew","title":""}`, "title"},
		{"POST", "/api/tasks", `{"swarmId":"crew","title":"x","colour":"red"}`, "colour"},
		{"POST", "/api/tasks", `{"swarmId":"crew","title":"x"`, "JSON"},
		{"POST", "/api/tasks", `{"swarmId":"` + assets.SampleGraphID + `","title":"x"}`, "swarm"},
		{"GET", "/api/tasks?state=sleeping", "", "state"},
		{"GET", "/api/tasks/nope", "", "nope"},
		{"POST", "/api/tasks/claim", `{"swarmId":"crew"}`, "agentId"},
		{"POST", "/api/tasks/claim", `{"swarmId":"crew","agentId":"ghost"}`, "ghost"},
		{"POST", "/api/tasks/nope/complete", `{"agentId":"a","result":"r"}`, "nope"},
		{"GET", "/api/dlq?state=lost", "", "state"},
		{"POST", "/api/dlq/nope/retry", `{}`, "nope"},
	} {
		code, body := raw(t, c.method, s.url+c.path, "application/json", c.body)
		if code < 400 || code >= 500 || !strings.Contains(body["detail"]+body["error"], c.want) {
			t.Errorf("%s %s %s: %d %v (want a 4xx naming %q)", c.method, c.path, c.body, code, body, c.want)
		}
	}
	if list, _ := s.c.Tasks(ctx, "", ""); len(list) != 0 {
		t.Fatalf("refused tasks were stored: %+v", list)
	}
	if g, _ := s.c.Graph(ctx, assets.SampleGraphID); g.Type != graph.Knowledge {
		t.Fatalf("the knowledge graph: %+v", g.Info)
	}
	if _, err := s.c.Health(ctx); err != nil {
		t.Fatal(err)
	}
}

// Failures are retried after a growing backoff, leases run out unless the
// agent's heartbeat renews them, and both survive a restart.
func TestTaskRetriesLeasesAndRestart(t *testing.T) {
	clock := &fakeClock{time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	db := filepath.Join(t.TempDir(), "vf.db")
	s, stop := newSessionAt(t, db, clock.now)
	ctx := context.Background()
	if _, err := s.ReportStatus(ctx, "t", []agent.Status{{AgentID: "a", SwarmID: "crew", State: agent.Idle}}); err != nil {
		t.Fatal(err)
	}
	v, err := s.SubmitTask(ctx, "op", task.Submission{SwarmID: "crew", Title: "flaky"})
	if err != nil || v.State != task.Ready {
		t.Fatalf("submit: %v %+v", err, v)
	}
	id := v.ID
	claim := func() {
		t.Helper()
		if got, err := s.ClaimTask(ctx, "t", "crew", "a", id); err != nil || got.State != task.Claimed {
			t.Fatalf("claim: %v %+v", err, got)
		}
	}
	claim()
	got, _ := s.FailTask(ctx, "t", "a", id, "boom")
	if got.State != task.Failed || !got.RetryAt.After(clock.t) || got.RetryAt.After(clock.t.Add(2*time.Second)) {
		t.Fatalf("after the first failure: %+v", got)
	}
	// Backoff with jitter: 1 s ± 50% after the first failure, 2 s ± 50%
	// after the second (task.NewBoard's policy).
	firstWait := got.RetryAt.Sub(clock.t)
	if firstWait < 500*time.Millisecond || firstWait > 1500*time.Millisecond {
		t.Fatalf("the first backoff %v, want 0.5–1.5 s", firstWait)
	}
	s.tasks.tick(ctx, clock.t)
	if v, _ := s.Task(ctx, id); v.State != task.Failed {
		t.Fatalf("retried before its backoff: %+v", v)
	}
	clock.t = got.RetryAt
	s.tasks.tick(ctx, clock.t)
	if v, _ := s.Task(ctx, id); v.State != task.Ready {
		t.Fatalf("not retried after its backoff: %+v", v)
	}

	// The second attempt: heartbeats keep the lease for minutes; then the
	// agent goes silent and its lease runs out (a failed attempt, with a
	// longer backoff).
	claim()
	for range 10 {
		clock.t = clock.t.Add(20 * time.Second)
		if _, err := s.ReportStatus(ctx, "t", []agent.Status{{AgentID: "a", SwarmID: "crew", State: agent.Executing}}); err != nil {
			t.Fatal(err)
		}
		s.tasks.tick(ctx, clock.t)
	}
	if v, _ := s.Task(ctx, id); v.State != task.Claimed {
		t.Fatalf("a heartbeat did not keep the lease: %+v", v)
	}
	// The renewed lease is stored: a restart keeps it.
	stop()
	s, stop = newSessionAt(t, db, clock.now)
	defer func() { stop() }()
	if v, _ := s.Task(ctx, id); v.State != task.Claimed || !v.LeaseUntil.After(clock.t.Add(5*time.Second)) {
		t.Fatalf("after a restart: %+v", v)
	}
	clock.t = clock.t.Add(31 * time.Second)
	s.tasks.tick(ctx, clock.t)
	v, _ = s.Task(ctx, id)
	if v.State != task.Failed || len(v.Attempts) != 2 || v.Attempts[1].Outcome != "expired" {
		t.Fatalf("after the lease ran out: %+v", v)
	}
	if w := v.RetryAt.Sub(clock.t); w < time.Second || w > 3*time.Second {
		t.Fatalf("the second backoff %v, want 1–3 s (the first was %v)", w, firstWait)
	}
	if _, err := s.CompleteTask(ctx, "t", "a", id, "late"); !errors.Is(err, task.ErrConflict) {
		t.Fatalf("completing after the lease ran out: %v", err)
	}
	// The third failure is the last (tasks.maxAttempts is 3).
	clock.t = v.RetryAt
	s.tasks.tick(ctx, clock.t)
	claim()
	if got, _ := s.FailTask(ctx, "t", "a", id, "boom again"); got.State != task.Dead {
		t.Fatalf("after three failures: %+v", got)
	}
	letters, _ := s.DeadLetters(ctx, task.LetterOpen, "", 10)
	if len(letters) != 1 || len(letters[0].Errors) != 3 || letters[0].Errors[1] != "the lease of a ran out" {
		t.Fatalf("the dead letter: %+v", letters)
	}
	// Cancelled out of the queue, its letter is settled with it; a
	// discard after that only settles nothing twice.
	if _, err := s.CancelTask(ctx, "op", id); err != nil {
		t.Fatal(err)
	}
	d, _ := s.store.DeadLetter(ctx, letters[0].ID)
	if d.State != task.LetterDiscarded || d.By != "cancelled with its task" {
		t.Fatalf("the letter of a cancelled dead task: %+v", d)
	}
	if _, err := s.DiscardDeadLetter(ctx, "op", d.ID); !errors.Is(err, task.ErrConflict) {
		t.Fatalf("discarding a settled letter: %v", err)
	}
}

// Tasks sit near the knowledge nodes they concern, as agents sit near
// their work; a swarm's graph shows the open tasks and only the newest
// finished ones.
func TestTasksInTheSwarmsGraph(t *testing.T) {
	defer func(n int) { shownFinished = n }(shownFinished)
	shownFinished = 2
	s, _, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	west := graph.Vec3{X: -400}
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "kg", Name: "kg", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, "t", "kg", []graph.Op{{Op: graph.AddNode, ID: "west", Position: &west, Pinned: new(true)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReportStatus(ctx, "t", []agent.Status{{AgentID: "a", SwarmID: "crew", State: agent.Idle, KnowledgeGraph: "kg"}}); err != nil {
		t.Fatal(err)
	}
	v, err := s.SubmitTask(ctx, "op", task.Submission{SwarmID: "crew", Title: "map the west", Knowledge: []string{"west"}})
	if err != nil {
		t.Fatal(err)
	}
	var wid graph.WireID
	waitFor(t, "the task beside its node", func() bool {
		c, _ := s.Graph(ctx, "crew")
		for _, n := range c.Nodes {
			if n.ID == v.ID {
				wid = n.WireID
			}
		}
		p := s.Positions("crew")
		if wid == 0 || p == nil {
			return false
		}
		for _, n := range p.Nodes {
			if n.ID == wid {
				return n.Position.X < -250
			}
		}
		return false
	})
	// Four more, all finished: the graph keeps the open one and the two
	// newest finished.
	var ids []string
	for i := range 4 {
		v, err := s.SubmitTask(ctx, "op", task.Submission{SwarmID: "crew", Title: fmt.Sprintf("t%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimTask(ctx, "t", "crew", "a", v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompleteTask(ctx, "t", "a", v.ID, "ok"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	waitFor(t, "the newest finished tasks only", func() bool {
		c, _ := s.Graph(ctx, "crew")
		var shown []string
		for _, n := range c.Nodes {
			if n.Metadata["kind"] == "task" {
				shown = append(shown, n.ID)
			}
		}
		slices.Sort(shown)
		want := []string{v.ID, ids[2], ids[3]}
		slices.Sort(want)
		return slices.Equal(shown, want)
	})
	if list, _ := s.Tasks(ctx, "crew", task.Done, 1000); len(list) != 4 {
		t.Fatalf("the store keeps every finished task: %d", len(list))
	}
}

// A client hands over a telemetry report it could not deliver; retried
// from the dead-letter queue, it is stored. Only telemetry is handed over.
func TestHandedTelemetryIsRetried(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	report := `{"sessionId":"window-1","renderCycles":7,"timestamp":"` + time.Now().UTC().Format(time.RFC3339) + `"}`
	d, err := s.c.HandDeadLetter(ctx, task.Handed{Kind: task.KindTelemetry, Title: "a report", Errors: []string{"503"}, Payload: json.RawMessage(report)})
	if err != nil || d.State != task.LetterOpen || d.Ref != "window-1" {
		t.Fatalf("hand: %v %+v", err, d)
	}
	if _, err := s.c.RetryDeadLetter(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.c.RecentTelemetry(ctx, time.Time{}, 10, "window-1"); len(got) != 1 || got[0].RenderCycles != 7 {
		t.Fatalf("the retried report: %+v", got)
	}
	for _, c := range []struct{ body, want string }{
		{`{"kind":"task","title":"x","errors":["e"],"payload":{}}`, "kind"},
		{`{"kind":"telemetry","title":"x","errors":["e"],"payload":{"sessionId":5}}`, "payload"},
		{`{"kind":"telemetry","title":"x","errors":[],"payload":{}}`, "errors"},
		{`{"kind":"telemetry","title":"x","errors":["e"],"payload":{},"extra":1}`, "extra"},
	} {
		code, body := raw(t, "POST", s.url+"/api/dlq", "application/json", c.body)
		if code != 400 || !strings.Contains(body["detail"], c.want) {
			t.Errorf("%s: %d %v", c.body, code, body)
		}
	}
}
