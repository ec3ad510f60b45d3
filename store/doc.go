// Package store keeps everything VisionFlow persists in one SQLite file:
// graphs with their nodes and edges, the event log (a block of events per
// transaction, compressed) and its snapshots, and settings with their
// history. It uses modernc.org/sqlite (pure Go) with one writer connection
// and a pool of readers over WAL; the store syncs the log after commits
// itself, so one fsync covers many (durable.go), and puts small writes
// before an import's parts at the writer (gate.go).
package store
