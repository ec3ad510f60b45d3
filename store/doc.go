// Package store keeps everything VisionFlow persists in one SQLite file:
// graphs with their nodes and edges, the event log and its snapshots, and
// settings with their history. It uses modernc.org/sqlite (pure Go) with one
// writer connection and a pool of readers over WAL.
package store
