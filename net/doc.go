// Package net is the root of VisionFlow's networking: api serves REST and
// the WebSocket over HTTP, web is the browser viewer it serves at /, client
// is the Go client for it, mcp the MCP server, wire the formats they share.
package net
