package mcp

import (
	"context"

	"visionflow/memory"
)

type rememberArgs struct {
	AgentID    string   `json:"agentId"`
	SwarmID    string   `json:"swarmId,omitempty"`
	Content    string   `json:"content" jsonschema:"what to remember (at most 1 MiB)"`
	Type       string   `json:"type" jsonschema:"observation, fact, plan, result, reflection, message, decision, or another lower-case word"`
	Importance *float64 `json:"importance,omitempty" jsonschema:"0 to 1; computed from length, links and type when not given"`
	Links      []string `json:"links,omitempty" jsonschema:"ids of the knowledge nodes it concerns"`
}

func (s *Server) remember(ctx context.Context, who string, in rememberArgs) (memory.Memory, error) {
	return s.b.Remember(ctx, who, memory.Input{AgentID: in.AgentID, SwarmID: in.SwarmID, Content: in.Content, Type: in.Type,
		Importance: in.Importance, Links: in.Links})
}

type recallArgs struct {
	Query   string `json:"query" jsonschema:"what to look for, in words"`
	K       int    `json:"k,omitempty" jsonschema:"how many memories (1 to 100; 10 when not given)"`
	AgentID string `json:"agentId,omitempty" jsonschema:"only this agent's memories"`
	Type    string `json:"type,omitempty" jsonschema:"only memories of this type"`
	SwarmID string `json:"swarmId,omitempty" jsonschema:"only this swarm's memories"`
}

func (s *Server) recall(ctx context.Context, _ string, in recallArgs) (memory.Result, error) {
	return s.b.Recall(ctx, memory.Query{Text: in.Query, K: in.K, Agent: in.AgentID, Type: in.Type, Swarm: in.SwarmID})
}
