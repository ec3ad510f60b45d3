package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"visionflow/auth"
	"visionflow/graph"
	"visionflow/session"
)

// tokenFresh is how long a token read from the database is trusted before
// it is read again: a token revoked by `visionflow token revoke` (another
// process) stops working within this time; one revoked through the session
// stops at once.
const tokenFresh = 5 * time.Second

// tokens caches the tokens requests present, by hash.
type tokens struct {
	mu     sync.Mutex
	byHash map[[32]byte]cachedToken
}

type cachedToken struct {
	tok     auth.Token
	checked time.Time
	touched time.Time
}

// Authenticate says who holds secret.
func (s *Session) Authenticate(ctx context.Context, secret string) (auth.Principal, error) {
	if _, err := auth.Parse(secret); err != nil {
		return auth.Principal{}, fmt.Errorf("%w (%v)", auth.ErrUnknownToken, err)
	}
	var h [32]byte
	copy(h[:], auth.Hash(secret))
	now := s.now()
	s.tokens.mu.Lock()
	c, ok := s.tokens.byHash[h]
	s.tokens.mu.Unlock()
	if !ok || now.Sub(c.checked) >= tokenFresh || now.Before(c.checked) {
		tok, err := s.store.TokenByHash(ctx, h[:])
		if errors.Is(err, graph.ErrNotFound) {
			return auth.Principal{}, auth.ErrUnknownToken
		}
		if err != nil {
			return auth.Principal{}, err
		}
		c = cachedToken{tok: tok, checked: now, touched: c.touched}
	}
	switch {
	case !c.tok.Revoked.IsZero():
		return auth.Principal{}, auth.ErrRevoked
	case !c.tok.Active(now):
		return auth.Principal{}, auth.ErrExpired
	}
	// When a token was last used is worth a write a minute, not one a
	// request.
	if now.Sub(c.touched) >= time.Minute {
		if err := s.store.TouchToken(ctx, c.tok.ID, now); err != nil {
			s.log.Warn("tokens: last use not recorded", "token", c.tok.ID, "err", err)
		}
		c.touched = now
	}
	s.tokens.mu.Lock()
	if s.tokens.byHash == nil || len(s.tokens.byHash) > 10_000 {
		s.tokens.byHash = map[[32]byte]cachedToken{}
	}
	s.tokens.byHash[h] = c
	s.tokens.mu.Unlock()
	return c.tok.Principal(), nil
}

// CreateToken makes a token.
func (s *Session) CreateToken(ctx context.Context, who string, req session.TokenRequest) (string, auth.Token, error) {
	secret, tok, err := auth.New(rand.Reader, req.Name, req.Role, s.now().UTC().Truncate(time.Millisecond), req.TTL)
	if err != nil {
		return "", auth.Token{}, &graph.Error{Kind: graph.ErrInvalid, Field: "token", Detail: err.Error()}
	}
	if err := s.store.SaveToken(ctx, tok); err != nil {
		return "", auth.Token{}, err
	}
	s.log.Info("token created", "id", tok.ID, "name", tok.Name, "role", tok.Role, "by", who)
	return secret, tok, nil
}

// ListTokens lists every token, without secrets.
func (s *Session) ListTokens(ctx context.Context) ([]auth.Token, error) {
	return s.store.Tokens(ctx)
}

// RevokeToken revokes a token; requests with it fail from now on.
func (s *Session) RevokeToken(ctx context.Context, who, idOrName string) (auth.Token, error) {
	tok, err := s.store.RevokeToken(ctx, idOrName, s.now())
	if err != nil {
		return auth.Token{}, err
	}
	var h [32]byte
	copy(h[:], tok.Hash)
	s.tokens.mu.Lock()
	delete(s.tokens.byHash, h)
	s.tokens.mu.Unlock()
	s.log.Info("token revoked", "id", tok.ID, "name", tok.Name, "by", who)
	return tok, nil
}

// activeAdmins counts the admin tokens that work now.
func (s *Session) activeAdmins(ctx context.Context) (int, error) {
	all, err := s.store.Tokens(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range all {
		if t.Role == auth.Admin && t.Active(s.now()) {
			n++
		}
	}
	return n, nil
}
