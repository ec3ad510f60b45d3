// Package demo runs a simulated swarm of AI agents against a VisionFlow
// server's real API, as real agents would: most report over one WebSocket,
// some over REST and some through MCP tools. The agents change state, work
// on nodes of the knowledge graph (walking along its links), collaborate
// and message each other, hand tasks over, and obey operator commands
// (pause, resume, halt, redirect), acknowledging each. They are given work
// (tasks.go): coordinators plan it, the others claim its parts, report
// progress, finish or now and then fail them, recall what the swarm
// remembers before they start and remember what they did.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/net/wire"
)

// Options tune a demo swarm. The zero value of each field has a default.
type Options struct {
	URL    string // the server's base URL
	Token  string // sent with every request when set (a shared server needs one, of role agent)
	Swarm  string // swarm id (default "demo-swarm")
	Graph  string // knowledge graph to work on (default: the newest)
	Agents int    // how many (default 50)
	Seed   uint64 // for the simulation's choices (default 1)
	// Tick is how often every agent moves on and reports (default 500 ms).
	Tick time.Duration
	// Duration stops the swarm after this long (0: until ctx ends).
	Duration time.Duration
	Log      *slog.Logger
}

// Transports an agent reports over.
const (
	viaWS   = "websocket"
	viaREST = "rest"
	viaMCP  = "mcp"
)

var roles = []struct {
	typ  string
	caps []string
}{
	{"coordinator", []string{"planner", "review"}},
	{"researcher", []string{"search", "summarise"}},
	{"coder", []string{"go", "glsl"}},
	{"reviewer", []string{"review"}},
	{"tester", []string{"test"}},
	{"writer", []string{"docs"}},
}

var names = []string{"Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Ken", "Rob", "Niklaus", "Frances",
	"John", "Radia", "Leslie", "Margaret", "Tony", "Dennis", "Hedy", "Linus", "Guido", "Bjarne"}

type simAgent struct {
	id, name, typ string
	caps          []string
	via           string
	state         agent.State
	progress      float64
	task          string
	at            string   // the knowledge node worked on
	collab        []string // peers while collaborating
	until         time.Time
	paused        bool
	halted        bool
	reported      bool
	held          *held // the task it holds
}

// Swarm is a running demo swarm.
type Swarm struct {
	opt    Options
	c      *client.Client
	st     *client.Stream
	mcp    *sdk.ClientSession
	rng    *rand.Rand
	log    *slog.Logger
	nodes  []string            // knowledge node ids
	labels map[string]string   // their labels
	adj    map[string][]string // their neighbours

	mu     sync.Mutex
	agents []*simAgent
	byID   map[string]*simAgent
	stats  Stats
	polls  int
	ticks  int

	openTops  map[string]bool // tasks submitted and not yet over
	workWaits bool            // there may be work to claim
	turns     map[string]int  // whose turn it is, by kind of work
}

// Stats count what the swarm did.
type Stats struct {
	Steps                                          int // ticks the swarm has moved on
	Reports, Messages, Handoffs, Commands          int
	Submitted, Planned, Claimed, Completed, Failed int
	Remembered, Recalled                           int
	// Moves counts the task moves the server took, by transport
	// ("websocket", "rest", "mcp").
	Moves map[string]int
}

// Stats returns what the swarm has done so far.
func (s *Swarm) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Moves = maps.Clone(s.stats.Moves)
	return st
}

// Start connects to the server, reads the knowledge graph and has every
// agent join with its first status. Run makes them work.
func Start(ctx context.Context, opt Options) (*Swarm, error) {
	if opt.Swarm == "" {
		opt.Swarm = "demo-swarm"
	}
	if opt.Agents == 0 {
		opt.Agents = 50
	}
	if opt.Agents < 1 || opt.Agents > 10_000 {
		return nil, fmt.Errorf("--agents %d: want 1 to 10000", opt.Agents)
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Tick <= 0 {
		opt.Tick = 500 * time.Millisecond
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Swarm{opt: opt, c: newClient(opt), rng: rand.New(rand.NewPCG(opt.Seed, 42)), log: opt.Log,
		labels: map[string]string{}, adj: map[string][]string{}, byID: map[string]*simAgent{}, openTops: map[string]bool{}, workWaits: true, turns: map[string]int{},
		stats: Stats{Moves: map[string]int{}}}
	if err := s.readGraph(ctx); err != nil {
		return nil, err
	}
	st, err := s.c.Stream(ctx)
	if err != nil {
		return nil, err
	}
	s.st = st
	mc := sdk.NewClient(&sdk.Implementation{Name: "demo-swarm", Version: "1"}, nil)
	if s.mcp, err = mc.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: opt.URL + "/mcp", DisableStandaloneSSE: true, HTTPClient: s.c.HTTPClient()}, nil); err != nil {
		st.Close()
		return nil, fmt.Errorf("connect to %s/mcp: %w", opt.URL, err)
	}
	for i := range opt.Agents {
		r := roles[i%len(roles)]
		a := &simAgent{id: fmt.Sprintf("agent-%03d", i+1), typ: r.typ, caps: r.caps, state: agent.Idle, via: viaWS,
			name: fmt.Sprintf("%s %d", names[i%len(names)], i/len(names)+1)}
		if i/len(names) == 0 {
			a.name = names[i]
		}
		switch {
		case i%10 == 3:
			a.via = viaREST
		case i%10 == 7:
			a.via = viaMCP
		}
		if len(s.nodes) > 0 {
			a.at = s.nodes[s.rng.IntN(len(s.nodes))]
		}
		// A swarm is caught mid-work: agents start in different states,
		// due to move on at different times.
		a.state = []agent.State{agent.Idle, agent.Thinking, agent.Executing, agent.Executing, agent.Collaborating}[s.rng.IntN(5)]
		if a.state == agent.Executing {
			a.progress = 90 * s.rng.Float64()
		}
		a.task = "Read " + s.label(a.at)
		a.until = time.Now().Add(time.Duration(s.rng.Float64() * 3 * float64(time.Second)))
		s.agents = append(s.agents, a)
		s.byID[a.id] = a
	}
	// Everyone joins in one report, so that collaborators are known.
	first := make([]agent.Status, len(s.agents))
	for i, a := range s.agents {
		first[i] = s.status(a)
		first[i].KnowledgeGraph = opt.Graph
		a.reported = true
	}
	if _, err := s.c.ReportStatus(ctx, first...); err != nil {
		s.Close()
		return nil, fmt.Errorf("join the swarm: %w", err)
	}
	return s, nil
}

// readGraph reads the knowledge graph the agents work on.
func (s *Swarm) readGraph(ctx context.Context) error {
	if s.opt.Graph == "" {
		list, err := s.c.Graphs(ctx)
		if err != nil {
			return err
		}
		var newest time.Time
		for _, g := range list {
			if g.Type == graph.Knowledge && (s.opt.Graph == "" || g.Created.After(newest)) {
				s.opt.Graph, newest = g.ID, g.Created
			}
		}
		if s.opt.Graph == "" {
			return errors.New("the server has no knowledge graph for the agents to work on; import one first")
		}
	}
	c, err := s.c.Graph(ctx, s.opt.Graph)
	if err != nil {
		return err
	}
	for _, n := range c.Nodes {
		s.nodes = append(s.nodes, n.ID)
		s.labels[n.ID] = n.Label
	}
	for _, e := range c.Edges {
		s.adj[e.Source] = append(s.adj[e.Source], e.Target)
		s.adj[e.Target] = append(s.adj[e.Target], e.Source)
	}
	return nil
}

// Close disconnects.
func (s *Swarm) Close() error {
	var errs []error
	if s.mcp != nil {
		errs = append(errs, s.mcp.Close())
	}
	if s.st != nil {
		errs = append(errs, s.st.Close())
	}
	return errors.Join(errs...)
}

// Agent ids, for tests and the window.
func (s *Swarm) AgentIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(s.agents))
	for i, a := range s.agents {
		ids[i] = a.id
	}
	return ids
}

// Run moves the agents on every tick until ctx ends (or Duration passes),
// and obeys the operators' commands as they come.
func (s *Swarm) Run(ctx context.Context) error {
	if s.opt.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opt.Duration)
		defer cancel()
	}
	tick := time.NewTicker(s.opt.Tick)
	defer tick.Stop()
	poll := time.NewTicker(max(s.opt.Tick*4, time.Second))
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.st.Done():
			return fmt.Errorf("the server closed the WebSocket: %w", s.st.Err())
		case m := <-s.st.Messages():
			if m.Type == wire.TypeCommand {
				var cm wire.CommandMsg
				if json.Unmarshal(m.Raw, &cm) == nil {
					s.obey(ctx, cm.Command, viaWS)
				}
			}
		case <-poll.C:
			s.pollCommands(ctx)
		case now := <-tick.C:
			if err := s.step(ctx, now); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				// A refused report (the server restarted and forgot a
				// collaborator, say) is no reason to stop the swarm.
				s.log.Warn("demo: a report was refused", "err", err)
			}
		}
	}
}

func (s *Swarm) status(a *simAgent) agent.Status {
	u := agent.Status{AgentID: a.id, SwarmID: s.opt.Swarm, State: a.state, Name: a.name, Type: a.typ, Capabilities: a.caps,
		CurrentTask: a.task, CollaboratingWith: a.collab, Health: new(100.0)}
	if a.state == agent.Error {
		u.Health = new(40.0)
	}
	if a.state == agent.Executing || a.state == agent.Collaborating {
		u.Progress = new(min(100, a.progress))
	}
	if a.at != "" {
		u.WorkingOn = []string{a.at}
	}
	tokens := int64(1000 + 37*len(a.task))
	u.Tokens, u.TokenRate = &tokens, new(float64(len(a.collab)*20+10))
	return u
}

// outgoing is a message an agent sends, over its transport.
type outgoing struct {
	m   agent.Message
	via string
}

// step moves every agent on and reports their status over their
// transports, and sends the messages collaboration makes.
func (s *Swarm) step(ctx context.Context, now time.Time) error {
	var byVia = map[string][]agent.Status{}
	var msgs []outgoing
	s.mu.Lock()
	s.stats.Steps++
	for _, a := range s.agents {
		if a.halted {
			continue // a halted agent stops reporting and greys out
		}
		switch {
		case a.held != nil || a.paused:
			// Its task moves it on (taskMoves).
		case !now.Before(a.until):
			msgs = append(msgs, s.advance(a, now)...)
		case a.state == agent.Executing:
			a.progress += 3 + 7*s.rng.Float64()
		}
		byVia[a.via] = append(byVia[a.via], s.status(a))
	}
	s.stats.Reports += len(byVia[viaWS]) + len(byVia[viaREST]) + len(byVia[viaMCP])
	moves := s.taskMoves(now)
	s.ticks++
	submit := s.ticks%4 == 1
	if s.ticks%8 == 0 {
		s.workWaits = true // retries come due, leases run out: look again
	}
	s.mu.Unlock()
	defer func() {
		if ctx.Err() == nil {
			s.sendMoves(ctx, append(moves, s.dispatch(ctx)...))
			if submit {
				s.submitWork(ctx)
			}
		}
	}()
	if ups := byVia[viaWS]; len(ups) > 0 {
		if err := s.st.ReportStatus(ctx, ups...); err != nil {
			return fmt.Errorf("report over the WebSocket: %w", err)
		}
	}
	if ups := byVia[viaREST]; len(ups) > 0 {
		if _, err := s.c.ReportStatus(ctx, ups...); err != nil {
			return fmt.Errorf("report over REST: %w", err)
		}
	}
	if ups := byVia[viaMCP]; len(ups) > 0 {
		if err := s.callTool(ctx, "report_status", map[string]any{"updates": ups}, nil); err != nil {
			return err
		}
	}
	for _, m := range msgs {
		var err error
		switch m.via {
		case viaWS:
			err = s.st.SendMessage(ctx, m.m)
		case viaREST:
			_, err = s.c.SendMessage(ctx, m.m)
		default:
			err = s.callTool(ctx, "send_message", map[string]any{"swarmId": m.m.Swarm, "from": m.m.From, "to": m.m.To, "kind": m.m.Kind, "text": m.m.Text}, nil)
		}
		if err != nil {
			s.log.Debug("demo: message refused", "from", m.m.From, "to", m.m.To, "err", err)
		}
	}
	return nil
}

// advance moves one agent to its next state and returns the messages it
// sends. Called with the lock held.
func (s *Swarm) advance(a *simAgent, now time.Time) []outgoing {
	var out []outgoing
	wait := func(lo, hi float64) {
		a.until = now.Add(time.Duration((lo + (hi-lo)*s.rng.Float64()) * float64(time.Second)))
	}
	a.collab = nil
	switch a.state {
	case agent.Idle:
		a.state = agent.Thinking
		if a.task == "" || s.rng.IntN(3) == 0 {
			a.task = "Read " + s.label(a.at)
		}
		wait(1, 3)
	case agent.Thinking:
		a.state, a.progress = agent.Executing, 0
		wait(2, 6)
	case agent.Executing:
		a.progress += 10 + 20*s.rng.Float64()
		switch r := s.rng.Float64(); {
		case r < 0.04:
			a.state = agent.Error
			wait(2, 4)
		case r < 0.10:
			a.state = agent.Blocked
			wait(2, 5)
		case a.progress >= 100:
			a.progress = 100
			a.state = agent.Collaborating
			wait(2, 4)
		default:
			wait(1, 2)
		}
	case agent.Collaborating:
		// Hand the work to someone, or go on to a neighbouring page.
		a.state = agent.Idle
		if next := s.adj[a.at]; len(next) > 0 {
			a.at = next[s.rng.IntN(len(next))]
		}
		wait(0.5, 2)
	case agent.Blocked, agent.Error:
		a.state = agent.Thinking
		wait(1, 3)
	}
	if a.state == agent.Collaborating || (a.state == agent.Executing && s.rng.IntN(4) == 0) {
		peers := s.rng.IntN(2) + 1
		for range peers {
			p := s.agents[s.rng.IntN(len(s.agents))]
			if p == a || p.halted || slices.Contains(a.collab, p.id) {
				continue
			}
			if a.state == agent.Collaborating {
				a.collab = append(a.collab, p.id)
			}
			kind, text := agent.Messaging, fmt.Sprintf("%s: about %s", a.name, s.label(a.at))
			if a.state == agent.Collaborating && s.rng.IntN(3) == 0 {
				kind, text = agent.Handoff, "Please take over: "+a.task
				s.stats.Handoffs++
			}
			s.stats.Messages++
			out = append(out, outgoing{agent.Message{Swarm: s.opt.Swarm, From: a.id, To: p.id, Kind: kind, Text: text}, a.via})
		}
	}
	return out
}

func (s *Swarm) label(id string) string {
	if l := s.labels[id]; l != "" {
		return l
	}
	return cmpOr(id, "the notes")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// pollCommands asks for the commands of the agents that do not have a
// WebSocket: over REST or through the MCP tool.
func (s *Swarm) pollCommands(ctx context.Context) {
	s.mu.Lock()
	s.polls++
	var rest, viaTool []string
	for _, a := range s.agents {
		switch {
		case a.halted && s.polls%4 != 0:
			// A halted agent still listens, now and then, for resume.
		case a.via == viaREST:
			rest = append(rest, a.id)
		case a.via == viaMCP:
			viaTool = append(viaTool, a.id)
		}
	}
	s.mu.Unlock()
	for _, id := range rest {
		if c, err := s.c.NextCommand(ctx, s.opt.Swarm, id); err == nil && c != nil {
			s.obey(ctx, *c, viaREST)
		}
	}
	for _, id := range viaTool {
		var out struct {
			Command *agent.Command `json:"command"`
		}
		if err := s.callTool(ctx, "next_command", map[string]any{"swarmId": s.opt.Swarm, "agentId": id}, &out); err == nil && out.Command != nil {
			s.obey(ctx, *out.Command, viaMCP)
		}
	}
}

// obey carries out an operator's command and acknowledges it.
func (s *Swarm) obey(ctx context.Context, c agent.Command, via string) {
	s.mu.Lock()
	a := s.byID[c.Agent]
	note := ""
	ok := a != nil && c.Swarm == s.opt.Swarm
	if ok {
		switch c.Kind {
		case agent.Pause:
			a.paused, a.state, note = true, agent.Idle, "paused"
		case agent.Resume:
			a.paused, a.halted, note = false, false, "back to work"
		case agent.Halt:
			a.halted, note = true, "stopped"
		case agent.Redirect:
			a.task, a.state, a.progress, note = c.Text, agent.Thinking, 0, "now: "+c.Text
		}
		s.stats.Commands++
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	ack := agent.Ack{CommandID: c.ID, OK: true, Note: note}
	var err error
	switch via {
	case viaWS:
		err = s.st.AckCommand(ctx, ack)
	case viaREST:
		_, err = s.c.AckCommand(ctx, ack)
	default:
		err = s.callTool(ctx, "ack_command", map[string]any{"commandId": ack.CommandID, "ok": true, "note": note}, nil)
	}
	if err != nil {
		s.log.Warn("demo: could not acknowledge a command", "command", c.ID, "err", err)
	}
}

// callTool calls an MCP tool and decodes its structured answer.
func (s *Swarm) callTool(ctx context.Context, name string, args map[string]any, out any) error {
	res, err := s.mcp.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		return fmt.Errorf("MCP %s: %w", name, err)
	}
	if res.IsError {
		var parts []string
		for _, c := range res.Content {
			if t, ok := c.(*sdk.TextContent); ok {
				parts = append(parts, t.Text)
			}
		}
		return fmt.Errorf("MCP %s: %s", name, strings.Join(parts, " "))
	}
	if out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		return json.Unmarshal(b, out)
	}
	return nil
}

// Describe writes a line about the swarm for the command's user.
func (s *Swarm) Describe(w io.Writer) {
	ws, rest, tool := 0, 0, 0
	for _, a := range s.agents {
		switch a.via {
		case viaWS:
			ws++
		case viaREST:
			rest++
		default:
			tool++
		}
	}
	fmt.Fprintf(w, "swarm %q: %d agents working on %q (%d over the WebSocket, %d over REST, %d through MCP)\n",
		s.opt.Swarm, len(s.agents), s.opt.Graph, ws, rest, tool)
}

func newClient(opt Options) *client.Client {
	c := client.New(opt.URL, "demo-swarm")
	c.SetToken(opt.Token)
	return c
}
