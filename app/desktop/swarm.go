package desktop

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/memory"
	"visionflow/render/overlay"
	"visionflow/session"
	"visionflow/task"
)

// The model's half of the swarm shown beside the watched graph: its graph,
// its agents' latest status and recent token rates, its links and the
// pulses of messages, its commands.

// swarmState is the swarm on the model goroutine.
type swarmState struct {
	id       string
	g        *graph.Graph
	agents   map[string]*agentState
	links    map[agent.LinkKey]float64
	pulses   map[agent.LinkKey]time.Time
	commands map[string][]agent.Command // by agent, newest first
	letters  []task.DeadLetter          // the swarm's open dead letters
	memQuery string                     // the memory search shown, if any
	memHits  []memory.Hit
	memOf    agentMemories // the inspected agent's, as last fetched
}

// agentMemories are an agent's newest memories, fetched at a time.
type agentMemories struct {
	agent string
	list  []memory.Memory
	at    time.Time
}

type agentState struct {
	agent.Agent
	rates []float32 // token rates reported, oldest first
}

// sparkLen is how many of an agent's reports its sparkline shows.
const sparkLen = 60

// pulseLife is how long a message's pulse shows on its link.
const pulseLife = 1500 * time.Millisecond

// agentMark is how the window shows one agent.
type agentMark struct {
	state    agent.State
	stale    bool
	progress float64
	hasProg  bool
	control  string
	name     string
}

// taskMark is how the window shows one task.
type taskMark struct {
	title    string
	state    string
	progress float64
}

// agentLook is what the GL thread draws of the swarm's life: each agent's
// state, the links from agents to the knowledge nodes they work on, the
// pulses of recent messages, and the swarm panel. Never modified once
// published.
type agentLook struct {
	marks  map[graph.WireID]agentMark
	tasks  map[graph.WireID]taskMark
	work   [][2]graph.WireID             // agent or task node, knowledge node
	pulses map[[2]graph.WireID]time.Time // agent nodes (lower first) → when a message passed
	panel  *overlay.SwarmPanel
	// highlit are the knowledge nodes the memories a search found link to.
	highlit map[graph.WireID]bool
}

func wirePair(a, b graph.WireID) [2]graph.WireID {
	if b < a {
		a, b = b, a
	}
	return [2]graph.WireID{a, b}
}

// followSwarm shows the swarm that works on the watched graph (the one the
// user picked, else the first), or none.
func (m *model) followSwarm(ctx context.Context) {
	list, err := m.src.SwarmsOn(ctx, m.g.ID)
	if err != nil {
		return
	}
	slices.SortFunc(list, func(a, b session.SwarmInfo) int { return strings.Compare(a.ID, b.ID) })
	m.swarms.Store(&list)
	want := ""
	for _, s := range list {
		if s.ID == m.picked || (want == "" && m.picked == "") {
			want = s.ID
		}
	}
	if want == "" && len(list) > 0 {
		want = list[0].ID
	}
	if (m.sw == nil && want == "") || (m.sw != nil && m.sw.id == want) {
		return
	}
	m.watchSwarm(ctx, want)
}

// watchSwarm shows a swarm ("" for none).
func (m *model) watchSwarm(ctx context.Context, id string) {
	c, agents, err := m.src.WatchSwarm(ctx, id)
	if id == "" || err != nil {
		if err != nil {
			m.say("swarm %s: %v", id, err)
		}
		m.sw = nil
		m.publish()
		m.publishLook()
		return
	}
	g, err := graphFrom(c)
	if err != nil {
		m.say("swarm %s: %v", id, err)
		return
	}
	m.sw = &swarmState{id: id, g: g, agents: map[string]*agentState{}, links: map[agent.LinkKey]float64{},
		pulses: map[agent.LinkKey]time.Time{}, commands: map[string][]agent.Command{}}
	m.applyAgents(&AgentDelta{Swarm: id, Agents: agents})
	m.refreshLetters(ctx)
	m.publish()
	m.publishLook()
}

// refreshLetters fetches the swarm's open dead letters.
func (m *model) refreshLetters(ctx context.Context) {
	sw := m.sw
	if sw == nil {
		return
	}
	list, err := m.src.DeadLetters(ctx, sw.id)
	if err != nil {
		m.log.Warn("desktop: the dead letters could not be read", "err", err)
		return
	}
	sw.letters = list
}

// submitTask submits a task, titled by the user, to the swarm shown.
func (m *model) submitTask(ctx context.Context, title string) {
	if m.sw == nil {
		m.say("no swarm works on this graph: a task needs one")
		return
	}
	v, err := m.src.SubmitTask(ctx, task.Submission{SwarmID: m.sw.id, Title: title})
	if err != nil {
		m.say("submit %q: %v", title, err)
		m.telemetry.failure()
		return
	}
	m.say("task %q submitted: %s", title, v.State)
}

// settleLetter retries or discards a dead letter.
func (m *model) settleLetter(ctx context.Context, id string, retry bool) {
	d, err := m.src.SettleDeadLetter(ctx, id, retry)
	if err != nil {
		m.say("dead letter %s: %v", id, err)
		m.telemetry.failure()
	} else {
		m.say("%s: %s", d.Title, d.State)
	}
	m.refreshLetters(ctx)
	m.publishLook()
}

// dropSwarm stops showing the swarm.
func (m *model) dropSwarm(ctx context.Context) {
	if m.sw != nil {
		m.src.WatchSwarm(ctx, "")
		m.sw = nil
		m.publishLook()
	}
}

// updateSwarm applies an update of the swarm shown.
func (m *model) updateSwarm(ctx context.Context, u Update) {
	sw := m.sw
	switch {
	case u.Deleted:
		m.sw = nil
		m.publish()
		m.publishLook()
		return
	case u.Reload:
		m.watchSwarm(ctx, sw.id)
		return
	case len(u.Events) > 0:
		changed, dead := false, false
		for _, ev := range u.Events {
			if ev.Seq <= sw.g.Seq {
				continue
			}
			if err := sw.g.Apply(ev); err != nil {
				m.watchSwarm(ctx, sw.id)
				return
			}
			changed = changed || ev.Type != graph.NodeMoved || ev.Pinned != nil
			if st := ev.Metadata["state"]; st != nil && *st == string(task.Dead) {
				dead = true // a task went to the dead-letter queue
			}
		}
		if dead {
			m.refreshLetters(ctx)
		}
		if changed {
			m.publish()
			m.publishLook()
		}
		return
	case u.Agents != nil:
		m.applyAgents(u.Agents)
	case u.Message != nil:
		k := agent.Key(u.Message.From, u.Message.To)
		sw.pulses[k] = time.Now()
		sw.links[k] = u.Link.Weight
	case u.Command != nil:
		c := *u.Command
		list := slices.DeleteFunc(sw.commands[c.Agent], func(o agent.Command) bool { return o.ID == c.ID })
		sw.commands[c.Agent] = append([]agent.Command{c}, list[:min(len(list), 4)]...)
		if c.State == agent.Refused {
			m.say("%s refused %s: %s", c.Agent, c.Kind, c.Note)
		}
	}
	m.publishLook()
	if _, g, ok := m.node(m.sel); ok && g == sw.g {
		m.inspect() // the inspector shows the agent's news
	}
}

// applyAgents takes in what changed among the agents.
func (m *model) applyAgents(d *AgentDelta) {
	sw := m.sw
	for _, a := range d.Agents {
		st := sw.agents[a.ID]
		if st == nil {
			st = &agentState{}
			sw.agents[a.ID] = st
		}
		st.Agent = a
		rate := float32(0)
		if a.TokenRate != nil {
			rate = float32(*a.TokenRate)
		}
		st.rates = append(st.rates, rate)
		if len(st.rates) > sparkLen {
			st.rates = st.rates[len(st.rates)-sparkLen:]
		}
	}
	for _, id := range d.Removed {
		delete(sw.agents, id)
	}
	if d.Links != nil {
		clear(sw.links)
		for _, l := range d.Links {
			sw.links[agent.Key(l.A, l.B)] = l.Weight
		}
	}
}

// fade forgets pulses that have run their course.
func (m *model) fade() {
	if m.sw == nil {
		return
	}
	n := len(m.sw.pulses)
	maps.DeleteFunc(m.sw.pulses, func(_ agent.LinkKey, at time.Time) bool { return time.Since(at) > pulseLife })
	if len(m.sw.pulses) != n {
		m.publishLook()
	}
}

// publishLook makes the swarm's state what the GL thread draws.
func (m *model) publishLook() {
	sw := m.sw
	if sw == nil || m.g == nil {
		m.look.Store(nil)
		return
	}
	look := &agentLook{marks: map[graph.WireID]agentMark{}, tasks: map[graph.WireID]taskMark{}, pulses: map[[2]graph.WireID]time.Time{},
		highlit: map[graph.WireID]bool{}}
	panel := &overlay.SwarmPanel{Swarm: sw.id, Counts: map[string]int{}}
	if v := m.values.Load(); v != nil {
		panel.Idle = v.rgb("nodes.agentColor")
	}
	if list := m.swarms.Load(); list != nil {
		for _, s := range *list {
			panel.Swarms = append(panel.Swarms, s.ID)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(sw.agents)) {
		a := sw.agents[id]
		n, ok := sw.g.Node(id)
		if !ok {
			continue // its node has not arrived yet
		}
		mark := agentMark{state: a.State, stale: a.Stale, control: a.Control, name: cmp.Or(a.Name, a.ID)}
		if a.Progress != nil {
			mark.progress, mark.hasProg = *a.Progress, true
		}
		look.marks[n.WireID] = mark
		for _, k := range a.WorkingOn {
			if kn, ok := m.g.Node(k); ok {
				look.work = append(look.work, [2]graph.WireID{n.WireID, kn.WireID})
			}
		}
		state := string(a.State)
		if a.Stale {
			state = "stale"
		}
		panel.Counts[state]++
		panel.Agents = append(panel.Agents, overlay.AgentRow{Wire: n.WireID, Name: mark.name, State: string(a.State), Stale: a.Stale,
			Progress: mark.progress, HasProgress: mark.hasProg, Control: a.Control})
	}
	m.lookTasks(look, panel)
	m.lookMemories(look, panel)
	for k, at := range sw.pulses {
		a, okA := sw.g.Node(k.A)
		b, okB := sw.g.Node(k.B)
		if okA && okB {
			look.pulses[wirePair(a.WireID, b.WireID)] = at
		}
	}
	look.panel = panel
	m.look.Store(look)
}

// agentInfo is what the inspector shows of an agent.
func (m *model) agentInfo(id string) *overlay.AgentInfo {
	sw := m.sw
	a, ok := sw.agents[id]
	if !ok {
		return &overlay.AgentInfo{Swarm: sw.id, State: "unknown", Stale: true}
	}
	info := &overlay.AgentInfo{Swarm: sw.id, ID: a.ID, Type: a.Type, State: string(a.State), Control: a.Control, Task: a.CurrentTask,
		Capabilities: a.Capabilities, Stale: a.Stale, Progress: a.Progress, Health: a.Health, Tokens: a.Tokens, TokenRate: a.TokenRate,
		Spark: slices.Clone(a.rates), LastSeen: a.LastSeen}
	for _, c := range a.CollaboratingWith {
		if n, ok := sw.g.Node(c); ok {
			info.Collaborators = append(info.Collaborators, overlay.Neighbour{ID: c, Label: cmp.Or(n.Label, c), Wire: n.WireID})
		}
	}
	for _, k := range a.WorkingOn {
		if n, ok := m.g.Node(k); ok {
			info.WorkingOn = append(info.WorkingOn, overlay.Neighbour{ID: k, Label: cmp.Or(n.Label, k), Wire: n.WireID})
		}
	}
	for _, mem := range m.memoriesOf(a.ID) {
		info.Memories = append(info.Memories, overlay.MemoryRow{Agent: mem.Agent, Type: mem.Type, Text: snippet(mem.Content)})
	}
	for _, c := range sw.commands[a.ID] {
		line := fmt.Sprintf("%s: %s", c.Kind, c.State)
		if c.Note != "" {
			line += " (" + c.Note + ")"
		}
		info.Commands = append(info.Commands, line)
	}
	return info
}

// command sends an operator's command to the selected agent.
func (m *model) command(ctx context.Context, kind agent.CommandKind, text string) {
	n, g, ok := m.node(m.sel)
	if !ok || m.sw == nil || g != m.sw.g {
		m.say("select an agent first")
		return
	}
	c, err := m.src.Command(ctx, m.sw.id, n.ID, agent.CommandRequest{Kind: kind, Text: text})
	if err != nil {
		m.say("%s %s: %v", kind, n.ID, err)
		m.telemetry.failure()
		return
	}
	m.say("%s sent to %s: %s", kind, cmp.Or(n.Label, n.ID), c.State)
}

// focusOn flies the camera to nodes someone asked the people to look at.
func (m *model) focusOn(f *session.FocusRequest, by string) {
	var g *graph.Graph
	switch {
	case m.g != nil && f.Graph == m.g.ID:
		g = m.g
	case m.sw != nil && f.Graph == m.sw.id:
		g = m.sw.g
	default:
		return
	}
	fo := &focus{}
	for _, id := range f.Nodes {
		if n, ok := g.Node(id); ok {
			fo.nodes = append(fo.nodes, n.WireID)
		}
	}
	if len(fo.nodes) == 0 {
		return
	}
	m.focus.Store(fo)
	note := ""
	if f.Note != "" {
		note = ": " + f.Note
	}
	m.sayFor(8*time.Second, "%s asks you to look at %d node(s)%s", by, len(fo.nodes), note)
}

// interval is how often the window reports its telemetry.
func (m *model) interval() time.Duration {
	if v := m.values.Load(); v != nil {
		if s := v.float("system.telemetry.uploadInterval"); s > 0 {
			return time.Duration(s) * time.Second
		}
	}
	return 30 * time.Second
}

// The swarm panel's queue shows at most maxTaskRows tasks, of which at
// most maxFinishedRows finished ones.
const (
	maxTaskRows     = 40
	maxFinishedRows = 5
)

// lookTasks adds the swarm's tasks to the look: each task node marked with
// its state and progress, linked to the knowledge nodes it concerns, and
// the queue in the panel (open tasks by priority, then the latest
// finished), with the open dead letters.
func (m *model) lookTasks(look *agentLook, panel *overlay.SwarmPanel) {
	sw := m.sw
	type row struct {
		overlay.TaskRow
		priority int
		id       string
	}
	var open, closed []row
	for _, n := range sw.g.Nodes() {
		if n.Metadata["kind"] != "task" {
			continue
		}
		st := n.Metadata["state"]
		progress, _ := strconv.ParseFloat(n.Metadata["progress"], 64)
		look.tasks[n.WireID] = taskMark{title: cmp.Or(n.Label, n.ID), state: st, progress: progress}
		// Open tasks are linked to what they concern; finished ones let go.
		for k := range strings.SplitSeq(n.Metadata["knowledge"], ",") {
			if kn, ok := m.g.Node(k); ok && k != "" && !task.State(st).Final() {
				look.work = append(look.work, [2]graph.WireID{n.WireID, kn.WireID})
			}
		}
		priority, _ := strconv.Atoi(n.Metadata["priority"])
		r := row{TaskRow: overlay.TaskRow{Wire: n.WireID, Title: cmp.Or(n.Label, n.ID), State: st, Progress: progress}, priority: priority, id: n.ID}
		if task.State(st).Final() && st != string(task.Dead) {
			closed = append(closed, r)
		} else {
			open = append(open, r)
		}
	}
	// Task ids sort by time (ULIDs): the newest finished come first.
	slices.SortFunc(open, func(a, b row) int { return cmp.Or(b.priority-a.priority, strings.Compare(a.id, b.id)) })
	slices.SortFunc(closed, func(a, b row) int { return strings.Compare(b.id, a.id) })
	panel.Open = len(open)
	for _, r := range append(open, closed[:min(len(closed), maxFinishedRows)]...) {
		if len(panel.Tasks) == maxTaskRows {
			break
		}
		panel.Tasks = append(panel.Tasks, r.TaskRow)
	}
	for _, d := range sw.letters {
		l := overlay.LetterRow{ID: d.ID, Title: d.Title}
		if len(d.Errors) > 0 {
			l.Error = d.Errors[len(d.Errors)-1]
		}
		panel.Letters = append(panel.Letters, l)
	}
}

// memoriesOf returns an agent's newest memories, fetched again when they
// are more than a few seconds old.
func (m *model) memoriesOf(agentID string) []memory.Memory {
	sw := m.sw
	if sw.memOf.agent == agentID && time.Since(sw.memOf.at) < 3*time.Second {
		return sw.memOf.list
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	list, err := m.src.AgentMemories(ctx, agentID, 5)
	if err != nil {
		m.log.Warn("desktop: an agent's memories could not be read", "agent", agentID, "err", err)
	}
	sw.memOf = agentMemories{agent: agentID, list: list, at: time.Now()}
	return list
}

// snippet is the start of a memory's content, on one line.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 140 {
		s = string(r[:140]) + "…"
	}
	return s
}

// searchMemory finds the memories closest to what the user typed and
// highlights the knowledge nodes they link to.
func (m *model) searchMemory(ctx context.Context, text string) {
	if m.sw == nil {
		return
	}
	res, err := m.src.Recall(ctx, memory.Query{Text: text, K: 8})
	if err != nil {
		m.say("memory search: %v", err)
		m.telemetry.failure()
		return
	}
	m.sw.memQuery, m.sw.memHits = text, res.Hits
	switch {
	case res.Fallback != "":
		m.say("memory search: %s", res.Fallback)
	case res.Skipped > 0:
		m.say("memory search: %d memories of other embedders were not compared (re-embed them)", res.Skipped)
	}
	m.publishLook()
}

// clearMemorySearch drops the search and its highlights.
func (m *model) clearMemorySearch() {
	if m.sw != nil {
		m.sw.memQuery, m.sw.memHits = "", nil
		m.publishLook()
	}
}

// lookMemories puts the memory search in the look: its hits in the panel,
// their knowledge nodes highlighted.
func (m *model) lookMemories(look *agentLook, panel *overlay.SwarmPanel) {
	sw := m.sw
	panel.MemoryQuery = sw.memQuery
	for _, h := range sw.memHits {
		row := overlay.MemoryRow{Agent: h.Memory.Agent, Type: h.Memory.Type, Text: snippet(h.Memory.Content), Score: h.Score}
		if n, ok := sw.g.Node(h.Memory.Agent); ok {
			row.Wire = n.WireID
		}
		for _, l := range h.Memory.Links {
			if n, ok := m.g.Node(l); ok {
				look.highlit[n.WireID] = true
				if row.Wire == 0 {
					row.Wire = n.WireID
				}
			}
		}
		panel.MemoryHits = append(panel.MemoryHits, row)
	}
}
