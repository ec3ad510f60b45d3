package session

import (
	"context"

	"visionflow/graph"
	"visionflow/graph/crdt"
)

// Sync merges replicas of a graph that changed apart (visionflow sync):
// each side asks the other for the CRDT ops it lacks and merges them.
type Sync interface {
	// SyncOps returns the graph's replica id and version vector, and up
	// to limit of the ops a replica that has seen since lacks (limit 0:
	// just the vector).
	SyncOps(ctx context.Context, graphID string, since crdt.VV, limit int) (SyncBatch, error)
	// MergeOps merges another replica's ops into the graph: its changes
	// are committed as events (named for who) and streamed like any edit.
	MergeOps(ctx context.Context, who, graphID string, b SyncBatch) (MergeResult, error)
}

// SyncBatch is one side's ops: GET …/sync answers with one, POST …/sync
// takes one.
type SyncBatch struct {
	Replica string     `json:"replica"`
	Seen    crdt.VV    `json:"seen"`
	Ops     []crdt.Op  `json:"ops"`
	More    bool       `json:"more,omitempty"` // more ops follow: ask again with the new seen
	Graph   graph.Info `json:"graph,omitzero"` // the graph, for a side that does not have it yet
}

// MergeResult says what a merge did.
type MergeResult struct {
	Seen    crdt.VV `json:"seen"`    // the receiver's version vector after it
	Applied int     `json:"applied"` // ops it did not have
	Events  int     `json:"events"`  // events its graph changed by
	Seq     uint64  `json:"seq"`
}

// MaxSyncOps bounds the ops of one batch.
const MaxSyncOps = 20_000
