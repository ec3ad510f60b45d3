package api

import (
	"net/http/httptest"
	"strings"
	"testing"

	"visionflow/auth"
	"visionflow/session"
)

// On a shared server the viewer's page and files need no token (they hold
// no data), but still the server's host, a canonical path and, for
// anything else, a token; a page request reaches its handler as a
// principal that may do nothing.
func TestViewerPagesNeedNoToken(t *testing.T) {
	a := &Access{Shared: true, Hosts: []string{"box.lan"}, Tokens: tokensFunc(func(string) (auth.Principal, error) { return auth.Principal{}, auth.ErrUnknownToken })}
	s := New(session.Backend(nil), Options{Access: a})
	h := Guard(s.Handler(), a)
	for _, c := range []struct {
		method, path, host string
		code               int
		body               string
	}{
		{"GET", "/", "box.lan", 200, "<!doctype html>"},
		{"HEAD", "/", "box.lan", 200, ""},
		{"GET", "/viewer/viewer.js", "box.lan:7733", 200, "WebGL2"},
		{"GET", "/viewer/style.css", "box.lan", 200, ":root"},
		{"GET", "/viewer/missing.js", "box.lan", 404, "no file"},
		{"GET", "/", "evil.example", 403, "not a name or address"},
		{"GET", "/viewer/../api/graphs", "box.lan", 400, "canonical"},
		{"POST", "/", "box.lan", 401, "token"},
		{"GET", "/api/graphs", "box.lan", 401, "token"},
		{"GET", "/ws", "box.lan", 401, "token"},
		{"GET", "/index.html", "box.lan", 401, "token"},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		req.Host = c.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("%s %s (host %s): %d %.80q; want %d with %q", c.method, c.path, c.host, w.Code, w.Body.String(), c.code, c.body)
		}
	}
	if !s.isPage(httptest.NewRequest("GET", "/viewer/viewer.js", nil)) || s.isPage(httptest.NewRequest("GET", "/api/health", nil)) {
		t.Error("isPage")
	}
	// Whoever reaches a page acts as no one: a route that needs a role
	// refuses that principal.
	if err := anonymous.Allow(auth.Read); err == nil {
		t.Error("the anonymous principal may read")
	}
}
