package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"visionflow/agent"
	"visionflow/assets"
	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/session"
)

func pct(v float64) *float64 { return &v }

// nextOf reads a stream's messages until one of type typ satisfies ok.
func nextOf(t *testing.T, st *client.Stream, typ string, ok func(raw []byte) bool) []byte {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case m := <-st.Messages():
			if m.Type == typ && ok(m.Raw) {
				return m.Raw
			}
		case <-timeout:
			t.Fatalf("no %s message came", typ)
		}
	}
}

// The agent path through the real server: status over REST and over the
// WebSocket, the swarm graph it makes, agent status and state-packed
// frames for a subscriber, messages, operator commands and their audit
// trail, history.
func TestAgentsEndToEnd(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	ctx := context.Background()

	rep, err := s.c.ReportStatus(ctx,
		agent.Status{AgentID: "ada", SwarmID: "crew", State: agent.Idle, Name: "Ada", Type: "coordinator", Capabilities: []string{"planner"}},
		agent.Status{AgentID: "bob", SwarmID: "crew", State: agent.Executing, Type: "coder", CollaboratingWith: []string{"ada"}, WorkingOn: []string{"render"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 2 || len(rep.NewAgents) != 2 || !reflect.DeepEqual(rep.Swarms, []string{"crew"}) {
		t.Fatalf("report: %+v", rep)
	}
	// The swarm is a graph of type visionflow with an agent node each and
	// the collaboration as an edge; it works on the sample graph.
	g, err := s.c.Graph(ctx, "crew")
	if err != nil {
		t.Fatal(err)
	}
	if g.Type != graph.Agents || len(g.Nodes) != 2 || len(g.Edges) != 1 || !g.Nodes[0].WireID.IsAgent() {
		t.Fatalf("swarm graph: %+v", g)
	}
	swarms, _ := s.c.Swarms(ctx)
	if len(swarms) != 1 || swarms[0].KnowledgeGraph != assets.SampleGraphID || swarms[0].Agents != 2 {
		t.Fatalf("swarms: %+v", swarms)
	}

	// A watcher follows the swarm: all agents first, then what changes.
	watch, err := s.c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	sub, err := watch.Subscribe(ctx, "crew")
	if err != nil {
		t.Fatal(err)
	}
	if sub.GraphType != graph.Agents || sub.Stream == 0 {
		t.Fatalf("subscribed: %+v", sub)
	}
	// The same connection follows the knowledge graph too.
	if _, err := watch.Subscribe(ctx, assets.SampleGraphID, wire.StreamPositions); err != nil {
		t.Fatal(err)
	}
	var first wire.AgentStatus
	json.Unmarshal(nextOf(t, watch, wire.TypeAgentStatus, func([]byte) bool { return true }), &first)
	if len(first.Agents) != 2 || first.Swarm != "crew" {
		t.Fatalf("first agentStatus: %+v", first)
	}

	// An agent reports over the WebSocket.
	bot, err := s.c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	if err := bot.ReportStatus(ctx, agent.Status{AgentID: "ada", SwarmID: "crew", State: agent.Thinking, Progress: pct(140)}); err == nil || !strings.Contains(err.Error(), "updates[0].progress") {
		t.Fatalf("bad status over the WebSocket: %v", err)
	}
	if err := bot.ReportStatus(ctx, agent.Status{AgentID: "ada", SwarmID: "crew", State: agent.Thinking, Progress: pct(40)}); err != nil {
		t.Fatal(err)
	}
	nextOf(t, watch, wire.TypeAgentStatus, func(raw []byte) bool {
		var m wire.AgentStatus
		json.Unmarshal(raw, &m)
		return len(m.Agents) == 1 && m.Agents[0].ID == "ada" && m.Agents[0].State == agent.Thinking && *m.Agents[0].Progress == 40
	})
	// Its state and progress ride in the frames' flags and value.
	adaWire := g.Nodes[0].WireID
	if g.Nodes[0].ID != "ada" {
		adaWire = g.Nodes[1].WireID
	}
	waitFor(t, "ada's state in the frames", func() bool {
		nodes, _, synced := watch.Positions("crew")
		n, ok := nodes[adaWire]
		return synced && ok && n.AgentState() == agent.Thinking && n.Flags&wire.FlagProgress != 0 && n.Value == 40
	})
	if nodes, _, _ := watch.Positions(assets.SampleGraphID); len(nodes) == 0 {
		waitFor(t, "the knowledge graph's frames on the same connection", func() bool {
			nodes, _, synced := watch.Positions(assets.SampleGraphID)
			return synced && len(nodes) > 0
		})
	}

	// A message: a pulse for the watcher, and the link grows.
	link, err := s.c.SendMessage(ctx, agent.Message{Swarm: "crew", From: "bob", To: "ada", Text: "review please"})
	if err != nil {
		t.Fatal(err)
	}
	if link.Weight < 1.2 || link.A != "ada" || link.B != "bob" {
		t.Fatalf("link after a message: %+v", link)
	}
	nextOf(t, watch, wire.TypeAgentMessage, func(raw []byte) bool { return strings.Contains(string(raw), "review please") })

	// An operator pauses ada: the command reaches the connection that
	// reports ada, which acknowledges it; everyone sees it.
	cmd, err := s.c.QueueCommand(ctx, "crew", "ada", agent.CommandRequest{Kind: agent.Pause})
	if err != nil {
		t.Fatal(err)
	}
	if cmd.State != agent.Queued || cmd.By != "tester" {
		t.Fatalf("queued: %+v", cmd)
	}
	var got wire.CommandMsg
	json.Unmarshal(nextOf(t, bot, wire.TypeCommand, func([]byte) bool { return true }), &got)
	if got.Command.ID != cmd.ID || got.Command.Kind != agent.Pause {
		t.Fatalf("delivered: %+v", got)
	}
	if err := bot.AckCommand(ctx, agent.Ack{CommandID: cmd.ID, OK: true, Note: "pausing"}); err != nil {
		t.Fatal(err)
	}
	nextOf(t, watch, wire.TypeCommandState, func(raw []byte) bool { return strings.Contains(string(raw), `"state":"acked"`) })
	waitFor(t, "ada paused", func() bool {
		list, _ := s.c.Agents(ctx, "crew")
		for _, a := range list {
			if a.ID == "ada" {
				return a.Control == "paused"
			}
		}
		return false
	})
	trail, err := s.c.Commands(ctx, "crew", "ada")
	if err != nil || len(trail) != 1 || trail[0].State != agent.Acked || trail[0].Note != "pausing" || trail[0].DeliveredAt == nil {
		t.Fatalf("audit trail: %v %+v", err, trail)
	}
	if _, err := s.c.AckCommand(ctx, agent.Ack{CommandID: cmd.ID, OK: true}); err == nil {
		t.Fatal("a command is answered once")
	}
	// An agent without a WebSocket takes its commands over REST.
	redirect, _ := s.c.QueueCommand(ctx, "crew", "bob", agent.CommandRequest{Kind: agent.Redirect, Text: "write the docs"})
	next, err := s.c.NextCommand(ctx, "crew", "bob")
	if err != nil || next == nil || next.ID != redirect.ID || next.State != agent.Delivered {
		t.Fatalf("next command: %v %+v", err, next)
	}
	if again, _ := s.c.NextCommand(ctx, "crew", "bob"); again != nil {
		t.Fatalf("a command is handed out once: %+v", again)
	}

	// History: the first reports and the transition, durable.
	if err := s.Session.swarms.flush(ctx); err != nil {
		t.Fatal(err)
	}
	hist, err := s.c.AgentHistory(ctx, "", "ada", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, h := range hist {
		kinds = append(kinds, h.Kind+":"+string(h.State))
	}
	if len(kinds) < 2 || kinds[0] != "first:idle" || kinds[1] != "transition:thinking" {
		t.Fatalf("history of ada: %v", kinds)
	}
	if later, err := s.c.AgentHistory(ctx, "", "ada", hist[1].At); err != nil || len(later) != len(hist)-1 {
		t.Fatalf("history since the transition: %v, %d rows of %d", err, len(later), len(hist))
	}

	// Focus reaches the followers of the graph.
	if err := s.c.Focus(ctx, session.FocusRequest{Graph: assets.SampleGraphID, Nodes: []string{"knowledge-graph"}, Note: "look"}); err != nil {
		t.Fatal(err)
	}
	nextOf(t, watch, wire.TypeFocus, func(raw []byte) bool { return strings.Contains(string(raw), `"knowledge-graph"`) })
}

// Bad agent input gets a 4xx naming the field, and changes nothing.
func TestBadAgentInputChangesNothing(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	if _, err := s.c.ReportStatus(ctx, agent.Status{AgentID: "ada", SwarmID: "crew", State: agent.Idle}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.AddNode(ctx, "crew", graph.Op{ID: "task-1", Label: str("a task")}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.c.Agents(ctx, "")
	beforeGraph, _ := s.c.Graph(ctx, "crew")
	many := make([]string, 100_000)
	for i := range many {
		many[i] = fmt.Sprintf("a%d", i)
	}
	manyJSON, _ := json.Marshal(many)
	cases := []struct {
		name, body, want string
		status           int
	}{
		{"unknown state", `{"agentId": "ada", "swarmId": "crew", "state": "sleeping"}`, "updates[0].state", 400},
		{"progress over 100", `{"agentId": "ada", "swarmId": "crew", "state": "idle", "progress": 101}`, "updates[0].progress", 400},
		{"a 1 MB name", `{"agentId": "ada", "swarmId": "crew", "state": "idle", "name": "` + strings.Repeat("n", 1<<20) + `"}`, "updates[0].name", 400},
		{"100k collaborators", `{"agentId": "ada", "swarmId": "crew", "state": "idle", "collaboratingWith": ` + string(manyJSON) + `}`, "updates[0].collaboratingWith", 400},
		{"an unknown collaborator", `{"agentId": "ada", "swarmId": "crew", "state": "idle", "collaboratingWith": ["ghost"]}`, "updates[0].collaboratingWith[0]", 404},
		{"an agent id that is not an agent", `{"agentId": "task-1", "swarmId": "crew", "state": "idle"}`, "updates[0].agentId", 400},
		{"a swarm id of a knowledge graph", `{"agentId": "ada", "swarmId": "` + assets.SampleGraphID + `", "state": "idle"}`, "updates[0].swarmId", 400},
		{"a second update bad", `[{"agentId": "new1", "swarmId": "crew", "state": "idle"}, {"agentId": "new2", "swarmId": "crew", "state": "idle", "health": -1}]`, "updates[1].health", 400},
		{"a misspelt field", `{"agentID": "ada", "swarmId": "crew", "state": "idle"}`, `unknown field "agentID"`, 400},
		{"not a knowledge graph", `{"agentId": "x", "swarmId": "crew2", "state": "idle", "knowledgeGraph": "crew"}`, "updates[0].knowledgeGraph", 400},
		{"no updates", `[]`, "updates", 400},
		{"a new swarm with an unknown collaborator", `{"agentId": "a", "swarmId": "fresh", "state": "idle", "collaboratingWith": ["ghost"]}`, "updates[0].collaboratingWith[0]", 404},
	}
	for _, c := range cases {
		status, body := raw(t, "POST", s.url+"/api/agents/status", "application/json", c.body)
		if status != c.status || !strings.Contains(body["detail"], c.want) {
			t.Errorf("%s: %d %v, want %d naming %s", c.name, status, body, c.status, c.want)
		}
	}
	for _, c := range []struct{ name, path, body, want string }{
		{"a message from nobody", "/api/agents/messages", `{"swarmId": "crew", "from": "ghost", "to": "ada"}`, "from"},
		{"a command nobody knows", "/api/agents/ada/commands?swarm=crew", `{"kind": "reboot"}`, "kind"},
		{"a redirect without text", "/api/agents/ada/commands?swarm=crew", `{"kind": "redirect"}`, "text"},
		{"telemetry without a session", "/api/telemetry", `{"activeAgents": 3}`, "reports[0].sessionId"},
		{"focus on a missing node", "/api/focus", `{"graph": "` + assets.SampleGraphID + `", "nodes": ["nope"]}`, "nodes[0]"},
	} {
		status, body := raw(t, "POST", s.url+c.path, "application/json", c.body)
		if status < 400 || status >= 500 || !strings.Contains(body["detail"], c.want) {
			t.Errorf("%s: %d %v, want a 4xx naming %s", c.name, status, body, c.want)
		}
	}
	after, _ := s.c.Agents(ctx, "")
	afterGraph, _ := s.c.Graph(ctx, "crew")
	if len(after) != len(before) || len(afterGraph.Nodes) != len(beforeGraph.Nodes) || afterGraph.Seq != beforeGraph.Seq {
		t.Errorf("bad input changed something: agents %d → %d, swarm seq %d → %d", len(before), len(after), beforeGraph.Seq, afterGraph.Seq)
	}
	if list, _ := s.c.Graphs(ctx); len(list) != 2 {
		t.Errorf("a refused report made a graph: %+v", list)
	}
	if _, err := s.c.Health(ctx); err != nil {
		t.Fatalf("the server is down: %v", err)
	}
}

// fakeClock is a wall clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// Silent agents grey out after the heartbeat timeout and leave after the
// removal timeout (their node goes, with its links); after a restart the
// agents come back stale from the graph and their history.
func TestSilentAgentsGreyOutThenLeave(t *testing.T) {
	clock := &fakeClock{time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	db := filepath.Join(t.TempDir(), "vf.db")
	s, stop := newSessionAt(t, db, clock.now)
	ctx := context.Background()
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "kg", Name: "kg", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReportStatus(ctx, "t", []agent.Status{
		{AgentID: "a", SwarmID: "crew", State: agent.Idle},
		{AgentID: "b", SwarmID: "crew", State: agent.Blocked, CollaboratingWith: []string{"a"}},
	}); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(20 * time.Second)
	s.ReportStatus(ctx, "t", []agent.Status{{AgentID: "a", SwarmID: "crew", State: agent.Idle}})
	clock.t = clock.t.Add(15 * time.Second) // b silent 35 s, a 15 s
	s.swarms.sweep(ctx, clock.t)
	stale := map[string]bool{}
	list, _ := s.Agents(ctx, "crew")
	for _, a := range list {
		stale[a.ID] = a.Stale
	}
	if !stale["b"] || stale["a"] {
		t.Fatalf("after 35 s of b's silence: %v", stale)
	}
	// The frames say so too.
	waitFor(t, "b's stale flag in the positions", func() bool {
		p := s.Positions("crew")
		for _, n := range p.Nodes {
			if n.Flags&wire.FlagStale != 0 && n.AgentState() == agent.Blocked {
				return true
			}
		}
		return false
	})
	clock.t = clock.t.Add(5 * time.Minute) // both silent past the removal timeout
	s.ReportStatus(ctx, "t", []agent.Status{{AgentID: "a", SwarmID: "crew", State: agent.Idle}})
	s.swarms.sweep(ctx, clock.t)
	c, _ := s.Graph(ctx, "crew")
	if len(c.Nodes) != 1 || c.Nodes[0].ID != "a" || len(c.Edges) != 0 {
		t.Fatalf("b should have left with its link: %+v", c)
	}
	if err := s.swarms.flush(ctx); err != nil {
		t.Fatal(err)
	}
	hist, _ := s.AgentHistory(ctx, "crew", "b", time.Time{}, 10)
	if len(hist) != 2 || hist[0].Kind != "first" || hist[1].Kind != "gone" {
		t.Fatalf("b's history: %+v", hist)
	}
	stop()

	// A restart an hour later: a is back, stale, from its last stored
	// report, and the downtime does not count as its silence.
	clock.t = clock.t.Add(time.Hour)
	s, stop = newSessionAt(t, db, clock.now)
	defer stop()
	list, err := s.Agents(ctx, "crew")
	if err != nil || len(list) != 1 || list[0].ID != "a" || !list[0].Stale {
		t.Fatalf("after a restart: %v %+v", err, list)
	}
	s.swarms.sweep(ctx, clock.t.Add(time.Minute))
	if list, _ := s.Agents(ctx, "crew"); len(list) != 1 {
		t.Fatalf("the downtime made a leave: %+v", list)
	}
	if _, err := s.ReportStatus(ctx, "t", []agent.Status{{AgentID: "a", SwarmID: "crew", State: agent.Executing}}); err != nil {
		t.Fatal(err)
	}
	list, _ = s.Agents(ctx, "crew")
	if list[0].Stale || list[0].State != agent.Executing {
		t.Fatalf("a reporting again: %+v", list[0])
	}
	c, _ = s.Graph(ctx, "crew")
	if len(c.Nodes) != 1 {
		t.Fatalf("a returning agent is not a new node: %+v", c.Nodes)
	}
}

// newSessionAt runs a session on db with a wall clock.
func newSessionAt(t *testing.T, db string, now func() time.Time) (*Session, func()) {
	t.Helper()
	ctx := context.Background()
	st, set, err := openStore(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(st, set, SessionOptions{Now: now})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	return s, func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
		st.Close()
	}
}

// An agent settles near the knowledge nodes it works on: the swarm's
// layout pulls it towards where the knowledge graph's layout has them.
func TestAgentsSitNearWhatTheyWorkOn(t *testing.T) {
	s, _, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	left, right := graph.Vec3{X: -400}, graph.Vec3{X: 400}
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "kg", Name: "kg", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, "t", "kg", []graph.Op{
		{Op: graph.AddNode, ID: "west", Position: &left, Pinned: new(true)},
		{Op: graph.AddNode, ID: "east", Position: &right, Pinned: new(true)},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReportStatus(ctx, "t", []agent.Status{
		{AgentID: "w", SwarmID: "crew", State: agent.Executing, WorkingOn: []string{"west"}, KnowledgeGraph: "kg"},
		{AgentID: "e", SwarmID: "crew", State: agent.Executing, WorkingOn: []string{"east"}},
	}); err != nil {
		t.Fatal(err)
	}
	c, _ := s.Graph(ctx, "crew")
	wire := map[string]graph.WireID{}
	for _, n := range c.Nodes {
		wire[n.ID] = n.WireID
	}
	waitFor(t, "each agent beside its node", func() bool {
		p := s.Positions("crew")
		if p == nil || len(p.Nodes) != 2 {
			return false // the anchors are never published
		}
		x := map[graph.WireID]float32{}
		for _, n := range p.Nodes {
			x[n.ID] = n.Position.X
		}
		return x[wire["w"]] < -250 && x[wire["e"]] > 250
	})
}

// A swarm holds a bounded number of agents: a request that would pass the
// bound is refused whole, naming the limit.
func TestSwarmsAreBounded(t *testing.T) {
	defer func(n int) { maxAgentsPerSwarm = n }(maxAgentsPerSwarm)
	maxAgentsPerSwarm = 3
	s, _, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	two := []agent.Status{{AgentID: "a", SwarmID: "crew", State: agent.Idle}, {AgentID: "b", SwarmID: "crew", State: agent.Idle}}
	if _, err := s.ReportStatus(ctx, "t", two); err != nil {
		t.Fatal(err)
	}
	_, err := s.ReportStatus(ctx, "t", []agent.Status{{AgentID: "a", SwarmID: "crew", State: agent.Thinking},
		{AgentID: "c", SwarmID: "crew", State: agent.Idle}, {AgentID: "d", SwarmID: "crew", State: agent.Idle}})
	if !errors.Is(err, graph.ErrTooLarge) || !strings.Contains(err.Error(), "limit of 3") {
		t.Fatalf("past the bound: %v", err)
	}
	list, _ := s.Agents(ctx, "crew")
	if len(list) != 2 || list[0].State != agent.Idle {
		t.Fatalf("a refused request changed the swarm: %+v", list)
	}
	// Known agents still report.
	if _, err := s.ReportStatus(ctx, "t", []agent.Status{{AgentID: "a", SwarmID: "crew", State: agent.Thinking}, {AgentID: "c", SwarmID: "crew", State: agent.Idle}}); err != nil {
		t.Fatal(err)
	}
}

// The server's own share of telemetry counts what it saw: agents spawned
// and active, collaboration, REST calls and WebSocket messages.
func TestServerTelemetryCountsItsShare(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	if _, err := s.c.ReportStatus(ctx, agent.Status{AgentID: "a", SwarmID: "crew", State: agent.Idle},
		agent.Status{AgentID: "b", SwarmID: "crew", State: agent.Idle, CollaboratingWith: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.SendMessage(ctx, agent.Message{Swarm: "crew", From: "a", To: "b"}); err != nil {
		t.Fatal(err)
	}
	st, err := s.c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	m := s.Session.ownTelemetry(time.Now())
	if m.AgentSpawns != 2 || m.ActiveAgents != 2 || m.CollaborationEvents != 2 || m.RestAPICalls < 2 || m.WebSocketMessages < 1 || !strings.HasPrefix(m.SessionID, "server-") {
		t.Fatalf("the server's telemetry: %+v", m)
	}
	if err := m.Validate("", time.Now()); err != nil {
		t.Fatalf("the server's own report is invalid: %v", err)
	}
}

// Agents reporting their first status at once, for a swarm that does not
// exist yet, make one swarm tied to the knowledge graph they named.
func TestConcurrentFirstReportsMakeOneSwarm(t *testing.T) {
	s, _, stop := newSession(t)
	defer stop()
	ctx := context.Background()
	for _, id := range []string{"kg", "other"} {
		if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: id, Name: id, Type: graph.Knowledge}, ""); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 10 {
		swarm := fmt.Sprintf("crew%d", round)
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				_, err := s.ReportStatus(ctx, "t", []agent.Status{{AgentID: fmt.Sprintf("a%d", i), SwarmID: swarm, State: agent.Idle, KnowledgeGraph: "kg"}})
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		list, _ := s.Swarms(ctx)
		for _, sw := range list {
			if sw.ID == swarm && (sw.KnowledgeGraph != "kg" || sw.Agents != 8) {
				t.Fatalf("round %d: %+v", round, sw)
			}
		}
		if ls := s.swarms.get(swarm); ls == nil || ls.sw.KnowledgeGraph != "kg" {
			t.Fatalf("round %d: the live swarm lost its knowledge graph", round)
		}
	}
}

// An operator's command reaches an agent that connects after it was
// queued, and again on a new connection when the first went away before
// the agent answered; it is answered once.
func TestCommandsReachAgentsThatReconnect(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	if _, err := s.c.ReportStatus(ctx, agent.Status{AgentID: "ada", SwarmID: "crew", State: agent.Idle}); err != nil {
		t.Fatal(err)
	}
	cmd, err := s.c.QueueCommand(ctx, "crew", "ada", agent.CommandRequest{Kind: agent.Pause})
	if err != nil {
		t.Fatal(err)
	}
	connect := func() *client.Stream {
		st, err := s.c.Stream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.ReportStatus(ctx, agent.Status{AgentID: "ada", SwarmID: "crew", State: agent.Idle}); err != nil {
			t.Fatal(err)
		}
		var got wire.CommandMsg
		json.Unmarshal(nextOf(t, st, wire.TypeCommand, func([]byte) bool { return true }), &got)
		if got.Command.ID != cmd.ID {
			t.Fatalf("got %+v", got)
		}
		return st
	}
	first := connect()
	waitFor(t, "the command delivered", func() bool {
		list, _ := s.c.Commands(ctx, "crew", "ada")
		return len(list) == 1 && list[0].State == agent.Delivered
	})
	first.Close() // gone without answering
	second := connect()
	defer second.Close()
	if err := second.AckCommand(ctx, agent.Ack{CommandID: cmd.ID, OK: true}); err != nil {
		t.Fatal(err)
	}
	if err := second.AckCommand(ctx, agent.Ack{CommandID: cmd.ID, OK: true}); err == nil {
		t.Fatal("answered twice")
	}
}
