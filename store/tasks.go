package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"visionflow/graph"
	"visionflow/task"
)

// SaveTasks stores tasks as they now are, and dead letters, in one
// transaction.
func (s *Store) SaveTasks(ctx context.Context, ts []*task.Task, letters ...task.DeadLetter) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO tasks (id, swarm, parent, state, created_ms, updated_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_ms = excluded.updated_ms, body = excluded.body`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, t := range ts {
			body, err := json.Marshal(t)
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(ctx, t.ID, t.Swarm, t.Parent, string(t.State), t.Created.UnixMilli(), t.Updated.UnixMilli(), string(body)); err != nil {
				return err
			}
		}
		for _, d := range letters {
			if err := saveLetter(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %d tasks: %w", len(ts), err)
	}
	return nil
}

// AllTasks reads every stored task.
func (s *Store) AllTasks(ctx context.Context) ([]*task.Task, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT body FROM tasks ORDER BY created_ms, id")
	if err != nil {
		return nil, fmt.Errorf("read tasks: %w", err)
	}
	defer rows.Close()
	var out []*task.Task
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var t task.Task
		if err := json.Unmarshal([]byte(body), &t); err != nil {
			return nil, fmt.Errorf("stored task: %w", err)
		}
		out = append(out, &t)
	}
	return out, rows.Err()
}

// DeadLetters lists dead letters in a state ("" for all) of a swarm (""
// for all), newest first.
func (s *Store) DeadLetters(ctx context.Context, state, swarm string, limit int) ([]task.DeadLetter, error) {
	q := "SELECT body FROM dead_letters WHERE 1 = 1"
	var args []any
	if state != "" {
		q += " AND state = ?"
		args = append(args, state)
	}
	if swarm != "" {
		q += " AND swarm = ?"
		args = append(args, swarm)
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY created_ms DESC, id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read dead letters: %w", err)
	}
	defer rows.Close()
	out := []task.DeadLetter{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var d task.DeadLetter
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			return nil, fmt.Errorf("stored dead letter: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeadLetter reads one dead letter (graph.ErrNotFound when there is none).
func (s *Store) DeadLetter(ctx context.Context, id string) (task.DeadLetter, error) {
	var body string
	err := s.r.QueryRowContext(ctx, "SELECT body FROM dead_letters WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return task.DeadLetter{}, &graph.Error{Kind: graph.ErrNotFound, Field: "dead letter", Detail: fmt.Sprintf("there is no dead letter %q", id)}
	}
	if err != nil {
		return task.DeadLetter{}, fmt.Errorf("read dead letter %q: %w", id, err)
	}
	var d task.DeadLetter
	return d, json.Unmarshal([]byte(body), &d)
}

// OpenDeadLetterFor returns the open dead letter of some work, if any.
func (s *Store) OpenDeadLetterFor(ctx context.Context, kind, ref string) (task.DeadLetter, bool, error) {
	var body string
	err := s.r.QueryRowContext(ctx, "SELECT body FROM dead_letters WHERE kind = ? AND ref = ? AND state = 'open'", kind, ref).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return task.DeadLetter{}, false, nil
	}
	if err != nil {
		return task.DeadLetter{}, false, err
	}
	var d task.DeadLetter
	return d, true, json.Unmarshal([]byte(body), &d)
}
