package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"visionflow/settings"
)

var _ settings.Store = (*Store)(nil)

// LoadSettings returns every stored setting value by path.
func (s *Store) LoadSettings(ctx context.Context) (map[string]json.RawMessage, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT path, value FROM settings")
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	defer rows.Close()
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var path, value string
		if err := rows.Scan(&path, &value); err != nil {
			return nil, fmt.Errorf("load settings: %w", err)
		}
		out[path] = json.RawMessage(value)
	}
	return out, rows.Err()
}

// SaveSettings stores new values and appends their deltas to the history in
// one transaction; it returns the deltas with their history ids.
func (s *Store) SaveSettings(ctx context.Context, deltas []settings.Delta) ([]settings.Delta, error) {
	out := make([]settings.Delta, len(deltas))
	copy(out, deltas)
	err := s.write(ctx, func(tx *sql.Tx) error {
		for k, d := range out {
			value := d.New
			if d.Stored != nil {
				value = d.Stored // a secret: its history shows only its mask
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO settings (path, value) VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET value = excluded.value",
				d.Path, string(value)); err != nil {
				return fmt.Errorf("%s: %w", d.Path, err)
			}
			res, err := tx.ExecContext(ctx, "INSERT INTO settings_history (path, old, new, at_ms, client) VALUES (?, ?, ?, ?, ?)",
				d.Path, string(d.Old), string(d.New), d.Time.UnixMilli(), d.Client)
			if err != nil {
				return fmt.Errorf("%s: %w", d.Path, err)
			}
			if out[k].ID, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("save settings: %w", err)
	}
	return out, nil
}

// SettingsHistory returns up to limit deltas with id > since, oldest first;
// with a path, only deltas of that setting or of settings under it.
func (s *Store) SettingsHistory(ctx context.Context, path string, since int64, limit int) ([]settings.Delta, error) {
	limit = min(max(limit, 1), MaxEventPage)
	query := "SELECT id, path, old, new, at_ms, client FROM settings_history WHERE id > ?"
	args := []any{since}
	if path != "" {
		query += " AND (path = ? OR substr(path, 1, ?) = ?)"
		args = append(args, path, len(path)+1, path+".")
	}
	query += " ORDER BY id LIMIT ?"
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read settings history: %w", err)
	}
	defer rows.Close()
	var out []settings.Delta
	for rows.Next() {
		var d settings.Delta
		var old, nu string
		var at int64
		if err := rows.Scan(&d.ID, &d.Path, &old, &nu, &at, &d.Client); err != nil {
			return nil, fmt.Errorf("read settings history: %w", err)
		}
		d.Old, d.New, d.Time = json.RawMessage(old), json.RawMessage(nu), time.UnixMilli(at).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// Meta returns a fact recorded about the database ("" when none).
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read meta %q: %w", key, err)
	}
	return v, nil
}

// SetMeta records a fact about the database.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
		return err
	})
	if err != nil {
		return fmt.Errorf("write meta %q: %w", key, err)
	}
	return nil
}

// LastSettingsID is the id of the newest settings delta (0 when none).
func (s *Store) LastSettingsID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.r.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM settings_history").Scan(&id); err != nil {
		return 0, fmt.Errorf("read settings history: %w", err)
	}
	return id, nil
}
