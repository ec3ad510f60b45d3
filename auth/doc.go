// Package auth says who may do what in a shared session: the roles a token
// carries, the actions each role allows, the tokens themselves (made,
// hashed and parsed here, stored elsewhere), the principal a request acts
// as, and the per-token rate limits. It does no I/O.
package auth
