package app

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"visionflow/internal/embedtest"
	"visionflow/memory"
	"visionflow/settings"
	"visionflow/task"
)

// set changes settings through the REST API.
func set(t *testing.T, s *testServer, kv ...string) {
	t.Helper()
	var ups []settings.Update
	for i := 0; i+1 < len(kv); i += 2 {
		ups = append(ups, settings.Update{Path: kv[i], Value: json.RawMessage(kv[i+1])})
	}
	if _, err := s.c.SetSettings(context.Background(), ups...); err != nil {
		t.Fatal(err)
	}
}

// Memories through the real server with the local embedder: remembered
// over REST and MCP, found by meaning, filtered, compressed when large and
// given back whole, kept across a restart, forgotten.
func TestMemoryEndToEnd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vf.db")
	s := startServer(t, db)
	ctx := context.Background()
	set(t, s, "memory.compressAbove", "256")
	long := strings.Repeat("The octree groups distant nodes so that repulsion costs n log n. ", 40)
	inputs := []memory.Input{
		{AgentID: "ada", Content: "The GLSL shader parser reports compile errors with line numbers.", Type: "fact", Links: []string{"render"}},
		{AgentID: "ada", Content: "Plan: write the task board before the memory pipeline.", Type: "plan"},
		{AgentID: "bob", Content: "Agents renew their task leases with every heartbeat.", Type: "observation", Importance: new(0.9)},
		{AgentID: "bob", Content: long, Type: "result"},
	}
	var ids []string
	for _, in := range inputs {
		m, err := s.c.Remember(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if m.Embedder != memory.LocalName || m.Fallback != "" || m.Content != in.Content || m.Importance <= 0 || m.Importance > 1 {
			t.Fatalf("remembered: %+v", m)
		}
		ids = append(ids, m.ID)
	}
	if m, _ := s.c.Memory(ctx, ids[3]); !m.Compressed || m.Content != long || m.Size != len(long) {
		t.Fatalf("a long memory: compressed %v, %d bytes back", m.Compressed, len(m.Content))
	}
	if m, _ := s.c.Memory(ctx, ids[2]); !m.Given || m.Importance != 0.9 {
		t.Fatalf("a given importance: %+v", m)
	}

	// Through MCP too.
	cs := connectMCP(t, &sdk.StreamableClientTransport{Endpoint: s.url + "/mcp"})
	var viaMCP memory.Memory
	call(t, cs, "remember", map[string]any{"agentId": "cy", "content": "Compiling shaders fails when the driver lacks compute support.", "type": "observation"}, &viaMCP)
	if viaMCP.ID == "" || viaMCP.Agent != "cy" {
		t.Fatalf("remember over MCP: %+v", viaMCP)
	}

	res, err := s.c.Recall(ctx, memory.Query{Text: "shader compile errors", K: 3})
	if err != nil || len(res.Hits) != 3 || res.Embedder != memory.LocalName || res.Searched != 5 || res.Skipped != 0 {
		t.Fatalf("recall: %v %+v", err, res)
	}
	if top := res.Hits[0].Memory.ID; top != ids[0] && top != viaMCP.ID {
		t.Errorf("the closest to %q is %q", "shader compile errors", res.Hits[0].Memory.Content)
	}
	if !(res.Hits[0].Score >= res.Hits[1].Score && res.Hits[1].Score >= res.Hits[2].Score) {
		t.Errorf("not ranked: %+v", res.Hits)
	}
	if r, _ := s.c.Recall(ctx, memory.Query{Text: "shader", Agent: "bob"}); len(r.Hits) != 2 || r.Hits[0].Memory.Agent != "bob" {
		t.Errorf("bob's memories: %+v", r.Hits)
	}
	if r, _ := s.c.Recall(ctx, memory.Query{Text: "write the board", Type: "plan"}); len(r.Hits) != 1 || r.Hits[0].Memory.ID != ids[1] {
		t.Errorf("plans: %+v", r.Hits)
	}
	var found memory.Result
	call(t, cs, "recall", map[string]any{"query": "lease heartbeat", "k": 1}, &found)
	if len(found.Hits) != 1 || found.Hits[0].Memory.ID != ids[2] {
		t.Errorf("recall over MCP: %+v", found)
	}
	if list, _ := s.c.AgentMemories(ctx, "ada", 10); len(list) != 2 || list[0].ID != ids[1] {
		t.Errorf("ada's memories, newest first: %+v", list)
	}

	// A restart reads them back.
	s.Close()
	s = startServer(t, db)
	defer s.Close()
	res, err = s.c.Recall(ctx, memory.Query{Text: "task leases heartbeat", K: 1})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].Memory.ID != ids[2] || res.Searched != 5 {
		t.Fatalf("after a restart: %v %+v", err, res)
	}
	if err := s.c.Forget(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Forget(ctx, ids[2]); status(err) != http.StatusNotFound {
		t.Errorf("forgetting twice: %v", err)
	}
	if res, _ = s.c.Recall(ctx, memory.Query{Text: "task leases heartbeat"}); res.Searched != 4 {
		t.Errorf("a forgotten memory is still searched: %+v", res)
	}
	if st, _ := s.c.MemoryStatus(ctx); st.Memories != 4 || st.Embedders[memory.LocalName] != 4 || st.Embedder != memory.LocalName {
		t.Errorf("status: %+v", st)
	}
}

// Bad memory input is refused with a clear error and stores nothing.
func TestBadMemoryInput(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()
	huge, _ := json.Marshal(map[string]string{"agentId": "a", "type": "fact", "content": strings.Repeat("x", 10<<20)})
	for _, c := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/api/memory", string(huge), 413, "1 MiB"},
		{"POST", "/api/memory", `{"agentId":"a","type":"fact","content":""}`, 400, "content"},
		{"POST", "/api/memory", `{"agentId":"a","type":"Big Idea","content":"x"}`, 400, "type"},
		{"POST", "/api/memory", `{"agentId":"a","type":"fact","content":"x","importance":7}`, 400, "importance"},
		{"POST", "/api/memory", `{"agentId":"a","type":"fact","content":"x","mood":"happy"}`, 400, "mood"},
		{"POST", "/api/memory", `{"type":"fact","content":"x"}`, 400, "agentId"},
		{"GET", "/api/memory/search?q=x&k=1000000", "", 400, "k"},
		{"GET", "/api/memory/search?q=x&k=0", "", 400, "k"},
		{"GET", "/api/memory/search?k=3", "", 400, "q"},
		{"GET", "/api/memory/search?q=x&type=NOPE", "", 400, "type"},
		{"GET", "/api/memory", "", 400, "agent"},
		{"GET", "/api/memory/nope", "", 404, "nope"},
		{"DELETE", "/api/memory/nope", "", 404, "nope"},
	} {
		code, body := raw(t, c.method, s.url+c.path, "application/json", c.body)
		if code != c.code || !strings.Contains(body["detail"]+body["error"], c.want) {
			t.Errorf("%s %s %.60s: %d %v (want %d naming %q)", c.method, c.path, c.body, code, body, c.code, c.want)
		}
	}
	if st, _ := s.c.MemoryStatus(ctx); st.Memories != 0 {
		t.Fatalf("refused memories were stored: %+v", st)
	}
	if _, err := s.c.Health(ctx); err != nil {
		t.Fatal(err)
	}
}

// With an OpenAI-compatible endpoint (a real HTTP server on loopback
// speaking the protocol): memories are embedded by it; when it fails,
// hangs or answers garbage the local embedder stands in, said so, and the
// failed embedding waits in the dead-letter queue; after three failures
// the breaker stops calling it; when it is back, a retry from the queue
// and a re-embedding bring every memory to its vectors.
func TestMemoryWithAnEmbeddingsEndpoint(t *testing.T) {
	ep := embedtest.New(256)
	defer ep.Close()
	ep.Key = "sk-test"
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx := context.Background()

	// One memory before the endpoint: the local embedder's.
	early, err := s.c.Remember(ctx, memory.Input{AgentID: "ada", Content: "octree repulsion for large graphs", Type: "fact"})
	if err != nil {
		t.Fatal(err)
	}
	set(t, s, "memory.embedder", `"openai"`)
	m, _ := s.c.Remember(ctx, memory.Input{AgentID: "ada", Content: "x", Type: "fact"})
	if m.Embedder != memory.LocalName || !strings.Contains(m.Fallback, "URL") {
		t.Fatalf("openai without a URL: %+v", m)
	}
	s.c.Forget(ctx, m.ID)
	set(t, s, "memory.endpoint.url", `"`+ep.URL()+`"`, "memory.endpoint.model", `"test-embed"`, "memory.endpoint.key", `"sk-test"`,
		"memory.endpoint.timeout", "1")
	if v, _ := s.c.Setting(ctx, "memory.endpoint.key"); string(v) != `"(set)"` {
		t.Errorf("the key reads back as %s", v)
	}
	m, err = s.c.Remember(ctx, memory.Input{AgentID: "ada", Content: "shader compile errors with line numbers", Type: "fact"})
	if err != nil || !strings.HasPrefix(m.Embedder, "openai:test-embed@") || m.Fallback != "" {
		t.Fatalf("embedded by the endpoint: %v %+v", err, m)
	}
	endpoint := m.Embedder
	res, _ := s.c.Recall(ctx, memory.Query{Text: "shader errors"})
	if res.Embedder != endpoint || len(res.Hits) != 1 || res.Skipped != 1 {
		t.Fatalf("a search with the endpoint: %+v", res)
	}

	// It fails three ways; each memory is kept with a local vector, the
	// reason, and a dead letter.
	for _, mode := range []string{embedtest.Fail, embedtest.Hang, embedtest.Garbage} {
		ep.SetMode(mode)
		m, err := s.c.Remember(ctx, memory.Input{AgentID: "bob", Content: "what happened while the endpoint was " + mode, Type: "observation"})
		if err != nil || m.Embedder != memory.LocalName || !strings.Contains(m.Fallback, "failed") {
			t.Fatalf("endpoint %s: %v %+v", mode, err, m)
		}
	}
	letters, _ := s.c.DeadLetters(ctx, "", "", 0)
	if len(letters) != 3 || letters[0].Kind != "embedding" || len(letters[0].Errors) != 1 {
		t.Fatalf("dead letters: %+v", letters)
	}
	// The breaker is open: the endpoint is not called.
	calls := ep.Calls.Load()
	m, _ = s.c.Remember(ctx, memory.Input{AgentID: "bob", Content: "while the breaker is open", Type: "observation"})
	if ep.Calls.Load() != calls || !strings.Contains(m.Fallback, "circuit breaker is open") {
		t.Fatalf("an open breaker: %d calls → %d, %q", calls, ep.Calls.Load(), m.Fallback)
	}
	if st, _ := s.c.MemoryStatus(ctx); st.Breaker != "open" {
		t.Errorf("status: %+v", st)
	}
	if _, err := s.c.Health(ctx); err != nil {
		t.Fatal(err)
	}

	// Back: a new key makes a new client with a closed breaker; a dead
	// letter retried re-embeds its memory.
	ep.SetMode(embedtest.OK)
	set(t, s, "memory.endpoint.timeout", "2")
	d, err := s.c.RetryDeadLetter(ctx, letters[0].ID)
	if err != nil || d.State != task.LetterRetried {
		t.Fatalf("retry: %v %+v", err, d)
	}
	if m, _ := s.c.Memory(ctx, letters[0].Ref); m.Embedder != endpoint || m.Fallback != "" {
		t.Fatalf("the retried memory: %+v", m)
	}
	if d, err := s.c.DiscardDeadLetter(ctx, letters[1].ID); err != nil || d.State != task.LetterDiscarded {
		t.Fatalf("discard: %v %+v", err, d)
	}
	// The re-embedding brings the rest over.
	st, err := s.c.Reembed(ctx)
	if err != nil || st.Reembed == nil || st.Reembed.Total != 4 {
		t.Fatalf("reembed: %v %+v", err, st)
	}
	waitFor(t, "the re-embedding", func() bool {
		st, _ = s.c.MemoryStatus(ctx)
		return st.Reembed != nil && !st.Reembed.Running
	})
	if st.Reembed.Error != "" || st.Reembed.Done != 4 || st.Embedders[endpoint] != 6 || len(st.Embedders) != 1 {
		t.Fatalf("after the re-embedding: %+v %+v", st, st.Reembed)
	}
	if open, _ := s.c.DeadLetters(ctx, "", "", 0); len(open) != 0 {
		t.Errorf("letters still open: %+v", open)
	}
	res, _ = s.c.Recall(ctx, memory.Query{Text: "octree repulsion"})
	if res.Skipped != 0 || res.Searched != 6 || res.Hits[0].Memory.ID != early.ID {
		t.Errorf("after the re-embedding: %+v", res)
	}
	// A re-embedding while the endpoint fails stops and says why.
	set(t, s, "memory.endpoint.model", `"other-model"`)
	ep.SetMode(embedtest.Fail)
	st, _ = s.c.Reembed(ctx)
	waitFor(t, "the failing re-embedding to stop", func() bool {
		st, _ = s.c.MemoryStatus(ctx)
		return st.Reembed != nil && !st.Reembed.Running
	})
	if !strings.Contains(st.Reembed.Error, "failed") || st.Reembed.Done != 0 {
		t.Errorf("a failing re-embedding: %+v", st.Reembed)
	}
	// The model changes size under the same name: its vectors cannot join
	// the others; the local embedder stands in and the queue keeps it.
	ep.SetMode(embedtest.OK)
	ep.SetDims(128)
	set(t, s, "memory.endpoint.model", `"test-embed"`)
	m, err = s.c.Remember(ctx, memory.Input{AgentID: "ada", Content: "after the model changed", Type: "fact"})
	if err != nil || m.Embedder != memory.LocalName || !strings.Contains(m.Fallback, "128 dimensions") {
		t.Fatalf("a model of another size: %v %+v", err, m)
	}
	if open, _ := s.c.DeadLetters(ctx, "", "", 0); len(open) != 1 || open[0].Ref != m.ID {
		t.Errorf("its dead letter: %+v", open)
	}
	if _, err := s.c.Health(ctx); err != nil {
		t.Fatal(err)
	}
}
