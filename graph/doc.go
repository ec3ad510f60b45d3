// Package graph is VisionFlow's pure domain: nodes, edges and named graphs,
// their validation, the events that record every change, the hybrid logical
// clock that orders those events, and replay of history.
//
// Nothing here does I/O. A Graph is owned by one goroutine (the app's
// Session); changes go through a Tx so a batch is applied whole or not at all.
package graph
