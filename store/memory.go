package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"visionflow/graph"
	"visionflow/memory"
	"visionflow/task"
)

// StoredMemory is a memory as stored: its content packed, with its vector.
type StoredMemory struct {
	memory.Memory
	Packed []byte // the content as stored (compressed when Compressed)
	Vector []float32
}

// InsertMemory stores a new memory, and a dead letter when its embedding
// failed, in one transaction.
func (s *Store) InsertMemory(ctx context.Context, m StoredMemory, letter *task.DeadLetter) error {
	links, err := json.Marshal(m.Links)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO memories (id, swarm, agent, type, importance, given, links, content, compressed, size, embedder, vector, fallback, created_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.Swarm, m.Agent, m.Type, m.Importance, m.Given, string(links), m.Packed, m.Compressed, m.Size, m.Embedder,
			memory.EncodeVector(m.Vector), m.Fallback, m.Created.UnixMilli())
		if err != nil {
			return err
		}
		if letter != nil {
			return saveLetter(ctx, tx, *letter)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store memory %s: %w", m.ID, err)
	}
	return nil
}

// saveLetter stores a dead letter as it now is.
func saveLetter(ctx context.Context, tx *sql.Tx, d task.DeadLetter) error {
	body, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO dead_letters (id, kind, ref, swarm, state, created_ms, updated_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_ms = excluded.updated_ms, body = excluded.body`,
		d.ID, d.Kind, d.Ref, d.Swarm, d.State, d.Created.UnixMilli(), d.Updated.UnixMilli(), string(body))
	return err
}

// SetMemoryVector replaces a memory's vector (a re-embedding), and stores
// dead letters (settled or new) in the same transaction. It reports
// whether the memory was there.
func (s *Store) SetMemoryVector(ctx context.Context, id, embedder string, vec []float32, fallback string, letters ...task.DeadLetter) (bool, error) {
	found := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE memories SET embedder = ?, vector = ?, fallback = ? WHERE id = ?", embedder, memory.EncodeVector(vec), fallback, id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		found = n == 1
		for _, d := range letters {
			if err := saveLetter(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store the vector of memory %s: %w", id, err)
	}
	return found, nil
}

// DeleteMemory deletes a memory (and settles its open dead letters as
// discarded); it reports whether there was one.
func (s *Store) DeleteMemory(ctx context.Context, id string, now time.Time) (bool, error) {
	found := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM memories WHERE id = ?", id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		found = n == 1
		rows, err := tx.QueryContext(ctx, "SELECT body FROM dead_letters WHERE kind = 'embedding' AND ref = ? AND state = 'open'", id)
		if err != nil {
			return err
		}
		var open []task.DeadLetter
		for rows.Next() {
			var body string
			var d task.DeadLetter
			if err := rows.Scan(&body); err != nil || json.Unmarshal([]byte(body), &d) != nil {
				rows.Close()
				return fmt.Errorf("a stored dead letter: %v", err)
			}
			open = append(open, d)
		}
		rows.Close()
		for _, d := range open {
			d.State, d.By, d.Updated = task.LetterDiscarded, "deleted with its memory", now
			if err := saveLetter(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("delete memory %s: %w", id, err)
	}
	return found, nil
}

const memoryColumns = "id, swarm, agent, type, importance, given, links, content, compressed, size, embedder, vector, fallback, created_ms"

func scanMemory(sc interface{ Scan(...any) error }) (StoredMemory, error) {
	var m StoredMemory
	var links string
	var vec []byte
	var created int64
	err := sc.Scan(&m.ID, &m.Swarm, &m.Agent, &m.Type, &m.Importance, &m.Given, &links, &m.Packed, &m.Compressed, &m.Size, &m.Embedder, &vec, &m.Fallback, &created)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(links), &m.Links); err != nil {
		return m, fmt.Errorf("memory %s: its links: %w", m.ID, err)
	}
	if m.Vector, err = memory.DecodeVector(vec); err != nil {
		return m, fmt.Errorf("memory %s: %w", m.ID, err)
	}
	m.Created = time.UnixMilli(created).UTC()
	return m, nil
}

// Memory reads one memory (graph.ErrNotFound when there is none).
func (s *Store) Memory(ctx context.Context, id string) (StoredMemory, error) {
	m, err := scanMemory(s.r.QueryRowContext(ctx, "SELECT "+memoryColumns+" FROM memories WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, &graph.Error{Kind: graph.ErrNotFound, Field: "memory", Detail: fmt.Sprintf("there is no memory %q", id)}
	}
	if err != nil {
		return m, fmt.Errorf("read memory %q: %w", id, err)
	}
	return m, nil
}

// AgentMemories lists an agent's newest memories, newest first.
func (s *Store) AgentMemories(ctx context.Context, agent string, limit int) ([]StoredMemory, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+memoryColumns+" FROM memories WHERE agent = ? ORDER BY created_ms DESC, id DESC LIMIT ?", agent, limit)
	if err != nil {
		return nil, fmt.Errorf("read the memories of %s: %w", agent, err)
	}
	defer rows.Close()
	var out []StoredMemory
	for rows.Next() {
		m, err := scanMemory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// EachMemory calls fn with every stored memory, oldest first; it stops at
// fn's first error.
func (s *Store) EachMemory(ctx context.Context, fn func(StoredMemory) error) error {
	rows, err := s.r.QueryContext(ctx, "SELECT "+memoryColumns+" FROM memories ORDER BY created_ms, id")
	if err != nil {
		return fmt.Errorf("read memories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMemory(rows)
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}
