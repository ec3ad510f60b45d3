//go:build unix

package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// lockIdentity locks the database file's identity (device and inode) in a
// lock file of its own in the system's temporary folder: every name of the
// file, hard links included, leads to the same lock. The database file is
// made (empty, which SQLite takes for a new database) when it is not there
// yet. It never opens the database itself: closing a descriptor of it would
// drop the POSIX locks SQLite holds in this process.
func lockIdentity(db string) (*os.File, error) {
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		// Not there, so not open in this process: made and closed before
		// SQLite holds any lock on it.
		if f, err := os.OpenFile(db, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o644); err == nil {
			f.Close()
		}
	}
	var st unix.Stat_t
	if err := unix.Stat(db, &st); err != nil {
		return nil, err
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("visionflow-locks-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%d-%d.lock", st.Dev, st.Ino)), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
