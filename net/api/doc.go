// Package api serves VisionFlow's REST API over HTTP: graphs, their nodes
// and edges, history and replay, imports, settings and health. It talks to
// the live session through the Backend interface and never touches storage
// itself. docs/api.md describes every route.
package api
