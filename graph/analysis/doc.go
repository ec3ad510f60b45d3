// Package analysis measures a graph's structure: degree, PageRank,
// sampled betweenness, connected components and Louvain communities with
// their modularity. The window colours, sizes, filters and labels nodes by
// these measures, and GET /api/graph/{id}/metrics serves them.
//
// It works on a Net, a compact adjacency of node indices built once from a
// graph's nodes and edges, and is pure computation: no I/O, no goroutine
// outlives a call, and every long loop stops when its context is done.
package analysis
