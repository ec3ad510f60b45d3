package client

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"visionflow/graph/crdt"
	"visionflow/session"
)

// SyncOps asks for up to limit of the CRDT ops of a graph that a replica
// having seen since lacks (limit 0: only the graph's version vector).
func (c *Client) SyncOps(ctx context.Context, graphID string, since crdt.VV, limit int) (session.SyncBatch, error) {
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(since)) {
		parts = append(parts, fmt.Sprintf("%s:%d", r, since[r]))
	}
	q := url.Values{"since": {strings.Join(parts, ",")}, "limit": {fmt.Sprint(limit)}}
	var b session.SyncBatch
	return b, c.do(ctx, "GET", graphPath(graphID, "sync")+"?"+q.Encode(), "", nil, &b)
}

// MergeOps hands a graph another replica's ops to merge.
func (c *Client) MergeOps(ctx context.Context, graphID string, b session.SyncBatch) (session.MergeResult, error) {
	var res session.MergeResult
	return res, c.doJSON(ctx, "POST", graphPath(graphID, "sync"), b, &res)
}
