package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Principal is who a request acts as.
type Principal struct {
	// TokenID is the token's public id; empty for the local, open
	// session (a loopback-only server, the window in the same process).
	TokenID string
	// Name is the identity written into event logs and audit trails.
	Name    string
	Role    Role
	Expires time.Time // zero: never
}

// Local is who acts on a server that asks for no token: anyone who can
// reach a loopback-only port may do everything, as on a desktop app.
var Local = Principal{Role: Admin}

// Anonymous reports whether p carries no token.
func (p Principal) Anonymous() bool { return p.TokenID == "" }

// Allow returns nil when p may do a, else a *Denied that says what is
// missing.
func (p Principal) Allow(a Action) error {
	if p.Role.Can(a) {
		return nil
	}
	return &Denied{Principal: p, Action: a}
}

// Denied is the error of a principal whose role does not allow an action.
type Denied struct {
	Principal Principal
	Action    Action
}

func (e *Denied) Error() string {
	roles := RolesFor(e.Action)
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return fmt.Sprintf("token %q has role %s, which may not %s; that needs a token with role %s",
		e.Principal.Name, e.Principal.Role, e.Action, strings.Join(names, " or "))
}

type principalKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the principal ctx carries, and whether it carries one.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
