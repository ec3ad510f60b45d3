package wire

import "visionflow/auth"

// TokenRequest is the body of POST /api/tokens.
type TokenRequest struct {
	Role    auth.Role `json:"role"`
	Name    string    `json:"name,omitempty"`
	Expires string    `json:"expires,omitempty"` // "12h", "7d"; empty: never
}

// NewToken answers POST /api/tokens: the secret, shown this once, and the
// stored token.
type NewToken struct {
	Token string     `json:"token"`
	Info  auth.Token `json:"info"`
}

// WhoAmI answers GET /api/whoami: who the request acted as.
type WhoAmI struct {
	Name    string    `json:"name,omitempty"`
	Role    auth.Role `json:"role"`
	TokenID string    `json:"tokenId,omitempty"`
}
