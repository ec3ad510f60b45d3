package desktop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/memory"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
	"visionflow/task"
	"visionflow/telemetry"
)

// remote is another instance's session, joined over its REST API and
// WebSocket stream: positions come from the binary frames, structure and
// settings from the JSON messages, and edits go back over REST.
type remote struct {
	url     string
	c       *client.Client
	st      *client.Link
	state   atomic.Int32                     // a client.LinkState
	peers   atomic.Pointer[wire.PresenceMsg] // the latest of the graph shown
	updates chan Update
	latest  atomic.Pointer[wire.Positions]
	swarmAt atomic.Pointer[wire.Positions]
	watched atomic.Pointer[string]
	swarm   atomic.Pointer[string]
	rewatch chan struct{} // the watched graph changed
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

var _ Source = (*remote)(nil)

func dialRemote(ctx context.Context, url, token string) (*remote, error) {
	c := client.New(url, "desktop")
	c.SetToken(token)
	if _, err := c.Health(ctx); err != nil {
		return nil, err
	}
	r := &remote{url: url, c: c, updates: make(chan Update, updateBuffer), rewatch: make(chan struct{}, 1)}
	// The link dials again when the connection drops and resumes where
	// it was: the window keeps its scene and catches up.
	st, err := c.Link(ctx, client.LinkOptions{OnState: func(s client.LinkState, _ error) { r.state.Store(int32(s)) }})
	if err != nil {
		return nil, err
	}
	r.st = st
	r.watched.Store(new(string))
	r.swarm.Store(new(string))
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.wg.Go(r.readMessages)
	r.wg.Go(r.followPositions)
	return r, nil
}

// readMessages turns the stream's JSON messages into updates.
func (r *remote) readMessages() {
	for {
		var m client.Message
		select {
		case m = <-r.st.Messages():
		case <-r.st.Done():
			err := r.st.Err()
			if err == nil {
				err = errors.New("the host closed the connection")
			}
			select {
			case r.updates <- Update{Gone: fmt.Errorf("%s: %w", r.url, err)}:
			case <-r.ctx.Done():
			}
			return
		case <-r.ctx.Done():
			return
		}
		var u Update
		switch m.Type {
		case client.Lost:
			// The stream dropped messages: fetch everything again.
			u = Update{Graph: *r.watched.Load(), Reload: true, Resync: true}
		case wire.TypeEvents:
			var ev wire.Events
			if json.Unmarshal(m.Raw, &ev) != nil {
				continue
			}
			u = Update{Graph: ev.Graph, Events: ev.Events}
		case wire.TypeReload:
			var rl wire.Reload
			if json.Unmarshal(m.Raw, &rl) != nil {
				continue
			}
			u = Update{Graph: rl.Graph, Reload: true, Deleted: rl.Deleted}
		case wire.TypeSettings:
			var s wire.Settings
			if json.Unmarshal(m.Raw, &s) != nil {
				continue
			}
			u = Update{Settings: s.Deltas}
			// Resumed too late for the changes: every value, as changes.
			for _, path := range slices.Sorted(maps.Keys(s.Values)) {
				u.Settings = append(u.Settings, settings.Delta{Path: path, New: s.Values[path]})
			}
		case wire.TypeAgentStatus:
			var a wire.AgentStatus
			if json.Unmarshal(m.Raw, &a) != nil {
				continue
			}
			u = Update{Graph: a.Swarm, Agents: &AgentDelta{Swarm: a.Swarm, Agents: a.Agents, Removed: a.Removed, Links: a.Links}}
		case wire.TypeAgentMessage:
			var a wire.AgentMessage
			if json.Unmarshal(m.Raw, &a) != nil {
				continue
			}
			u = Update{Graph: a.Message.Swarm, Message: &a.Message, Link: a.Link}
		case wire.TypeCommandState:
			var c wire.CommandState
			if json.Unmarshal(m.Raw, &c) != nil {
				continue
			}
			u = Update{Graph: c.Command.Swarm, Command: &c.Command}
		case wire.TypePresence:
			var p wire.PresenceMsg
			if json.Unmarshal(m.Raw, &p) == nil {
				r.peers.Store(&p)
			}
			continue
		case wire.TypeFocus:
			var f wire.Focus
			if json.Unmarshal(m.Raw, &f) != nil {
				continue
			}
			u = Update{Graph: f.Graph, Focus: &session.FocusRequest{Graph: f.Graph, Nodes: f.Nodes, Note: f.Note}, By: f.By}
		default:
			continue
		}
		select {
		case r.updates <- u:
		case <-r.ctx.Done():
			return
		}
	}
}

// followPositions rebuilds the latest positions when frames arrive, at
// most once per frame, so the GL thread only loads a pointer.
func (r *remote) followPositions() {
	for {
		g, sw := *r.watched.Load(), *r.swarm.Load()
		changed, swarmChanged := r.st.Changed(g), r.st.Changed(sw)
		// A fresh slice each time: published positions are never modified.
		for _, f := range []struct {
			graph string
			to    *atomic.Pointer[wire.Positions]
		}{{g, &r.latest}, {sw, &r.swarmAt}} {
			if f.graph == "" {
				continue
			}
			if nodes, seq, synced := r.st.Nodes(f.graph, nil); synced {
				prev := f.to.Load()
				if prev != nil && prev.Seq == seq && len(prev.Nodes) == len(nodes) && prev.Step > 0 && samePositions(prev.Nodes, nodes) {
					continue
				}
				step := uint64(1)
				if prev != nil {
					step = prev.Step + 1
				}
				f.to.Store(&wire.Positions{Step: step, Seq: seq, Nodes: nodes})
			}
		}
		select {
		case <-changed:
		case <-swarmChanged:
		case <-r.st.Switched(): // a new connection: its channels, from now
		case <-r.rewatch:
		case <-r.st.Done():
			return
		case <-r.ctx.Done():
			return
		}
	}
}

func (r *remote) Graphs(ctx context.Context) ([]graph.Summary, error) { return r.c.Graphs(ctx) }

// DefaultGraph is the host's newest knowledge graph, else its newest
// graph, as the host itself chooses, asked now (the hello's may be stale).
func (r *remote) DefaultGraph(ctx context.Context) (string, error) {
	list, err := r.c.Graphs(ctx)
	if err != nil {
		return "", err
	}
	return defaultOf(list), nil
}

// defaultOf picks the graph a window shows first, by the session's rule.
func defaultOf(list []graph.Summary) string {
	best := -1
	for i, g := range list {
		if best < 0 {
			best = i
			continue
		}
		b := list[best]
		bk, gk := b.Type == graph.Knowledge, g.Type == graph.Knowledge
		if (gk && !bk) || (gk == bk && (g.Created.After(b.Created) || (g.Created.Equal(b.Created) && g.ID > b.ID))) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return list[best].ID
}

func (r *remote) Watch(ctx context.Context, graphID string) (graph.Contents, error) {
	old := *r.watched.Load()
	// Subscribe first: events after the contents' seq then arrive as
	// updates, and those before it are skipped by seq. Until the new graph
	// is read, the old one stays followed.
	if _, err := r.st.Subscribe(ctx, graphID, wire.StreamPositions, wire.StreamEvents); err != nil {
		return graph.Contents{}, err
	}
	c, err := r.c.Graph(ctx, graphID)
	if err != nil {
		if graphID != old && graphID != *r.swarm.Load() {
			r.st.Unsubscribe(ctx, graphID)
		}
		return graph.Contents{}, err
	}
	if old != "" && old != graphID && old != *r.swarm.Load() {
		r.st.Unsubscribe(ctx, old)
	}
	r.watched.Store(&graphID)
	r.latest.Store(nil)
	select {
	case r.rewatch <- struct{}{}:
	default:
	}
	return c, nil
}

func (r *remote) Positions() *wire.Positions { return r.latest.Load() }

func (r *remote) Updates() <-chan Update { return r.updates }

func (r *remote) Apply(ctx context.Context, graphID string, base uint64, ops []graph.Op) ([]graph.Event, error) {
	a, err := r.st.Stream().ApplyAt(ctx, graphID, base, ops)
	return a.Events, err
}

func (r *remote) Settings(ctx context.Context) (map[string]any, error) {
	tree, err := r.c.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return settingsFromTree(tree)
}

func (r *remote) SetSettings(ctx context.Context, updates []settings.Update) error {
	_, err := r.c.SetSettings(ctx, updates...)
	return err
}

// ImportPath uploads a folder (zipped, as the kind of notes it holds) or
// a file (its format told by the host) to the host.
func (r *remote) ImportPath(ctx context.Context, path string, progress func(done, total int)) (graph.Summary, string, error) {
	progress(0, 0) // the upload shows no progress of its own
	st, err := os.Stat(path)
	if err != nil {
		return graph.Summary{}, "", fmt.Errorf("import: %w", err)
	}
	base := filepath.Base(filepath.Clean(path))
	if st.IsDir() {
		sum, _, err := r.c.ImportFolder(ctx, ingest.FolderFormat(os.DirFS(path)), path, client.ImportOptions{Name: base})
		return sum, "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return graph.Summary{}, "", fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	sum, _, err := r.c.Import(ctx, "auto", f, client.ImportOptions{Name: strings.TrimSuffix(base, filepath.Ext(base))})
	return sum, "", err
}

func (r *remote) Health(ctx context.Context) (session.Health, error) { return r.c.Health(ctx) }

func (r *remote) Where() string { return r.url }

func (r *remote) SetPresence(p wire.Presence) { r.st.Stream().SetPresence(p) }

// Peers are the host's list for the graph, without this window.
func (r *remote) Peers(graphID string) []wire.Peer {
	p := r.peers.Load()
	if p == nil || p.Graph != graphID {
		return nil
	}
	self := r.st.Stream().Hello().ClientID
	var out []wire.Peer
	for _, peer := range p.Peers {
		if peer.ID != self {
			out = append(out, peer)
		}
	}
	return out
}

// Link is the state of the connection to the host.
func (r *remote) Link() string { return client.LinkState(r.state.Load()).String() }

// samePositions reports whether two node lists hold the same states.
func samePositions(a, b []wire.NodeState) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (r *remote) SwarmsOn(ctx context.Context, graphID string) ([]session.SwarmInfo, error) {
	return swarmsOn(r.c.Swarms(ctx))(graphID)
}

func (r *remote) WatchSwarm(ctx context.Context, swarmID string) (graph.Contents, []agent.Agent, error) {
	if old := *r.swarm.Load(); old != "" && old != swarmID && old != *r.watched.Load() {
		r.st.Unsubscribe(ctx, old) // unless it is the graph shown itself
	}
	r.swarm.Store(&swarmID)
	r.swarmAt.Store(nil)
	// The positions follower looks at the new swarm once it is followed.
	defer func() {
		select {
		case r.rewatch <- struct{}{}:
		default:
		}
	}()
	if swarmID == "" {
		return graph.Contents{}, nil, nil
	}
	// Subscribe first, as for the graph: what comes after the contents'
	// seq arrives as updates.
	if _, err := r.st.Subscribe(ctx, swarmID); err != nil {
		return graph.Contents{}, nil, err
	}
	c, err := r.c.Graph(ctx, swarmID)
	if err != nil {
		return graph.Contents{}, nil, err
	}
	agents, err := r.c.Agents(ctx, swarmID)
	return c, agents, err
}

func (r *remote) SwarmPositions() *wire.Positions { return r.swarmAt.Load() }

func (r *remote) Command(ctx context.Context, swarm, agentID string, req agent.CommandRequest) (agent.Command, error) {
	return r.c.QueueCommand(ctx, swarm, agentID, req)
}

func (r *remote) SubmitTask(ctx context.Context, sub task.Submission) (session.TaskView, error) {
	return r.c.SubmitTask(ctx, sub)
}

func (r *remote) DeadLetters(ctx context.Context, swarm string) ([]task.DeadLetter, error) {
	return r.c.DeadLetters(ctx, task.LetterOpen, swarm, 100)
}

func (r *remote) SettleDeadLetter(ctx context.Context, id string, retry bool) (task.DeadLetter, error) {
	if retry {
		return r.c.RetryDeadLetter(ctx, id)
	}
	return r.c.DiscardDeadLetter(ctx, id)
}

func (r *remote) Recall(ctx context.Context, q memory.Query) (memory.Result, error) {
	return r.c.Recall(ctx, q)
}

func (r *remote) AgentMemories(ctx context.Context, agent string, limit int) ([]memory.Memory, error) {
	return r.c.AgentMemories(ctx, agent, limit)
}

func (r *remote) HandDeadLetter(ctx context.Context, h task.Handed) error {
	_, err := r.c.HandDeadLetter(ctx, h)
	return err
}

func (r *remote) PostTelemetry(ctx context.Context, m telemetry.Metrics) error {
	return r.c.PostTelemetry(ctx, m)
}

func (r *remote) Close() error {
	r.cancel()
	err := r.st.Close()
	r.wg.Wait()
	return err
}

func (r *remote) Events(ctx context.Context, graphID string, since uint64, limit int) ([]graph.Event, error) {
	page, err := r.c.Events(ctx, graphID, since, limit)
	if err != nil {
		return nil, err
	}
	out := make([]graph.Event, len(page.Events))
	for i, ev := range page.Events {
		out[i] = ev.Event
	}
	return out, nil
}

func (r *remote) GraphAt(ctx context.Context, graphID string, at time.Time) (graph.Contents, error) {
	return r.c.GraphAt(ctx, graphID, at)
}
