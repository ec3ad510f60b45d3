package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/telemetry"
)

// Swarm is a swarm's row: the knowledge graph it works on.
type Swarm struct {
	ID             string
	KnowledgeGraph string
	Created        time.Time
}

// SaveSwarm records the knowledge graph a swarm works on, unless one is
// recorded already: the first to record a swarm names it.
func (s *Store) SaveSwarm(ctx context.Context, sw Swarm) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO swarms (id, knowledge_graph, created_ms) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET knowledge_graph = excluded.knowledge_graph WHERE swarms.knowledge_graph = ''`,
			sw.ID, sw.KnowledgeGraph, sw.Created.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("save swarm %q: %w", sw.ID, err)
	}
	return nil
}

// SwarmInfo returns a swarm's row (graph.ErrNotFound when there is none).
func (s *Store) SwarmInfo(ctx context.Context, id string) (Swarm, error) {
	var sw Swarm
	var ms int64
	err := s.r.QueryRowContext(ctx, "SELECT id, knowledge_graph, created_ms FROM swarms WHERE id = ?", id).Scan(&sw.ID, &sw.KnowledgeGraph, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return Swarm{}, &graph.Error{Kind: graph.ErrNotFound, Field: "swarm", Detail: fmt.Sprintf("%q does not exist", id)}
	}
	if err != nil {
		return Swarm{}, fmt.Errorf("read swarm %q: %w", id, err)
	}
	sw.Created = time.UnixMilli(ms).UTC()
	return sw, nil
}

// AgentRow is one stored moment of an agent's history.
type AgentRow struct {
	Swarm string
	Agent string
	At    time.Time
	Kind  string // first, transition, sample, gone
	State agent.State
	Body  []byte // the agent as JSON
}

// AppendAgentHistory stores rows in one transaction.
func (s *Store) AppendAgentHistory(ctx context.Context, rows []AgentRow) error {
	if len(rows) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, "INSERT INTO agent_history (swarm, agent, at_ms, kind, state, body) VALUES (?, ?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r.Swarm, r.Agent, r.At.UnixMilli(), r.Kind, string(r.State), string(r.Body)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store agent history (%d rows): %w", len(rows), err)
	}
	return nil
}

// AgentHistory returns up to limit rows of an agent's history at or after
// since, oldest first.
func (s *Store) AgentHistory(ctx context.Context, swarm, agentID string, since time.Time, limit int) ([]AgentRow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at_ms, kind, state, body FROM agent_history
		WHERE swarm = ? AND agent = ? AND at_ms >= ? ORDER BY at_ms, id LIMIT ?`, swarm, agentID, since.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("read agent history of %s/%s: %w", swarm, agentID, err)
	}
	defer rows.Close()
	var out []AgentRow
	for rows.Next() {
		r := AgentRow{Swarm: swarm, Agent: agentID}
		var ms int64
		var state, body string
		if err := rows.Scan(&ms, &r.Kind, &state, &body); err != nil {
			return nil, err
		}
		r.At, r.State, r.Body = time.UnixMilli(ms).UTC(), agent.State(state), []byte(body)
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastSeen returns when each agent of a swarm was last recorded, for
// agents whose last row is not "gone".
func (s *Store) LastSeen(ctx context.Context, swarm string) (map[string]AgentRow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT h.agent, h.at_ms, h.kind, h.state, h.body FROM agent_history h
		JOIN (SELECT agent, max(id) AS id FROM agent_history WHERE swarm = ? GROUP BY agent) last ON last.id = h.id`, swarm)
	if err != nil {
		return nil, fmt.Errorf("read agents of swarm %q: %w", swarm, err)
	}
	defer rows.Close()
	out := map[string]AgentRow{}
	for rows.Next() {
		r := AgentRow{Swarm: swarm}
		var ms int64
		var state, body string
		if err := rows.Scan(&r.Agent, &ms, &r.Kind, &state, &body); err != nil {
			return nil, err
		}
		if r.Kind == "gone" {
			continue
		}
		r.At, r.State, r.Body = time.UnixMilli(ms).UTC(), agent.State(state), []byte(body)
		out[r.Agent] = r
	}
	return out, rows.Err()
}

// PruneAgentHistory deletes history older than before and returns how many
// rows went.
func (s *Store) PruneAgentHistory(ctx context.Context, before time.Time) (int64, error) {
	return s.prune(ctx, "agent_history", before)
}

func (s *Store) prune(ctx context.Context, table string, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE at_ms < ?", before.UnixMilli())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", table, err)
	}
	return n, nil
}

// SaveCommand stores a command as it now stands.
func (s *Store) SaveCommand(ctx context.Context, c agent.Command) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO agent_commands (id, swarm, agent, state, queued_ms, body) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body`,
			c.ID, c.Swarm, c.Agent, string(c.State), c.QueuedAt.UnixMilli(), string(body))
		return err
	})
	if err != nil {
		return fmt.Errorf("store command %s: %w", c.ID, err)
	}
	return nil
}

// Command returns one command (graph.ErrNotFound when there is none).
func (s *Store) Command(ctx context.Context, id string) (agent.Command, error) {
	var body string
	err := s.r.QueryRowContext(ctx, "SELECT body FROM agent_commands WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return agent.Command{}, &graph.Error{Kind: graph.ErrNotFound, Field: "commandId", Detail: fmt.Sprintf("there is no command %q", id)}
	}
	if err != nil {
		return agent.Command{}, fmt.Errorf("read command %q: %w", id, err)
	}
	var c agent.Command
	return c, json.Unmarshal([]byte(body), &c)
}

// Commands returns up to limit commands of a swarm (of one agent when
// agentID is not ""), newest first; with state set, only those in it,
// oldest first.
func (s *Store) Commands(ctx context.Context, swarm, agentID string, state agent.CommandState, limit int) ([]agent.Command, error) {
	q := "SELECT body FROM agent_commands WHERE swarm = ?"
	args := []any{swarm}
	if agentID != "" {
		q += " AND agent = ?"
		args = append(args, agentID)
	}
	order := " ORDER BY queued_ms DESC, id DESC"
	if state != "" {
		q += " AND state = ?"
		args = append(args, string(state))
		order = " ORDER BY queued_ms, id"
	}
	rows, err := s.r.QueryContext(ctx, q+order+" LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read commands of %s/%s: %w", swarm, agentID, err)
	}
	defer rows.Close()
	var out []agent.Command
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var c agent.Command
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return nil, fmt.Errorf("stored command: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// AppendTelemetry stores reports in one transaction.
func (s *Store) AppendTelemetry(ctx context.Context, ms []telemetry.Metrics) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, "INSERT INTO telemetry (session, at_ms, body) VALUES (?, ?, ?)")
		if err != nil {
			return err
		}
		defer st.Close()
		for _, m := range ms {
			body, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(ctx, m.SessionID, m.Timestamp.UnixMilli(), string(body)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store telemetry (%d reports): %w", len(ms), err)
	}
	return nil
}

// RecentTelemetry returns up to limit reports after since, newest first,
// of one session when session is not "".
func (s *Store) RecentTelemetry(ctx context.Context, since time.Time, limit int, session string) ([]telemetry.Metrics, error) {
	q := "SELECT body FROM telemetry WHERE at_ms > ?"
	args := []any{since.UnixMilli()}
	if session != "" {
		q += " AND session = ?"
		args = append(args, session)
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY at_ms DESC, id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read telemetry: %w", err)
	}
	defer rows.Close()
	out := []telemetry.Metrics{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var m telemetry.Metrics
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			return nil, fmt.Errorf("stored telemetry: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// PruneTelemetry deletes reports older than before.
func (s *Store) PruneTelemetry(ctx context.Context, before time.Time) (int64, error) {
	return s.prune(ctx, "telemetry", before)
}
