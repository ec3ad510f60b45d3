package api

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"visionflow/auth"
	"visionflow/internal/clock"
	"visionflow/metrics"
	"visionflow/net/web"
	"visionflow/session"
)

// Options tune a Server. The zero value is sensible.
type Options struct {
	MaxBody       int64  // largest JSON request body (default 8 MiB)
	MaxImportBody int64  // largest import upload (default 64 MiB)
	Version       string // reported to WebSocket clients
	// FrameSent, when set, is told about every position frame the moment it
	// is queued for its subscribers (for latency measurements and metrics),
	// once for each format it is encoded in (kind says which).
	FrameSent func(graph string, seq uint64, kind uint8, nodes int, at time.Time)
	Log       *slog.Logger
	// Metrics records requests, messages and frames (nil: none).
	Metrics *metrics.Set
	// Access is who may reach the server; the same value goes to Guard.
	// The WebSocket uses it for per-message rate limits and to end
	// connections whose token is revoked; New tells it which routes are
	// pages anyone who reaches the server may load (the browser viewer).
	Access *Access
	// Clock drives the hub's ticks, the pings and the subscribe timeout
	// (clock.System when nil); tests move a manual one. Socket deadlines
	// stay on the system's clock: the kernel keeps them.
	Clock clock.Clock
}

// Server serves the REST API and the WebSocket stream.
type Server struct {
	b          session.Backend
	opt        Options
	mux        *http.ServeMux
	log        *slog.Logger
	importSlot chan struct{}
	hub        *Hub
	actions    map[string]auth.Action // what each route pattern needs
	pages      *http.ServeMux         // the routes that need no token
	graphs     *graphCache
	analyses   *analyses

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
	s := &Server{b: b, opt: opt, mux: http.NewServeMux(), pages: http.NewServeMux(), actions: map[string]auth.Action{}, graphs: newGraphCache(), analyses: newAnalyses(), log: opt.Log, importSlot: make(chan struct{}, 1)}
	s.hub = newHub(b, opt.Log)
	s.hub.sent = opt.FrameSent
	s.hub.metrics = opt.Metrics
	s.hub.clock = clock.Or(opt.Clock)
	opt.Metrics.Gauge("visionflow_ws_queued_bytes", "JSON messages waiting in the WebSocket clients' queues, in bytes (a client whose queue passes its limit is dropped).",
		func() float64 { return float64(s.hub.queuedBytes()) })
	s.routes()
	if opt.Access != nil {
		opt.Access.pages = s.isPage
	}
	return s
}

func (s *Server) routes() {
	h := func(pattern string, a auth.Action, fn func(w http.ResponseWriter, r *http.Request) error) {
		s.mux.Handle(pattern, s.wrap(pattern, a, fn))
		s.actions[pattern] = a
	}
	h("GET /api/health", auth.Read, s.health)
	h("GET /ws", auth.Read, s.handleWS)

	h("GET /api/graphs", auth.Read, s.listGraphs)
	h("POST /api/graphs", auth.Edit, s.createGraph)
	h("POST /api/graphs/import", auth.Edit, s.importGraph)
	h("GET /api/graph/{id}", auth.Read, s.getGraph)
	h("DELETE /api/graph/{id}", auth.Administer, s.deleteGraph)
	h("GET /api/graph/{id}/events", auth.Read, s.events)
	h("GET /api/graph/{id}/metrics", auth.Read, s.graphMetrics)
	h("GET /api/graph/{id}/export", auth.Read, s.exportGraph)
	h("GET /api/graph/{id}/image", auth.Read, s.graphImage)
	h("POST /api/graph/{id}/batch", auth.Edit, s.batch)
	h("POST /api/graph/{id}/nodes", auth.Edit, s.addNode)
	h("PATCH /api/graph/{id}/nodes/{nodeId}", auth.Edit, s.updateNode)
	h("DELETE /api/graph/{id}/nodes/{nodeId}", auth.Edit, s.removeNode)
	h("POST /api/graph/{id}/edges", auth.Edit, s.addEdge)
	h("PATCH /api/graph/{id}/edges/{edgeId}", auth.Edit, s.updateEdge)
	h("DELETE /api/graph/{id}/edges/{edgeId}", auth.Edit, s.removeEdge)
	h("GET /api/graph/{id}/sync", auth.Read, s.syncOps)
	h("POST /api/graph/{id}/sync", auth.Edit, s.mergeOps)

	h("POST /api/agents/status", auth.Work, s.postStatus)
	h("GET /api/agents", auth.Read, s.listAgents)
	h("GET /api/agents/{id}/history", auth.Read, s.agentHistory)
	h("POST /api/agents/messages", auth.Work, s.postMessage)
	h("POST /api/agents/{id}/commands", auth.Edit, s.postCommand)
	h("GET /api/agents/{id}/commands", auth.Read, s.agentCommands)
	h("POST /api/agents/{id}/commands/next", auth.Work, s.nextCommand)
	h("POST /api/commands/{id}/ack", auth.Work, s.ackCommand)
	h("GET /api/swarms", auth.Read, s.listSwarms)
	h("GET /api/swarms/{swarm}/commands", auth.Read, s.swarmCommands)
	h("POST /api/focus", auth.Assign, s.postFocus)
	h("POST /api/tasks", auth.Assign, s.submitTask)
	h("GET /api/tasks", auth.Read, s.listTasks)
	h("POST /api/tasks/claim", auth.Work, s.taskMove("claim")) // the best task the agent can claim
	h("GET /api/tasks/{id}", auth.Read, s.getTask)
	h("POST /api/tasks/{id}/cancel", auth.Assign, s.cancelTask)
	h("POST /api/tasks/{id}/claim", auth.Work, s.taskMove("claim"))
	h("POST /api/tasks/{id}/plan", auth.Work, s.taskMove("plan"))
	h("POST /api/tasks/{id}/progress", auth.Work, s.taskMove("progress"))
	h("POST /api/tasks/{id}/complete", auth.Work, s.taskMove("complete"))
	h("POST /api/tasks/{id}/fail", auth.Work, s.taskMove("fail"))
	h("POST /api/memory", auth.Work, s.remember)
	h("GET /api/memory", auth.Read, s.agentMemories)
	h("GET /api/memory/search", auth.Read, s.recall)
	h("GET /api/memory/status", auth.Read, s.memoryStatus)
	h("POST /api/memory/reembed", auth.Administer, s.reembed)
	h("GET /api/memory/{id}", auth.Read, s.getMemory)
	h("DELETE /api/memory/{id}", auth.Work, s.forget)
	h("GET /api/dlq", auth.Read, s.listDeadLetters)
	h("POST /api/dlq", auth.Work, s.handDeadLetter)
	h("POST /api/dlq/{id}/retry", auth.Edit, s.settleDeadLetter(true))
	h("POST /api/dlq/{id}/discard", auth.Edit, s.settleDeadLetter(false))
	h("POST /api/telemetry", auth.Read, s.postTelemetry) // any peer reports on its own client
	h("GET /api/telemetry/recent", auth.Read, s.recentTelemetry)

	h("GET /api/whoami", auth.Read, s.whoami)
	h("GET /api/tokens", auth.Administer, s.listTokens)
	h("POST /api/tokens", auth.Administer, s.createToken)
	h("DELETE /api/tokens/{id}", auth.Administer, s.revokeToken)

	h("GET /api/settings", auth.Read, s.getSettings)
	h("POST /api/settings", auth.Administer, s.postSettings)
	h("GET /api/settings/schema", auth.Read, s.settingsSchema)
	h("GET /api/settings/history", auth.Read, s.settingsHistory)
	h("GET /api/settings/{path...}", auth.Read, s.getSetting)

	// The browser viewer. Its files hold no data (what it shows comes from
	// the routes above, with the token the page was given) and a browser
	// cannot send a header when it follows a link, so Guard lets anyone who
	// reaches the server load them: it checks the host, the path and the
	// origin, not a token.
	page := func(pattern string, hd http.Handler) {
		s.mux.Handle(pattern, s.meter(pattern, hd))
		s.pages.Handle(pattern, hd)
	}
	page("GET /{$}", web.Index())
	page("GET /viewer/{file}", web.Files())

	s.mux.HandleFunc("/", s.unrouted)
}

// isPage reports whether r asks for one of the pages that need no token.
func (s *Server) isPage(r *http.Request) bool {
	if p := r.URL.Path; p != "/" && !strings.HasPrefix(p, "/viewer/") {
		return false // no page lies elsewhere; most requests are API calls
	}
	_, pattern := s.pages.Handler(r)
	return pattern != ""
}

var routeMethods = []string{"GET", "POST", "PATCH", "PUT", "DELETE"}

// Clients is the number of WebSocket clients connected.
func (s *Server) Clients() int { return s.hub.clients() }

// Hub is the WebSocket hub; whoever serves the Handler runs it (Hub.Run)
// for as long as the server is up.
func (s *Server) Hub() *Hub { return s.hub }

// Handler answers the REST routes under /api/, the WebSocket at /ws and the
// browser viewer at / and /viewer/.
// Requests no route takes get a JSON 404, or 405 with Allow when the path
// exists for other methods. Mount it behind Guard.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// unrouted answers what no route takes (registered as "/", the least
// specific pattern, so that a request is routed once): 405 with Allow
// when the path exists for other methods, else 404.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request) {
	fail := func(e *Error) { writeJSON(w, e.Status, e) }
	var allowed []string
	for _, m := range routeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
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

// wrap turns a handler that returns an error into an http.Handler that
// writes the error as JSON, after checking the request's origin.
func (s *Server) wrap(pattern string, a auth.Action, fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.requests.Add(1)
		w := &statusWriter{ResponseWriter: rw, code: http.StatusOK}
		defer func() { s.opt.Metrics.Request(pattern, w.code, time.Since(start).Seconds()) }()
		err := principal(r.Context()).Allow(a)
		if err == nil {
			err = fn(w, r)
		}
		if err != nil {
			e := s.toError(err)
			writeJSON(w, e.Status, e)
			level := slog.LevelDebug
			if r.Context().Err() != nil {
				// The client went away: its request stopped, and that is
				// not the server's failure.
				s.log.Debug("request abandoned by the client", "method", r.Method, "path", r.URL.Path, "err", err)
				return
			}
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

// meter counts and times the requests a handler of pattern answers, as
// wrap does for the API's routes.
func (s *Server) meter(pattern string, hd http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.requests.Add(1)
		w := &statusWriter{ResponseWriter: rw, code: http.StatusOK}
		hd.ServeHTTP(w, r)
		s.opt.Metrics.Request(pattern, w.code, time.Since(start).Seconds())
	})
}

// statusWriter notes the status code of an answer, for the metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the WebSocket
// upgrade hijacks it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection over (the WebSocket upgrade).
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Flush sends what is buffered.
func (w *statusWriter) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }
