// Package ingest turns outside graph formats into graph operations: a Logseq
// notebook folder (pages, journals, links, tags, aliases, namespaces), an
// Obsidian vault (notes, wikilinks and Markdown links, embeds, tags),
// node-link JSON as written by d3 and networkx, GraphML, and CSV edge lists.
// The result is a list of ops that the app applies as one transaction,
// through the same validation as every other change. It also writes graphs
// out (GraphML, node-link JSON) in forms its readers take back unchanged.
package ingest

import (
	"time"

	"visionflow/graph"
)

// Import is a parsed graph, ready to apply.
type Import struct {
	Name     string     // suggested graph name
	Type     graph.Type // graph type of its nodes
	Nodes    int
	Edges    int
	Ops      []graph.Op // addNode ops first, then addEdge ops (in time order where At is given)
	Warnings []string   // things skipped, for the user to see
	// At, when not nil, is when each op happened (a graph with a
	// history, such as a dynamic GEXF): the ops are in time order and the
	// graph's events keep these times, so its history can be replayed.
	At     []time.Time
	Report *Report // what a notebook or vault import resolved and left out; nil for other formats
}

// Progress is told how much of an import is done; total may be an estimate.
type Progress func(done, total int)
