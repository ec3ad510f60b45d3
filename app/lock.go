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
//
// "The same file" is the file, not its name: the lock file sits beside the
// database's real path (symbolic links resolved), and on Unix a second lock
// is taken on the file's identity (device and inode), so that a hard link
// cannot open a second writer either.

// errLocked says another process holds the database; url is where its
// server answers, if it has written it yet.
type errLocked struct {
	url   string
	other bool // held through another name of the file (a hard link)
}

func (e *errLocked) Error() string {
	switch {
	case e.other:
		return "another VisionFlow process is using this database through another name (a hard link to the same file)"
	case e.url == "":
		return "another VisionFlow process is using this database"
	}
	return "a VisionFlow server is using this database at " + e.url
}

type dbLock struct {
	f  *os.File
	id *os.File // the lock on the file's identity; nil where there is none
}

// realPath is path with symbolic links resolved, as far as they exist.
func realPath(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		return filepath.Join(dir, filepath.Base(path))
	}
	return path
}

// lockDB takes the lock of the database at path without waiting.
// The database's folder is made here, since the lock sits beside the
// database (on a first start the user's data folder may not exist yet).
func lockDB(path string) (*dbLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock database: make its folder: %w", err)
	}
	path = realPath(path)
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
	id, err := lockIdentity(path)
	if err != nil {
		unlock(f)
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &errLocked{other: true}
		}
		return nil, fmt.Errorf("lock database: %w", err)
	}
	return &dbLock{f: f, id: id}, nil
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
	if l.id != nil {
		unlock(l.id)
		l.id.Close()
	}
	l.f.Truncate(0)
	unlock(l.f)
	return l.f.Close()
}
