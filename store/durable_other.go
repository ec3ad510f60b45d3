//go:build !linux

package store

import "os"

// syncData makes the log durable: fsync (F_FULLFSYNC on macOS, which is
// stronger than SQLite's default there).
func syncData(f *os.File) error { return f.Sync() }
