package desktop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"visionflow/agent"
	"visionflow/app"
	"visionflow/compute"
	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/memory"
	"visionflow/net/api"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
	"visionflow/task"
	"visionflow/telemetry"
)

// local is the session of the server this process runs.
type local struct {
	srv     *app.Server
	watched atomic.Pointer[string]
	swarm   atomic.Pointer[string]      // the watched swarm ("": none)
	cursor  atomic.Pointer[agentCursor] // what of its agents was sent
	updates chan Update
	sendMu  sync.Mutex // senders: graph workers, settings, agents
	lost    bool       // an update did not fit the channel; guarded by sendMu
	stop    []func()
	once    sync.Once
	done    chan struct{}
	wg      sync.WaitGroup
}

// agentCursor is the watched swarm and the version of its agents last
// sent (0: none yet, send them all).
type agentCursor struct {
	swarm string
	since uint64
}

// agentPoll is how often the watched swarm's agent status is read: the
// window's own tick, like the stream's for remote clients.
const agentPoll = time.Second / 30

var _ Source = (*local)(nil)

// updateBuffer is how many updates wait for the window before the source
// drops them and asks for a reload instead.
const updateBuffer = 256

func newLocal(srv *app.Server) (*local, error) {
	l := &local{srv: srv, updates: make(chan Update, updateBuffer), done: make(chan struct{})}
	l.watched.Store(new(string))
	l.swarm.Store(new(string))
	l.cursor.Store(&agentCursor{})
	cancel, err := srv.Session.Subscribe(func(ch session.Change) {
		if ch.Graph != *l.watched.Load() && ch.Graph != *l.swarm.Load() {
			return
		}
		l.send(Update{Graph: ch.Graph, Events: ch.Events, Reload: ch.Reload, Deleted: ch.Deleted})
	})
	if err != nil {
		return nil, err
	}
	l.stop = append(l.stop, cancel, srv.Settings.Subscribe(func(ds []settings.Delta) { l.send(Update{Settings: ds}) }))
	l.stop = append(l.stop, srv.Session.SubscribeAgents(func(ev session.AgentEvent) {
		switch {
		case ev.Message != nil && ev.Swarm == *l.swarm.Load():
			l.send(Update{Graph: ev.Swarm, Message: ev.Message, Link: ev.Link})
		case ev.Command != nil && ev.Swarm == *l.swarm.Load():
			l.send(Update{Graph: ev.Swarm, Command: ev.Command})
		case ev.Focus != nil && (ev.Focus.Graph == *l.watched.Load() || ev.Focus.Graph == *l.swarm.Load()):
			l.send(Update{Graph: ev.Focus.Graph, Focus: ev.Focus, By: ev.By})
		}
	}))
	l.wg.Go(l.pollAgents)
	return l, nil
}

// pollAgents reads what changed among the watched swarm's agents, as the
// stream does for remote clients.
func (l *local) pollAgents() {
	tick := time.NewTicker(agentPoll)
	defer tick.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-tick.C:
		}
		cur := l.cursor.Load()
		if cur.swarm == "" {
			continue
		}
		d := l.srv.Session.AgentChanges(cur.swarm, cur.since)
		if !d.Exists || d.Version == cur.since || !l.cursor.CompareAndSwap(cur, &agentCursor{cur.swarm, d.Version}) {
			continue // nothing new, or the window moved to another swarm meanwhile
		}
		if len(d.Agents)+len(d.Removed)+len(d.Links) > 0 {
			l.send(Update{Graph: cur.swarm, Agents: &AgentDelta{Swarm: cur.swarm, Agents: d.Agents, Removed: d.Removed, Links: d.Links}})
		}
	}
}

// send never blocks the session: when the window is behind, the update is
// dropped and the next one that fits tells it to fetch everything again
// (the graph, the swarm and its agents, the settings).
func (l *local) send(u Update) {
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	if l.lost {
		u = Update{Graph: *l.watched.Load(), Reload: true, Resync: true}
	}
	select {
	case l.updates <- u:
		l.lost = false
	default:
		l.lost = true
		// The agents' deltas lost with it are sent again, all of them.
		cur := l.cursor.Load()
		l.cursor.CompareAndSwap(cur, &agentCursor{swarm: cur.swarm})
	}
}

func (l *local) Graphs(ctx context.Context) ([]graph.Summary, error) {
	return l.srv.Session.ListGraphs(ctx)
}

func (l *local) DefaultGraph(ctx context.Context) (string, error) {
	return l.srv.Session.DefaultGraph(ctx)
}

func (l *local) Watch(ctx context.Context, graphID string) (graph.Contents, error) {
	// Followed before it is read, so no event falls between; the graph
	// shown before stays followed if this one cannot be opened.
	old := l.watched.Swap(&graphID)
	c, err := l.srv.Session.Graph(ctx, graphID)
	if err != nil {
		l.watched.Store(old)
		return graph.Contents{}, err
	}
	return c, nil
}

func (l *local) Positions() *wire.Positions { return l.srv.Session.Positions(*l.watched.Load()) }

// engine is the watched graph's physics engine (the desktop draws straight
// from a GPU engine's buffer).
func (l *local) engine() compute.Engine { return l.srv.Session.Engine(*l.watched.Load()) }

func (l *local) Updates() <-chan Update { return l.updates }

func (l *local) Apply(ctx context.Context, graphID string, _ uint64, ops []graph.Op) ([]graph.Event, error) {
	ch, err := l.srv.Session.Apply(ctx, "desktop", graphID, ops)
	return ch.Events, err
}

func (l *local) Settings(ctx context.Context) (map[string]any, error) {
	values := make(map[string]any, len(settings.Schema))
	for _, f := range settings.Schema {
		v, err := l.srv.Settings.Value(f.Path)
		if err != nil {
			return nil, err
		}
		values[f.Path] = v
	}
	return values, nil
}

func (l *local) SetSettings(ctx context.Context, updates []settings.Update) error {
	_, err := l.srv.Settings.Apply(ctx, "desktop", updates)
	return err
}

func (l *local) ImportPath(ctx context.Context, path string, progress func(done, total int)) (graph.Summary, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return graph.Summary{}, "", fmt.Errorf("import: %w", err)
	}
	lim := ingest.LimitsFrom(l.srv.Settings.Float)
	var imp *ingest.Import
	if st.IsDir() {
		fsys := os.DirFS(path)
		if ingest.FolderFormat(fsys) == "obsidian" {
			imp, err = ingest.ObsidianWithin(fsys, progress, lim, ingest.ObsidianOptions{})
		} else {
			imp, err = ingest.LogseqWithin(fsys, progress, lim)
		}
	} else {
		var f *os.File
		if f, err = os.Open(path); err != nil {
			return graph.Summary{}, "", fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		progress(0, 0)
		imp, _, err = ingest.Read(f, path, "auto", lim)
	}
	if err != nil {
		return graph.Summary{}, "", fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	base := filepath.Base(filepath.Clean(path))
	if !st.IsDir() {
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	info := graph.Info{Name: base, Type: imp.Type}
	if imp.Name != "" {
		info.Name = imp.Name
	}
	report := ""
	if imp.Report != nil {
		report = imp.Report.Summary()
	}
	sum, err := l.srv.Session.Import(ctx, "desktop", info, imp, app.ImportOptions{IDBase: app.Slug(base), Progress: progress})
	return sum, report, err
}

func (l *local) Health(ctx context.Context) (session.Health, error) {
	h, err := l.srv.Session.Health(ctx)
	h.Clients = l.srv.Clients()
	return h, err
}

func (l *local) Where() string { return "" }

func (l *local) Link() string { return "" }

// SetPresence: the host's own window is "host" to its peers.
func (l *local) SetPresence(p wire.Presence) { l.srv.Hub().SetLocalPresence("host", p) }

func (l *local) Peers(graphID string) []wire.Peer {
	return slices.DeleteFunc(l.srv.Hub().Peers(graphID), func(p wire.Peer) bool { return p.ID == api.LocalPeer })
}

func (l *local) SwarmsOn(ctx context.Context, graphID string) ([]session.SwarmInfo, error) {
	return swarmsOn(l.srv.Session.Swarms(ctx))(graphID)
}

// swarmsOn keeps the swarms that work on one graph.
func swarmsOn(list []session.SwarmInfo, err error) func(string) ([]session.SwarmInfo, error) {
	return func(graphID string) ([]session.SwarmInfo, error) {
		var out []session.SwarmInfo
		for _, s := range list {
			if s.KnowledgeGraph == graphID {
				out = append(out, s)
			}
		}
		return out, err
	}
}

func (l *local) WatchSwarm(ctx context.Context, swarmID string) (graph.Contents, []agent.Agent, error) {
	l.swarm.Store(&swarmID)
	l.cursor.Store(&agentCursor{swarm: swarmID})
	if swarmID == "" {
		return graph.Contents{}, nil, nil
	}
	if _, err := l.srv.Session.OpenGraph(ctx, swarmID); err != nil {
		return graph.Contents{}, nil, err
	}
	c, err := l.srv.Session.Graph(ctx, swarmID)
	if err != nil {
		return graph.Contents{}, nil, err
	}
	agents, err := l.srv.Session.Agents(ctx, swarmID)
	return c, agents, err
}

func (l *local) SwarmPositions() *wire.Positions {
	if sw := *l.swarm.Load(); sw != "" {
		return l.srv.Session.Positions(sw)
	}
	return nil
}

func (l *local) Command(ctx context.Context, swarm, agentID string, req agent.CommandRequest) (agent.Command, error) {
	return l.srv.Session.QueueCommand(ctx, "desktop", swarm, agentID, req)
}

func (l *local) SubmitTask(ctx context.Context, sub task.Submission) (session.TaskView, error) {
	return l.srv.Session.SubmitTask(ctx, "desktop", sub)
}

func (l *local) DeadLetters(ctx context.Context, swarm string) ([]task.DeadLetter, error) {
	return l.srv.Session.DeadLetters(ctx, task.LetterOpen, swarm, 100)
}

func (l *local) SettleDeadLetter(ctx context.Context, id string, retry bool) (task.DeadLetter, error) {
	if retry {
		return l.srv.Session.RetryDeadLetter(ctx, "desktop", id)
	}
	return l.srv.Session.DiscardDeadLetter(ctx, "desktop", id)
}

func (l *local) Recall(ctx context.Context, q memory.Query) (memory.Result, error) {
	return l.srv.Session.Recall(ctx, q)
}

func (l *local) AgentMemories(ctx context.Context, agent string, limit int) ([]memory.Memory, error) {
	return l.srv.Session.AgentMemories(ctx, agent, limit)
}

func (l *local) HandDeadLetter(ctx context.Context, h task.Handed) error {
	_, err := l.srv.Session.HandDeadLetter(ctx, "desktop", h)
	return err
}

func (l *local) PostTelemetry(ctx context.Context, m telemetry.Metrics) error {
	return l.srv.Session.PostTelemetry(ctx, "desktop", []telemetry.Metrics{m})
}

func (l *local) Close() error {
	l.once.Do(func() {
		for _, stop := range l.stop {
			stop()
		}
		close(l.done)
		l.wg.Wait()
	})
	return nil
}

func (l *local) Events(ctx context.Context, graphID string, since uint64, limit int) ([]graph.Event, error) {
	return l.srv.Session.Events(ctx, graphID, since, limit)
}

func (l *local) GraphAt(ctx context.Context, graphID string, at time.Time) (graph.Contents, error) {
	return l.srv.Session.GraphAt(ctx, graphID, at)
}
