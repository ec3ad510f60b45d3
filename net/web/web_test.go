package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func mux() http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /{$}", Index())
	m.Handle("GET /viewer/{file}", Files())
	return m
}

func get(t *testing.T, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	r.Host = "192.168.1.20:7733"
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	mux().ServeHTTP(w, r)
	return w
}

func TestFilesAndHeaders(t *testing.T) {
	for path, ctype := range map[string]string{
		"/":                 "text/html; charset=utf-8",
		"/viewer/viewer.js": "text/javascript; charset=utf-8",
		"/viewer/style.css": "text/css; charset=utf-8",
		"/viewer/icon.svg":  "image/svg+xml",
	} {
		w := get(t, path, nil)
		h := w.Header()
		if w.Code != 200 || h.Get("Content-Type") != ctype || w.Body.Len() == 0 {
			t.Errorf("GET %s: %d %q %d bytes", path, w.Code, h.Get("Content-Type"), w.Body.Len())
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self' ws://192.168.1.20:7733 wss://192.168.1.20:7733", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: the policy %q lacks %q", path, csp, want)
			}
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(h.Get("ETag"), `"`) {
			t.Errorf("GET %s: headers %v", path, h)
		}
		// The same ETag answers 304, with no body.
		again := get(t, path, map[string]string{"If-None-Match": h.Get("ETag")})
		if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Errorf("GET %s with its ETag: %d, %d bytes", path, again.Code, again.Body.Len())
		}
	}
	for _, path := range []string{"/viewer/nothing.js", "/viewer/index.html"} {
		if w := get(t, path, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, w.Code)
		}
	}
}

// A browser that takes gzip gets the smaller file, under its own ETag, and
// a revalidation with either tag is a 304.
func TestGzip(t *testing.T) {
	plain := get(t, "/viewer/viewer.js", nil)
	w := get(t, "/viewer/viewer.js", map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	if w.Header().Get("Content-Encoding") != "gzip" || w.Body.Len() >= plain.Body.Len() || w.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Fatalf("gzip: %v, %d bytes (plain %d)", w.Header(), w.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !bytes.Equal(body, plain.Body.Bytes()) {
		t.Error("the gzipped file is not the file")
	}
	if r := get(t, "/viewer/viewer.js", map[string]string{"Accept-Encoding": "gzip;q=0"}); r.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}
	if r := get(t, "/viewer/viewer.js", map[string]string{"If-None-Match": w.Header().Get("ETag")}); r.Code != http.StatusNotModified {
		t.Errorf("revalidating with the gzip ETag: %d", r.Code)
	}
}

// A Host that could break out of the policy is left out of it.
func TestPolicyHost(t *testing.T) {
	if p := policy("evil.example; script-src *"); strings.Contains(p, "evil") {
		t.Errorf("policy: %s", p)
	}
}

// The page names only files this package serves, and nothing from
// elsewhere: the policy would block it.
func TestPageNamesItsFiles(t *testing.T) {
	page := get(t, "/", nil).Body.String()
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("the page names %d files", len(refs))
	}
	for _, m := range refs {
		name, ok := strings.CutPrefix(m[1], "/viewer/")
		if !ok || !slices.Contains(Names(), name) {
			t.Errorf("the page names %s, which is not served", m[1])
		}
	}
	raw, gz := Size()
	t.Logf("the viewer is %d bytes, %d gzipped", raw, gz)
}
