package app

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"visionflow/agent"
	"visionflow/assets"
	"visionflow/net/mcp"
)

// mcpMain runs the test binary as `visionflow ARGS` when the environment
// says so: the stdio tests start it as an MCP server.
func mcpMain() {
	if args := os.Getenv("VISIONFLOW_TEST_MAIN"); args != "" {
		os.Exit(Main(strings.Fields(args), os.Stdout, os.Stderr, nil))
	}
}

func connectMCP(t *testing.T, tr sdk.Transport) *sdk.ClientSession {
	t.Helper()
	c := sdk.NewClient(&sdk.Implementation{Name: "test-agent", Version: "1"}, nil)
	cs, err := c.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// call calls a tool and decodes its structured result into out; a tool
// error fails the test.
func call(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any, out any) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s: tool error: %s", name, text(res))
	}
	if out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v in %s", name, err, b)
		}
	}
}

// callFails calls a tool that must refuse, and returns what it said.
func callFails(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Logf("%s: protocol error: %v", name, err)
		return err.Error() // refused by the SDK's schema check
	}
	if !res.IsError {
		t.Fatalf("%s %v: no error", name, args)
	}
	t.Logf("%s: tool error: %s", name, text(res))
	return text(res)
}

func text(res *sdk.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, " ")
}

// Every tool through the SDK's own client over real Streamable HTTP.
func TestMCPOverHTTP(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	cs := connectMCP(t, &sdk.StreamableClientTransport{Endpoint: s.url + "/mcp"})

	var names []string
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tool.Name)
		if tool.InputSchema == nil || tool.Description == "" {
			t.Errorf("%s has no schema or description", tool.Name)
		}
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(mcp.ToolNames))
	if !slices.Equal(names, want) {
		t.Fatalf("tools %v, want %v", names, want)
	}

	var graphs struct {
		Graphs []struct{ ID string } `json:"graphs"`
	}
	call(t, cs, "list_graphs", map[string]any{}, &graphs)
	if len(graphs.Graphs) != 1 || graphs.Graphs[0].ID != assets.SampleGraphID {
		t.Fatalf("list_graphs: %+v", graphs)
	}
	// The graph as a resource.
	res, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "visionflow://graph/" + assets.SampleGraphID})
	if err != nil || len(res.Contents) != 1 || !strings.Contains(res.Contents[0].Text, `"topNodes"`) {
		t.Fatalf("resource: %v %+v", err, res)
	}
	if _, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "visionflow://graph/nope"}); err == nil {
		t.Fatal("a missing graph's resource was read")
	}
	var sum struct {
		Nodes    int `json:"nodes"`
		TopNodes []struct {
			ID     string `json:"id"`
			Degree int    `json:"degree"`
		} `json:"topNodes"`
	}
	call(t, cs, "get_graph", map[string]any{"graph": assets.SampleGraphID}, &sum)
	if sum.Nodes == 0 || len(sum.TopNodes) == 0 || sum.TopNodes[0].ID != "visionflow" {
		t.Fatalf("get_graph: %+v", sum)
	}
	var found struct {
		Nodes []struct{ ID string } `json:"nodes"`
	}
	call(t, cs, "search_nodes", map[string]any{"graph": assets.SampleGraphID, "query": "AGENT"}, &found)
	if len(found.Nodes) == 0 || !slices.ContainsFunc(found.Nodes, func(n struct{ ID string }) bool { return n.ID == "agent-graph" }) {
		t.Fatalf("search_nodes: %+v", found)
	}
	var node struct {
		Node       struct{ Label string } `json:"node"`
		Neighbours []struct{ ID string }  `json:"neighbours"`
	}
	call(t, cs, "get_node", map[string]any{"graph": assets.SampleGraphID, "id": "visionflow"}, &node)
	if node.Node.Label != "VisionFlow" || len(node.Neighbours) == 0 {
		t.Fatalf("get_node: %+v", node)
	}

	// Edits, each all or nothing, seen over REST.
	call(t, cs, "add_nodes", map[string]any{"graph": assets.SampleGraphID, "nodes": []any{
		map[string]any{"id": "idea", "label": "An idea", "metadata": map[string]any{"from": "mcp"}}, map[string]any{"id": "idea2"}}}, nil)
	call(t, cs, "add_edges", map[string]any{"graph": assets.SampleGraphID, "edges": []any{map[string]any{"source": "idea", "target": "visionflow"}}}, nil)
	call(t, cs, "update_node", map[string]any{"graph": assets.SampleGraphID, "id": "idea", "label": "A better idea"}, nil)
	call(t, cs, "remove_nodes", map[string]any{"graph": assets.SampleGraphID, "ids": []string{"idea2"}}, nil)
	c, _ := s.c.Graph(ctx, assets.SampleGraphID)
	labels := map[string]string{}
	for _, n := range c.Nodes {
		labels[n.ID] = n.Label
	}
	if labels["idea"] != "A better idea" || labels["idea2"] != "" {
		t.Fatalf("edits over MCP: idea %q, idea2 present %v", labels["idea"], labels["idea2"] != "")
	}
	events, _ := s.c.AllEvents(ctx, assets.SampleGraphID)
	if last := events[len(events)-1]; !strings.HasPrefix(last.Client, "mcp:test-agent") {
		t.Errorf("the event log names %q, not the MCP client", last.Client)
	}
	// All or nothing: one bad node refuses the batch.
	msg := callFails(t, cs, "add_nodes", map[string]any{"graph": assets.SampleGraphID, "nodes": []any{map[string]any{"id": "ok"}, map[string]any{"id": "idea"}}})
	if !strings.Contains(msg, "idea") {
		t.Errorf("duplicate node: %s", msg)
	}
	if c2, _ := s.c.Graph(ctx, assets.SampleGraphID); len(c2.Nodes) != len(c.Nodes) {
		t.Error("a refused add_nodes added something")
	}

	// An agent: status, a message, focus, settings, commands.
	call(t, cs, "report_status", map[string]any{"updates": []any{
		map[string]any{"agentId": "a1", "swarmId": "crew", "state": "executing", "progress": 30, "workingOn": []string{"idea"}},
		map[string]any{"agentId": "a2", "swarmId": "crew", "state": "thinking"},
	}}, nil)
	if list, _ := s.c.Agents(ctx, "crew"); len(list) != 2 {
		t.Fatalf("agents after report_status: %+v", list)
	}
	var link struct {
		Link agent.LinkView `json:"link"`
	}
	call(t, cs, "send_message", map[string]any{"swarmId": "crew", "from": "a1", "to": "a2", "text": "hi"}, &link)
	if link.Link.Weight != 1 {
		t.Fatalf("send_message: %+v", link)
	}
	call(t, cs, "focus", map[string]any{"graph": assets.SampleGraphID, "nodes": []string{"idea"}}, nil)
	var set struct {
		Value any `json:"value"`
	}
	call(t, cs, "get_settings", map[string]any{"path": "physics.springK"}, &set)
	if set.Value != 0.05 {
		t.Fatalf("get_settings: %+v", set)
	}
	call(t, cs, "set_setting", map[string]any{"path": "physics.springK", "value": 0.07}, nil)
	if v, _ := s.c.Setting(ctx, "physics.springK"); string(v) != "0.07" {
		t.Fatalf("set_setting: springK is %s", v)
	}
	var next struct {
		Command *agent.Command `json:"command"`
	}
	call(t, cs, "next_command", map[string]any{"swarmId": "crew", "agentId": "a1"}, &next)
	if next.Command != nil {
		t.Fatalf("no command was queued: %+v", next)
	}
	cmd, err := s.c.QueueCommand(ctx, "crew", "a1", agent.CommandRequest{Kind: agent.Halt})
	if err != nil {
		t.Fatal(err)
	}
	call(t, cs, "next_command", map[string]any{"swarmId": "crew", "agentId": "a1"}, &next)
	if next.Command == nil || next.Command.ID != cmd.ID {
		t.Fatalf("next_command: %+v", next)
	}
	call(t, cs, "ack_command", map[string]any{"commandId": cmd.ID, "ok": true, "note": "stopping"}, nil)
	if list, _ := s.c.Agents(ctx, "crew"); list[0].Control != "halted" {
		t.Fatalf("after the ack: %+v", list[0])
	}

	// Malformed arguments: a tool error naming the field; nothing changes.
	for _, bad := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"report_status", map[string]any{"updates": []any{map[string]any{"agentId": "a1", "swarmId": "crew", "state": "executing", "progress": 150}}}, "updates[0].progress"},
		{"report_status", map[string]any{"updates": []any{map[string]any{"agentId": "a1", "swarmId": "crew", "state": "napping"}}}, "state"},
		{"add_nodes", map[string]any{"nodes": []any{map[string]any{"id": "x"}}}, "graph"},
		{"add_edges", map[string]any{"graph": assets.SampleGraphID, "edges": []any{map[string]any{"source": "idea", "target": "nowhere"}}}, "nowhere"},
		{"get_node", map[string]any{"graph": assets.SampleGraphID, "id": "nope"}, "id"},
		{"search_nodes", map[string]any{"graph": assets.SampleGraphID, "query": ""}, "query"},
		{"set_setting", map[string]any{"path": "physics.springK", "value": "soft"}, "physics.springK"},
		{"send_message", map[string]any{"swarmId": "crew", "from": "a1", "to": "ghost"}, "ghost"},
		{"next_command", map[string]any{"swarmId": "crew", "agentId": "ghost"}, "agentId"},
		{"get_graph", map[string]any{"graph": "g", "extra": 1}, "extra"},
	} {
		if msg := callFails(t, cs, bad.tool, bad.args); !strings.Contains(msg, bad.want) {
			t.Errorf("%s %v: %q does not name %s", bad.tool, bad.args, msg, bad.want)
		}
	}
	if v, _ := s.c.Setting(ctx, "physics.springK"); string(v) != "0.07" {
		t.Errorf("a refused set_setting changed springK to %s", v)
	}
}

// `visionflow mcp` over stdio, started as a real process by the SDK's
// command transport: on its own database first, then through a running
// server that holds it.
func TestMCPOverStdio(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vf.db")
	start := func() *sdk.ClientSession {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "VISIONFLOW_TEST_MAIN=mcp --db "+db)
		cmd.Stderr = os.Stderr
		return connectMCP(t, &sdk.CommandTransport{Command: cmd})
	}
	// Alone: it opens the database (the first start loads the sample).
	cs := start()
	var graphs struct {
		Graphs []struct{ ID string } `json:"graphs"`
	}
	// A fresh database gets its sample only from a server's first start.
	msg := callFails(t, cs, "add_nodes", map[string]any{"graph": "notes", "nodes": []any{map[string]any{"id": "n"}}})
	if !strings.Contains(msg, "notes") {
		t.Fatalf("a missing graph: %s", msg)
	}
	call(t, cs, "report_status", map[string]any{"updates": []any{map[string]any{"agentId": "solo", "swarmId": "crew", "state": "idle"}}}, nil)
	call(t, cs, "list_graphs", map[string]any{}, &graphs)
	if len(graphs.Graphs) != 1 || graphs.Graphs[0].ID != "crew" {
		t.Fatalf("list_graphs over stdio: %+v", graphs)
	}
	cs.Close()

	// With a server holding the database, the stdio command serves the
	// server's tools: what it does is seen there at once.
	s := startServer(t, db)
	defer s.Close()
	cs = start()
	call(t, cs, "report_status", map[string]any{"updates": []any{map[string]any{"agentId": "solo", "swarmId": "crew", "state": "executing"}}}, nil)
	list, err := s.c.Agents(context.Background(), "crew")
	if err != nil || len(list) != 1 || list[0].State != agent.Executing || list[0].Stale {
		t.Fatalf("the server does not see the stdio agent: %v %+v", err, list)
	}
	// The server's log names the client on stdio, not the proxy.
	call(t, cs, "add_nodes", map[string]any{"graph": "crew", "nodes": []any{map[string]any{"id": "note"}}}, nil)
	events, _ := s.c.AllEvents(context.Background(), "crew")
	if last := events[len(events)-1]; !strings.HasPrefix(last.Client, "mcp:test-agent") {
		t.Errorf("the server's log names %q", last.Client)
	}
	// Resources go through too.
	res, err := cs.ReadResource(context.Background(), &sdk.ReadResourceParams{URI: "visionflow://graph/crew"})
	if err != nil || len(res.Contents) != 1 {
		t.Errorf("a resource through the proxy: %v %+v", err, res)
	}
	cs.Close()
}

// The task tools through the SDK's client: an agent submits, plans,
// claims, reports and finishes work as a model would; refusals say why.
func TestMCPTasks(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	cs := connectMCP(t, &sdk.StreamableClientTransport{Endpoint: s.url + "/mcp"})
	call(t, cs, "report_status", map[string]any{"updates": []any{
		map[string]any{"agentId": "boss", "swarmId": "crew", "state": "idle", "capabilities": []string{"planner"}},
		map[string]any{"agentId": "dev", "swarmId": "crew", "state": "idle", "capabilities": []string{"go"}},
	}}, nil)
	type tk struct {
		ID       string  `json:"id"`
		State    string  `json:"state"`
		Progress float64 `json:"progress"`
		Result   string  `json:"result"`
		Subtasks []string
	}
	var top struct {
		tk
		SubtaskList []tk `json:"subtaskList"`
	}
	call(t, cs, "submit_task", map[string]any{"swarmId": "crew", "title": "add MCP", "requires": []string{"go"}}, &top)
	if top.State != "planning" {
		t.Fatalf("submit_task: %+v", top)
	}
	var claimed struct{ Task *tk }
	call(t, cs, "claim_task", map[string]any{"swarmId": "crew", "agentId": "dev"}, &claimed)
	if claimed.Task != nil {
		t.Fatalf("a coder claimed a task waiting for its planner: %+v", claimed.Task)
	}
	call(t, cs, "claim_task", map[string]any{"swarmId": "crew", "agentId": "boss"}, &claimed)
	if claimed.Task == nil || claimed.Task.ID != top.ID {
		t.Fatalf("the planner's claim: %+v", claimed.Task)
	}
	msg := callFails(t, cs, "plan_task", map[string]any{"agentId": "boss", "taskId": top.ID, "subtasks": []any{
		map[string]any{"key": "x", "title": "x", "dependsOn": []string{"x"}}}})
	if !strings.Contains(msg, "itself") {
		t.Fatalf("a self-dependent plan: %s", msg)
	}
	call(t, cs, "plan_task", map[string]any{"agentId": "boss", "taskId": top.ID, "subtasks": []any{
		map[string]any{"key": "tools", "title": "tools", "requires": []string{"go"}},
		map[string]any{"key": "tests", "title": "tests", "requires": []string{"go"}, "dependsOn": []string{"tools"}},
	}}, &top)
	if top.State != "running" || len(top.SubtaskList) != 2 {
		t.Fatalf("plan_task: %+v", top)
	}
	var list struct{ Tasks []tk }
	call(t, cs, "list_tasks", map[string]any{"swarmId": "crew", "state": "ready"}, &list)
	if len(list.Tasks) != 1 || list.Tasks[0].State != "ready" {
		t.Fatalf("list_tasks ready: %+v", list)
	}
	if msg := callFails(t, cs, "list_tasks", map[string]any{"state": "asleep"}); !strings.Contains(msg, "state") {
		t.Fatalf("list_tasks with a bad state: %s", msg)
	}
	for range 2 {
		call(t, cs, "claim_task", map[string]any{"swarmId": "crew", "agentId": "dev"}, &claimed)
		id := claimed.Task.ID
		var upd struct{ Task tk }
		call(t, cs, "update_task", map[string]any{"agentId": "dev", "taskId": id, "progress": 60, "note": "most of it"}, &upd)
		if upd.Task.Progress != 60 {
			t.Fatalf("update_task: %+v", upd)
		}
		if msg := callFails(t, cs, "update_task", map[string]any{"agentId": "boss", "taskId": id, "progress": 70}); !strings.Contains(msg, "held by dev") {
			t.Fatalf("update_task by another: %s", msg)
		}
		call(t, cs, "complete_task", map[string]any{"agentId": "dev", "taskId": id, "result": "ok"}, &upd)
		if upd.Task.State != "done" {
			t.Fatalf("complete_task: %+v", upd)
		}
	}
	call(t, cs, "get_task", map[string]any{"taskId": top.ID}, &top)
	if top.State != "done" || top.Progress != 100 {
		t.Fatalf("get_task after both: %+v", top)
	}
	// fail_task: retried with backoff.
	var one struct {
		tk
		SubtaskList []tk `json:"subtaskList"`
	}
	call(t, cs, "submit_task", map[string]any{"swarmId": "crew", "title": "deploy", "subtasks": []any{map[string]any{"title": "push", "requires": []string{"go"}}}}, &one)
	push := one.SubtaskList[0].ID
	call(t, cs, "claim_task", map[string]any{"swarmId": "crew", "agentId": "dev", "taskId": push}, &claimed)
	if msg := callFails(t, cs, "fail_task", map[string]any{"agentId": "dev", "taskId": push}); !strings.Contains(msg, "error") {
		t.Fatalf("fail_task without an error: %s", msg)
	}
	var failed struct{ Task tk }
	call(t, cs, "fail_task", map[string]any{"agentId": "dev", "taskId": push, "error": "registry down"}, &failed)
	if failed.Task.State != "failed" {
		t.Fatalf("fail_task: %+v", failed)
	}
}
