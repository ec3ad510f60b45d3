package session

import (
	"context"
	"time"

	"visionflow/auth"
)

// Tokens are the keys of a shared session: who may reach it from other
// machines, and as whom.
type Tokens interface {
	// Authenticate says who holds secret; the error wraps
	// auth.ErrUnauthenticated when the token is unknown, revoked or
	// expired.
	Authenticate(ctx context.Context, secret string) (auth.Principal, error)
	// CreateToken makes a token and returns its secret, which is shown
	// only this once.
	CreateToken(ctx context.Context, who string, req TokenRequest) (secret string, t auth.Token, err error)
	ListTokens(ctx context.Context) ([]auth.Token, error)
	// RevokeToken revokes a token by id or name; its connections close.
	RevokeToken(ctx context.Context, who, idOrName string) (auth.Token, error)
}

// TokenRequest is what a new token is to be.
type TokenRequest struct {
	Role auth.Role     `json:"role"`
	Name string        `json:"name,omitempty"`
	TTL  time.Duration `json:"-"` // 0: never expires
}
