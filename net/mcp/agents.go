package mcp

import (
	"context"
	"encoding/json"
	"fmt"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/session"
	"visionflow/settings"
)

type statusArgs struct {
	Updates []agent.Status `json:"updates" jsonschema:"one status per agent: agentId, swarmId, state (idle, thinking, executing, collaborating, blocked or error) and what else you know"`
}

func (s *Server) reportStatus(ctx context.Context, who string, in statusArgs) (session.StatusReport, error) {
	return s.b.ReportStatus(ctx, who, in.Updates)
}

type messageArgs struct {
	SwarmID string `json:"swarmId"`
	From    string `json:"from" jsonschema:"the sending agent's id"`
	To      string `json:"to" jsonschema:"the receiving agent's id"`
	Kind    string `json:"kind,omitempty" jsonschema:"message (default) or handoff (of a task)"`
	Text    string `json:"text,omitempty"`
}

type linkResult struct {
	Link agent.LinkView `json:"link"`
}

func (s *Server) sendMessage(ctx context.Context, who string, in messageArgs) (linkResult, error) {
	l, err := s.b.SendMessage(ctx, who, agent.Message{Swarm: in.SwarmID, From: in.From, To: in.To, Kind: in.Kind, Text: in.Text})
	return linkResult{Link: l}, err
}

type focusArgs struct {
	Graph string   `json:"graph" jsonschema:"the graph's id"`
	Nodes []string `json:"nodes" jsonschema:"ids of the nodes to show (at most 100)"`
	Note  string   `json:"note,omitempty" jsonschema:"why, shown to the people"`
}

type done struct {
	OK bool `json:"ok"`
}

func (s *Server) focus(ctx context.Context, who string, in focusArgs) (done, error) {
	err := s.b.Focus(ctx, who, session.FocusRequest{Graph: in.Graph, Nodes: in.Nodes, Note: in.Note})
	return done{OK: err == nil}, err
}

type settingsArgs struct {
	Path string `json:"path,omitempty" jsonschema:"a setting or group such as physics.springK or physics; empty for all"`
}

type settingsResult struct {
	Path  string `json:"path"`
	Value any    `json:"value"`
}

func (s *Server) getSettings(_ context.Context, _ string, in settingsArgs) (settingsResult, error) {
	if in.Path == "" {
		return settingsResult{Value: s.b.Settings().Tree()}, nil
	}
	v, err := s.b.Settings().Get(in.Path)
	return settingsResult{Path: in.Path, Value: v}, err
}

type setSettingArgs struct {
	Path  string `json:"path" jsonschema:"the setting's path, such as physics.springK"`
	Value any    `json:"value" jsonschema:"its new value, of the setting's kind"`
}

// settingChange is what set_setting did.
type settingChange struct {
	Path    string `json:"path"`
	Old     any    `json:"old"`
	New     any    `json:"new"`
	Changed bool   `json:"changed"`
}

func (s *Server) setSetting(ctx context.Context, who string, in setSettingArgs) (settingChange, error) {
	raw, err := json.Marshal(in.Value)
	if err != nil {
		return settingChange{}, &graph.Error{Kind: graph.ErrInvalid, Field: "value", Detail: err.Error()}
	}
	old, err := s.b.Settings().Value(in.Path)
	if err != nil {
		return settingChange{}, err
	}
	ds, err := s.b.Settings().Apply(ctx, who, []settings.Update{{Path: in.Path, Value: raw}})
	if err != nil {
		return settingChange{}, err
	}
	cur, _ := s.b.Settings().Value(in.Path)
	return settingChange{Path: in.Path, Old: old, New: cur, Changed: len(ds) > 0}, nil
}

type agentArgs struct {
	SwarmID string `json:"swarmId"`
	AgentID string `json:"agentId"`
}

type commandResult struct {
	Command *agent.Command `json:"command"` // null when there is none
}

func (s *Server) nextCommand(ctx context.Context, _ string, in agentArgs) (commandResult, error) {
	if err := graph.ValidateGraphID(in.SwarmID); err != nil {
		return commandResult{}, &graph.Error{Kind: graph.ErrInvalid, Field: "swarmId", Detail: fmt.Sprint(err)}
	}
	if err := graph.ValidateID("agentId", in.AgentID); err != nil {
		return commandResult{}, err
	}
	if !hasAgent(s.b.SwarmsOf(in.AgentID), in.SwarmID) {
		return commandResult{}, &graph.Error{Kind: graph.ErrNotFound, Field: "agentId", Detail: fmt.Sprintf("swarm %q has no live agent %q (report its status first)", in.SwarmID, in.AgentID)}
	}
	c, err := s.b.NextCommand(ctx, in.SwarmID, in.AgentID)
	return commandResult{Command: c}, err
}

func hasAgent(swarms []string, swarm string) bool {
	for _, s := range swarms {
		if s == swarm {
			return true
		}
	}
	return false
}

type ackArgs struct {
	CommandID string `json:"commandId"`
	OK        bool   `json:"ok" jsonschema:"true when the command was carried out"`
	Note      string `json:"note,omitempty"`
}

func (s *Server) ackCommand(ctx context.Context, who string, in ackArgs) (agent.Command, error) {
	return s.b.AckCommand(ctx, who, agent.Ack{CommandID: in.CommandID, OK: in.OK, Note: in.Note})
}
