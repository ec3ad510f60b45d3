package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"visionflow/auth"
	"visionflow/graph"
)

// SaveToken stores a new token. Names are unique among active tokens, since
// a name is the identity its holder's changes are recorded under.
func (s *Store) SaveToken(ctx context.Context, t auth.Token) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE name = ? AND revoked_ms = 0 AND (expires_ms = 0 OR expires_ms > ?)`,
			t.Name, t.Created.UnixMilli()).Scan(&n)
		if err != nil {
			return err
		}
		if n > 0 {
			return &graph.Error{Kind: graph.ErrDuplicateID, Field: "name", Detail: fmt.Sprintf("an active token is already named %q; revoke it or choose another name", t.Name)}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO tokens (id, name, role, hash, created_ms, expires_ms, revoked_ms, last_used_ms) VALUES (?, ?, ?, ?, ?, ?, 0, 0)`,
			t.ID, t.Name, string(t.Role), t.Hash, t.Created.UnixMilli(), msOrZero(t.Expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("save token %q: %w", t.Name, err)
	}
	return nil
}

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func timeOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

const tokenCols = "id, name, role, hash, created_ms, expires_ms, revoked_ms, last_used_ms"

func scanToken(sc interface{ Scan(...any) error }) (auth.Token, error) {
	var t auth.Token
	var role string
	var created, expires, revoked, used int64
	if err := sc.Scan(&t.ID, &t.Name, &role, &t.Hash, &created, &expires, &revoked, &used); err != nil {
		return auth.Token{}, err
	}
	t.Role = auth.Role(role)
	t.Created, t.Expires, t.Revoked, t.LastUsed = timeOrZero(created), timeOrZero(expires), timeOrZero(revoked), timeOrZero(used)
	return t, nil
}

// TokenByHash finds the token whose hash is h (graph.ErrNotFound if none).
func (s *Store) TokenByHash(ctx context.Context, h []byte) (auth.Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE hash = ?", h))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Token{}, &graph.Error{Kind: graph.ErrNotFound, Field: "token", Detail: "no such token"}
	}
	if err != nil {
		return auth.Token{}, fmt.Errorf("read token: %w", err)
	}
	return t, nil
}

// Tokens lists every token, revoked and expired ones too, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+tokenCols+" FROM tokens ORDER BY created_ms, id")
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []auth.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes the token with id or, failing that, the active token
// named so; it returns the token as revoked. Revoking twice is not an
// error: the first time stands.
func (s *Store) RevokeToken(ctx context.Context, idOrName string, at time.Time) (auth.Token, error) {
	var out auth.Token
	err := s.write(ctx, func(tx *sql.Tx) error {
		t, err := scanToken(tx.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE id = ?", idOrName))
		if errors.Is(err, sql.ErrNoRows) {
			t, err = scanToken(tx.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE name = ? AND revoked_ms = 0 ORDER BY created_ms DESC LIMIT 1", idOrName))
		}
		if errors.Is(err, sql.ErrNoRows) {
			return &graph.Error{Kind: graph.ErrNotFound, Field: "token", Detail: fmt.Sprintf("no token has the id or name %q", idOrName)}
		}
		if err != nil {
			return err
		}
		if t.Revoked.IsZero() {
			t.Revoked = at.UTC().Truncate(time.Millisecond)
			if _, err := tx.ExecContext(ctx, "UPDATE tokens SET revoked_ms = ? WHERE id = ?", t.Revoked.UnixMilli(), t.ID); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		return auth.Token{}, fmt.Errorf("revoke token %q: %w", idOrName, err)
	}
	return out, nil
}

// TouchToken records when a token was last used.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE tokens SET last_used_ms = max(last_used_ms, ?) WHERE id = ?", at.UnixMilli(), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("touch token %q: %w", id, err)
	}
	return nil
}
