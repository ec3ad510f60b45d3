package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"

	"visionflow/assets"
	"visionflow/auth"
	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/metrics"
	"visionflow/net/api"
	"visionflow/net/mcp"
	"visionflow/session"
	"visionflow/settings"
	"visionflow/store"
)

// Server is a running headless VisionFlow: store, settings, session and API.
type Server struct {
	Store    *store.Store
	Settings *settings.Manager
	Session  *Session
	Addr     net.Addr // where the API listens
	// Shared is set when the API listens beyond loopback: every request
	// needs a token.
	Shared bool
	// FirstToken is the admin token made when a shared server started
	// with none: shown once, to whoever started it.
	FirstToken string

	api    *api.Server
	lock   *dbLock
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   []error
	mu     sync.Mutex
}

// Start opens the database, starts the session and serves the API on ln
// (listening on cfg.Addr when ln is nil). On an empty database it first
// loads the embedded sample graph. Stop it with Close.
func Start(ctx context.Context, cfg Config, ln net.Listener, log *slog.Logger) (*Server, error) {
	lock, err := lockDB(cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.DB, err)
	}
	st, set, err := openStore(ctx, cfg.DB, log)
	if err != nil {
		lock.release()
		return nil, err
	}
	if ln == nil {
		if ln, err = listen(cfg.Addr); err != nil {
			st.Close()
			lock.release()
			return nil, err
		}
	}
	if err := lock.setURL("http://" + ln.Addr().String()); err != nil {
		log.Warn("could not record the server's address in the lock file", "err", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ms := metrics.New()
	s := &Server{Store: st, Settings: set, Session: NewSession(st, set, SessionOptions{Log: log, NewEngine: cfg.NewEngine, EngineReason: cfg.EngineReason, Metrics: ms}), Addr: ln.Addr(), lock: lock, cancel: cancel}

	sessionCtx, stopSession := context.WithCancel(context.Background())
	s.wg.Go(func() { s.record(s.Session.Run(sessionCtx)) })
	// On loopback, answer only requests addressed to this machine by name
	// (DNS rebinding) and ask for no token; beyond it, answer the
	// server's own names and addresses, each request with a token.
	tcp, _ := ln.Addr().(*net.TCPAddr)
	s.Shared = tcp == nil || !tcp.IP.IsLoopback()
	access := &api.Access{Shared: s.Shared, Hosts: hostNames(cfg.AllowHosts), Tokens: s.Session, Settings: set}
	srv := api.New(s.Session, api.Options{Log: log, Version: Version, Access: access, Metrics: ms, Clock: cfg.Clock})
	s.api = srv
	s.Session.CountRequests(srv.Counts)
	mcpSrv := mcp.New(s.Session, mcp.Options{Version: Version, Log: log})
	h := mounts{api: srv.Handler(), mcp: mcpSrv.Handler(0), metrics: ms.Handler(), access: access}.handler()
	s.Session.gauges(ms, srv.Clients)
	hubCtx, stopHub := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); srv.Hub().Run(hubCtx) }()
	s.wg.Go(func() {
		capped := &perAddress{Listener: ln, max: func() int { return int(set.Float("system.http.maxConnsPerAddress")) }, log: log, open: map[string]int{}}
		s.record(serveHTTP(runCtx, capped, h, log))
		// WebSocket connections and MCP sessions are not the http.Server's
		// to close.
		mcpSrv.Close()
		stopHub()
		<-hubDone
		// The API is down: no more commands will come, so the session can
		// save positions and stop.
		stopSession()
	})

	if err := s.loadSample(ctx, log); err != nil {
		s.Close()
		return nil, err
	}
	if s.Shared {
		if err := s.firstToken(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	// Lay every graph out, not only those a client asks for; in the
	// background, so the API answers at once.
	s.wg.Go(func() {
		list, err := s.Session.ListGraphs(runCtx)
		if err != nil {
			return
		}
		for _, g := range list {
			if _, err := s.Session.OpenGraph(runCtx, g.ID); err != nil && runCtx.Err() == nil {
				log.Warn("could not open graph", "graph", g.ID, "err", err)
			}
		}
	})
	return s, nil
}

// Hub is the WebSocket hub of the server's API (the host's window tells it
// where it is, and hears of the peers).
func (s *Server) Hub() *api.Hub { return s.api.Hub() }

// firstToken makes an admin token when a shared server has none that
// works, so that whoever started it can get in (and make the others).
func (s *Server) firstToken(ctx context.Context) error {
	n, err := s.Session.activeAdmins(ctx)
	if err != nil || n > 0 {
		return err
	}
	name := "owner"
	for i := 2; ; i++ {
		secret, _, err := s.Session.CreateToken(ctx, "visionflow", session.TokenRequest{Role: auth.Admin, Name: name})
		if errors.Is(err, graph.ErrDuplicateID) && i < 100 {
			name = fmt.Sprintf("owner-%d", i) // an "owner" that is not an admin
			continue
		}
		s.FirstToken = secret
		return err
	}
}

// hostNames are the names a shared server answers to: those it was told,
// and its machine's name (plain and on mDNS).
func hostNames(told []string) []string {
	names := slices.Clone(told)
	if h, err := os.Hostname(); err == nil && h != "" {
		h = strings.ToLower(h)
		names = append(names, h, h+".local")
	}
	return names
}

// openStore opens the database and the settings kept in it.
func openStore(ctx context.Context, path string, log *slog.Logger) (*store.Store, *settings.Manager, error) {
	st, err := store.Open(ctx, path, store.Options{Log: log})
	if err != nil {
		return nil, nil, err
	}
	// The caller holds the database's lock: no one else is importing.
	if err := st.DropUnfinished(ctx); err != nil {
		st.Close()
		return nil, nil, err
	}
	set, err := settings.Open(ctx, st, nil, log)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, set, nil
}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen on %s: the address is in use (is another VisionFlow running?); choose another with --addr", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

func (s *Server) record(err error) {
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
	}
}

// loadSample fills a new, empty database with the embedded sample graph, so
// the first start shows something meaningful rather than nothing. It does
// so once: a user who deletes it does not get it back.
func (s *Server) loadSample(ctx context.Context, log *slog.Logger) error {
	if done, err := s.Store.Meta(ctx, "sample_loaded"); err != nil || done != "" {
		return err
	}
	list, err := s.Session.ListGraphs(ctx)
	if err != nil {
		return err
	}
	if len(list) > 0 {
		return s.Store.SetMeta(ctx, "sample_loaded", "no: the database had graphs")
	}
	imp, err := ingest.NodeLink(bytes.NewReader(assets.SampleGraph))
	if err != nil {
		return fmt.Errorf("embedded sample graph: %w", err)
	}
	info := graph.Info{ID: assets.SampleGraphID, Name: imp.Name, Type: imp.Type}
	if _, err := s.Session.Import(ctx, "visionflow", info, imp, ImportOptions{}); err != nil {
		return fmt.Errorf("load the sample graph: %w", err)
	}
	if err := s.Store.SetMeta(ctx, "sample_loaded", "yes"); err != nil {
		return err
	}
	log.Info("empty database: loaded the sample graph", "graph", info.ID, "nodes", imp.Nodes, "edges", imp.Edges)
	return nil
}

// URL is the server's base URL on loopback (or its own address when it
// listens on one interface only).
func (s *Server) URL() string {
	if tcp, ok := s.Addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("http://127.0.0.1:%d", tcp.Port)
	}
	return "http://" + s.Addr.String()
}

// Clients is the number of WebSocket clients connected.
func (s *Server) Clients() int { return s.api.Clients() }

// Close stops serving, lets the session save positions, and closes the
// database. It returns the first errors any part reported.
func (s *Server) Close() error {
	s.cancel()
	s.wg.Wait()
	s.record(s.Store.Close())
	s.record(s.lock.release())
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

var _ io.Closer = (*Server)(nil)

// oneShot is a session for a command-line job: no API, just the store.
type oneShot struct {
	lock    *dbLock
	store   *store.Store
	session *Session
	stop    context.CancelFunc
	done    chan error
}

func openSession(ctx context.Context, dbFile string, log *slog.Logger) (*oneShot, error) {
	lock, err := lockDB(dbFile)
	if err != nil {
		return nil, err
	}
	st, set, err := openStore(ctx, dbFile, log)
	if err != nil {
		lock.release()
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	o := &oneShot{lock: lock, store: st, session: NewSession(st, set, SessionOptions{Log: log}), stop: stop, done: make(chan error, 1)}
	go func() { o.done <- o.session.Run(runCtx) }()
	return o, nil
}

func (o *oneShot) close() error {
	o.stop()
	return errors.Join(<-o.done, o.store.Close(), o.lock.release())
}
