// Package net is the root of VisionFlow's networking: api serves REST (and,
// later, WebSocket) over HTTP, client is the Go client for it.
package net
