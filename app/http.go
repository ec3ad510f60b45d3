package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
	"visionflow/net/api"
)

// mounts is every HTTP handler this process serves, in one place: the REST
// API and the WebSocket stream, MCP, and whatever else joins them. Every
// request passes the same guard first.
type mounts struct {
	api     http.Handler // /api/ and /ws; also answers unknown paths with a JSON 404
	mcp     http.Handler // /mcp (Streamable HTTP)
	metrics http.Handler // /metrics (Prometheus)
	access  *api.Access  // who may reach them: hosts, tokens, rates
}

func (m mounts) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", m.api)
	mux.Handle("/ws", m.api)
	if m.mcp != nil {
		mux.Handle("/mcp", m.mcp)
		mux.Handle("/mcp/", m.mcp)
	}
	if m.metrics != nil {
		mux.Handle("GET /metrics", m.metrics)
	}
	mux.Handle("/", m.api)
	return api.Guard(mux, m.access)
}

// perAddress caps the connections open at once from one address: a client
// that opens thousands of slow connections takes its own slots, not the
// file descriptors every other client needs. Past the cap a connection is
// closed as soon as it is accepted.
type perAddress struct {
	net.Listener
	max  func() int
	log  *slog.Logger
	mu   sync.Mutex
	open map[string]int
}

func (l *perAddress) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host, _, err := net.SplitHostPort(c.RemoteAddr().String())
		if err != nil {
			host = c.RemoteAddr().String()
		}
		l.mu.Lock()
		if l.open[host] >= l.max() {
			l.mu.Unlock()
			l.log.Debug("connection refused: too many from one address", "address", host, "max", l.max())
			c.Close()
			continue
		}
		l.open[host]++
		l.mu.Unlock()
		return &countedConn{Conn: c, done: func() {
			l.mu.Lock()
			if l.open[host]--; l.open[host] <= 0 {
				delete(l.open, host)
			}
			l.mu.Unlock()
		}}, nil
	}
}

type countedConn struct {
	net.Conn
	once sync.Once
	done func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.done)
	return c.Conn.Close()
}

// serveHTTP answers requests on ln until ctx ends, then shuts down, giving
// requests in flight up to five seconds to finish.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // a whole upload, however slow the client
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(shutdown)
	if errors.Is(err, context.DeadlineExceeded) {
		err = hs.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
