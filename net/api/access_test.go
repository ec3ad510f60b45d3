package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"visionflow/auth"
	"visionflow/net/wire"
	"visionflow/session"
)

// Every route names what it needs, and a viewer gets a 403 from each that
// needs more, before its handler runs (the backend here has nothing).
func TestEveryRouteChecksItsRole(t *testing.T) {
	s := New(session.Backend(nil), Options{})
	if len(s.actions) < 55 {
		t.Fatalf("only %d routes have an action", len(s.actions))
	}
	viewer := auth.Principal{TokenID: "t1", Name: "vic", Role: auth.Viewer}
	for pattern, a := range s.actions {
		method, path, _ := strings.Cut(pattern, " ")
		if method == "GET" && a != auth.Read && pattern != "GET /api/tokens" {
			t.Errorf("%s reads but needs %s", pattern, a)
		}
		if method != "GET" && a == auth.Read && pattern != "POST /api/telemetry" {
			t.Errorf("%s changes state but needs only read", pattern)
		}
		if a == auth.Read {
			continue
		}
		path = strings.NewReplacer("{id}", "x", "{nodeId}", "n", "{edgeId}", "e", "{swarm}", "s", "{path...}", "p").Replace(path)
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req = req.WithContext(auth.With(req.Context(), viewer))
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "role viewer") {
			t.Errorf("a viewer's %s: %d %s", pattern, w.Code, w.Body)
		}
	}
}

func TestEveryMessageNeedsARole(t *testing.T) {
	for _, typ := range wire.ClientMessageTypes {
		a := messageAction(typ)
		read := typ == wire.TypePing || typ == wire.TypeSubscribe || typ == wire.TypeUnsubscribe || typ == wire.TypeFullFrame || typ == wire.TypePresence
		if read != (a == auth.Read) {
			t.Errorf("message %s needs %s", typ, a)
		}
	}
}

// tokensFunc is session.Tokens from a function, for Guard's own checks.
type tokensFunc func(secret string) (auth.Principal, error)

func (f tokensFunc) Authenticate(_ context.Context, s string) (auth.Principal, error) { return f(s) }
func (tokensFunc) CreateToken(context.Context, string, session.TokenRequest) (string, auth.Token, error) {
	return "", auth.Token{}, errors.ErrUnsupported
}
func (tokensFunc) ListTokens(context.Context) ([]auth.Token, error) {
	return nil, errors.ErrUnsupported
}
func (tokensFunc) RevokeToken(context.Context, string, string) (auth.Token, error) {
	return auth.Token{}, errors.ErrUnsupported
}

func TestGuard(t *testing.T) {
	good := "vf_aaaaaaaaaa_" + strings.Repeat("b", 52)
	a := &Access{Shared: true, Hosts: []string{"box.lan"},
		Addrs: func() ([]netip.Addr, error) { return []netip.Addr{netip.MustParseAddr("192.168.1.20")}, nil },
		Tokens: tokensFunc(func(s string) (auth.Principal, error) {
			if s == good {
				return auth.Principal{TokenID: "aaaaaaaaaa", Name: "ann", Role: auth.Editor}, nil
			}
			return auth.Principal{}, auth.ErrUnknownToken
		})}
	var seen auth.Principal
	h := Guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = principal(r.Context()) }), a)
	cases := []struct {
		name, method, host string
		hdr                map[string]string
		code               int
		detail             string
	}{
		{"own address", "GET", "192.168.1.20:7733", map[string]string{"Authorization": "Bearer " + good}, 200, ""},
		{"told name", "GET", "BOX.lan:7733", map[string]string{"Authorization": "Bearer " + good}, 200, ""},
		{"ipv6 loopback", "GET", "[::1]:7733", map[string]string{"Authorization": "bearer " + good}, 200, ""},
		{"other address", "GET", "192.168.1.21:7733", map[string]string{"Authorization": "Bearer " + good}, 403, "--allow-host 192.168.1.21"},
		{"rebinding name", "GET", "evil.example", map[string]string{"Authorization": "Bearer " + good}, 403, "not a name or address"},
		{"no token", "GET", "box.lan", nil, 401, "needs a token"},
		{"basic auth", "GET", "box.lan", map[string]string{"Authorization": "Basic eDp5"}, 401, "Bearer <token>"},
		{"unknown token", "GET", "box.lan", map[string]string{"Authorization": "Bearer vf_x"}, 401, "not one this server made"},
		{"subprotocol", "GET", "box.lan", map[string]string{"Sec-WebSocket-Protocol": "visionflow, visionflow.bearer." + good}, 200, ""},
		{"form post", "POST", "box.lan", map[string]string{"Origin": "http://box.lan", "Content-Type": "application/x-www-form-urlencoded"}, 403, "simple request"},
		{"json post", "POST", "box.lan", map[string]string{"Origin": "http://box.lan", "Content-Type": "application/json", "Authorization": "Bearer " + good}, 200, ""},
		{"foreign origin", "POST", "box.lan", map[string]string{"Origin": "http://evil.example", "Content-Type": "application/json"}, 403, "origin"},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, "/api/graphs", nil)
		req.Host = c.host
		for k, v := range c.hdr {
			req.Header.Set(k, v)
		}
		seen = auth.Principal{}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.detail) {
			t.Errorf("%s: %d %s", c.name, w.Code, w.Body)
		}
		if c.code == 200 && seen.Name != "ann" {
			t.Errorf("%s: the handler saw %+v", c.name, seen)
		}
	}
	// Loopback-only: open, and only this machine's names.
	open := Guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = principal(r.Context()) }), nil)
	req := httptest.NewRequest("GET", "/api/graphs", nil)
	req.Host = "localhost:7733"
	w := httptest.NewRecorder()
	open.ServeHTTP(w, req)
	if w.Code != 200 || seen != auth.Local {
		t.Errorf("loopback without a token: %d %+v", w.Code, seen)
	}
	req.Host = "192.168.1.20"
	w = httptest.NewRecorder()
	open.ServeHTTP(w, req)
	if w.Code != 403 {
		t.Errorf("loopback server, LAN host: %d", w.Code)
	}
}
