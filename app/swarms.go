package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"visionflow/agent"
	"visionflow/compute"
	"visionflow/graph"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/store"
)

// Metadata that marks what a node or edge of a swarm graph stands for.
const (
	kindKey         = "kind"
	kindAgent       = "agent"
	kindInteraction = "interaction"
)

// swarms is the live half of the agents: every swarm's latest agent status
// in memory, published to the streams once per tick; what is structural
// (an agent appearing or leaving, a link between two agents) goes to the
// swarm's graph through its worker, and what history needs (first
// reports, transitions, samples, departures) to the store in batches.
type swarms struct {
	s *Session

	mu      sync.Mutex
	live    map[string]*liveSwarm
	pending []store.AgentRow // history waiting for the next flush
	lost    int              // history rows dropped because the queue was full

	listeners listeners[session.AgentEvent]

	// Counted for the server's own telemetry.
	spawns, messages, collaborations, updates atomic.Int64
}

// maxPendingHistory bounds the history rows waiting for a flush: past it,
// samples are dropped (and counted), never first reports or transitions.
const maxPendingHistory = 200_000

// liveSwarm is one swarm: the agents' state and the maps between agents
// and the swarm graph's nodes and edges, kept from the graph's events.
type liveSwarm struct {
	sw      *agent.Swarm
	agentOf map[graph.WireID]string // agent node → agent id
	wireOf  map[string]graph.WireID // agent id → its node
	others  map[string]bool         // nodes of the graph that are not agents
	taskOf  map[string]graph.WireID // task id → its node
	edgeOf  map[agent.LinkKey]string
	sampled map[string]time.Time    // when each agent's history was last written
	kgWire  map[string]graph.WireID // knowledge node ids the agents named → wire ids
	kgMiss  map[string]time.Time    // ids not (yet) in the knowledge graph, and when that was seen

	// The last merged positions (layout + agent state), and what they were
	// made from.
	merged    *wire.Positions
	mergedOf  *wire.Positions
	mergedVer uint64
	mergeStep uint64
}

// newLiveSwarm returns an empty swarm.
func newLiveSwarm(id, kg string) *liveSwarm {
	return &liveSwarm{sw: agent.NewSwarm(id, kg), agentOf: map[graph.WireID]string{}, wireOf: map[string]graph.WireID{},
		others: map[string]bool{}, taskOf: map[string]graph.WireID{}, edgeOf: map[agent.LinkKey]string{}, sampled: map[string]time.Time{},
		kgWire: map[string]graph.WireID{}, kgMiss: map[string]time.Time{}}
}

func newSwarms(s *Session) *swarms {
	return &swarms{s: s, live: map[string]*liveSwarm{}}
}

// get returns a live swarm, or nil.
func (m *swarms) get(id string) *liveSwarm {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live[id]
}

func fieldErr(kind error, field, format string, args ...any) error {
	return &graph.Error{Kind: kind, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// open makes a swarm live, reading its agents and links back from its
// graph and its history (after a restart they come back stale). It runs
// on the swarm graph's worker, so no event of that graph slips between
// reading the graph and following its events. It returns
// graph.ErrNotFound when there is no such graph.
func (m *swarms) open(ctx context.Context, id, field string) (*liveSwarm, error) {
	if ls := m.get(id); ls != nil {
		return ls, nil
	}
	var ls *liveSwarm
	err := m.s.onGraph(ctx, id, func(ctx context.Context, w *worker) error {
		if ls = m.get(id); ls != nil {
			return nil
		}
		g, err := m.s.loaded(ctx, w)
		if err != nil {
			return err
		}
		if g.Type != graph.Agents {
			return fieldErr(graph.ErrInvalid, field, "%q is a knowledge graph, not a swarm", id)
		}
		kg := ""
		if row, err := m.s.store.SwarmInfo(ctx, id); err == nil {
			kg = row.KnowledgeGraph
		} else if !errors.Is(err, graph.ErrNotFound) {
			return err
		}
		last, err := m.s.store.LastSeen(ctx, id)
		if err != nil {
			return err
		}
		ls = newLiveSwarm(id, kg)
		now := m.s.now()
		for _, n := range g.Nodes() {
			if n.Metadata[kindKey] != kindAgent {
				ls.others[n.ID] = true
				if n.Metadata[kindKey] == kindTask {
					ls.taskOf[n.ID] = n.WireID
				}
				continue
			}
			ls.agentOf[n.WireID], ls.wireOf[n.ID] = n.ID, n.WireID
			a := agent.Agent{ID: n.ID, Name: n.Label, Type: n.Metadata["type"], State: agent.Idle, FirstSeen: now, LastSeen: now}
			if row, ok := last[n.ID]; ok {
				if json.Unmarshal(row.Body, &a) != nil || a.ID != n.ID {
					a = agent.Agent{ID: n.ID, Name: n.Label, State: row.State, FirstSeen: row.At}
				}
				// Silence is counted from when this run could have heard
				// it: a long downtime does not make every agent leave.
				a.LastSeen = row.At
				if a.LastSeen.Before(m.s.started) {
					a.LastSeen = m.s.started
				}
			}
			ls.sw.Restore(a)
		}
		for _, e := range g.Edges() {
			if e.Metadata[kindKey] == kindInteraction {
				k := agent.Key(e.Source, e.Target)
				ls.edgeOf[k] = e.ID
				ls.sw.RestoreLink(k, 1, now)
			}
		}
		m.mu.Lock()
		m.live[id] = ls
		m.mu.Unlock()
		return nil
	})
	return ls, err
}

// ensure makes a swarm live, creating its graph (type visionflow) when
// there is none, and ties it to a knowledge graph when it has none yet:
// kg, else the newest knowledge graph.
func (m *swarms) ensure(ctx context.Context, who, id, kg, field string) error {
	ls, err := m.open(ctx, id, field)
	if err != nil && !errors.Is(err, graph.ErrNotFound) {
		return err
	}
	if ls != nil {
		m.mu.Lock()
		tied := ls.sw.KnowledgeGraph != ""
		m.mu.Unlock()
		if tied || kg == "" {
			return nil
		}
	}
	if kg == "" {
		if kg, err = m.s.defaultKnowledgeGraph(ctx); err != nil {
			return err
		}
	}
	if ls == nil {
		_, err = m.s.CreateGraph(ctx, who, graph.Info{ID: id, Name: id, Type: graph.Agents}, "")
		if err != nil && !errors.Is(err, graph.ErrDuplicateID) {
			return err
		}
	}
	// Whoever records the swarm first names its knowledge graph; a
	// concurrent first report finds it recorded before it opens the swarm.
	if err := m.s.store.SaveSwarm(ctx, store.Swarm{ID: id, KnowledgeGraph: kg, Created: m.s.now()}); err != nil {
		return err
	}
	if ls == nil {
		_, err = m.open(ctx, id, field)
		return err
	}
	row, err := m.s.store.SwarmInfo(ctx, id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	if ls.sw.KnowledgeGraph == "" {
		ls.sw.KnowledgeGraph = row.KnowledgeGraph
	}
	m.mu.Unlock()
	return nil
}

// checkKnowledgeGraph checks that kg names a knowledge graph.
func (s *Session) checkKnowledgeGraph(ctx context.Context, kg, field string) error {
	info, err := s.store.GraphInfo(ctx, kg)
	if errors.Is(err, graph.ErrNotFound) {
		return fieldErr(graph.ErrInvalid, field, "there is no graph %q", kg)
	}
	if err != nil {
		return err
	}
	if info.Type != graph.Knowledge {
		return fieldErr(graph.ErrInvalid, field, "%q is a swarm, not a knowledge graph", kg)
	}
	return nil
}

// defaultKnowledgeGraph is the newest knowledge graph ("" when none).
func (s *Session) defaultKnowledgeGraph(ctx context.Context) (string, error) {
	list, err := s.store.ListGraphs(ctx)
	if err != nil {
		return "", err
	}
	best := ""
	var created time.Time
	for _, g := range list {
		if g.Type == graph.Knowledge && (best == "" || g.Created.After(created) || (g.Created.Equal(created) && g.ID > best)) {
			best, created = g.ID, g.Created
		}
	}
	return best, nil
}

// onChange follows the swarm graphs' events: the maps between agents and
// nodes, agents whose node someone removed, and graphs that went away or
// were replaced. It runs on the graph's worker.
func (m *swarms) onChange(ch session.Change) {
	if ch.Deleted {
		// Before the swarms' lock: the task board takes it while held.
		m.s.tasks.drop(ch.Graph)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ls := m.live[ch.Graph]
	if ls == nil {
		return
	}
	if ch.Reload || ch.Deleted {
		delete(m.live, ch.Graph) // read back from the graph on next use
		return
	}
	now := m.s.now()
	for _, ev := range ch.Events {
		switch ev.Type {
		case graph.NodeAdded:
			if ev.Node.Metadata[kindKey] == kindAgent {
				ls.agentOf[ev.Node.WireID], ls.wireOf[ev.Node.ID] = ev.Node.ID, ev.Node.WireID
			} else {
				ls.others[ev.Node.ID] = true
				if ev.Node.Metadata[kindKey] == kindTask {
					ls.taskOf[ev.Node.ID] = ev.Node.WireID
				}
			}
		case graph.NodeRemoved:
			id := ev.Node.ID
			delete(ls.others, id)
			delete(ls.taskOf, id)
			if _, ok := ls.wireOf[id]; ok {
				delete(ls.agentOf, ls.wireOf[id])
				delete(ls.wireOf, id)
				delete(ls.sampled, id)
				if a, ok := ls.sw.Agent(id); ok && ls.sw.Remove(id, now) {
					m.historyLocked(ls, &a, "gone", now)
				}
			}
		case graph.NodeUpdated:
			if _, ok := ev.Metadata[kindKey]; ok {
				// A node became or stopped being an agent: read the swarm
				// back from its graph on next use.
				delete(m.live, ch.Graph)
				return
			}
		case graph.EdgeCreated:
			if ev.Edge.Metadata[kindKey] == kindInteraction {
				ls.edgeOf[agent.Key(ev.Edge.Source, ev.Edge.Target)] = ev.Edge.ID
			}
		case graph.EdgeDeleted:
			k := agent.Key(ev.Edge.Source, ev.Edge.Target)
			if ls.edgeOf[k] == ev.Edge.ID {
				delete(ls.edgeOf, k)
			}
		}
	}
}

// historyLocked queues a history row for the next flush.
func (m *swarms) historyLocked(ls *liveSwarm, a *agent.Agent, kind string, now time.Time) {
	if kind == "sample" && len(m.pending) >= maxPendingHistory {
		m.lost++
		return
	}
	body, err := json.Marshal(a)
	if err != nil {
		return
	}
	m.pending = append(m.pending, store.AgentRow{Swarm: ls.sw.ID, Agent: a.ID, At: now, Kind: kind, State: a.State, Body: body})
	ls.sampled[a.ID] = now
}

// flush writes the queued history in one transaction.
func (m *swarms) flush(ctx context.Context) error {
	m.mu.Lock()
	rows := m.pending
	m.pending = nil
	lost := m.lost
	m.lost = 0
	m.mu.Unlock()
	if lost > 0 {
		m.s.log.Warn("agent history: samples dropped, the store could not keep up", "rows", lost)
	}
	if err := m.s.store.AppendAgentHistory(ctx, rows); err != nil {
		// Keep them for the next try; past the bound, the oldest samples
		// go first, never a first report, a transition or a departure.
		m.mu.Lock()
		all := append(rows, m.pending...)
		for i := 0; len(all) > maxPendingHistory && i < len(all); {
			if all[i].Kind == "sample" {
				all = slices.Delete(all, i, i+1)
				m.lost++
				continue
			}
			i++
		}
		m.pending = all
		m.mu.Unlock()
		return err
	}
	return nil
}

// subscribe registers fn for agent events; fn must not block.
func (m *swarms) subscribe(fn func(session.AgentEvent)) func() { return m.listeners.add(fn) }

func (m *swarms) emit(ev session.AgentEvent) { m.listeners.tell(ev) }

// positions merges a swarm's layout positions with its agents' state:
// the state code, staleness and progress in each agent node's flags and
// value. The result is cached until the layout or an agent changes; its
// Step grows with every new merge, so the stream sends it.
func (m *swarms) positions(graphID string, pos *wire.Positions) *wire.Positions {
	m.mu.Lock()
	defer m.mu.Unlock()
	ls := m.live[graphID]
	if ls == nil || pos == nil {
		return pos
	}
	if ls.merged != nil && ls.mergedOf == pos && ls.mergedVer == ls.sw.Version() {
		return ls.merged
	}
	nodes := make([]wire.NodeState, len(pos.Nodes))
	for i, n := range pos.Nodes {
		if id, ok := ls.agentOf[n.ID]; ok {
			if a, ok := ls.sw.Agent(id); ok {
				n.Flags = wire.AgentFlags(n.Flags, a.State, a.Stale, a.Progress != nil)
				if a.Progress != nil {
					n.Value = float32(*a.Progress)
				}
			}
		}
		nodes[i] = n
	}
	ls.mergeStep = max(ls.mergeStep+1, pos.Step)
	ls.merged = &wire.Positions{Step: ls.mergeStep, Seq: pos.Seq, Nodes: nodes}
	ls.mergedOf, ls.mergedVer = pos, ls.sw.Version()
	return ls.merged
}

// sweep ages every live swarm to time now: stale agents grey out, silent
// ones leave (their nodes are removed), faded links go, and link weights
// are published. It waits for the swarms' workers.
func (m *swarms) sweep(ctx context.Context, now time.Time) {
	set := m.s.settings
	stale := time.Duration(set.Float("agents.heartbeatTimeout")) * time.Second
	remove := time.Duration(set.Float("agents.removeAfter")) * time.Second
	half := time.Duration(set.Float("agents.linkHalfLife") * float64(time.Second))
	type gone struct {
		swarm string
		nodes []string
		edges []string
	}
	var work []gone
	type reweigh struct {
		swarm   string
		weights map[[2]graph.WireID]float32
	}
	var weights []reweigh
	m.mu.Lock()
	for _, id := range slices.Sorted(maps.Keys(m.live)) {
		ls := m.live[id]
		before := map[string]agent.Agent{}
		for _, a := range ls.sw.Agents() {
			before[a.ID] = a
		}
		sw := ls.sw.Sweep(now, stale, remove, half)
		g := gone{swarm: id}
		for _, a := range sw.Removed {
			if _, ok := ls.wireOf[a]; ok {
				g.nodes = append(g.nodes, a)
			}
			if b, ok := before[a]; ok {
				m.historyLocked(ls, &b, "gone", now)
			}
		}
		for _, k := range sw.Faded {
			// Edges of removed agents go with their nodes.
			if e, ok := ls.edgeOf[k]; ok && !slices.Contains(sw.Removed, k.A) && !slices.Contains(sw.Removed, k.B) {
				g.edges = append(g.edges, e)
			}
		}
		if ls.sw.PublishLinks(now, half) {
			rw := reweigh{swarm: id, weights: map[[2]graph.WireID]float32{}}
			for _, l := range ls.sw.PublishedLinks(0) {
				a, okA := ls.wireOf[l.A]
				b, okB := ls.wireOf[l.B]
				if okA && okB {
					rw.weights[springKey(a, b)] = springWeight(l.Weight)
				}
			}
			weights = append(weights, rw)
		}
		if len(g.nodes)+len(g.edges) > 0 {
			work = append(work, g)
		}
	}
	m.mu.Unlock()
	for _, rw := range weights {
		m.s.reweigh(ctx, rw.swarm, rw.weights)
	}
	for _, g := range work {
		var ops []graph.Op
		for _, e := range g.edges {
			ops = append(ops, graph.Op{Op: graph.RemoveEdge, ID: e})
		}
		for _, n := range g.nodes {
			ops = append(ops, graph.Op{Op: graph.RemoveNode, ID: n})
		}
		err := m.s.onGraph(ctx, g.swarm, func(ctx context.Context, w *worker) error {
			cur, err := m.s.loaded(ctx, w)
			if err != nil {
				return err
			}
			// Only what is still there (someone may have removed it
			// meanwhile) and still gone: an agent that reported, or a link
			// that saw traffic, since the sweep stays.
			m.mu.Lock()
			ls := m.live[g.swarm]
			live := ops[:0:0]
			for _, op := range ops {
				switch op.Op {
				case graph.RemoveNode:
					if _, ok := cur.Node(op.ID); ok && (ls == nil || !ls.sw.Has(op.ID)) {
						live = append(live, op)
					}
				case graph.RemoveEdge:
					e, ok := cur.Edge(op.ID)
					if !ok {
						continue
					}
					if ls != nil {
						if _, back := ls.sw.Link(e.Source, e.Target); back {
							continue
						}
					}
					live = append(live, op)
				}
			}
			m.mu.Unlock()
			if len(live) == 0 {
				return nil
			}
			_, err = m.s.applyOn(ctx, w, "visionflow", live)
			return err
		})
		if err != nil && !errors.Is(err, ErrClosed) {
			m.s.log.Warn("swarm: could not remove departed agents", "swarm", g.swarm, "err", err)
		}
	}
}

// agentsOf returns the live agents of one swarm, or of all.
func (m *swarms) agentsOf(id string) []agent.Agent {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []agent.Agent
	for _, sid := range slices.Sorted(maps.Keys(m.live)) {
		if id == "" || sid == id {
			out = append(out, m.live[sid].sw.Agents()...)
		}
	}
	return out
}

// activeAgents counts the live agents that are not stale.
func (m *swarms) activeAgents() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, ls := range m.live {
		for _, a := range ls.sw.Agents() {
			if !a.Stale {
				n++
			}
		}
	}
	return n
}

// agentMetadata is what an agent node's metadata says about it.
func agentMetadata(a *agent.Status, prev *agent.Agent) map[string]*string {
	md := map[string]*string{kindKey: new(kindAgent)}
	typ := a.Type
	if typ == "" && prev != nil {
		typ = prev.Type
	}
	if typ != "" {
		md["type"] = new(typ)
	}
	caps := a.Capabilities
	if caps == nil && prev != nil {
		caps = prev.Capabilities
	}
	if len(caps) > 0 {
		md["capabilities"] = new(strings.Join(caps, ", "))
	}
	return md
}

// springWeight is the spring weight of an interaction link: busy links
// pull their agents together, fading ones let go.
func springWeight(w float64) float32 { return float32(min(5, max(0.2, w))) }

// anchorAll moves every swarm's anchors to where the knowledge graph's
// layout has the nodes its agents work on and its open tasks concern, so
// that each settles near its knowledge, in the same space as the
// knowledge graph.
func (m *swarms) anchorAll(ctx context.Context) {
	concerns := m.s.tasks.concerns()
	type work struct {
		swarm, kg string
		pairs     [][2]string // agent id, knowledge node id
		wireOf    map[string]graph.WireID
		unknown   []string
	}
	var jobs []*work
	m.mu.Lock()
	for _, id := range slices.Sorted(maps.Keys(m.live)) {
		ls := m.live[id]
		if ls.sw.KnowledgeGraph == "" {
			continue
		}
		w := &work{swarm: id, kg: ls.sw.KnowledgeGraph, wireOf: maps.Clone(ls.wireOf)}
		now := time.Now()
		type body struct {
			id        string
			knowledge []string
		}
		var bodies []body
		for _, a := range ls.sw.Agents() {
			bodies = append(bodies, body{a.ID, a.WorkingOn})
		}
		for _, c := range concerns[id] {
			if wid, ok := ls.taskOf[c.task]; ok {
				w.wireOf[c.task] = wid
				bodies = append(bodies, body{c.task, c.knowledge})
			}
		}
		for _, a := range bodies {
			for _, k := range a.knowledge {
				w.pairs = append(w.pairs, [2]string{a.id, k})
				_, known := ls.kgWire[k]
				// An id the graph lacked is asked again ten seconds later.
				missed, ok := ls.kgMiss[k]
				if !known && (!ok || now.Sub(missed) > 10*time.Second) && !slices.Contains(w.unknown, k) {
					w.unknown = append(w.unknown, k)
				}
			}
		}
		jobs = append(jobs, w)
	}
	m.mu.Unlock()
	for _, w := range jobs {
		resolved := map[string]graph.WireID{}
		if len(w.unknown) > 0 {
			err := m.s.onGraph(ctx, w.kg, func(ctx context.Context, wk *worker) error {
				g, err := m.s.loaded(ctx, wk)
				if err != nil {
					return err
				}
				for _, k := range w.unknown {
					n, _ := g.Node(k)
					resolved[k] = n.WireID // 0 when it is not there
				}
				return nil
			})
			if err != nil {
				// The knowledge graph is gone (or failing): ask about these
				// ids again later, not four times a second.
				for _, k := range w.unknown {
					resolved[k] = 0
				}
			}
		}
		m.mu.Lock()
		ls := m.live[w.swarm]
		kgWire := map[string]graph.WireID{}
		if ls != nil {
			for k, wid := range resolved {
				if wid == 0 {
					ls.kgMiss[k] = time.Now()
				} else {
					ls.kgWire[k] = wid
					delete(ls.kgMiss, k)
				}
			}
			kgWire = maps.Clone(ls.kgWire)
		}
		m.mu.Unlock()
		if ls == nil {
			continue
		}
		pos := m.s.positions(w.kg)
		if pos == nil {
			continue
		}
		want := map[graph.WireID]bool{}
		for _, p := range w.pairs {
			if k := kgWire[p[1]]; k != 0 {
				want[k] = true
			}
		}
		ghosts := make(map[graph.WireID]graph.Vec3, len(want))
		for _, n := range pos.Nodes {
			if want[n.ID] {
				ghosts[n.ID] = n.Position
			}
		}
		var springs []compute.Spring
		for _, p := range w.pairs {
			a, okA := w.wireOf[p[0]]
			k := kgWire[p[1]]
			if _, placed := ghosts[k]; okA && placed {
				springs = append(springs, compute.Spring{Source: a, Target: k, Weight: 1})
			}
		}
		slices.SortFunc(springs, func(x, y compute.Spring) int {
			return cmp.Or(cmp.Compare(x.Source, y.Source), cmp.Compare(x.Target, y.Target))
		})
		m.s.anchor(ctx, w.swarm, ghosts, springs)
	}
}
