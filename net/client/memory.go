package client

import (
	"context"
	"net/url"
	"strconv"

	"visionflow/memory"
	"visionflow/session"
)

// Remember stores a memory.
func (c *Client) Remember(ctx context.Context, in memory.Input) (memory.Memory, error) {
	var m memory.Memory
	return m, c.doJSON(ctx, "POST", "/api/memory", in, &m)
}

// Recall finds the memories closest to a query.
func (c *Client) Recall(ctx context.Context, q memory.Query) (memory.Result, error) {
	v := url.Values{"q": {q.Text}}
	if q.K != 0 {
		v.Set("k", strconv.Itoa(q.K))
	}
	for k, s := range map[string]string{"agent": q.Agent, "type": q.Type, "swarm": q.Swarm} {
		if s != "" {
			v.Set(k, s)
		}
	}
	var res memory.Result
	return res, c.do(ctx, "GET", "/api/memory/search?"+v.Encode(), "", nil, &res)
}

// Memory reads one memory whole.
func (c *Client) Memory(ctx context.Context, id string) (memory.Memory, error) {
	var m memory.Memory
	return m, c.do(ctx, "GET", "/api/memory/"+url.PathEscape(id), "", nil, &m)
}

// AgentMemories lists an agent's newest memories.
func (c *Client) AgentMemories(ctx context.Context, agent string, limit int) ([]memory.Memory, error) {
	var out struct {
		Memories []memory.Memory `json:"memories"`
	}
	return out.Memories, c.do(ctx, "GET", "/api/memory?"+url.Values{"agent": {agent}, "limit": {strconv.Itoa(limit)}}.Encode(), "", nil, &out)
}

// Forget deletes a memory.
func (c *Client) Forget(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/api/memory/"+url.PathEscape(id), "", nil, nil)
}

// MemoryStatus says what the memories' vectors are.
func (c *Client) MemoryStatus(ctx context.Context) (session.MemoryStatus, error) {
	var st session.MemoryStatus
	return st, c.do(ctx, "GET", "/api/memory/status", "", nil, &st)
}

// Reembed starts giving every memory a vector of the configured embedder.
func (c *Client) Reembed(ctx context.Context) (session.MemoryStatus, error) {
	var st session.MemoryStatus
	return st, c.doJSON(ctx, "POST", "/api/memory/reembed", struct{}{}, &st)
}
