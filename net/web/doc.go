// Package web is the browser viewer a LAN peer opens at the server's root:
// a page, one ES module and a style sheet, written by hand (WebGL2, no
// framework, no build step) and embedded with go:embed, so that `go build`
// needs no Node and the binary carries the viewer it serves.
//
// The files hold no data of the session: everything the page shows comes
// from the REST API and the WebSocket, with the token the page was given.
// That is why net/api mounts these handlers as pages anyone who reaches the
// server may load. docs/viewer.md says what the page does.
package web
