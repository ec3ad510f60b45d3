package api

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"visionflow/auth"
	"visionflow/session"
	"visionflow/settings"
)

// Access says who may reach this process and how they prove it. The zero
// value is a loopback-only server that asks for no token.
type Access struct {
	// Shared is set when the server listens beyond loopback: every
	// request then needs a token, loopback ones included, and the Host
	// must be a name it was told (Hosts) or one of its own addresses.
	Shared bool
	// Hosts are the names, besides its addresses, the server answers to
	// when shared ("visionflow.lan", the machine's name).
	Hosts []string
	// Addrs lists this machine's addresses (net.InterfaceAddrs when nil);
	// read at most every ten seconds.
	Addrs func() ([]netip.Addr, error)
	// Tokens checks the tokens requests carry.
	Tokens session.Tokens
	// Settings gives the per-token rate limit (system.auth.*); nil: none.
	Settings *settings.Manager
	// Now is the limiter's clock (time.Now when nil).
	Now func() time.Time

	// pages reports whether a request is for a page that needs no token
	// (set by New from the server's routes; nil: none).
	pages func(*http.Request) bool

	limits auth.Limits
	addrMu sync.Mutex
	addrs  []netip.Addr
	addrAt time.Time
}

// BearerProtocol prefixes the WebSocket subprotocol that carries a token
// from a browser, which cannot set headers on a WebSocket:
// new WebSocket(url, ["visionflow", "visionflow.bearer." + token]).
const BearerProtocol = "visionflow.bearer."

// Guard checks what every request to this process must pass, whatever
// handler takes it, and puts the principal it acts as in its context:
//   - the Host must name this server (a page that rebinds its own domain to
//     this machine's address must not get in);
//   - the path must be canonical: paths with "." or ".." segments or
//     doubled slashes get a 400 rather than a mux's redirect, which a
//     client following it with the same method could turn into a
//     different request (DELETE …/nodes/.. into DELETE the graph);
//   - a browser page may only change state from this server's own origin,
//     and never with a CORS "simple" request;
//   - a token, when one is given or the server is shared: unknown, revoked
//     or expired tokens get a 401, and each token its rate. The pages the
//     server names as needing none (the browser viewer, which holds no
//     data) get through without one, as a principal that may do nothing.
func Guard(next http.Handler, a *Access) http.Handler {
	if a == nil {
		a = &Access{}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(e *Error) { writeJSON(w, e.Status, e) }
		if err := a.checkHost(r); err != nil {
			fail(err)
			return
		}
		if p := r.URL.EscapedPath(); p != cleanPath(p) {
			fail(invalid("the path %q is not in canonical form (no \".\" or \"..\" segments, no empty segments)", p))
			return
		}
		if err := checkOrigin(r); err != nil {
			fail(err.(*Error))
			return
		}
		if err := checkNotSimple(r); err != nil {
			fail(err)
			return
		}
		if a.pages != nil && a.pages(r) {
			next.ServeHTTP(w, r.WithContext(auth.With(r.Context(), anonymous)))
			return
		}
		p, err := a.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="visionflow"`)
			fail(err)
			return
		}
		if wait := a.take(p); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(auth.RetryAfter(wait)))
			fail(&Error{Status: http.StatusTooManyRequests, Code: "rate limited", Detail: fmt.Sprintf("token %q made more than its %g requests a second; retry after %v", p.Name, a.rate(), wait.Round(time.Millisecond))})
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.With(r.Context(), p)))
	})
}

// anonymous is who loads a page that needs no token: a principal with no
// role, so that a route reached this way by mistake refuses it.
var anonymous = auth.Principal{Name: "anonymous"}

// cleanPath is path.Clean that keeps a trailing slash.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

func (a *Access) checkHost(r *http.Request) *Error {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	switch host {
	case "localhost", "127.0.0.1", "::1":
		return nil
	}
	if !a.Shared {
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Detail: fmt.Sprintf("host %q is not this machine; the server only answers requests for localhost, 127.0.0.1 or [::1]", r.Host)}
	}
	if slices.ContainsFunc(a.Hosts, func(h string) bool { return strings.EqualFold(h, host) }) {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && a.own(ip.Unmap().WithZone("")) {
		return nil
	}
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Detail: fmt.Sprintf("host %q is not a name or address of this server; start it with --allow-host %s to accept it", r.Host, host)}
}

// own reports whether ip is one of this machine's addresses.
func (a *Access) own(ip netip.Addr) bool {
	if ip.IsLoopback() {
		return true
	}
	a.addrMu.Lock()
	defer a.addrMu.Unlock()
	if a.addrs == nil || time.Since(a.addrAt) > 10*time.Second {
		list := a.Addrs
		if list == nil {
			list = interfaceAddrs
		}
		if addrs, err := list(); err == nil {
			a.addrs, a.addrAt = addrs, time.Now()
		}
	}
	return slices.Contains(a.addrs, ip)
}

func interfaceAddrs() ([]netip.Addr, error) {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(as))
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap().WithZone(""))
		}
	}
	return out, nil
}

// checkOrigin refuses requests that a web page on another origin makes with
// the user's browser: without it any site the user visits could edit the
// local graph.
func checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil // not from a browser page
	}
	if sameHost(origin, r.Host) {
		return nil
	}
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Detail: fmt.Sprintf("requests from origin %s are not allowed", origin)}
}

// checkNotSimple refuses a browser's state-changing request that a page
// could send without a CORS preflight: one with no header beyond the
// CORS-safelisted ones and a form or text body. Browsers send Origin on
// every such request; scripts and tools that send none are not browsers.
func checkNotSimple(r *http.Request) *Error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if r.Header.Get("Origin") == "" || r.Header.Get("Authorization") != "" || r.Header.Get("X-Client-ID") != "" {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Detail: fmt.Sprintf(
			"a browser's %s must not be a CORS simple request: send Content-Type: application/json, an Authorization header or an X-Client-ID header", r.Method)}
	}
	return nil
}

// bearer finds the token a request carries: an Authorization header, or
// for a WebSocket from a browser the subprotocol BearerProtocol+token.
func bearer(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", true
		}
		return strings.TrimSpace(tok), true
	}
	for _, p := range websocketProtocols(r) {
		if tok, ok := strings.CutPrefix(p, BearerProtocol); ok {
			return tok, true
		}
	}
	return "", false
}

func websocketProtocols(r *http.Request) []string {
	var out []string
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// authenticate says who r acts as.
func (a *Access) authenticate(r *http.Request) (auth.Principal, *Error) {
	tok, given := bearer(r)
	if !given {
		if a.Shared {
			return auth.Principal{}, unauthenticated(auth.ErrNoToken)
		}
		return auth.Local, nil
	}
	if tok == "" {
		return auth.Principal{}, unauthenticated(fmt.Errorf("%w: the Authorization header must read \"Bearer <token>\"", auth.ErrUnauthenticated))
	}
	if a.Tokens == nil {
		return auth.Principal{}, unauthenticated(auth.ErrUnknownToken)
	}
	p, err := a.Tokens.Authenticate(r.Context(), tok)
	if err != nil {
		if errors.Is(err, auth.ErrUnauthenticated) {
			return auth.Principal{}, unauthenticated(err)
		}
		return auth.Principal{}, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Detail: "the token could not be checked: " + err.Error()}
	}
	return p, nil
}

func unauthenticated(err error) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Detail: strings.TrimPrefix(err.Error(), auth.ErrUnauthenticated.Error()+": ")}
}

func (a *Access) rate() float64 {
	if a.Settings == nil {
		return 0
	}
	return a.Settings.Float("system.auth.rateLimit")
}

// take spends one request of p's rate; it returns how long p must wait
// when it has none left. Requests without a token are not limited.
func (a *Access) take(p auth.Principal) time.Duration {
	if p.Anonymous() || a.Settings == nil {
		return 0
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	return a.limits.Take(p.TokenID, a.rate(), int(a.Settings.Float("system.auth.rateBurst")), now())
}

// principal is who r acts as: what Guard found, or the local session for a
// handler mounted without it.
func principal(ctx context.Context) auth.Principal {
	if p, ok := auth.From(ctx); ok {
		return p
	}
	return auth.Local
}
