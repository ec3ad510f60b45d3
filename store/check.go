package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrDamaged says SQLite found the database file damaged.
var ErrDamaged = errors.New("the database is damaged")

// damaged is the error of a check that found problems.
func damaged(path, check string, problems []string) error {
	more := ""
	if len(problems) > 5 {
		more = fmt.Sprintf(" (and %d more)", len(problems)-5)
		problems = problems[:5]
	}
	return fmt.Errorf("%w: %s: SQLite's %s found: %s%s. %s", ErrDamaged, path, check, strings.Join(problems, "; "), more, advice)
}

// advice is what to do with a damaged database.
const advice = "Restore a backup (visionflow backup makes them), or move the file aside to start afresh; nothing was written to it"

// check runs PRAGMA quick_check (quick) or integrity_check on db.
func check(ctx context.Context, db *sql.DB, path string, quick bool) error {
	pragma := "integrity_check"
	if quick {
		pragma = "quick_check"
	}
	rows, err := db.QueryContext(ctx, "PRAGMA "+pragma)
	if err != nil {
		return fmt.Errorf("%w: %s: SQLite's %s could not read it: %v. %s", ErrDamaged, path, pragma, err, advice)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %s: SQLite's %s could not finish: %v. %s", ErrDamaged, path, pragma, err, advice)
	}
	if len(problems) > 0 {
		return damaged(path, pragma, problems)
	}
	return nil
}

// CheckFile runs SQLite's full integrity_check on the database at path,
// reading only (a server may be running on it).
func CheckFile(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("check %s: %w", abs, err)
	}
	db, err := sql.Open("sqlite", dsn(abs, "_pragma=busy_timeout(10000)&_query_only=1"))
	if err != nil {
		return err
	}
	defer db.Close()
	return check(ctx, db, abs, false)
}

// BackupFile writes a consistent copy of the database at path to dst
// (VACUUM INTO: a snapshot, while a server goes on writing), then checks
// the copy. dst must not exist.
func BackupFile(ctx context.Context, path, dst string) error {
	src, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup %s: %w", src, err)
	}
	if _, err := os.Stat(abs); err == nil {
		return fmt.Errorf("backup: %s exists; give a new file", abs)
	}
	db, err := sql.Open("sqlite", dsn(src, "_pragma=busy_timeout(10000)"))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
		os.Remove(abs)
		return fmt.Errorf("backup to %s: %w", abs, err)
	}
	copyDB, err := sql.Open("sqlite", dsn(abs, "_pragma=busy_timeout(10000)&_query_only=1"))
	if err != nil {
		return err
	}
	defer copyDB.Close()
	if err := check(ctx, copyDB, abs, false); err != nil {
		return fmt.Errorf("backup to %s: the copy does not check: %w", abs, err)
	}
	return nil
}
