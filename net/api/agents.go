package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/session"
	"visionflow/telemetry"
)

// MaxAgentHistory is the most history rows one request returns.
const MaxAgentHistory = 10_000

// decodeOneOrMany reads a JSON body holding one object or an array of
// them.
func decodeOneOrMany[T any](s *Server, w http.ResponseWriter, r *http.Request) ([]T, error) {
	if err := requireType(r, "application/json"); err != nil {
		return nil, err
	}
	body, err := readBody(w, r, s.opt.MaxBody)
	if err != nil {
		return nil, err
	}
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
		var list []T
		if err := decodeJSON(body, &list); err != nil {
			return nil, err
		}
		return list, nil
	}
	var one T
	if err := decodeJSON(body, &one); err != nil {
		return nil, err
	}
	return []T{one}, nil
}

func (s *Server) postStatus(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	updates, err := decodeOneOrMany[agent.Status](s, w, r)
	if err != nil {
		return err
	}
	rep, err := s.b.ReportStatus(r.Context(), who, updates)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) error {
	swarm := r.URL.Query().Get("swarm")
	list, err := s.b.Agents(r.Context(), swarm)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": nonNil(list)})
	return nil
}

func (s *Server) listSwarms(w http.ResponseWriter, r *http.Request) error {
	list, err := s.b.Swarms(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"swarms": nonNil(list)})
	return nil
}

// swarmOf is the swarm a request about an agent means: the swarm query
// parameter, or else the one live swarm that has the agent.
func (s *Server) swarmOf(r *http.Request, agentID string) (string, error) {
	if sw := r.URL.Query().Get("swarm"); sw != "" {
		if err := graph.ValidateGraphID(sw); err != nil {
			return "", invalid("query parameter swarm: %v", err.(*graph.Error).Detail)
		}
		return sw, nil
	}
	switch in := s.b.SwarmsOf(agentID); len(in) {
	case 0:
		return "", &Error{Status: http.StatusNotFound, Code: "not found", Detail: fmt.Sprintf("no live swarm has an agent %q (give swarm= for one that left)", agentID)}
	case 1:
		return in[0], nil
	default:
		return "", invalid("agent %q is in swarms %s: say which with swarm=", agentID, strings.Join(in, ", "))
	}
}

func (s *Server) agentHistory(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	swarm, err := s.swarmOf(r, id)
	if err != nil {
		return err
	}
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		if since, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return invalid("query parameter since=%q must be an RFC 3339 time such as 2026-12-01T10:00:00Z", v)
		}
	}
	limit, err := queryUint(r, "limit", 1000, MaxAgentHistory)
	if err != nil {
		return err
	}
	if limit == 0 {
		return invalid("query parameter limit must be at least 1")
	}
	recs, err := s.b.AgentHistory(r.Context(), swarm, id, since, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"swarm": swarm, "agentId": id, "history": nonNil(recs)})
	return nil
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	var m agent.Message
	if err := s.decode(w, r, &m); err != nil {
		return err
	}
	link, err := s.b.SendMessage(r.Context(), who, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"link": link})
	return nil
}

func (s *Server) postCommand(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	swarm, err := s.swarmOf(r, id)
	if err != nil {
		return err
	}
	var req agent.CommandRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.b.QueueCommand(r.Context(), who, swarm, id, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) agentCommands(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	swarm, err := s.swarmOf(r, id)
	if err != nil {
		return err
	}
	return s.commandList(w, r, swarm, id)
}

func (s *Server) swarmCommands(w http.ResponseWriter, r *http.Request) error {
	return s.commandList(w, r, r.PathValue("swarm"), "")
}

func (s *Server) commandList(w http.ResponseWriter, r *http.Request, swarm, agentID string) error {
	limit, err := queryUint(r, "limit", 100, 10_000)
	if err != nil {
		return err
	}
	if limit == 0 {
		return invalid("query parameter limit must be at least 1")
	}
	list, err := s.b.Commands(r.Context(), swarm, agentID, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"commands": nonNil(list)})
	return nil
}

func (s *Server) nextCommand(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	swarm, err := s.swarmOf(r, id)
	if err != nil {
		return err
	}
	c, err := s.b.NextCommand(r.Context(), swarm, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"command": c})
	return nil
}

// ackBody is the body of POST /api/commands/{id}/ack.
type ackBody struct {
	OK   bool   `json:"ok"`
	Note string `json:"note"`
}

func (s *Server) ackCommand(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	var b ackBody
	if err := s.decode(w, r, &b); err != nil {
		return err
	}
	c, err := s.b.AckCommand(r.Context(), who, agent.Ack{CommandID: r.PathValue("id"), OK: b.OK, Note: b.Note})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) postFocus(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	var f session.FocusRequest
	if err := s.decode(w, r, &f); err != nil {
		return err
	}
	if err := s.b.Focus(r.Context(), who, f); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) postTelemetry(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	reports, err := decodeOneOrMany[telemetry.Metrics](s, w, r)
	if err != nil {
		return err
	}
	if err := s.b.PostTelemetry(r.Context(), who, reports); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"stored": len(reports)})
	return nil
}

func (s *Server) recentTelemetry(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("since"); v != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return invalid("query parameter since=%q must be an RFC 3339 time such as 2026-12-01T10:00:00Z", v)
		}
	}
	limit, err := queryUint(r, "limit", 100, 10_000)
	if err != nil {
		return err
	}
	if limit == 0 {
		return invalid("query parameter limit must be at least 1")
	}
	sess := q.Get("session")
	if sess != "" {
		if err := graph.ValidateID("query parameter session", sess); err != nil {
			return err
		}
	}
	list, err := s.b.RecentTelemetry(r.Context(), since, int(limit), sess)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": nonNil(list)})
	return nil
}
