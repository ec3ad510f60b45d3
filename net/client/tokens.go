package client

import (
	"context"
	"net/http"
	"net/url"

	"visionflow/auth"
	"visionflow/net/wire"
)

// WhoAmI says who the server takes this client for.
func (c *Client) WhoAmI(ctx context.Context) (wire.WhoAmI, error) {
	var w wire.WhoAmI
	return w, c.do(ctx, "GET", "/api/whoami", "", nil, &w)
}

// CreateToken makes a token (an admin's right); its secret is in the
// answer, and only there.
func (c *Client) CreateToken(ctx context.Context, req wire.TokenRequest) (wire.NewToken, error) {
	var out wire.NewToken
	return out, c.doJSON(ctx, "POST", "/api/tokens", req, &out)
}

// Tokens lists the server's tokens.
func (c *Client) Tokens(ctx context.Context) ([]auth.Token, error) {
	var out []auth.Token
	return out, c.do(ctx, "GET", "/api/tokens", "", nil, &out)
}

// RevokeToken revokes a token by id or name.
func (c *Client) RevokeToken(ctx context.Context, idOrName string) (auth.Token, error) {
	var out auth.Token
	return out, c.do(ctx, "DELETE", "/api/tokens/"+url.PathEscape(idOrName), "", nil, &out)
}

// HTTPClient is an http.Client that sends what c sends with every request
// (its token), for other protocols on the same server (MCP at /mcp).
func (c *Client) HTTPClient() *http.Client {
	if c.token == "" {
		return http.DefaultClient
	}
	return &http.Client{Transport: bearer{token: c.token, next: http.DefaultTransport}}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}
