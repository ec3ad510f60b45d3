package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"visionflow/compute"
	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/metrics"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
	"visionflow/store"
)

// Version is the application version, set at build time with
// -ldflags "-X visionflow/app.Version=…".
var Version = "0.1.0-dev"

// ErrClosed is returned for commands sent after the session stopped.
var ErrClosed = errors.New("session closed")

// Session owns the live graphs. Every change from any source (REST,
// WebSocket, MCP, the UI, agents) runs as a command on its graph's own
// goroutine (worker.go), in arrival order: it is validated, written durably
// to the store, applied in memory, and only then acknowledged and told to
// listeners. No other goroutine touches a graph's state, and one graph's
// slow work (a load, a large commit) never holds up another's commands.
type Session struct {
	store     *store.Store
	settings  *settings.Manager
	clock     *graph.Clock
	now       func() time.Time
	log       *slog.Logger
	started   time.Time
	engines   func() (compute.Engine, error)
	engineWhy string
	load      func(ctx context.Context, id string) (*graph.Graph, error)

	ready   chan struct{} // closed by Run once the clock is seeded
	stopped chan struct{} // closed when Run returns
	running sync.Once

	// Workers: one goroutine per graph that has commands or is loaded.
	mu        sync.Mutex
	workers   map[string]*worker
	closed    bool // no new workers: Run is stopping
	workersWG sync.WaitGroup
	runCtx    context.Context // workers and layouts run under it
	stopRun   context.CancelFunc
	saveErrs  []error // of the last saves, at shutdown; guarded by mu

	listeners listeners[session.Change]

	// The agent half (swarms.go, agents.go, tasks.go).
	swarms    *swarms
	tasks     *taskBoard
	memory    *memories
	tokens    tokens
	brokenMu  sync.Mutex
	broken    map[string]string // graphs that failed to load, and why
	metrics   *metrics.Set
	replicaMu sync.Mutex
	replica   string     // this database's replica id (sync.go)
	commandMu sync.Mutex // commands are read, changed and written back
	counters  atomic.Pointer[func() (rest, ws, errs int64)]
	id        string // names this run in its own telemetry

	// Written by workers, read by the stream too.
	layoutMu  sync.RWMutex
	layouts   map[string]*layout
	layoutsWG sync.WaitGroup
}

var _ session.Backend = (*Session)(nil)

// SessionOptions configure a Session.
type SessionOptions struct {
	Now func() time.Time // wall clock; time.Now if nil
	Log *slog.Logger
	// NewEngine makes the physics engine of each graph (the desktop's GPU
	// engine); the CPU engine when nil or when it fails.
	NewEngine func() (compute.Engine, error)
	// EngineReason says why that engine (health reports it).
	EngineReason string
	// LoadGraph reads a graph from the store (tests slow it down); the
	// store's LoadGraph when nil.
	LoadGraph func(ctx context.Context, id string) (*graph.Graph, error)
	// Metrics records commits (nil: none).
	Metrics *metrics.Set
}

// NewSession returns a session over an open store and settings. Call Run to
// start it.
func NewSession(st *store.Store, set *settings.Manager, opt SessionOptions) *Session {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.LoadGraph == nil {
		opt.LoadGraph = st.LoadGraph
	}
	runCtx, stop := context.WithCancel(context.Background())
	id := make([]byte, 4)
	rand.Read(id)
	s := &Session{
		store:     st,
		settings:  set,
		clock:     graph.NewClock(opt.Now),
		now:       opt.Now,
		log:       opt.Log,
		metrics:   opt.Metrics,
		started:   opt.Now(),
		engines:   opt.NewEngine,
		engineWhy: opt.EngineReason,
		load:      opt.LoadGraph,
		ready:     make(chan struct{}),
		stopped:   make(chan struct{}),
		workers:   map[string]*worker{},
		runCtx:    runCtx,
		stopRun:   stop,
		layouts:   map[string]*layout{},
		id:        hex.EncodeToString(id),
	}
	if opt.Metrics != nil {
		st.ObserveWriterWaits(func(bulk bool, d time.Duration) { opt.Metrics.WriterWait(bulk, d.Seconds()) })
	}
	s.swarms = newSwarms(s)
	s.tasks = newTaskBoard(s)
	s.memory = newMemories(s)
	return s
}

// Run serves commands until ctx ends, with a layout (physics) running for
// every loaded graph, and saves the layouts' positions every
// system.persistence.positionSaveInterval seconds. When ctx ends it stops
// taking commands, lets every graph's worker finish its command, stop its
// layout and save its positions once more, and returns after that.
func (s *Session) Run(ctx context.Context) error {
	first := false
	s.running.Do(func() { first = true })
	if !first {
		return errors.New("session: Run called twice")
	}
	defer close(s.stopped)
	// Start the clock after every stored event, so timestamps keep
	// increasing across restarts even if the wall clock stepped back.
	last, err := s.store.MaxTime(ctx)
	if err != nil {
		s.shutdown()
		return err
	}
	s.clock.Seed(last)
	if err := s.tasks.load(ctx); err != nil {
		s.shutdown()
		return err
	}
	close(s.ready)
	interval := func() time.Duration {
		return time.Duration(s.settings.Float("system.persistence.positionSaveInterval") * float64(time.Second))
	}
	ticker := time.NewTicker(interval())
	defer ticker.Stop()
	changed := make(chan struct{}, 1)
	// Physics settings go straight to the layouts, not through the
	// workers: they apply from each layout's next step even while a graph
	// is busy.
	cancel := s.settings.Subscribe(func(ds []settings.Delta) {
		physics := false
		for _, d := range ds {
			switch {
			case d.Path == "system.persistence.positionSaveInterval":
				select {
				case changed <- struct{}{}:
				default:
				}
			case strings.HasPrefix(d.Path, "physics."):
				physics = true
			}
		}
		if physics {
			p, on := s.physics()
			s.layoutMu.RLock()
			for _, l := range s.layouts {
				l.setParams(p, on)
			}
			s.layoutMu.RUnlock()
		}
	})
	defer cancel()
	agentsCtx, stopAgents := context.WithCancel(context.WithoutCancel(ctx))
	agentsDone := make(chan struct{})
	go func() { defer close(agentsDone); s.agentsLoop(agentsCtx) }()
	for {
		select {
		case <-ticker.C:
			s.requestSaves()
		case <-changed:
			ticker.Reset(interval())
		case <-ctx.Done():
			// The agents' loop uses the workers: it stops first.
			stopAgents()
			<-agentsDone
			s.memory.close()
			return s.shutdown()
		}
	}
}

// shutdown stops every worker (each saves its graph's positions after its
// layout stopped) and returns the saves' errors.
func (s *Session) shutdown() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stopRun()
	s.workersWG.Wait()
	s.layoutsWG.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.saveErrs...)
}

func (s *Session) physics() (compute.Params, bool) {
	return compute.ParamsFrom(s.settings), s.settings.Bool("physics.enabled")
}

// Subscribe registers fn to receive every committed batch of events, in
// commit order per graph. fn runs on the graph's worker goroutine (changes
// to different graphs may arrive concurrently) and must not block or call
// back into the session. The returned function removes it.
func (s *Session) Subscribe(fn func(session.Change)) (cancel func(), err error) {
	select {
	case <-s.stopped:
		return nil, ErrClosed
	default:
	}
	return s.listeners.add(fn), nil
}

// publish tells listeners about a committed change.
func (s *Session) publish(ch session.Change) {
	if len(ch.Events) == 0 && !ch.Reload && !ch.Deleted {
		return
	}
	s.swarms.onChange(ch)
	s.listeners.tell(ch)
}

// listeners are functions told about things in the order they registered.
// Safe for concurrent use; the functions must not block.
type listeners[T any] struct {
	mu     sync.RWMutex
	fns    map[int]func(T)
	nextID int
}

// add registers fn; the returned function removes it.
func (ls *listeners[T]) add(fn func(T)) (cancel func()) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.fns == nil {
		ls.fns = map[int]func(T){}
	}
	id := ls.nextID
	ls.nextID++
	ls.fns[id] = fn
	return func() {
		ls.mu.Lock()
		delete(ls.fns, id)
		ls.mu.Unlock()
	}
}

// tell calls every function with v.
func (ls *listeners[T]) tell(v T) {
	ls.mu.RLock()
	defer ls.mu.RUnlock()
	for _, id := range slices.Sorted(maps.Keys(ls.fns)) {
		ls.fns[id](v)
	}
}

// ListGraphs returns every graph with its size.
func (s *Session) ListGraphs(ctx context.Context) ([]graph.Summary, error) {
	return s.store.ListGraphs(ctx)
}

// CreateGraph creates an empty graph. An empty info.ID asks for a free id
// made from idBase.
func (s *Session) CreateGraph(ctx context.Context, client string, info graph.Info, idBase string) (graph.Summary, error) {
	return s.Import(ctx, client, info, &ingest.Import{}, ImportOptions{IDBase: idBase})
}

// ImportGraph creates a graph holding everything imp describes.
func (s *Session) ImportGraph(ctx context.Context, client string, info graph.Info, imp *ingest.Import, opt session.ImportOptions) (graph.Summary, error) {
	return s.Import(ctx, client, info, imp, ImportOptions{IDBase: opt.IDBase, Replace: opt.Replace})
}

// ImportOptions tune Import.
type ImportOptions struct {
	IDBase   string         // with an empty info.ID: make a free id from this
	Replace  bool           // replace a graph with the same id
	Progress store.Progress // told how many events are stored
}

// Import creates a graph holding everything imp describes, as one
// transaction: either the whole graph is stored or nothing is (with
// Replace, the old graph stays unless the new one is stored).
//
// The new graph is built and written on the caller's goroutine: it shares
// nothing with live state until it is stored, so a long import does not
// hold up other commands. Only a replacement runs as a session command,
// because it retires a graph that commands may be using.
func (s *Session) Import(ctx context.Context, client string, info graph.Info, imp *ingest.Import, opt ImportOptions) (graph.Summary, error) {
	if info.ID == "" && opt.IDBase == "" {
		return graph.Summary{}, &graph.Error{Kind: graph.ErrInvalid, Field: "graph id", Detail: "must not be empty"}
	}
	if info.ID != "" {
		if err := graph.ValidateGraphID(info.ID); err != nil {
			return graph.Summary{}, err
		}
	}
	if err := graph.ValidateName(info.Name); err != nil {
		return graph.Summary{}, err
	}
	if err := graph.ValidateType("type", info.Type); err != nil {
		return graph.Summary{}, err
	}
	if info.Name == "" {
		info.Name = cmp.Or(info.ID, opt.IDBase)
	}
	info.Created = s.clock.Now().Wall()
	info.Seq = 0
	clock := s.clock
	var at time.Time
	if imp.At != nil {
		if len(imp.At) != len(imp.Ops) {
			return graph.Summary{}, fmt.Errorf("import: %d times for %d ops", len(imp.At), len(imp.Ops))
		}
		// A graph with a history (a dynamic GEXF): its events keep the
		// times the file gives, which the ingest reader has put in order
		// and between 1970 and now, so the timeline replays them.
		clock = graph.NewClock(func() time.Time { return at })
		if len(imp.At) > 0 {
			info.Created = imp.At[0]
		}
	}
	var nodes, edges int
	for _, op := range imp.Ops {
		switch op.Op {
		case graph.AddNode:
			nodes++
		case graph.AddEdge:
			edges++
		}
	}
	g := graph.NewSized(info, nodes, edges)
	tx := g.Begin(clock, client)
	tx.Grow(len(imp.Ops)) // an op of an import makes one event
	for i, op := range imp.Ops {
		if i%4096 == 0 && ctx.Err() != nil {
			return graph.Summary{}, ctx.Err() // the caller gave up: stop building
		}
		if i%256 == 255 {
			// Building is all CPU: let a commit that is ready to run have
			// the core, rather than wait for the scheduler to preempt
			// this loop (10 ms) while the collector's worker has the other.
			runtime.Gosched()
		}
		if imp.At != nil {
			at = imp.At[i]
		}
		if _, err := tx.Do(op); err != nil {
			return graph.Summary{}, fmt.Errorf("import op %d (%v): %w", i, op.String(), err)
		}
	}
	events := tx.Commit()
	if err := ctx.Err(); err != nil {
		return graph.Summary{}, err // the caller gave up before anything was stored
	}
	create := store.CreateOptions{Replace: opt.Replace, Progress: opt.Progress}
	if info.ID == "" {
		create.IDBase = opt.IDBase
	}
	register := func(ctx context.Context, w *worker) error {
		if w.g != nil && !opt.Replace {
			// A request loaded it from the store meanwhile; that copy is live.
			s.publish(session.Change{Graph: g.ID, Seq: g.Seq, Reload: true})
			return nil
		}
		s.stopLayout(g.ID, false)
		w.g, w.saved = g, 0
		s.publish(session.Change{Graph: g.ID, Seq: g.Seq, Reload: true})
		s.startLayout(g)
		return nil
	}
	// g belongs to the worker once registered: its summary is taken
	// before that.
	var sum graph.Summary
	if opt.Replace && info.ID != "" {
		err := s.onGraph(ctx, info.ID, func(ctx context.Context, w *worker) error {
			if err := s.store.CreateGraph(ctx, g, events, create); err != nil {
				return err
			}
			sum = g.Summary()
			return register(ctx, w)
		})
		return sum, err
	}
	// A caller that gives up stops the write; nothing of it stays.
	if err := s.store.CreateGraph(ctx, g, events, create); err != nil {
		return graph.Summary{}, err
	}
	sum = g.Summary()
	// The graph is stored; tell its worker. If the caller has gone, the
	// graph is still there and loads from the store on first use.
	_ = s.onGraph(context.WithoutCancel(ctx), g.ID, register)
	return sum, nil
}

// DeleteGraph removes a graph and its history.
func (s *Session) DeleteGraph(ctx context.Context, id string) error {
	return s.onGraph(ctx, id, func(ctx context.Context, w *worker) error {
		// Under the task board's lock, so that no task of a deleted swarm
		// is stored again between the two.
		s.tasks.mu.Lock()
		err := s.store.DeleteGraph(ctx, id)
		if err == nil {
			s.tasks.dropLocked(id)
		}
		s.tasks.mu.Unlock()
		if err != nil {
			return err
		}
		w.g = nil
		s.stopLayout(id, false)
		s.publish(session.Change{Graph: id, Deleted: true})
		return nil
	})
}

// Graph returns a copy of a graph's current state.
//
// The graph's goroutine only hands over its immutable View (in the size of
// the changes since the last one); the copy, and the live positions put
// into it, are made on the caller's goroutine, so a large read does not
// hold up the writes behind it (it took a third of a 0.56 s read of a
// 64k-node graph, on the goroutine that applies every write).
func (s *Session) Graph(ctx context.Context, id string) (graph.Contents, error) {
	var v *graph.View
	err := s.onGraph(ctx, id, func(ctx context.Context, w *worker) error {
		g, err := s.loaded(ctx, w)
		if err == nil {
			v = g.View()
		}
		return err
	})
	if err != nil {
		return graph.Contents{}, err
	}
	return withPositions(v, s.positions(id)), nil
}

// withPositions copies v, with the layout's positions in place of each
// node's own where the layout has seen the node's last change (else an
// older layout could undo a move the graph already holds).
func withPositions(v *graph.View, p *wire.Positions) graph.Contents {
	c := v.Contents()
	if p == nil {
		return c
	}
	var at []int32 // wire index → place in p.Nodes + 1
	for k, n := range p.Nodes {
		i := int(n.ID.Index())
		if i >= len(at) {
			at = append(at, make([]int32, i+1-len(at)+len(at)/4)...)
		}
		at[i] = int32(k + 1)
	}
	k := 0
	v.EachNode(func(_ *graph.Node, changed uint64) bool {
		n := &c.Nodes[k]
		k++
		if i := int(n.WireID.Index()); changed <= p.Seq && i < len(at) && at[i] != 0 {
			if st := p.Nodes[at[i]-1]; st.ID == n.WireID {
				n.Position, n.Velocity = st.Position, st.Velocity
			}
		}
		return true
	})
	return c
}

// OpenGraph makes sure a graph is loaded, with its layout running, and
// describes it.
func (s *Session) OpenGraph(ctx context.Context, id string) (graph.Summary, error) {
	var sum graph.Summary
	err := s.onGraph(ctx, id, func(ctx context.Context, w *worker) error {
		g, err := s.loaded(ctx, w)
		if err == nil {
			sum = g.Summary()
		}
		return err
	})
	return sum, err
}

// DefaultGraph is the most recently created knowledge graph, else the most
// recently created graph ("" when there is none): a swarm is shown beside
// the knowledge it works on, not instead of it.
func (s *Session) DefaultGraph(ctx context.Context) (string, error) {
	list, err := s.store.ListGraphs(ctx)
	if err != nil || len(list) == 0 {
		return "", err
	}
	newest := slices.MaxFunc(list, func(a, b graph.Summary) int {
		return cmp.Or(cmp.Compare(boolRank(a.Type == graph.Knowledge), boolRank(b.Type == graph.Knowledge)),
			a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return newest.ID, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Positions returns a graph's latest layout positions, or nil.
// For a swarm, the agents' state is packed in each agent node's flags.
func (s *Session) Positions(graphID string) *wire.Positions {
	return s.swarms.positions(graphID, s.positions(graphID))
}

// GraphAt returns a graph as it was at time at, replayed from its history.
func (s *Session) GraphAt(ctx context.Context, id string, at time.Time) (graph.Contents, error) {
	return s.store.ContentsAt(ctx, id, at)
}

// Events returns up to limit events of a graph after seq since.
func (s *Session) Events(ctx context.Context, id string, since uint64, limit int) ([]graph.Event, error) {
	return s.store.Events(ctx, id, since, limit)
}

// Settings returns the live settings.
func (s *Session) Settings() *settings.Manager { return s.settings }

// SettingsHistory returns recorded settings changes.
func (s *Session) SettingsHistory(ctx context.Context, path string, since int64, limit int) ([]settings.Delta, error) {
	return s.store.SettingsHistory(ctx, path, since, limit)
}

// Health reports what the session holds.
// noteBroken records that a graph failed to load (err), or loaded (nil).
func (s *Session) noteBroken(id string, err error) {
	s.brokenMu.Lock()
	defer s.brokenMu.Unlock()
	if err == nil {
		delete(s.broken, id)
		return
	}
	if s.broken == nil {
		s.broken = map[string]string{}
	}
	s.broken[id] = err.Error()
}

func (s *Session) Health(ctx context.Context) (session.Health, error) {
	list, err := s.store.ListGraphs(ctx)
	if err != nil {
		return session.Health{}, err
	}
	h := session.Health{
		Status:    "ok",
		Version:   Version,
		StartedAt: s.started.UTC(),
		Uptime:    s.now().Sub(s.started).Seconds(),
		Graphs:    len(list),
		Database:  s.store.Path(),
	}
	for _, g := range list {
		h.Nodes += g.Nodes
		h.Edges += g.Edges
	}
	if err := s.store.Failed(); err != nil {
		h.Status = "degraded"
		h.Problems = append(h.Problems, "writes are refused: "+err.Error())
	}
	s.brokenMu.Lock()
	for _, id := range slices.Sorted(maps.Keys(s.broken)) {
		h.Status = "degraded"
		h.Problems = append(h.Problems, fmt.Sprintf("graph %q does not load: %s", id, s.broken[id]))
	}
	s.brokenMu.Unlock()
	s.swarms.mu.Lock()
	h.Swarms = len(s.swarms.live)
	for _, ls := range s.swarms.live {
		h.Agents += ls.sw.Len()
	}
	s.swarms.mu.Unlock()
	names := map[string]bool{}
	s.layoutMu.RLock()
	for _, l := range s.layouts {
		names[l.engine.Name()] = true
		h.Engine.Layouts++
		if !l.settled.Load() && l.enabled.Load() {
			h.Engine.Moving++
			h.Engine.MovingGraphs = append(h.Engine.MovingGraphs, l.graphID)
			h.Engine.StepsPerSecond += l.stepsPerSecond()
			h.Engine.StepMillis = max(h.Engine.StepMillis, l.stepMillis())
		}
	}
	s.layoutMu.RUnlock()
	h.Engine.Name = strings.Join(slices.Sorted(maps.Keys(names)), "+")
	if h.Engine.Name == "" {
		h.Engine.Name = "cpu"
		if s.engines != nil {
			h.Engine.Name = "gpu"
		}
	}
	h.Engine.Why = s.engineWhy
	return h, nil
}

// Engine returns the physics engine laying a graph out, or nil. Only its
// read-only methods may be called from outside the layout (the desktop
// reads the GPU engine's position buffer on the GL thread).
func (s *Session) Engine(graphID string) compute.Engine {
	if l := s.layoutOf(graphID); l != nil {
		return l.engine
	}
	return nil
}
