package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema step. The number is the file's prefix and
// becomes PRAGMA user_version once the step is applied.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() []migration {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		panic(err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("store: migration file without a number: " + e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			panic(err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for k, m := range ms {
		if m.version != k+1 {
			panic(fmt.Sprintf("store: migrations must be numbered 1, 2, 3…; %s is number %d", m.name, k+1))
		}
	}
	return ms
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations()) }

func (s *Store) migrate(ctx context.Context) error {
	return migrateTo(ctx, s.w, SchemaVersion())
}

// migrateTo applies migrations up to version target, each in its own
// transaction together with the version bump. The version is read inside
// the (immediate, so exclusive) transaction: two processes opening a fresh
// file at once do not both apply the same step.
func migrateTo(ctx context.Context, db *sql.DB, target int) error {
	for _, m := range migrations() {
		if m.version > target {
			break
		}
		if err := migrateOne(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

func migrateOne(ctx context.Context, db *sql.DB, m migration) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	defer conn.Close()
	// BEGIN IMMEDIATE takes the write lock before the version is read.
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var current int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > SchemaVersion() {
		return fmt.Errorf("the database has schema version %d, newer than this VisionFlow understands (%d); use a newer VisionFlow", current, SchemaVersion())
	}
	if current >= m.version {
		_, err := conn.ExecContext(ctx, "COMMIT")
		done = err == nil
		return err
	}
	if _, err := conn.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return fmt.Errorf("migration %s: set version: %w", m.name, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	done = true
	return nil
}
