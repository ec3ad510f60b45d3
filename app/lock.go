package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// A running server holds an exclusive lock on <database>.lock and writes
// the URL it answers on into it. A second server refuses to start on the
// same file, and `visionflow import` sends its import to the running
// server instead of writing behind its back (the server caches graphs in
// memory, so a write it did not make would leave it stale).

// errLocked says another process holds the database; url is where its
// server answers, if it has written it yet.
type errLocked struct{ url string }

func (e *errLocked) Error() string {
	if e.url == "" {
		return "another VisionFlow process is using this database"
	}
	return "a VisionFlow server is using this database at " + e.url
}

type dbLock struct{ f *os.File }

// lockDB takes the lock of the database at path without waiting.
// The database's folder is made here, since the lock sits beside the
// database (on a first start the user's data folder may not exist yet).
func lockDB(path string) (*dbLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock database: make its folder: %w", err)
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock database: %w", err)
	}
	if err := tryLock(f); err != nil {
		b, _ := io.ReadAll(io.LimitReader(f, 1024))
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &errLocked{url: strings.TrimSpace(string(b))}
		}
		return nil, fmt.Errorf("lock database: %w", err)
	}
	return &dbLock{f: f}, nil
}

// setURL records where this process's server answers.
func (l *dbLock) setURL(url string) error {
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt([]byte(url+"\n"), 0)
	return err
}

func (l *dbLock) release() error {
	l.f.Truncate(0)
	unlock(l.f)
	return l.f.Close()
}
