package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/session"
	"visionflow/telemetry"
)

var _ session.Agents = (*Session)(nil)

// maxAgentsPerSwarm is agent.MaxAgentsPerSwarm (tests lower it).
var maxAgentsPerSwarm = agent.MaxAgentsPerSwarm
var _ session.Telemetry = (*Session)(nil)

// ReportStatus records agents' status updates: validated first, all of
// them, then per swarm. An update that changes nothing structural (the
// agent is known, its profile and links unchanged) only updates memory; one
// that brings a new agent, a new profile or a new collaboration commits
// that change to the swarm's graph first, on its worker, and is recorded
// only once that is durable.
func (s *Session) ReportStatus(ctx context.Context, who string, updates []agent.Status) (session.StatusReport, error) {
	var rep session.StatusReport
	switch {
	case len(updates) == 0:
		return rep, fieldErr(graph.ErrInvalid, "updates", "there are none")
	case len(updates) > agent.MaxUpdatesPerRequest:
		return rep, fieldErr(graph.ErrTooLarge, "updates", "%d in one request; the limit is %d", len(updates), agent.MaxUpdatesPerRequest)
	}
	now := s.now()
	var order []string
	bySwarm := map[string][]int{}
	for i := range updates {
		if err := updates[i].Validate(fmt.Sprintf("updates[%d]", i), now); err != nil {
			return rep, err
		}
		id := updates[i].SwarmID
		if _, ok := bySwarm[id]; !ok {
			order = append(order, id)
		}
		bySwarm[id] = append(bySwarm[id], i)
	}
	// Every update fits its swarm (a swarm not made yet is checked as an
	// empty one) before anything is made or recorded.
	lives := map[string]*liveSwarm{}
	kgs, fields := map[string]string{}, map[string]string{}
	for _, id := range order {
		first := bySwarm[id][0]
		kg := ""
		for _, i := range bySwarm[id] {
			if updates[i].KnowledgeGraph != "" {
				kg, first = updates[i].KnowledgeGraph, i
				break
			}
		}
		field := fmt.Sprintf("updates[%d]", first)
		if kg != "" {
			if err := s.checkKnowledgeGraph(ctx, kg, field+".knowledgeGraph"); err != nil {
				return rep, err
			}
		}
		ls, err := s.swarms.open(ctx, id, field+".swarmId")
		switch {
		case errors.Is(err, graph.ErrNotFound):
			ls = nil
		case err != nil:
			return rep, err
		}
		lives[id], kgs[id], fields[id] = ls, kg, field+".swarmId"
	}
	for _, id := range order {
		ls := lives[id]
		if ls == nil {
			ls = newLiveSwarm(id, kgs[id])
		}
		if err := s.swarms.check(ls, updates, bySwarm[id]); err != nil {
			return rep, err
		}
	}
	// Then each swarm is made if need be and takes its updates, all or
	// nothing; a failure of the store midway leaves the swarms before it
	// recorded.
	for _, id := range order {
		if err := s.swarms.ensure(ctx, who, id, kgs[id], fields[id]); err != nil {
			return rep, err
		}
		fresh, err := s.swarms.report(ctx, who, id, updates, bySwarm[id], now)
		if err != nil {
			return rep, err
		}
		rep.NewAgents = append(rep.NewAgents, fresh...)
	}
	s.tasks.renew(updates, now)
	rep.Accepted, rep.Swarms = len(updates), order
	if rep.NewAgents == nil {
		rep.NewAgents = []string{}
	}
	s.swarms.updates.Add(int64(len(updates)))
	return rep, nil
}

// check refuses updates that do not fit their swarm: a knowledge graph
// other than the swarm's, an agent id that names a node that is not an
// agent, collaborators that are not agents of the swarm (or of the same
// request).
func (m *swarms) check(ls *liveSwarm, updates []agent.Status, idx []int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	inBatch := map[string]bool{}
	fresh := 0
	for _, i := range idx {
		id := updates[i].AgentID
		if !inBatch[id] && !ls.sw.Has(id) {
			fresh++
		}
		inBatch[id] = true
	}
	if ls.sw.Len()+fresh > maxAgentsPerSwarm {
		return fieldErr(graph.ErrTooLarge, fmt.Sprintf("updates[%d].agentId", idx[0]), "swarm %q has %d agents; %d more would pass the limit of %d",
			ls.sw.ID, ls.sw.Len(), fresh, maxAgentsPerSwarm)
	}
	for _, i := range idx {
		u := &updates[i]
		field := fmt.Sprintf("updates[%d]", i)
		if u.KnowledgeGraph != "" && ls.sw.KnowledgeGraph != "" && u.KnowledgeGraph != ls.sw.KnowledgeGraph {
			return fieldErr(graph.ErrInvalid, field+".knowledgeGraph", "swarm %q works on %q, not %q", ls.sw.ID, ls.sw.KnowledgeGraph, u.KnowledgeGraph)
		}
		if ls.others[u.AgentID] {
			return fieldErr(graph.ErrInvalid, field+".agentId", "%q is a node of swarm %q that is not an agent", u.AgentID, ls.sw.ID)
		}
		for j, c := range u.CollaboratingWith {
			if !ls.sw.Has(c) && !inBatch[c] {
				return fieldErr(graph.ErrNotFound, fmt.Sprintf("%s.collaboratingWith[%d]", field, j), "there is no agent %q in swarm %q (an agent joins with its first status)", c, ls.sw.ID)
			}
		}
	}
	return nil
}

// structural lists the graph changes a swarm's updates need: nodes for new
// agents, node updates for changed profiles, edges for new links. Called
// with the lock held.
func (ls *liveSwarm) structural(updates []agent.Status, idx []int) []graph.Op {
	var ops []graph.Op
	added := map[string]bool{}
	linked := map[agent.LinkKey]bool{}
	for _, i := range idx {
		u := &updates[i]
		prev, known := ls.sw.Agent(u.AgentID)
		_, hasNode := ls.wireOf[u.AgentID]
		name := u.Name
		if name == "" {
			name = cmpOr(prev.Name, u.AgentID)
		}
		switch {
		case !hasNode && !added[u.AgentID]:
			added[u.AgentID] = true
			ops = append(ops, graph.Op{Op: graph.AddNode, ID: u.AgentID, Label: new(name), GraphType: graph.Agents, Metadata: agentMetadata(u, nil)})
		case known && (name != prev.Name || (u.Type != "" && u.Type != prev.Type) || (u.Capabilities != nil && !slices.Equal(u.Capabilities, prev.Capabilities))):
			ops = append(ops, graph.Op{Op: graph.UpdateNode, ID: u.AgentID, Label: new(name), Metadata: agentMetadata(u, &prev)})
		}
		for _, c := range u.CollaboratingWith {
			k := agent.Key(u.AgentID, c)
			if _, ok := ls.edgeOf[k]; !ok && !linked[k] {
				linked[k] = true
				ops = append(ops, graph.Op{Op: graph.AddEdge, Source: k.A, Target: k.B, Metadata: map[string]*string{kindKey: new(kindInteraction)}})
			}
		}
	}
	// Nodes first, so that edges find their ends.
	slices.SortStableFunc(ops, func(a, b graph.Op) int { return opRank(a.Op) - opRank(b.Op) })
	return ops
}

func opRank(k graph.OpKind) int {
	if k == graph.AddEdge {
		return 1
	}
	return 0
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// report records one swarm's updates, committing what is structural to
// its graph first. It returns the agents that are new.
func (m *swarms) report(ctx context.Context, who, swarmID string, updates []agent.Status, idx []int, now time.Time) ([]string, error) {
	// The live swarm is dropped when its graph appears whole (made,
	// replaced) and read back on next use: a first report racing another
	// may find it gone once; it reads it back and tries again.
	for range 3 {
		fresh, err := m.reportOnce(ctx, who, swarmID, updates, idx, now)
		if !errors.Is(err, errSwarmReread) {
			return fresh, err
		}
		if _, err := m.open(ctx, swarmID, fmt.Sprintf("updates[%d].swarmId", idx[0])); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("swarm %q kept being replaced while its status was recorded; send it again", swarmID)
}

var errSwarmReread = errors.New("the swarm is to be read back from its graph")

func (m *swarms) reportOnce(ctx context.Context, who, swarmID string, updates []agent.Status, idx []int, now time.Time) ([]string, error) {
	m.mu.Lock()
	ls := m.live[swarmID]
	if ls == nil {
		m.mu.Unlock()
		return nil, errSwarmReread
	}
	needs := len(ls.structural(updates, idx)) > 0
	var fresh []string
	if !needs {
		fresh = m.recordLocked(ls, updates, idx, now)
		m.mu.Unlock()
		return fresh, nil
	}
	m.mu.Unlock()
	err := m.s.onGraph(ctx, swarmID, func(ctx context.Context, w *worker) error {
		m.mu.Lock()
		if m.live[swarmID] != ls {
			m.mu.Unlock()
			return errSwarmReread
		}
		ops := ls.structural(updates, idx)
		adding := 0
		for _, op := range ops {
			if op.Op == graph.AddNode {
				adding++
			}
		}
		if n := ls.sw.Len(); n+adding > maxAgentsPerSwarm {
			// Counted again here: new agents are added by this worker alone.
			m.mu.Unlock()
			return fieldErr(graph.ErrTooLarge, fmt.Sprintf("updates[%d].agentId", idx[0]), "swarm %q has %d agents; %d more would pass the limit of %d",
				swarmID, n, adding, maxAgentsPerSwarm)
		}
		m.mu.Unlock()
		if len(ops) > 0 {
			// The swarm's events reach onChange (the node and edge maps)
			// before this returns.
			if _, err := m.s.applyOn(ctx, w, who, ops); err != nil {
				return err
			}
		}
		m.mu.Lock()
		fresh = m.recordLocked(ls, updates, idx, now)
		m.mu.Unlock()
		return nil
	})
	return fresh, err
}

// recordLocked applies updates to the swarm's live state and queues what
// history needs.
func (m *swarms) recordLocked(ls *liveSwarm, updates []agent.Status, idx []int, now time.Time) (fresh []string) {
	half := time.Duration(m.s.settings.Float("agents.linkHalfLife") * float64(time.Second))
	sample := time.Duration(m.s.settings.Float("agents.sampleInterval")) * time.Second
	for _, i := range idx {
		u := &updates[i]
		res := ls.sw.Apply(u, now, half)
		a, _ := ls.sw.Agent(u.AgentID)
		switch {
		case res.New:
			fresh = append(fresh, ls.sw.ID+"/"+u.AgentID)
			m.spawns.Add(1)
			m.historyLocked(ls, &a, "first", now)
		case res.Transition:
			m.historyLocked(ls, &a, "transition", now)
		case now.Sub(ls.sampled[u.AgentID]) >= sample:
			m.historyLocked(ls, &a, "sample", now)
		}
		m.collaborations.Add(int64(len(res.Links)))
	}
	return fresh
}

// Agents lists the live agents of a swarm ("" for every live swarm).
func (s *Session) Agents(ctx context.Context, swarm string) ([]agent.Agent, error) {
	if swarm != "" {
		if err := graph.ValidateGraphID(swarm); err != nil {
			return nil, fieldErr(graph.ErrInvalid, "swarm", "%v", err.(*graph.Error).Detail)
		}
		if _, err := s.swarms.open(ctx, swarm, "swarm"); err != nil {
			return nil, err
		}
	}
	out := s.swarms.agentsOf(swarm)
	if out == nil {
		out = []agent.Agent{}
	}
	return out, nil
}

// Swarms lists every swarm graph with its live agents.
func (s *Session) Swarms(ctx context.Context) ([]session.SwarmInfo, error) {
	list, err := s.store.ListGraphs(ctx)
	if err != nil {
		return nil, err
	}
	out := []session.SwarmInfo{}
	for _, g := range list {
		if g.Type != graph.Agents {
			continue
		}
		info := session.SwarmInfo{ID: g.ID, Name: g.Name}
		if row, err := s.store.SwarmInfo(ctx, g.ID); err == nil {
			info.KnowledgeGraph = row.KnowledgeGraph
		}
		for _, a := range s.swarms.agentsOf(g.ID) {
			info.Agents++
			if !a.Stale {
				info.Active++
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// SwarmsOf lists the live swarms with an agent of this id.
func (s *Session) SwarmsOf(agentID string) []string {
	m := s.swarms
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, id := range slices.Sorted(maps.Keys(m.live)) {
		if m.live[id].sw.Has(agentID) {
			out = append(out, id)
		}
	}
	return out
}

// AgentHistory lists what was stored of an agent, oldest first.
func (s *Session) AgentHistory(ctx context.Context, swarm, agentID string, since time.Time, limit int) ([]session.AgentRecord, error) {
	rows, err := s.store.AgentHistory(ctx, swarm, agentID, since, limit)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		if ls, err := s.swarms.open(ctx, swarm, "swarm"); err != nil {
			return nil, err
		} else if !ls.hasAgent(s.swarms, agentID) {
			return nil, fieldErr(graph.ErrNotFound, "agent", "swarm %q has no agent %q, now or in its stored history", swarm, agentID)
		}
	}
	out := make([]session.AgentRecord, 0, len(rows))
	for _, r := range rows {
		rec := session.AgentRecord{Swarm: r.Swarm, Agent: r.Agent, At: r.At, Kind: r.Kind, State: r.State}
		var a agent.Agent
		if json.Unmarshal(r.Body, &a) == nil && a.ID != "" {
			rec.Data = &a
		}
		out = append(out, rec)
	}
	return out, nil
}

func (ls *liveSwarm) hasAgent(m *swarms, id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return ls.sw.Has(id)
}

// AgentChanges returns what changed in a swarm after version since.
func (s *Session) AgentChanges(swarm string, since uint64) session.AgentDelta {
	m := s.swarms
	m.mu.Lock()
	defer m.mu.Unlock()
	ls := m.live[swarm]
	if ls == nil {
		return session.AgentDelta{}
	}
	d := session.AgentDelta{Exists: true, Version: ls.sw.Version(), Links: ls.sw.PublishedLinks(since)}
	d.Agents, d.Removed = ls.sw.Changed(since)
	return d
}

// SendMessage records one agent's message to another.
func (s *Session) SendMessage(ctx context.Context, who string, msg agent.Message) (agent.LinkView, error) {
	if err := msg.Validate(); err != nil {
		return agent.LinkView{}, err
	}
	ls, err := s.swarms.open(ctx, msg.Swarm, "swarmId")
	if err != nil {
		return agent.LinkView{}, err
	}
	m := s.swarms
	now := s.now()
	msg.At = now
	half := time.Duration(s.settings.Float("agents.linkHalfLife") * float64(time.Second))
	k := agent.Key(msg.From, msg.To)
	interact := func() (agent.LinkView, error) {
		for _, f := range []struct{ name, id string }{{"from", msg.From}, {"to", msg.To}} {
			if !ls.sw.Has(f.id) {
				return agent.LinkView{}, fieldErr(graph.ErrNotFound, f.name, "there is no agent %q in swarm %q", f.id, msg.Swarm)
			}
		}
		l, _ := ls.sw.Interact(msg.From, msg.To, msg.Kind, now, half)
		return l.View(now, half), nil
	}
	m.mu.Lock()
	_, hasEdge := ls.edgeOf[k]
	var view agent.LinkView
	if hasEdge {
		view, err = interact()
		m.mu.Unlock()
	} else {
		m.mu.Unlock()
		// A new link is an edge of the swarm graph: committed first.
		err = s.onGraph(ctx, msg.Swarm, func(ctx context.Context, w *worker) error {
			m.mu.Lock()
			for _, f := range []struct{ name, id string }{{"from", msg.From}, {"to", msg.To}} {
				if !ls.sw.Has(f.id) {
					m.mu.Unlock()
					return fieldErr(graph.ErrNotFound, f.name, "there is no agent %q in swarm %q", f.id, msg.Swarm)
				}
			}
			_, hasEdge := ls.edgeOf[k]
			m.mu.Unlock()
			if !hasEdge {
				op := graph.Op{Op: graph.AddEdge, Source: k.A, Target: k.B, Metadata: map[string]*string{kindKey: new(kindInteraction)}}
				if _, err := s.applyOn(ctx, w, who, []graph.Op{op}); err != nil {
					return err
				}
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			view, err = interact()
			return err
		})
	}
	if err != nil {
		return agent.LinkView{}, err
	}
	m.messages.Add(1)
	m.emit(session.AgentEvent{Swarm: msg.Swarm, Message: &msg, Link: view})
	return view, nil
}

// newCommandID makes a command id that sorts by time.
func newCommandID(now time.Time) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "cmd-" + strconv.FormatInt(now.UnixMilli(), 36) + "-" + hex.EncodeToString(b)
}

// QueueCommand stores an operator's command for an agent and offers it.
func (s *Session) QueueCommand(ctx context.Context, who, swarm, agentID string, req agent.CommandRequest) (agent.Command, error) {
	if err := req.Validate(); err != nil {
		return agent.Command{}, err
	}
	ls, err := s.swarms.open(ctx, swarm, "swarm")
	if err != nil {
		return agent.Command{}, err
	}
	if !ls.hasAgent(s.swarms, agentID) {
		return agent.Command{}, fieldErr(graph.ErrNotFound, "agentId", "there is no agent %q in swarm %q", agentID, swarm)
	}
	now := s.now()
	c := agent.Command{ID: newCommandID(now), Swarm: swarm, Agent: agentID, Kind: req.Kind, Text: req.Text, By: who, State: agent.Queued, QueuedAt: now}
	if err := s.store.SaveCommand(ctx, c); err != nil {
		return agent.Command{}, err
	}
	s.swarms.emit(session.AgentEvent{Swarm: swarm, Command: &c})
	return c, nil
}

// NextCommand hands an agent its oldest undelivered command.
func (s *Session) NextCommand(ctx context.Context, swarm, agentID string) (*agent.Command, error) {
	list, err := s.store.Commands(ctx, swarm, agentID, agent.Queued, 1)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	c, err := s.moveCommand(ctx, list[0].ID, func(c *agent.Command) error {
		if c.State != agent.Queued {
			return errAlreadyMoved
		}
		c.State, c.DeliveredAt = agent.Delivered, new(s.now())
		return nil
	})
	if errors.Is(err, errAlreadyMoved) {
		return s.NextCommand(ctx, swarm, agentID) // someone else took it
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

var errAlreadyMoved = errors.New("command already moved on")

// PendingCommands lists an agent's unanswered commands, oldest first.
func (s *Session) PendingCommands(ctx context.Context, swarm, agentID string) ([]agent.Command, error) {
	var out []agent.Command
	for _, st := range []agent.CommandState{agent.Queued, agent.Delivered} {
		list, err := s.store.Commands(ctx, swarm, agentID, st, 1000)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	slices.SortFunc(out, func(a, b agent.Command) int {
		return cmp.Or(a.QueuedAt.Compare(b.QueuedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// commandLocks serialise changes to commands, which are read, changed and
// written back.
func (s *Session) moveCommand(ctx context.Context, id string, change func(*agent.Command) error) (agent.Command, error) {
	s.commandMu.Lock()
	defer s.commandMu.Unlock()
	c, err := s.store.Command(ctx, id)
	if err != nil {
		return agent.Command{}, err
	}
	if err := change(&c); err != nil {
		return c, err
	}
	if err := s.store.SaveCommand(ctx, c); err != nil {
		return agent.Command{}, err
	}
	s.swarms.emit(session.AgentEvent{Swarm: c.Swarm, Command: &c})
	return c, nil
}

// CommandDelivered marks a command delivered.
func (s *Session) CommandDelivered(ctx context.Context, id string) error {
	_, err := s.moveCommand(ctx, id, func(c *agent.Command) error {
		if c.State != agent.Queued {
			return errAlreadyMoved
		}
		c.State, c.DeliveredAt = agent.Delivered, new(s.now())
		return nil
	})
	if errors.Is(err, errAlreadyMoved) {
		return nil
	}
	return err
}

// AckCommand records an agent's answer to a command.
func (s *Session) AckCommand(ctx context.Context, who string, ack agent.Ack) (agent.Command, error) {
	if err := ack.Validate(); err != nil {
		return agent.Command{}, err
	}
	c, err := s.moveCommand(ctx, ack.CommandID, func(c *agent.Command) error {
		if c.State == agent.Acked || c.State == agent.Refused {
			return fieldErr(graph.ErrInvalid, "commandId", "command %q was already answered (%s)", c.ID, c.State)
		}
		now := s.now()
		if c.DeliveredAt == nil {
			c.DeliveredAt = &now
		}
		c.AckedAt, c.Note = &now, ack.Note
		c.State = agent.Refused
		if ack.OK {
			c.State = agent.Acked
		}
		return nil
	})
	if err != nil {
		return agent.Command{}, err
	}
	if c.State == agent.Acked {
		if ls := s.swarms.get(c.Swarm); ls != nil {
			s.swarms.mu.Lock()
			ls.sw.SetControl(c.Agent, c.Kind.Control())
			s.swarms.mu.Unlock()
		}
	}
	return c, nil
}

// Commands lists a swarm's commands, newest first.
func (s *Session) Commands(ctx context.Context, swarm, agentID string, limit int) ([]agent.Command, error) {
	if _, err := s.swarms.open(ctx, swarm, "swarm"); err != nil {
		return nil, err
	}
	list, err := s.store.Commands(ctx, swarm, agentID, "", limit)
	if list == nil {
		list = []agent.Command{}
	}
	return list, err
}

// MaxFocusNodes bounds a focus request.
const MaxFocusNodes = 100

// Focus asks the people's windows to fly to nodes of a graph.
func (s *Session) Focus(ctx context.Context, who string, f session.FocusRequest) error {
	if err := graph.ValidateGraphID(f.Graph); err != nil {
		return err
	}
	switch {
	case len(f.Nodes) == 0:
		return fieldErr(graph.ErrInvalid, "nodes", "name at least one node")
	case len(f.Nodes) > MaxFocusNodes:
		return fieldErr(graph.ErrTooLarge, "nodes", "%d nodes; the limit is %d", len(f.Nodes), MaxFocusNodes)
	}
	if err := graph.ValidateText("note", f.Note, agent.MaxCommandText); err != nil {
		return err
	}
	err := s.onGraph(ctx, f.Graph, func(ctx context.Context, w *worker) error {
		g, err := s.loaded(ctx, w)
		if err != nil {
			return err
		}
		for i, id := range f.Nodes {
			if _, ok := g.Node(id); !ok {
				return fieldErr(graph.ErrNotFound, fmt.Sprintf("nodes[%d]", i), "graph %q has no node %q", f.Graph, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.swarms.emit(session.AgentEvent{Swarm: f.Graph, Focus: &f, By: who})
	return nil
}

// SubscribeAgents registers fn for agent events.
func (s *Session) SubscribeAgents(fn func(session.AgentEvent)) func() { return s.swarms.subscribe(fn) }

// PostTelemetry stores telemetry reports, all or nothing.
func (s *Session) PostTelemetry(ctx context.Context, who string, ms []telemetry.Metrics) error {
	switch {
	case len(ms) == 0:
		return fieldErr(graph.ErrInvalid, "reports", "there are none")
	case len(ms) > telemetry.MaxPerRequest:
		return fieldErr(graph.ErrTooLarge, "reports", "%d in one request; the limit is %d", len(ms), telemetry.MaxPerRequest)
	}
	now := s.now()
	for i := range ms {
		if err := ms[i].Validate(fmt.Sprintf("reports[%d]", i), now); err != nil {
			return err
		}
		if ms[i].Timestamp.IsZero() {
			ms[i].Timestamp = now
		}
	}
	return s.store.AppendTelemetry(ctx, ms)
}

// RecentTelemetry lists stored reports, newest first.
func (s *Session) RecentTelemetry(ctx context.Context, since time.Time, limit int, sessionID string) ([]telemetry.Metrics, error) {
	return s.store.RecentTelemetry(ctx, since, limit, sessionID)
}

// ownTelemetry is the server's own share: agents, messages, collaboration,
// and what the transports count.
func (s *Session) ownTelemetry(now time.Time) telemetry.Metrics {
	m := telemetry.Metrics{
		SessionID:           "server-" + s.id,
		AgentSpawns:         s.swarms.spawns.Load(),
		ActiveAgents:        s.swarms.activeAgents(),
		CollaborationEvents: s.swarms.collaborations.Load() + s.swarms.messages.Load(),
		Timestamp:           now,
	}
	if c := s.counters.Load(); c != nil {
		m.RestAPICalls, m.WebSocketMessages, m.ErrorCount = (*c)()
	}
	return m
}

// CountRequests gives the session the transports' counters (REST calls,
// WebSocket messages, errors) for its own telemetry.
func (s *Session) CountRequests(fn func() (rest, ws, errs int64)) { s.counters.Store(&fn) }

// agentsLoop anchors the swarms' agents near their knowledge nodes four
// times a second, ages the swarms every second, writes their history, stores
// the server's telemetry every system.telemetry.uploadInterval seconds and
// prunes old history and telemetry every ten minutes. It stops with ctx
// after a last flush.
func (s *Session) agentsLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second / 4)
	defer tick.Stop()
	var lastSweep, lastTelemetry, lastPrune time.Time
	for {
		select {
		case <-ctx.Done():
			if err := s.swarms.flush(context.WithoutCancel(ctx)); err != nil {
				s.log.Error("agent history: last flush failed", "err", err)
			}
			return
		case <-tick.C:
		}
		s.swarms.anchorAll(ctx)
		now := s.now()
		s.tasks.tick(ctx, now)
		if now.Sub(lastSweep) < time.Second && !now.Before(lastSweep) {
			continue
		}
		lastSweep = now
		s.swarms.sweep(ctx, now)
		if err := s.swarms.flush(ctx); err != nil {
			s.log.Warn("agent history: flush failed; will retry", "err", err)
		}
		if now.Sub(lastTelemetry) >= time.Duration(s.settings.Float("system.telemetry.uploadInterval"))*time.Second {
			lastTelemetry = now
			if err := s.store.AppendTelemetry(ctx, []telemetry.Metrics{s.ownTelemetry(now)}); err != nil {
				s.log.Warn("telemetry: could not store the server's own", "err", err)
			}
		}
		if now.Sub(lastPrune) >= 10*time.Minute {
			lastPrune = now
			s.prune(ctx, now)
		}
	}
}

// prune deletes agent history and telemetry past their retention.
func (s *Session) prune(ctx context.Context, now time.Time) {
	hours := func(path string) time.Duration { return time.Duration(s.settings.Float(path)) * time.Hour }
	if _, err := s.store.PruneAgentHistory(ctx, now.Add(-hours("agents.historyRetention"))); err != nil {
		s.log.Warn("agent history: prune failed", "err", err)
	}
	if _, err := s.store.PruneTelemetry(ctx, now.Add(-hours("system.telemetry.retention"))); err != nil {
		s.log.Warn("telemetry: prune failed", "err", err)
	}
}
