package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"visionflow/agent"
	"visionflow/session"
	"visionflow/telemetry"
)

// ReportStatus sends agents' status updates.
func (c *Client) ReportStatus(ctx context.Context, updates ...agent.Status) (session.StatusReport, error) {
	var rep session.StatusReport
	return rep, c.doJSON(ctx, "POST", "/api/agents/status", updates, &rep)
}

// Agents lists the live agents of a swarm ("" for every swarm).
func (c *Client) Agents(ctx context.Context, swarm string) ([]agent.Agent, error) {
	var out struct {
		Agents []agent.Agent `json:"agents"`
	}
	return out.Agents, c.do(ctx, "GET", "/api/agents?swarm="+url.QueryEscape(swarm), "", nil, &out)
}

// Swarms lists the swarms.
func (c *Client) Swarms(ctx context.Context) ([]session.SwarmInfo, error) {
	var out struct {
		Swarms []session.SwarmInfo `json:"swarms"`
	}
	return out.Swarms, c.do(ctx, "GET", "/api/swarms", "", nil, &out)
}

func agentPath(swarm, id, rest string, query ...string) string {
	p := "/api/agents/" + url.PathEscape(id) + rest
	q := url.Values{}
	if swarm != "" {
		q.Set("swarm", swarm)
	}
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

// AgentHistory returns what was stored of an agent, oldest first.
func (c *Client) AgentHistory(ctx context.Context, swarm, id string, since time.Time) ([]session.AgentRecord, error) {
	var out struct {
		History []session.AgentRecord `json:"history"`
	}
	var q []string
	if !since.IsZero() {
		q = []string{"since", since.Format(time.RFC3339Nano)}
	}
	return out.History, c.do(ctx, "GET", agentPath(swarm, id, "/history", q...), "", nil, &out)
}

// SendMessage sends one agent's message to another.
func (c *Client) SendMessage(ctx context.Context, m agent.Message) (agent.LinkView, error) {
	var out struct {
		Link agent.LinkView `json:"link"`
	}
	return out.Link, c.doJSON(ctx, "POST", "/api/agents/messages", m, &out)
}

// QueueCommand gives an agent an operator's command.
func (c *Client) QueueCommand(ctx context.Context, swarm, id string, req agent.CommandRequest) (agent.Command, error) {
	var cmd agent.Command
	return cmd, c.doJSON(ctx, "POST", agentPath(swarm, id, "/commands"), req, &cmd)
}

// Commands lists an agent's commands, newest first.
func (c *Client) Commands(ctx context.Context, swarm, id string) ([]agent.Command, error) {
	var out struct {
		Commands []agent.Command `json:"commands"`
	}
	return out.Commands, c.do(ctx, "GET", agentPath(swarm, id, "/commands"), "", nil, &out)
}

// NextCommand takes an agent's next command (nil when there is none).
func (c *Client) NextCommand(ctx context.Context, swarm, id string) (*agent.Command, error) {
	var out struct {
		Command *agent.Command `json:"command"`
	}
	return out.Command, c.do(ctx, "POST", agentPath(swarm, id, "/commands/next"), "", nil, &out)
}

// AckCommand answers a command.
func (c *Client) AckCommand(ctx context.Context, ack agent.Ack) (agent.Command, error) {
	var cmd agent.Command
	body := map[string]any{"ok": ack.OK, "note": ack.Note}
	return cmd, c.doJSON(ctx, "POST", "/api/commands/"+url.PathEscape(ack.CommandID)+"/ack", body, &cmd)
}

// Focus asks the windows to fly to nodes of a graph.
func (c *Client) Focus(ctx context.Context, f session.FocusRequest) error {
	return c.doJSON(ctx, "POST", "/api/focus", f, nil)
}

// PostTelemetry stores telemetry reports.
func (c *Client) PostTelemetry(ctx context.Context, reports ...telemetry.Metrics) error {
	return c.doJSON(ctx, "POST", "/api/telemetry", reports, nil)
}

// RecentTelemetry lists stored reports after since, newest first.
func (c *Client) RecentTelemetry(ctx context.Context, since time.Time, limit int, sessionID string) ([]telemetry.Metrics, error) {
	var out struct {
		Reports []telemetry.Metrics `json:"reports"`
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if !since.IsZero() {
		q.Set("since", since.Format(time.RFC3339Nano))
	}
	if sessionID != "" {
		q.Set("session", sessionID)
	}
	return out.Reports, c.do(ctx, "GET", "/api/telemetry/recent?"+q.Encode(), "", nil, &out)
}
