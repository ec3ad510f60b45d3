// Package store keeps everything VisionFlow persists in one SQLite file:
// graphs with their nodes and edges, the event log (an import's events in
// compressed blocks, later ones a row each) and its snapshots, and settings
// with their history. It uses modernc.org/sqlite (pure Go) with one writer
// connection and a pool of readers over WAL; the store syncs the log after
// commits itself, so one fsync covers many (durable.go).
package store
