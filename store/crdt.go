package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"visionflow/graph"
	"visionflow/graph/crdt"
)

// Replica is this database's replica id, made on first use: it stamps the
// CRDT ops of the graphs it holds.
func (s *Store) Replica(ctx context.Context) (string, error) {
	var id string
	err := s.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'replica'").Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read replica id: %w", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES ('replica', ?) ON CONFLICT (key) DO NOTHING", hex.EncodeToString(b))
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'replica'").Scan(&id)
	})
	if err != nil {
		return "", fmt.Errorf("make replica id: %w", err)
	}
	return id, nil
}

// LoadCRDT returns a graph's CRDT ops in the order they were applied, and
// the last event turned into ops.
func (s *Store) LoadCRDT(ctx context.Context, graphID string) ([]crdt.Op, uint64, error) {
	var cursor uint64
	err := s.r.QueryRowContext(ctx, "SELECT seq FROM crdt_cursor WHERE graph_id = ?", graphID).Scan(&cursor)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("read the CRDT cursor of graph %q: %w", graphID, err)
	}
	rows, err := s.r.QueryContext(ctx, "SELECT body FROM crdt_ops WHERE graph_id = ? ORDER BY ord", graphID)
	if err != nil {
		return nil, 0, fmt.Errorf("read the CRDT ops of graph %q: %w", graphID, err)
	}
	defer rows.Close()
	var ops []crdt.Op
	for rows.Next() {
		var body string
		var op crdt.Op
		if err := rows.Scan(&body); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal([]byte(body), &op); err != nil {
			return nil, 0, fmt.Errorf("read the CRDT ops of graph %q: %w", graphID, err)
		}
		ops = append(ops, op)
	}
	return ops, cursor, rows.Err()
}

// SaveCRDT appends ops to a graph's and moves its cursor.
func (s *Store) SaveCRDT(ctx context.Context, graphID string, ops []crdt.Op, cursor uint64) error {
	err := s.write(ctx, func(tx *sql.Tx) error { return saveCRDT(ctx, tx, graphID, ops, cursor) })
	if err != nil {
		return fmt.Errorf("save the CRDT ops of graph %q: %w", graphID, err)
	}
	return nil
}

func saveCRDT(ctx context.Context, tx *sql.Tx, graphID string, ops []crdt.Op, cursor uint64) error {
	ins, err := tx.PrepareContext(ctx, "INSERT INTO crdt_ops (graph_id, replica, n, body) VALUES (?, ?, ?, ?)")
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, op := range ops {
		b, err := json.Marshal(op)
		if err != nil {
			return err
		}
		if _, err := ins.ExecContext(ctx, graphID, op.Stamp.Replica, op.Stamp.N, string(b)); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO crdt_cursor (graph_id, seq) VALUES (?, ?) ON CONFLICT (graph_id) DO UPDATE SET seq = excluded.seq", graphID, cursor)
	return err
}

// CommitMerge commits the events a merge made, the ops merged and the
// cursor after those events, in one transaction: the merge's events are
// never taken for this replica's own.
func (s *Store) CommitMerge(ctx context.Context, g *graph.Graph, events []graph.Event, ops []crdt.Op) error {
	blk := newBlock(events, commitEncoder)
	err := s.write(ctx, func(tx *sql.Tx) error {
		if len(events) > 0 {
			if err := s.appendEvents(ctx, tx, g, blk); err != nil {
				return err
			}
		}
		return saveCRDT(ctx, tx, g.ID, ops, g.Seq)
	})
	if err != nil {
		return fmt.Errorf("commit a merge into graph %q: %w", g.ID, err)
	}
	return nil
}
