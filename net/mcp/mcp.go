// Package mcp serves VisionFlow's session to Model Context Protocol clients
// (Claude Desktop, Claude Code, Cursor, any agent): tools over the same
// validated operations as the REST API, on Streamable HTTP at /mcp and on
// stdio (`visionflow mcp`). It uses the official Go SDK.
package mcp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	sdkauth "github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"visionflow/auth"

	"visionflow/graph"
	"visionflow/session"
)

// Options tune a Server.
type Options struct {
	Version string
	Log     *slog.Logger
}

// Server is the MCP server of a session.
type Server struct {
	b   session.Backend
	srv *sdk.Server
	log *slog.Logger
}

// New returns an MCP server with every VisionFlow tool.
func New(b session.Backend, opt Options) *Server {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{b: b, log: opt.Log}
	s.srv = sdk.NewServer(&sdk.Implementation{Name: "visionflow", Title: "VisionFlow", Version: opt.Version}, &sdk.ServerOptions{
		Instructions: "VisionFlow holds knowledge graphs and the swarms of AI agents working on them, shown live in 3D to the people " +
			"in the session. Read graphs with list_graphs, get_graph, search_nodes and get_node; edit them with add_nodes, add_edges, " +
			"update_node and remove_nodes. As an agent, report what you do with report_status (every few seconds), message other " +
			"agents with send_message, point the people at nodes with focus, and ask next_command for the operator's commands, " +
			"answering each with ack_command. Work comes as tasks: claim_task, update_task, complete_task or fail_task; planners split " +
			"tasks with plan_task.",
		Logger: opt.Log,
	})
	s.tools()
	s.resources()
	return s
}

// Handler serves Streamable HTTP (mount it at /mcp). Idle sessions end
// after an hour. Mounted behind api.Guard, a request with a token reaches
// the tools as that token's principal, and a session begun with one token
// cannot be used with another.
func (s *Server) Handler(maxBody int64) http.Handler {
	if maxBody <= 0 {
		maxBody = 8 << 20
	}
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s.srv }, &sdk.StreamableHTTPOptions{
		Logger:              s.log,
		SessionTimeout:      time.Hour,
		MaxRequestBodyBytes: maxBody,
	})
	withToken := sdkauth.RequireBearerToken(func(ctx context.Context, _ string, r *http.Request) (*sdkauth.TokenInfo, error) {
		p, _ := auth.From(r.Context())
		return &sdkauth.TokenInfo{UserID: p.TokenID, Expiration: p.Expires, Extra: map[string]any{"principal": p}}, nil
	}, &sdkauth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.From(r.Context()); ok && !p.Anonymous() {
			withToken.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Run serves one client on stdin and stdout until it goes away or ctx
// ends.
func (s *Server) Run(ctx context.Context, t sdk.Transport) error { return s.srv.Run(ctx, t) }

// Close ends every client session.
func (s *Server) Close() {
	for ss := range s.srv.Sessions() {
		ss.Close()
	}
}

// toolActions is what each tool needs its caller's token to allow.
var toolActions = map[string]auth.Action{
	"list_graphs": auth.Read, "get_graph": auth.Read, "search_nodes": auth.Read, "get_node": auth.Read,
	"get_settings": auth.Read, "list_tasks": auth.Read, "get_task": auth.Read, "recall": auth.Read,
	"add_nodes": auth.Edit, "add_edges": auth.Edit, "update_node": auth.Edit, "remove_nodes": auth.Edit,
	"report_status": auth.Work, "send_message": auth.Work, "next_command": auth.Work, "ack_command": auth.Work,
	"claim_task": auth.Work, "plan_task": auth.Work, "update_task": auth.Work, "complete_task": auth.Work,
	"fail_task": auth.Work, "remember": auth.Work,
	"focus": auth.Assign, "submit_task": auth.Assign,
	"set_setting": auth.Administer,
}

// caller is who a tool call acts as: the principal of the token its HTTP
// request carried (Handler puts it there), or the local session.
func caller(req *sdk.CallToolRequest) auth.Principal {
	if req != nil && req.Extra != nil && req.Extra.TokenInfo != nil {
		if p, ok := req.Extra.TokenInfo.Extra["principal"].(auth.Principal); ok {
			return p
		}
		return auth.Principal{} // a token of unknown form may do nothing
	}
	return auth.Local
}

// who names the calling client in event logs and audit trails: its
// token's name, or without one what the client calls itself.
func who(req *sdk.CallToolRequest) string {
	if p := caller(req); !p.Anonymous() {
		return p.Name
	}
	name := "client"
	if info := req.ClientInfo(); info != nil && info.Name != "" {
		name = info.Name
	}
	if len(name) > 64 {
		name = name[:64]
	}
	id := ""
	if req.Session != nil {
		id = req.Session.ID()
	}
	if len(id) > 16 {
		id = id[:16]
	}
	return strings.TrimSuffix("mcp:"+name+"/"+id, "/")
}

// toolError turns an error of the session into what the client reads: the
// field and the rule for bad input, a plain message otherwise.
func toolError(err error) error {
	var ge *graph.Error
	if errors.As(err, &ge) {
		return fmt.Errorf("%s (%v)", ge.Error(), ge.Kind)
	}
	return err
}

// handle adapts a function of the session to a tool handler that first
// checks the caller may do what the tool does.
func handle[In, Out any](action auth.Action, fn func(ctx context.Context, who string, in In) (Out, error)) sdk.ToolHandlerFor[In, Out] {
	return func(ctx context.Context, req *sdk.CallToolRequest, in In) (*sdk.CallToolResult, Out, error) {
		if err := caller(req).Allow(action); err != nil {
			var zero Out
			return nil, zero, err
		}
		out, err := fn(ctx, who(req), in)
		if err != nil {
			var zero Out
			return nil, zero, toolError(err)
		}
		return nil, out, nil
	}
}

func add[In, Out any](s *Server, name, doc string, fn func(ctx context.Context, who string, in In) (Out, error)) {
	action, ok := toolActions[name]
	if !ok {
		panic("mcp: tool " + name + " has no entry in toolActions")
	}
	sdk.AddTool(s.srv, &sdk.Tool{Name: name, Description: doc}, handle(action, fn))
}

// Names of the tools; clients and tests depend on them.
var ToolNames = []string{"list_graphs", "get_graph", "search_nodes", "get_node", "add_nodes", "add_edges", "update_node",
	"remove_nodes", "report_status", "send_message", "focus", "get_settings", "set_setting", "next_command", "ack_command",
	"submit_task", "list_tasks", "get_task", "claim_task", "plan_task", "update_task", "complete_task", "fail_task", "remember", "recall"}

func (s *Server) tools() {
	add(s, "list_graphs", "List the session's graphs: knowledge graphs (type logseq) and swarms of agents (type visionflow), with their sizes.", s.listGraphs)
	add(s, "get_graph", "Summarise one graph: its size, last event, and its best-connected nodes.", s.getGraph)
	add(s, "search_nodes", "Find nodes of a graph whose label, id or metadata contain the query text (case-insensitive), best-connected first.", s.searchNodes)
	add(s, "get_node", "Read one node of a graph with its metadata and its neighbours.", s.getNode)
	add(s, "add_nodes", "Add nodes to a graph, all or none. Ids are made for nodes without one.", s.addNodes)
	add(s, "add_edges", "Add edges between existing nodes of a graph, all or none.", s.addEdges)
	add(s, "update_node", "Change a node's label, metadata (a null value removes a key), position or pin.", s.updateNode)
	add(s, "remove_nodes", "Remove nodes (and their edges) from a graph, all or none.", s.removeNodes)
	add(s, "report_status", "Report agents' status (state, task, progress, collaborators, the knowledge nodes worked on). "+
		"An agent appears in its swarm with its first report; report every few seconds or it greys out.", s.reportStatus)
	add(s, "send_message", "Send a message from one agent to another of the same swarm: their link grows and the window shows a pulse.", s.sendMessage)
	add(s, "focus", "Ask the people's windows to fly to some nodes of a graph.", s.focus)
	add(s, "get_settings", "Read settings: one by its path, or all of them.", s.getSettings)
	add(s, "set_setting", "Change one setting (validated and recorded with who changed it).", s.setSetting)
	add(s, "next_command", "Take this agent's next operator command (pause, resume, halt or redirect), if any. Answer it with ack_command.", s.nextCommand)
	add(s, "ack_command", "Answer an operator command: ok when carried out, with a note.", s.ackCommand)
	add(s, "submit_task", "Submit a task to a swarm, optionally split into a DAG of subtasks (each with a key and dependsOn).", s.submitTask)
	add(s, "list_tasks", "List a swarm's tasks (all swarms' without one), optionally in one state: planning, pending, ready, claimed, failed, dead, done, cancelled, running.", s.listTasks)
	add(s, "get_task", "Read a task with its subtasks, attempts, progress and result.", s.getTask)
	add(s, "claim_task", "Claim a task for an agent (the one named, or the best it can do): it holds it under a lease its status reports renew.", s.claimTask)
	add(s, "plan_task", "As a planner holding a task, split it into subtasks (a DAG: keys and dependsOn).", s.planTask)
	add(s, "update_task", "Report progress (0-100) and a note on a task the agent holds.", s.updateTask)
	add(s, "complete_task", "Finish a task the agent holds, with its result.", s.completeTask)
	add(s, "remember", "Remember something (an observation, fact, plan, result, …) for an agent: it is embedded so that recall finds it by meaning.", s.remember)
	add(s, "recall", "Find the memories closest in meaning to a query (ranked by similarity, importance and recency), optionally one agent's or one type's.", s.recall)
	add(s, "fail_task", "Give up a task the agent holds, saying why: it is retried with backoff, then dead-lettered.", s.failTask)
}

// graphArg is the graph a tool works on.
type graphArg struct {
	Graph string `json:"graph" jsonschema:"the graph's id (list_graphs gives them)"`
}

type graphList struct {
	Graphs []graph.Summary `json:"graphs"`
}

func (s *Server) listGraphs(ctx context.Context, _ string, _ struct{}) (graphList, error) {
	list, err := s.b.ListGraphs(ctx)
	return graphList{Graphs: nonNil(list)}, err
}

// nodeRef is a node in a tool's answer.
type nodeRef struct {
	ID       string            `json:"id"`
	Label    string            `json:"label"`
	Degree   int               `json:"degree"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

type graphSummary struct {
	graph.Summary
	Seq      uint64    `json:"seq"`
	TopNodes []nodeRef `json:"topNodes"`
}

// MaxResults bounds the nodes one answer lists.
const MaxResults = 200

func degrees(c graph.Contents) map[string]int {
	d := make(map[string]int, len(c.Nodes))
	for _, e := range c.Edges {
		d[e.Source]++
		d[e.Target]++
	}
	return d
}

// ranked orders nodes by degree, then id.
func ranked(nodes []graph.Node, deg map[string]int, limit int, meta bool) []nodeRef {
	nodes = slices.Clone(nodes)
	slices.SortFunc(nodes, func(a, b graph.Node) int { return cmp.Or(deg[b.ID]-deg[a.ID], strings.Compare(a.ID, b.ID)) })
	out := []nodeRef{}
	for _, n := range nodes[:min(limit, len(nodes))] {
		r := nodeRef{ID: n.ID, Label: n.Label, Degree: deg[n.ID]}
		if meta {
			r.Metadata = n.Metadata
		}
		out = append(out, r)
	}
	return out
}

func (s *Server) getGraph(ctx context.Context, _ string, in graphArg) (graphSummary, error) {
	c, err := s.b.Graph(ctx, in.Graph)
	if err != nil {
		return graphSummary{}, err
	}
	sum := graph.Summary{Info: c.Info, Nodes: len(c.Nodes), Edges: len(c.Edges)}
	return graphSummary{Summary: sum, Seq: c.Seq, TopNodes: ranked(c.Nodes, degrees(c), 10, false)}, nil
}

type searchArgs struct {
	Graph string `json:"graph" jsonschema:"the graph's id"`
	Query string `json:"query" jsonschema:"text to look for in labels, ids and metadata"`
	Limit int    `json:"limit,omitempty" jsonschema:"most nodes to return (default 20, at most 200)"`
}

type nodeList struct {
	Nodes []nodeRef `json:"nodes"`
	More  bool      `json:"more"` // more nodes matched than were returned
}

func (s *Server) searchNodes(ctx context.Context, _ string, in searchArgs) (nodeList, error) {
	q := strings.ToLower(strings.TrimSpace(in.Query))
	switch {
	case q == "":
		return nodeList{}, &graph.Error{Kind: graph.ErrInvalid, Field: "query", Detail: "must not be empty"}
	case len(q) > 1024:
		return nodeList{}, &graph.Error{Kind: graph.ErrTooLarge, Field: "query", Detail: fmt.Sprintf("is %d bytes; the limit is 1024", len(q))}
	case in.Limit < 0 || in.Limit > MaxResults:
		return nodeList{}, &graph.Error{Kind: graph.ErrInvalid, Field: "limit", Detail: fmt.Sprintf("is %d; want 1 to %d", in.Limit, MaxResults)}
	}
	limit := cmp.Or(in.Limit, 20)
	c, err := s.b.Graph(ctx, in.Graph)
	if err != nil {
		return nodeList{}, err
	}
	var hits []graph.Node
	for _, n := range c.Nodes {
		if matches(n, q) {
			hits = append(hits, n)
		}
	}
	return nodeList{Nodes: ranked(hits, degrees(c), limit, true), More: len(hits) > limit}, nil
}

func matches(n graph.Node, q string) bool {
	if strings.Contains(strings.ToLower(n.Label), q) || strings.Contains(strings.ToLower(n.ID), q) {
		return true
	}
	for k, v := range n.Metadata {
		if strings.Contains(strings.ToLower(k), q) || strings.Contains(strings.ToLower(v), q) {
			return true
		}
	}
	return false
}

type nodeArgs struct {
	Graph string `json:"graph" jsonschema:"the graph's id"`
	ID    string `json:"id" jsonschema:"the node's id"`
}

type neighbour struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Edge  string `json:"edge"`
	Out   bool   `json:"out"` // the edge goes from the node to this neighbour
}

type nodeDetail struct {
	Node       graph.Node  `json:"node"`
	Degree     int         `json:"degree"`
	Neighbours []neighbour `json:"neighbours"`
	More       bool        `json:"more"`
}

func (s *Server) getNode(ctx context.Context, _ string, in nodeArgs) (nodeDetail, error) {
	c, err := s.b.Graph(ctx, in.Graph)
	if err != nil {
		return nodeDetail{}, err
	}
	byID := make(map[string]graph.Node, len(c.Nodes))
	for _, n := range c.Nodes {
		byID[n.ID] = n
	}
	n, ok := byID[in.ID]
	if !ok {
		return nodeDetail{}, &graph.Error{Kind: graph.ErrNotFound, Field: "id", Detail: fmt.Sprintf("graph %q has no node %q", in.Graph, in.ID)}
	}
	d := nodeDetail{Node: n, Neighbours: []neighbour{}}
	for _, e := range c.Edges {
		var other string
		switch in.ID {
		case e.Source:
			other = e.Target
		case e.Target:
			other = e.Source
		default:
			continue
		}
		d.Degree++
		if len(d.Neighbours) == MaxResults {
			d.More = true
			continue
		}
		d.Neighbours = append(d.Neighbours, neighbour{ID: other, Label: byID[other].Label, Edge: e.ID, Out: e.Source == in.ID})
	}
	return d, nil
}

// newNode is a node add_nodes adds.
type newNode struct {
	ID       string             `json:"id,omitempty" jsonschema:"the node's id; made when empty"`
	Label    string             `json:"label,omitempty"`
	Metadata map[string]*string `json:"metadata,omitempty"`
	Position *graph.Vec3        `json:"position,omitempty"`
	Pinned   bool               `json:"pinned,omitempty"`
}

type addNodesArgs struct {
	Graph string    `json:"graph" jsonschema:"the graph's id"`
	Nodes []newNode `json:"nodes" jsonschema:"the nodes to add"`
}

type applied struct {
	IDs    []string `json:"ids"` // of what was added, changed or removed
	Seq    uint64   `json:"seq"` // the graph's last event after it
	Events int      `json:"events"`
}

// MaxOps bounds one tool call's changes.
const MaxOps = 10_000

func (s *Server) apply(ctx context.Context, who, graphID, field string, ops []graph.Op) (applied, error) {
	switch {
	case len(ops) == 0:
		return applied{}, &graph.Error{Kind: graph.ErrInvalid, Field: field, Detail: "is empty"}
	case len(ops) > MaxOps:
		return applied{}, &graph.Error{Kind: graph.ErrTooLarge, Field: field, Detail: fmt.Sprintf("has %d entries; the limit is %d", len(ops), MaxOps)}
	}
	ch, err := s.b.Apply(ctx, who, graphID, ops)
	if err != nil {
		return applied{}, err
	}
	out := applied{IDs: []string{}, Events: len(ch.Events)}
	for _, n := range ch.Nodes {
		out.IDs = append(out.IDs, n.ID)
	}
	for _, e := range ch.Edges {
		out.IDs = append(out.IDs, e.ID)
	}
	if len(ch.Events) > 0 {
		out.Seq = ch.Events[len(ch.Events)-1].Seq
	}
	return out, nil
}

func (s *Server) addNodes(ctx context.Context, who string, in addNodesArgs) (applied, error) {
	ops := make([]graph.Op, len(in.Nodes))
	for i, n := range in.Nodes {
		ops[i] = graph.Op{Op: graph.AddNode, ID: n.ID, Metadata: n.Metadata, Position: n.Position}
		if n.Label != "" {
			ops[i].Label = &n.Label
		}
		if n.Pinned {
			ops[i].Pinned = &n.Pinned
		}
	}
	return s.apply(ctx, who, in.Graph, "nodes", ops)
}

type newEdge struct {
	ID       string             `json:"id,omitempty" jsonschema:"the edge's id; made when empty"`
	Source   string             `json:"source"`
	Target   string             `json:"target"`
	Label    string             `json:"label,omitempty"`
	Weight   *float32           `json:"weight,omitempty" jsonschema:"spring strength; 1 is neutral"`
	Metadata map[string]*string `json:"metadata,omitempty"`
}

type addEdgesArgs struct {
	Graph string    `json:"graph" jsonschema:"the graph's id"`
	Edges []newEdge `json:"edges" jsonschema:"the edges to add"`
}

func (s *Server) addEdges(ctx context.Context, who string, in addEdgesArgs) (applied, error) {
	ops := make([]graph.Op, len(in.Edges))
	for i, e := range in.Edges {
		ops[i] = graph.Op{Op: graph.AddEdge, ID: e.ID, Source: e.Source, Target: e.Target, Weight: e.Weight, Metadata: e.Metadata}
		if e.Label != "" {
			ops[i].Label = &e.Label
		}
	}
	return s.apply(ctx, who, in.Graph, "edges", ops)
}

type updateNodeArgs struct {
	Graph    string             `json:"graph" jsonschema:"the graph's id"`
	ID       string             `json:"id" jsonschema:"the node's id"`
	Label    *string            `json:"label,omitempty"`
	Metadata map[string]*string `json:"metadata,omitempty" jsonschema:"keys to set; a null value removes the key"`
	Position *graph.Vec3        `json:"position,omitempty"`
	Pinned   *bool              `json:"pinned,omitempty"`
}

func (s *Server) updateNode(ctx context.Context, who string, in updateNodeArgs) (applied, error) {
	op := graph.Op{Op: graph.UpdateNode, ID: in.ID, Label: in.Label, Metadata: in.Metadata, Position: in.Position, Pinned: in.Pinned}
	return s.apply(ctx, who, in.Graph, "id", []graph.Op{op})
}

type removeNodesArgs struct {
	Graph string   `json:"graph" jsonschema:"the graph's id"`
	IDs   []string `json:"ids" jsonschema:"the nodes to remove"`
}

func (s *Server) removeNodes(ctx context.Context, who string, in removeNodesArgs) (applied, error) {
	ops := make([]graph.Op, len(in.IDs))
	for i, id := range in.IDs {
		ops[i] = graph.Op{Op: graph.RemoveNode, ID: id}
	}
	return s.apply(ctx, who, in.Graph, "ids", ops)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
