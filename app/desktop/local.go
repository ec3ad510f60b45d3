package desktop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"visionflow/app"
	"visionflow/compute"
	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
)

// local is the session of the server this process runs.
type local struct {
	srv     *app.Server
	watched atomic.Pointer[string]
	updates chan Update
	lost    atomic.Bool // an update did not fit the channel
	stop    []func()
	once    sync.Once
}

var _ Source = (*local)(nil)

// updateBuffer is how many updates wait for the window before the source
// drops them and asks for a reload instead.
const updateBuffer = 256

func newLocal(srv *app.Server) (*local, error) {
	l := &local{srv: srv, updates: make(chan Update, updateBuffer)}
	l.watched.Store(new(string))
	cancel, err := srv.Session.Subscribe(func(ch session.Change) {
		if ch.Graph != *l.watched.Load() {
			return
		}
		l.send(Update{Graph: ch.Graph, Events: ch.Events, Reload: ch.Reload, Deleted: ch.Deleted})
	})
	if err != nil {
		return nil, err
	}
	l.stop = append(l.stop, cancel, srv.Settings.Subscribe(func(ds []settings.Delta) { l.send(Update{Settings: ds}) }))
	return l, nil
}

// send never blocks the session: when the window is behind, the update is
// dropped and the next one tells it to fetch everything again.
func (l *local) send(u Update) {
	if l.lost.Load() {
		u.Reload, u.Resync, u.Graph = true, true, *l.watched.Load()
	}
	select {
	case l.updates <- u:
		l.lost.Store(false)
	default:
		l.lost.Store(true)
	}
}

func (l *local) Graphs(ctx context.Context) ([]graph.Summary, error) {
	return l.srv.Session.ListGraphs(ctx)
}

func (l *local) DefaultGraph(ctx context.Context) (string, error) {
	return l.srv.Session.DefaultGraph(ctx)
}

func (l *local) Watch(ctx context.Context, graphID string) (graph.Contents, error) {
	l.watched.Store(&graphID)
	if _, err := l.srv.Session.OpenGraph(ctx, graphID); err != nil {
		return graph.Contents{}, err
	}
	return l.srv.Session.Graph(ctx, graphID)
}

func (l *local) Positions() *wire.Positions { return l.srv.Session.Positions(*l.watched.Load()) }

// engine is the watched graph's physics engine (the desktop draws straight
// from a GPU engine's buffer).
func (l *local) engine() compute.Engine { return l.srv.Session.Engine(*l.watched.Load()) }

func (l *local) Updates() <-chan Update { return l.updates }

func (l *local) Apply(ctx context.Context, graphID string, ops []graph.Op) error {
	_, err := l.srv.Session.Apply(ctx, "desktop", graphID, ops)
	return err
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

func (l *local) ImportLogseq(ctx context.Context, dir string, progress func(done, total int)) (graph.Summary, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return graph.Summary{}, fmt.Errorf("%q is not a folder", dir)
	}
	imp, err := ingest.Logseq(os.DirFS(dir), progress)
	if err != nil {
		return graph.Summary{}, err
	}
	base := filepath.Base(filepath.Clean(dir))
	info := graph.Info{Name: base, Type: imp.Type}
	if imp.Name != "" {
		info.Name = imp.Name
	}
	return l.srv.Session.Import(ctx, "desktop", info, imp, app.ImportOptions{IDBase: app.Slug(base), Progress: progress})
}

func (l *local) Health(ctx context.Context) (session.Health, error) {
	h, err := l.srv.Session.Health(ctx)
	h.Clients = l.srv.Clients()
	return h, err
}

func (l *local) Where() string { return "" }

func (l *local) Close() error {
	l.once.Do(func() {
		for _, stop := range l.stop {
			stop()
		}
	})
	return nil
}
