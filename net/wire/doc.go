// Package wire is VisionFlow's streaming protocol, shared by the server and
// every client: binary position frames (a 16-byte header, then 34 bytes per
// node, little-endian) and the JSON messages for everything else. Its
// decoders accept only well-formed input. docs/protocol.md is the
// specification; its test vectors are checked against this package.
package wire
