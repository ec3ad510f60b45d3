package desktop

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/render/overlay"
	"visionflow/session"
	"visionflow/settings"
)

// nodeView is what the window needs of a node.
type nodeView struct {
	id     string
	label  string
	wire   graph.WireID
	agent  bool
	pinned bool
	degree int
	shape  uint32            // from metadata, for nodes.enableMetadataShape
	meta   map[string]string // a copy: the scene is read on other goroutines
}

type edgeView struct {
	a, b   graph.WireID
	weight float32
	link   bool // an interaction link between two agents
}

// scene is a snapshot of the watched graph, and of the swarm working on
// it, for the GL thread. It is never modified once published.
type scene struct {
	graphID string
	name    string
	swarm   string // the swarm shown beside the graph ("": none)
	nodes   []nodeView
	byWire  map[graph.WireID]int32 // index in nodes
	byID    map[string]int32       // index in nodes of the watched graph's, by id
	edges   []edgeView
	// The watched graph's own share: nodes[:graphNodes], edges[:graphEdges].
	graphNodes, graphEdges int

	adjOnce sync.Once
	adj     [][]int32 // the graph's neighbours by node index, made when first asked
}

// adjacency is the graph's neighbours by node index (links both ways).
func (s *scene) adjacency() [][]int32 {
	s.adjOnce.Do(func() {
		s.adj = make([][]int32, s.graphNodes)
		for _, e := range s.edges[:s.graphEdges] {
			a, okA := s.byWire[e.a]
			b, okB := s.byWire[e.b]
			if okA && okB && int(a) < s.graphNodes && int(b) < s.graphNodes {
				s.adj[a] = append(s.adj[a], b)
				s.adj[b] = append(s.adj[b], a)
			}
		}
	})
	return s.adj
}

func (s *scene) node(w graph.WireID) *nodeView {
	if s == nil {
		return nil
	}
	if i, ok := s.byWire[w]; ok {
		return &s.nodes[i]
	}
	return nil
}

// buildScene makes the scene of a graph and, when sw is not nil, of the
// swarm working on it (its agents' wire ids have the agent bit, so they
// never meet the graph's).
func buildScene(g, sw *graph.Graph) *scene {
	s := &scene{graphID: g.ID, name: g.Name, byWire: map[graph.WireID]int32{}, byID: map[string]int32{}}
	if sw != nil {
		s.swarm = sw.ID
	}
	for _, gr := range []*graph.Graph{g, sw} {
		if gr == nil {
			continue
		}
		nodes := gr.Nodes()
		for i := range nodes {
			n := &nodes[i]
			if _, dup := s.byWire[n.WireID]; dup {
				continue
			}
			s.byWire[n.WireID] = int32(len(s.nodes))
			if gr == g {
				s.byID[n.ID] = int32(len(s.nodes))
			}
			s.nodes = append(s.nodes, nodeView{id: n.ID, label: cmp.Or(n.Label, n.ID), wire: n.WireID, agent: isAgent(n), pinned: n.Pinned,
				degree: gr.Degree(n.ID), shape: metadataShape(n.Metadata), meta: maps.Clone(n.Metadata)})
		}
		for _, e := range gr.Edges() {
			a, _ := gr.Node(e.Source)
			b, _ := gr.Node(e.Target)
			s.edges = append(s.edges, edgeView{a: a.WireID, b: b.WireID, weight: e.Weight, link: gr == sw})
		}
		if gr == g {
			s.graphNodes, s.graphEdges = len(s.nodes), len(s.edges)
		}
	}
	return s
}

// focus asks the GL thread to fly the camera to these nodes.
type focus struct{ nodes []graph.WireID }

// health is the session's last health report and when it came.
type health struct {
	session.Health
	at time.Time
}

type notice struct {
	text  string
	until time.Time
}

// model is the window's copy of the session: the watched graph, the
// settings, the selection. It runs on its own goroutine, so the GL thread
// never waits for the session (whose physics may be waiting for the GL
// thread); the GL thread reads what it publishes and sends it requests.
type model struct {
	src Source
	log *slog.Logger

	scene     atomic.Pointer[scene]
	look      atomic.Pointer[agentLook]
	swarms    atomic.Pointer[[]session.SwarmInfo] // working on the watched graph
	values    atomic.Pointer[values]
	graphs    atomic.Pointer[[]graph.Summary]
	inspected atomic.Pointer[overlay.Inspected]
	selected  atomic.Uint32 // wire id of the selected node; 0 for none
	imports   atomic.Pointer[overlay.ImportState]
	notice    atomic.Pointer[notice]
	health    atomic.Pointer[health]
	focus     atomic.Pointer[focus]
	ready     chan struct{} // closed once the first graph and settings are in

	reqs chan func(ctx context.Context)

	moveMu   sync.Mutex
	moves    map[graph.WireID]graph.Vec3 // drags waiting to be sent, latest only
	share    atomic.Pointer[overlay.SharePanel]
	timeline atomic.Pointer[overlay.Timeline]
	tl       timelineState // model goroutine only
	// presence is where the window is, for its peers; the latest only.
	presence chan wire.Presence
	moveSig  chan struct{}

	// Model goroutine only.
	g         *graph.Graph    // what is shown: rep's view
	rep       *client.Replica // g as the source holds it, with the edits made here on top
	unsent    []*client.Edit  // edits made while the host could not be reached
	sending   chan struct{}   // closed once the last edit sent has been answered
	sw        *swarmState     // the swarm shown beside g, or nil
	picked    string          // the swarm the user chose ("": the first)
	sel       graph.WireID
	lastList  time.Time
	lastSwarm time.Time
	telemetry *uploader
	bg        sync.WaitGroup // imports running beside the model

	first     string  // the graph to show first (--graph; "": the last shown, else the newest)
	firstNode string  // the node to select once it is shown (--local)
	remember  *recall // where the last graph shown is kept; nil keeps nothing
}

func newModel(src Source, log *slog.Logger) *model {
	m := &model{src: src, log: log, reqs: make(chan func(context.Context), 64), moves: map[graph.WireID]graph.Vec3{}, presence: make(chan wire.Presence, 1),
		moveSig: make(chan struct{}, 1), ready: make(chan struct{}), telemetry: newUploader(src.PostTelemetry, src.HandDeadLetter)}
	m.values.Store(&values{})
	m.imports.Store(&overlay.ImportState{})
	return m
}

// do queues a request; it never blocks the GL thread (a full queue drops
// the request and says so).
func (m *model) do(fn func(ctx context.Context)) {
	select {
	case m.reqs <- fn:
	default:
		m.say("busy: the request was dropped, try again")
	}
}

func (m *model) say(format string, args ...any) { m.sayFor(5*time.Second, format, args...) }

func (m *model) sayFor(d time.Duration, format string, args ...any) {
	m.notice.Store(&notice{text: fmt.Sprintf(format, args...), until: time.Now().Add(d)})
}

// run serves requests and updates until ctx ends, and returns once the
// imports it started have.
func (m *model) run(ctx context.Context) {
	defer m.bg.Wait()
	if err := m.start(ctx); err != nil {
		m.say("%v", err)
		m.log.Error("desktop: loading the session failed", "err", err)
	}
	close(m.ready)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	playTick := time.NewTicker(playStep)
	defer playTick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case fn := <-m.reqs:
			fn(ctx)
		case u := <-m.src.Updates():
			m.update(ctx, u)
		case <-m.moveSig:
			m.sendMoves(ctx)
		case p := <-m.presence:
			m.src.SetPresence(p)
		case <-tick.C:
			m.poll(ctx)
		case now := <-playTick.C:
			m.play(ctx, now)
		}
	}
}

func (m *model) start(ctx context.Context) error {
	vals, err := m.src.Settings(ctx)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	v := values(vals)
	m.values.Store(&v)
	m.shareState(ctx)
	m.poll(ctx)
	id := m.first
	if id == "" {
		// The graph shown last, if it is still there.
		if last := m.remember.lastGraph(m.src.Where()); last != "" {
			if list := m.graphs.Load(); list != nil && slices.ContainsFunc(*list, func(s graph.Summary) bool { return s.ID == last }) {
				id = last
			}
		}
	}
	if id == "" {
		var err error
		if id, err = m.src.DefaultGraph(ctx); err != nil || id == "" {
			return err
		}
	}
	if err := m.watch(ctx, id); err != nil {
		return err
	}
	if n := m.firstNode; n != "" {
		if _, ok := m.g.Node(n); !ok {
			return fmt.Errorf("--local %s: graph %q has no such node", n, id)
		}
		m.selectNode(n, true)
	}
	return nil
}

// poll refreshes what the stats bar and the graph picker show.
func (m *model) poll(ctx context.Context) {
	if h, err := m.src.Health(ctx); err == nil {
		m.health.Store(&health{Health: h, at: time.Now()})
	}
	if time.Since(m.lastList) >= 2*time.Second {
		if list, err := m.src.Graphs(ctx); err == nil {
			m.graphs.Store(&list)
			m.lastList = time.Now()
		}
	}
	// A swarm that starts working on the graph appears by itself.
	if m.g != nil && time.Since(m.lastSwarm) >= 2*time.Second {
		m.lastSwarm = time.Now()
		m.followSwarm(ctx)
	}
	m.telemetry.due(ctx, time.Now(), m.interval())
	m.resend(ctx)
	m.fade()
}

// watch switches the window to a graph.
func (m *model) watch(ctx context.Context, id string) error {
	if m.g == nil || m.g.ID != id {
		// The swarm goes first: a swarm graph opened as the graph itself
		// must not lose its subscription to the swarm's leaving.
		m.dropSwarm(ctx)
	}
	c, err := m.src.Watch(ctx, id)
	if err != nil {
		return fmt.Errorf("open graph %q: %w", id, err)
	}
	if m.rep != nil && m.g != nil && m.g.ID == c.ID {
		// The same graph again (a reload): edits not yet answered stay.
		if err := m.rep.Reset(c); err != nil {
			return err
		}
	} else {
		rep, err := client.NewReplica(c, m.outcome)
		if err != nil {
			return err
		}
		m.rep, m.unsent, m.tl = rep, nil, timelineState{}
		m.sel = 0
		m.picked = ""
	}
	m.g = m.rep.View()
	m.publish()
	if err := m.remember.rememberGraph(m.src.Where(), id); err != nil {
		m.log.Warn("desktop: the graph shown is not remembered", "err", err)
	}
	m.lastSwarm = time.Now()
	m.followSwarm(ctx)
	return nil
}

func graphFrom(c graph.Contents) (*graph.Graph, error) {
	var next uint32
	for _, n := range c.Nodes {
		next = max(next, n.WireID.Index()+1)
	}
	return graph.Restore(c.Info, next, c.Nodes, c.Edges)
}

// publish makes the graph's current state the scene and refreshes the
// inspector.
func (m *model) publish() {
	if m.g == nil {
		m.scene.Store(nil)
		return
	}
	var sw *graph.Graph
	if m.sw != nil {
		sw = m.sw.g
	}
	m.scene.Store(buildScene(m.shown(), sw))
	m.inspect()
	m.publishTimeline()
}

func (m *model) update(ctx context.Context, u Update) {
	if u.Gone != nil {
		m.sayFor(24*time.Hour, "disconnected: %v", u.Gone)
		return
	}
	if len(u.Settings) > 0 || u.Resync {
		m.applySettings(ctx, u)
	}
	if u.Resync {
		// Updates were lost: everything shown is fetched again.
		if m.g != nil {
			if err := m.watch(ctx, m.g.ID); err != nil {
				m.say("%v", err)
			}
		}
		if m.sw != nil {
			m.watchSwarm(ctx, m.sw.id)
		}
		return
	}
	if u.Focus != nil {
		m.focusOn(u.Focus, u.By)
		return
	}
	if m.sw != nil && u.Graph == m.sw.id {
		m.updateSwarm(ctx, u)
		return
	}
	if m.g == nil || u.Graph != m.g.ID {
		return
	}
	switch {
	case u.Deleted:
		m.g, m.rep = nil, nil
		m.publish()
		m.lastList = time.Time{}
		m.poll(ctx)
		id, err := m.src.DefaultGraph(ctx)
		if err == nil && id != "" {
			err = m.watch(ctx, id)
		}
		if err != nil {
			m.say("%v", err)
		}
		return
	case u.Reload:
		if err := m.watch(ctx, m.g.ID); err != nil {
			m.say("%v", err)
		}
		return
	}
	changed := false
	for _, ev := range u.Events {
		if ev.Seq > m.rep.Seq() && (ev.Type != graph.NodeMoved || ev.Pinned != nil) {
			changed = true
		}
	}
	if err := m.rep.Apply(u.Events); err != nil {
		// A gap or a mismatch: fetch the graph again.
		if err := m.watch(ctx, m.g.ID); err != nil {
			m.say("%v", err)
		}
		return
	}
	if g := m.rep.View(); g != m.g || changed {
		m.g = g
		m.publish()
	}
}

// edit changes the shown graph at once and sends the change; the answer
// confirms it, or undoes it with a notice. An edit the host cannot be
// reached for waits and goes when it can.
func (m *model) edit(ctx context.Context, ops []graph.Op, what string) {
	if m.tl.past != nil {
		m.say("%s: the window shows the past; press Live to edit", what)
		return
	}
	ed, err := m.rep.Edit(m.g.ID, ops)
	if err != nil {
		m.say("%s failed: %v", what, err)
		return
	}
	m.g = m.rep.View()
	m.publish()
	m.send(ctx, ed)
}

// send hands an edit to the host. Edits go one at a time, in the order
// they were made: two moves of a dragged node sent side by side could land
// in either order and leave it where the drag passed, not where it ended
// (a desktop test saw that on a busy machine).
func (m *model) send(ctx context.Context, ed *client.Edit) {
	rep := m.rep
	prev, sent := m.sending, make(chan struct{})
	m.sending = sent
	m.bg.Go(func() {
		if prev != nil {
			select {
			case <-prev:
			case <-ctx.Done():
			}
		}
		events, err := m.src.Apply(ctx, ed.Graph, ed.Base, ed.Ops)
		close(sent)
		m.post(ctx, func(ctx context.Context) {
			if m.rep != rep {
				return // another graph is shown now
			}
			if err != nil && unreachable(err) {
				m.unsent = append(m.unsent, ed)
				return
			}
			if err != nil {
				rep.Refused(ed, err)
			} else {
				rep.Accepted(ed, events)
			}
			m.g = rep.View()
			m.publish()
		})
	})
}

// unreachable tells a connection that failed from a host that said no.
func unreachable(err error) bool {
	var me *client.MessageError
	var he *client.Error
	var ge *graph.Error
	return !errors.As(err, &me) && !errors.As(err, &he) && !errors.As(err, &ge) && !errors.Is(err, context.Canceled)
}

// resend sends the edits made while the host could not be reached, once
// it can be again.
func (m *model) resend(ctx context.Context) {
	if len(m.unsent) == 0 || m.src.Link() != "receiving" && m.src.Link() != "subscribed" {
		return
	}
	eds := m.unsent
	m.unsent = nil
	for _, ed := range eds {
		m.send(ctx, ed)
	}
}

// post hands fn to the model goroutine, unless it has stopped.
func (m *model) post(ctx context.Context, fn func(context.Context)) {
	select {
	case m.reqs <- fn:
	case <-ctx.Done():
	}
}

// outcome tells the user of an edit the host undid.
func (m *model) outcome(ed *client.Edit, o client.Outcome, err error) {
	if o == client.RolledBack {
		m.say("your change was undone: %v", err)
	}
}

func (m *model) applySettings(ctx context.Context, u Update) {
	if u.Resync {
		if vals, err := m.src.Settings(ctx); err == nil {
			v := values(vals)
			m.values.Store(&v)
		}
		return
	}
	v := maps.Clone(*m.values.Load())
	for _, d := range u.Settings {
		f, ok := settings.Lookup(d.Path)
		if !ok {
			continue
		}
		if x, err := f.Parse(d.New); err == nil {
			v[d.Path] = x
		}
	}
	m.values.Store(&v)
}

// node finds a node of the scene's graphs by wire id.
func (m *model) node(w graph.WireID) (graph.Node, *graph.Graph, bool) {
	for _, g := range []*graph.Graph{m.g, m.swarmGraph()} {
		if g == nil {
			continue
		}
		if n, ok := g.NodeByWire(w); ok {
			return n, g, true
		}
	}
	return graph.Node{}, nil, false
}

func (m *model) swarmGraph() *graph.Graph {
	if m.sw == nil {
		return nil
	}
	return m.sw.g
}

// inspect describes the selected node for the inspector.
func (m *model) inspect() {
	n, g, ok := m.node(m.sel)
	if m.sel == 0 || !ok {
		m.sel = 0
		m.inspected.Store(nil)
		m.selected.Store(0)
		return
	}
	in := &overlay.Inspected{ID: n.ID, Label: cmp.Or(n.Label, n.ID), Metadata: n.Metadata, Pinned: n.Pinned, Degree: g.Degree(n.ID)}
	seen := map[string]bool{}
	for _, eid := range g.Incident(n.ID) {
		e, _ := g.Edge(eid)
		other := e.Target
		if other == n.ID {
			other = e.Source
		}
		if seen[other] {
			continue
		}
		seen[other] = true
		o, _ := g.Node(other)
		in.Neighbours = append(in.Neighbours, overlay.Neighbour{ID: o.ID, Label: cmp.Or(o.Label, o.ID), Wire: o.WireID})
	}
	slices.SortFunc(in.Neighbours, func(a, b overlay.Neighbour) int {
		return strings.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label))
	})
	if g == m.swarmGraph() {
		in.Agent = m.agentInfo(n.ID)
	}
	m.inspected.Store(in)
	m.selected.Store(uint32(n.WireID))
}

// selectNode selects a node of the watched graph by id ("" clears the
// selection); fly asks the camera to go to it.
func (m *model) selectNode(id string, fly bool) {
	m.sel = 0
	if m.g != nil && id != "" {
		if n, ok := m.g.Node(id); ok {
			m.sel = n.WireID
		}
	}
	m.selectWire(m.sel, fly)
}

// selectWire selects a node of the scene by wire id (0 clears it).
func (m *model) selectWire(w graph.WireID, fly bool) {
	m.sel = w
	m.inspect()
	if fly && m.sel != 0 {
		// The node centred, with its neighbours in view.
		f := &focus{nodes: []graph.WireID{m.sel}}
		if in := m.inspected.Load(); in != nil {
			for _, nb := range in.Neighbours {
				f.nodes = append(f.nodes, nb.Wire)
			}
		}
		m.focus.Store(f)
	}
}

// search finds a node by label: an exact match (ignoring case) first, then
// the shortest label starting with the text, then the shortest containing
// it. Agents are searched too.
func (m *model) search(text string) {
	text = strings.ToLower(strings.TrimSpace(text))
	if m.g == nil || text == "" {
		return
	}
	var best *graph.Node
	rank := func(n *graph.Node) int {
		l := strings.ToLower(cmp.Or(n.Label, n.ID))
		switch {
		case l == text:
			return 0
		case strings.HasPrefix(l, text):
			return 1
		case strings.Contains(l, text):
			return 2
		}
		return 3
	}
	nodes := m.g.Nodes()
	if sw := m.swarmGraph(); sw != nil {
		nodes = append(nodes, sw.Nodes()...)
	}
	bestRank := 3
	for i := range nodes {
		n := &nodes[i]
		r := rank(n)
		if r < bestRank || (r == bestRank && r < 3 && len(n.Label) < len(best.Label)) {
			best, bestRank = n, r
		}
	}
	if best == nil {
		m.say("no node matches %q", text)
		return
	}
	m.selectWire(best.WireID, true)
}

// focusNeighbours flies the camera to the selected node and its
// neighbours.
func (m *model) focusNeighbours() {
	in := m.inspected.Load()
	if m.sel == 0 || in == nil {
		return
	}
	f := &focus{nodes: []graph.WireID{m.sel}}
	for _, nb := range in.Neighbours {
		f.nodes = append(f.nodes, nb.Wire)
	}
	if in.Agent != nil {
		for _, w := range in.Agent.WorkingOn {
			f.nodes = append(f.nodes, w.Wire)
		}
	}
	m.focus.Store(f)
}

// move queues a drag: only the latest position of each node is sent, as
// fast as the session takes them.
func (m *model) move(id graph.WireID, p graph.Vec3) {
	m.moveMu.Lock()
	m.moves[id] = p
	m.moveMu.Unlock()
	select {
	case m.moveSig <- struct{}{}:
	default:
	}
}

func (m *model) sendMoves(ctx context.Context) {
	m.moveMu.Lock()
	moves := m.moves
	m.moves = map[graph.WireID]graph.Vec3{}
	m.moveMu.Unlock()
	if m.g == nil || len(moves) == 0 {
		return
	}
	byGraph := map[*graph.Graph][]graph.Op{}
	for _, w := range slices.Sorted(maps.Keys(moves)) {
		n, g, ok := m.node(w)
		if !ok {
			continue
		}
		p := moves[w]
		op := graph.Op{Op: graph.UpdateNode, ID: n.ID, Position: &p}
		if !n.Pinned {
			op.Pinned = new(true)
		}
		byGraph[g] = append(byGraph[g], op)
	}
	for g, ops := range byGraph {
		if g == m.g {
			m.edit(ctx, ops, "moving the node")
			continue
		}
		if _, err := m.src.Apply(ctx, g.ID, g.Seq, ops); err != nil {
			m.say("moving the node failed: %v", err)
		}
	}
}

// setPinned pins or unpins the selected node.
func (m *model) setPinned(ctx context.Context, pinned bool) {
	n, g, ok := m.node(m.sel)
	if !ok {
		return
	}
	ops := []graph.Op{{Op: graph.UpdateNode, ID: n.ID, Pinned: &pinned}}
	if g == m.g {
		m.edit(ctx, ops, "pinning")
		return
	}
	if _, err := m.src.Apply(ctx, g.ID, g.Seq, ops); err != nil {
		m.say("pinning failed: %v", err)
	}
}

func (m *model) setSettings(ctx context.Context, updates []settings.Update) {
	if err := m.src.SetSettings(ctx, updates); err != nil {
		m.say("setting refused: %v", err)
	}
}

// importPath imports a folder of notes or a graph file off the model goroutine (it can
// take a while) and then shows the new graph.
func (m *model) importPath(ctx context.Context, dir string) {
	if m.imports.Load().Running {
		m.say("an import is already running")
		return
	}
	if dir == "" {
		m.say("type the path of a folder of notes or a graph file first")
		return
	}
	m.imports.Store(&overlay.ImportState{Running: true, Message: "reading " + dir})
	m.bg.Go(func() {
		sum, report, err := m.src.ImportPath(ctx, dir, func(done, total int) {
			m.imports.Store(&overlay.ImportState{Running: true, Done: done, Total: total, Message: fmt.Sprintf("%d of %d", done, total)})
		})
		if err != nil {
			m.imports.Store(&overlay.ImportState{Message: "import failed: " + err.Error()})
			return
		}
		msg := fmt.Sprintf("imported %q: %d nodes, %d edges", sum.Name, sum.Nodes, sum.Edges)
		if report != "" {
			msg += "\n" + report
		}
		m.imports.Store(&overlay.ImportState{Message: msg})
		m.do(func(ctx context.Context) {
			m.lastList = time.Time{}
			m.poll(ctx)
			if err := m.watch(ctx, sum.ID); err != nil {
				m.say("%v", err)
			}
		})
	})
}
