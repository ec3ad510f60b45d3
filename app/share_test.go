package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"visionflow/agent"
	"visionflow/auth"
	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/settings"
)

// startShared starts a server listening on every address, as --share does,
// and reaches it on loopback, which needs a token all the same.
func startShared(t *testing.T, db string, hosts ...string) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := Start(context.Background(), Config{DB: db, Addr: ln.Addr().String(), AllowHosts: hosts}, ln, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	url := "http://127.0.0.1:" + port
	return &testServer{Server: srv, url: url, c: client.New(url, "tester")}
}

// as is a client of ts that carries token.
func (ts *testServer) as(token string) *client.Client {
	c := client.New(ts.url, "claimed-name")
	c.SetToken(token)
	return c
}

func statusOf(err error) int {
	var e *client.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// send sends a request and returns the status and the body.
func send(t *testing.T, method, url string, hdr map[string]string, body string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestSharedServerChecksRoles(t *testing.T) {
	ctx := context.Background()
	ts := startShared(t, filepath.Join(t.TempDir(), "s.db"))
	if !ts.Shared || ts.FirstToken == "" {
		t.Fatalf("a server on 0.0.0.0 is not shared (%v) or made no first token", ts.Shared)
	}
	// No token: refused, loopback or not, with a way forward.
	if _, err := ts.c.Graphs(ctx); statusOf(err) != 401 || !strings.Contains(err.Error(), "token create") {
		t.Fatalf("no token: %v", err)
	}
	code, _, hdr := send(t, "GET", ts.url+"/api/health", nil, "")
	if code != 401 || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("health without a token: %d %v", code, hdr)
	}
	if _, err := ts.as("vf_" + strings.Repeat("a", 63)).Graphs(ctx); statusOf(err) != 401 || !strings.Contains(err.Error(), "not one this server made") {
		t.Errorf("a made-up token: %v", err)
	}
	admin := ts.as(ts.FirstToken)
	me, err := admin.WhoAmI(ctx)
	if err != nil || me.Role != auth.Admin || me.Name != "owner" {
		t.Fatalf("whoami as the first token: %+v %v", me, err)
	}
	tokens := map[auth.Role]string{}
	for _, r := range []auth.Role{auth.Viewer, auth.Editor, auth.Agent} {
		nt, err := admin.CreateToken(ctx, wire.TokenRequest{Role: r, Name: string(r) + "-alice"})
		if err != nil {
			t.Fatal(err)
		}
		tokens[r] = nt.Token
	}
	if _, err := admin.CreateToken(ctx, wire.TokenRequest{Role: "root"}); statusOf(err) != 400 {
		t.Errorf("a token of role root: %v", err)
	}
	viewer, editor, agentC := ts.as(tokens[auth.Viewer]), ts.as(tokens[auth.Editor]), ts.as(tokens[auth.Agent])
	list, err := viewer.Graphs(ctx)
	if err != nil || len(list) == 0 {
		t.Fatalf("a viewer lists graphs: %v", err)
	}
	g := list[0].ID
	before, _ := admin.Graph(ctx, g)

	_, err = viewer.AddNode(ctx, g, graph.Op{ID: "v-node"})
	if statusOf(err) != 403 || !strings.Contains(err.Error(), "editor or admin") {
		t.Errorf("a viewer adds a node: %v", err)
	}
	if _, err := agentC.AddNode(ctx, g, graph.Op{ID: "a-node"}); statusOf(err) != 403 {
		t.Errorf("an agent adds a node: %v", err)
	}
	if err := editor.DeleteGraph(ctx, g); statusOf(err) != 403 || !strings.Contains(err.Error(), "admin") {
		t.Errorf("an editor deletes a graph: %v", err)
	}
	if _, err := editor.SetSettings(ctx, settings.Update{Path: "physics.springK", Value: json.RawMessage("0.3")}); statusOf(err) != 403 {
		t.Errorf("an editor changes a setting: %v", err)
	}
	if _, err := editor.Tokens(ctx); statusOf(err) != 403 {
		t.Errorf("an editor lists tokens: %v", err)
	}
	after, _ := admin.Graph(ctx, g)
	if after.Seq != before.Seq {
		t.Errorf("refused requests changed the graph: seq %d → %d", before.Seq, after.Seq)
	}
	// Allowed moves, recorded under the token's name whatever the client
	// calls itself.
	ch, err := editor.AddNode(ctx, g, graph.Op{ID: "e-node"})
	if err != nil {
		t.Fatal(err)
	}
	if ev := ch.Events[0]; ev.Client != "editor-alice" {
		t.Errorf("the event names %q, not the token's name", ev.Client)
	}
	if _, err := agentC.ReportStatus(ctx, agent.Status{SwarmID: "crew", AgentID: "a1", Name: "A", State: "executing"}); err != nil {
		t.Errorf("an agent reports status: %v", err)
	}
	if _, err := viewer.ReportStatus(ctx, agent.Status{SwarmID: "crew", AgentID: "a2", Name: "B", State: "executing"}); statusOf(err) != 403 {
		t.Errorf("a viewer reports status: %v", err)
	}
	if d, err := admin.SetSettings(ctx, settings.Update{Path: "physics.springK", Value: json.RawMessage("0.3")}); err != nil || d[0].Client != "owner" {
		t.Errorf("the admin changes a setting: %+v %v", d, err)
	}
	// Revoked, a token stops at once.
	if _, err := admin.RevokeToken(ctx, "editor-alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := editor.Graphs(ctx); statusOf(err) != 401 || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("a revoked token: %v", err)
	}
}

func TestSharedServerRefusesOtherHostsAndSimpleRequests(t *testing.T) {
	ts := startShared(t, filepath.Join(t.TempDir(), "s.db"), "visionflow.lan")
	bearer := "Bearer " + ts.FirstToken
	_, port, _ := net.SplitHostPort(ts.Addr.String())
	// DNS rebinding: a page on rebind.evil.example whose name now points
	// here sends its own Host and Origin.
	code, body, _ := send(t, "POST", ts.url+"/api/graphs", map[string]string{"Host": "rebind.evil.example:" + port,
		"Origin": "http://rebind.evil.example:" + port, "Content-Type": "application/json", "Authorization": bearer}, `{"name":"x"}`)
	if code != 403 || !strings.Contains(body, "--allow-host") {
		t.Errorf("a rebound host: %d %s", code, body)
	}
	for _, host := range []string{"visionflow.lan:" + port, "127.0.0.1:" + port, "localhost:" + port} {
		if code, body, _ := send(t, "GET", ts.url+"/api/graphs", map[string]string{"Host": host, "Authorization": bearer}, ""); code != 200 {
			t.Errorf("Host %s: %d %s", host, code, body)
		}
	}
	// A form post from a page of this very origin is still refused: it
	// needs no preflight, so any page could make one.
	code, body, _ = send(t, "POST", ts.url+"/api/graphs", map[string]string{"Origin": ts.url, "Content-Type": "text/plain"}, `{"name":"x"}`)
	if code != 403 || !strings.Contains(body, "simple request") {
		t.Errorf("a simple request: %d %s", code, body)
	}
	// The rate: a token past its allowance gets 429 and Retry-After.
	admin := ts.as(ts.FirstToken)
	ctx := context.Background()
	nt, err := admin.CreateToken(ctx, wire.TokenRequest{Role: auth.Viewer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.SetSettings(ctx, settings.Update{Path: "system.auth.rateLimit", Value: json.RawMessage("0.01")},
		settings.Update{Path: "system.auth.rateBurst", Value: json.RawMessage("2")}); err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": "Bearer " + nt.Token}
	for i := range 2 {
		if code, body, _ := send(t, "GET", ts.url+"/api/graphs", h, ""); code != 200 {
			t.Fatalf("request %d within the burst: %d %s", i, code, body)
		}
	}
	code, body, hdr := send(t, "GET", ts.url+"/api/graphs", h, "")
	if code != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(body, "requests a second") {
		t.Errorf("past the rate: %d %v %s", code, hdr, body)
	}
	// Another token has its own allowance.
	if code, _, _ := send(t, "GET", ts.url+"/api/graphs", map[string]string{"Authorization": bearer}, ""); code != 200 {
		t.Errorf("the admin was limited by the viewer's rate: %d", code)
	}
}

func TestSharedWebSocketAndMCPCheckRoles(t *testing.T) {
	ctx := context.Background()
	ts := startShared(t, filepath.Join(t.TempDir(), "s.db"))
	admin := ts.as(ts.FirstToken)
	nt, err := admin.CreateToken(ctx, wire.TokenRequest{Role: auth.Viewer, Name: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	wsURL := "ws" + strings.TrimPrefix(ts.url, "http") + "/ws"
	// No token: the handshake is refused.
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("a WebSocket without a token: %v", err)
	}
	// A browser's way: the token as a second subprotocol.
	d := websocket.Dialer{Subprotocols: []string{"visionflow", "visionflow.bearer." + nt.Token}}
	ws, _, err := d.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ws.Subprotocol() != "visionflow" {
		t.Errorf("negotiated subprotocol %q", ws.Subprotocol())
	}
	ws.Close()

	st, err := ts.as(nt.Token).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, _ := admin.Graphs(ctx)
	g := list[0].ID
	if _, err := st.Subscribe(ctx, g, wire.StreamEvents); err != nil {
		t.Fatalf("a viewer subscribes: %v", err)
	}
	_, err = st.Apply(ctx, g, []graph.Op{{Op: graph.AddNode, ID: "ws-node"}})
	if err == nil || !strings.Contains(err.Error(), "editor or admin") {
		t.Errorf("a viewer applies over the WebSocket: %v", err)
	}
	// Revoking the token ends its stream.
	if _, err := admin.RevokeToken(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.Done():
	case <-time.After(10 * time.Second):
		t.Error("the revoked token's stream is still open")
	}

	// MCP: the token's role decides which tools work.
	viewerTok, err := admin.CreateToken(ctx, wire.TokenRequest{Role: auth.Viewer, Name: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	cs := connectMCP(t, &sdk.StreamableClientTransport{Endpoint: ts.url + "/mcp", HTTPClient: ts.as(viewerTok.Token).HTTPClient(), DisableStandaloneSSE: true})
	call(t, cs, "list_graphs", nil, nil)
	msg := callFails(t, cs, "add_nodes", map[string]any{"graph": g, "nodes": []map[string]any{{"id": "mcp-node"}}})
	if !strings.Contains(msg, `"carol"`) || !strings.Contains(msg, "editor or admin") {
		t.Errorf("a viewer's add_nodes: %s", msg)
	}
	// Without a token, MCP is refused like the rest.
	c := sdk.NewClient(&sdk.Implementation{Name: "anon", Version: "1"}, nil)
	if _, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: ts.url + "/mcp", DisableStandaloneSSE: true}, nil); err == nil {
		t.Error("MCP without a token connected")
	}
	if c, _ := admin.Graph(ctx, g); hasNode(c, "ws-node") || hasNode(c, "mcp-node") {
		t.Error("a refused edit was applied")
	}
}

func hasNode(c graph.Contents, id string) bool {
	for _, n := range c.Nodes {
		if n.ID == id {
			return true
		}
	}
	return false
}

func TestLoopbackServerStaysOpenButHonoursTokens(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, filepath.Join(t.TempDir(), "l.db"))
	defer ts.Close()
	if ts.Shared || ts.FirstToken != "" {
		t.Fatal("a loopback server is shared")
	}
	if _, err := ts.c.Graphs(ctx); err != nil {
		t.Fatalf("no token on loopback: %v", err)
	}
	secret, _, err := ts.Session.CreateToken(ctx, "test", sessionTokenRequest(auth.Viewer, "erin"))
	if err != nil {
		t.Fatal(err)
	}
	list, _ := ts.c.Graphs(ctx)
	if _, err := ts.as(secret).AddNode(ctx, list[0].ID, graph.Op{ID: "x"}); statusOf(err) != 403 {
		t.Errorf("a viewer token on an open server edits: %v", err)
	}
	if _, err := ts.as("vf_nonsense").Graphs(ctx); statusOf(err) != 401 {
		t.Errorf("a malformed token on an open server: %v", err)
	}
	// An expired token, stored as such.
	_, old, _ := auth.New(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), "old", auth.Editor, time.Now().Add(-2*time.Hour), time.Hour)
	if err := ts.Store.SaveToken(ctx, old); err != nil {
		t.Fatal(err)
	}
	oldSecret, _, _ := auth.New(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), "old", auth.Editor, time.Now().Add(-2*time.Hour), time.Hour)
	if _, err := ts.as(oldSecret).Graphs(ctx); statusOf(err) != 401 || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired token: %v", err)
	}
}

func sessionTokenRequest(r auth.Role, name string) session.TokenRequest {
	return session.TokenRequest{Role: r, Name: name}
}
