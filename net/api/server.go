package api

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
	"time"
	"visionflow/session"
)

// Options tune a Server. The zero value is sensible.
type Options struct {
	MaxBody       int64  // largest JSON request body (default 8 MiB)
	MaxImportBody int64  // largest import upload (default 64 MiB)
	Version       string // reported to WebSocket clients
	// FrameSent, when set, is told about every position frame the moment it
	// is queued for its subscribers (for latency measurements and metrics).
	FrameSent func(graph string, seq uint64, kind uint8, nodes int, at time.Time)
	Log       *slog.Logger
}

// Server serves the REST API and the WebSocket stream.
type Server struct {
	b          session.Backend
	opt        Options
	mux        *http.ServeMux
	log        *slog.Logger
	importSlot chan struct{}
	hub        *Hub

	// Counted for the session's telemetry.
	requests, failures atomic.Int64
}

// Counts returns the REST requests answered, the WebSocket messages
// received and the requests that failed on the server's side, so far.
func (s *Server) Counts() (rest, ws, errs int64) {
	return s.requests.Load(), s.hub.messages.Load(), s.failures.Load()
}

// New returns a server for b.
func New(b session.Backend, opt Options) *Server {
	if opt.MaxBody <= 0 {
		opt.MaxBody = 8 << 20
	}
	if opt.MaxImportBody <= 0 {
		opt.MaxImportBody = 64 << 20
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{b: b, opt: opt, mux: http.NewServeMux(), log: opt.Log, importSlot: make(chan struct{}, 1)}
	s.hub = newHub(b, opt.Log)
	s.hub.sent = opt.FrameSent
	s.routes()
	return s
}

func (s *Server) routes() {
	h := func(pattern string, fn func(w http.ResponseWriter, r *http.Request) error) {
		s.mux.Handle(pattern, s.wrap(fn))
	}
	h("GET /api/health", s.health)
	h("GET /ws", s.handleWS)

	h("GET /api/graphs", s.listGraphs)
	h("POST /api/graphs", s.createGraph)
	h("POST /api/graphs/import", s.importGraph)
	h("GET /api/graph/{id}", s.getGraph)
	h("DELETE /api/graph/{id}", s.deleteGraph)
	h("GET /api/graph/{id}/events", s.events)
	h("POST /api/graph/{id}/batch", s.batch)
	h("POST /api/graph/{id}/nodes", s.addNode)
	h("PATCH /api/graph/{id}/nodes/{nodeId}", s.updateNode)
	h("DELETE /api/graph/{id}/nodes/{nodeId}", s.removeNode)
	h("POST /api/graph/{id}/edges", s.addEdge)
	h("PATCH /api/graph/{id}/edges/{edgeId}", s.updateEdge)
	h("DELETE /api/graph/{id}/edges/{edgeId}", s.removeEdge)

	h("POST /api/agents/status", s.postStatus)
	h("GET /api/agents", s.listAgents)
	h("GET /api/agents/{id}/history", s.agentHistory)
	h("POST /api/agents/messages", s.postMessage)
	h("POST /api/agents/{id}/commands", s.postCommand)
	h("GET /api/agents/{id}/commands", s.agentCommands)
	h("POST /api/agents/{id}/commands/next", s.nextCommand)
	h("POST /api/commands/{id}/ack", s.ackCommand)
	h("GET /api/swarms", s.listSwarms)
	h("GET /api/swarms/{swarm}/commands", s.swarmCommands)
	h("POST /api/focus", s.postFocus)
	h("POST /api/tasks", s.submitTask)
	h("GET /api/tasks", s.listTasks)
	h("POST /api/tasks/claim", s.taskMove("claim")) // the best task the agent can claim
	h("GET /api/tasks/{id}", s.getTask)
	h("POST /api/tasks/{id}/cancel", s.cancelTask)
	h("POST /api/tasks/{id}/claim", s.taskMove("claim"))
	h("POST /api/tasks/{id}/plan", s.taskMove("plan"))
	h("POST /api/tasks/{id}/progress", s.taskMove("progress"))
	h("POST /api/tasks/{id}/complete", s.taskMove("complete"))
	h("POST /api/tasks/{id}/fail", s.taskMove("fail"))
	h("POST /api/memory", s.remember)
	h("GET /api/memory", s.agentMemories)
	h("GET /api/memory/search", s.recall)
	h("GET /api/memory/status", s.memoryStatus)
	h("POST /api/memory/reembed", s.reembed)
	h("GET /api/memory/{id}", s.getMemory)
	h("DELETE /api/memory/{id}", s.forget)
	h("GET /api/dlq", s.listDeadLetters)
	h("POST /api/dlq", s.handDeadLetter)
	h("POST /api/dlq/{id}/retry", s.settleDeadLetter(true))
	h("POST /api/dlq/{id}/discard", s.settleDeadLetter(false))
	h("POST /api/telemetry", s.postTelemetry)
	h("GET /api/telemetry/recent", s.recentTelemetry)

	h("GET /api/settings", s.getSettings)
	h("POST /api/settings", s.postSettings)
	h("GET /api/settings/schema", s.settingsSchema)
	h("GET /api/settings/history", s.settingsHistory)
	h("GET /api/settings/{path...}", s.getSetting)
}

var routeMethods = []string{"GET", "POST", "PATCH", "PUT", "DELETE"}

// Clients is the number of WebSocket clients connected.
func (s *Server) Clients() int { return s.hub.clients() }

// Hub is the WebSocket hub; whoever serves the Handler runs it (Hub.Run)
// for as long as the server is up.
func (s *Server) Hub() *Hub { return s.hub }

// Handler answers the REST routes under /api/ and the WebSocket at /ws.
// Requests no route takes get a JSON 404, or 405 with Allow when the path
// exists for other methods. Mount it behind Guard.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(e *Error) { writeJSON(w, e.Status, e) }
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	var allowed []string
	for _, m := range routeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		fail(&Error{Status: http.StatusMethodNotAllowed, Code: "method not allowed", Detail: fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, strings.Join(allowed, " or "))})
		return
	}
	fail(&Error{Status: http.StatusNotFound, Code: "not found", Detail: fmt.Sprintf("no API route %s %s", r.Method, r.URL.Path)})
}

// Guard checks what every request to this process must pass, whatever
// handler takes it: on a loopback-only server the Host must name this
// machine (a page that rebinds its own domain to 127.0.0.1 must not get
// in), and the path must be canonical: paths with "." or ".." segments or
// doubled slashes get a 400 rather than a mux's redirect, which a client
// following it with the same method could turn into a different request
// (DELETE …/nodes/.. into DELETE the graph).
func Guard(next http.Handler, loopbackOnly bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(e *Error) { writeJSON(w, e.Status, e) }
		if loopbackOnly {
			if err := checkHost(r); err != nil {
				fail(err)
				return
			}
		}
		if p := r.URL.EscapedPath(); p != cleanPath(p) {
			fail(invalid("the path %q is not in canonical form (no \".\" or \"..\" segments, no empty segments)", p))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cleanPath is path.Clean that keeps a trailing slash.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

func checkHost(r *http.Request) *Error {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	switch strings.ToLower(strings.Trim(host, "[]")) {
	case "localhost", "127.0.0.1", "::1":
		return nil
	}
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Detail: fmt.Sprintf("host %q is not this machine; the server only answers requests for localhost, 127.0.0.1 or [::1]", r.Host)}
}

// wrap turns a handler that returns an error into an http.Handler that
// writes the error as JSON, after checking the request's origin.
func (s *Server) wrap(fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.requests.Add(1)
		err := checkOrigin(r)
		if err == nil {
			err = fn(w, r)
		}
		if err != nil {
			e := s.toError(err)
			writeJSON(w, e.Status, e)
			level := slog.LevelDebug
			if e.Status >= 500 {
				level = slog.LevelError
				s.failures.Add(1)
			}
			s.log.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
			return
		}
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "took", time.Since(start))
	})
}

// checkOrigin refuses requests that a web page on another origin makes with
// the user's browser: without it any site the user visits could edit the
// local graph.
func checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil // not from a browser page
	}
	if sameHost(origin, r.Host) {
		return nil
	}
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Detail: fmt.Sprintf("requests from origin %s are not allowed", origin)}
}
