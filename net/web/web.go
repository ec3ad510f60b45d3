package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed static
var static embed.FS

// file is one embedded file, ready to serve: its bytes, gzipped too when
// that saves something, and a strong ETag from its content, so a browser
// that has it revalidates with a 304 instead of fetching it again.
type file struct {
	body, gz []byte
	ctype    string
	etag     string
}

var files = load()

func load() map[string]file {
	out := map[string]file{}
	entries, err := fs.ReadDir(static, "static")
	if err != nil {
		panic(fmt.Errorf("web: the embedded viewer is missing: %w", err))
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := static.ReadFile("static/" + e.Name())
		if err != nil {
			panic(fmt.Errorf("web: read the embedded %s: %w", e.Name(), err))
		}
		sum := sha256.Sum256(body)
		f := file{body: body, ctype: contentType(e.Name()), etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if buf.Len() < len(body)*9/10 {
			f.gz = buf.Bytes()
		}
		out[e.Name()] = f
	}
	return out
}

// contentType is fixed per extension rather than left to the system's MIME
// tables: a machine whose /etc/mime.types maps .js to text/plain would make
// browsers refuse the module under nosniff.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Names lists the files served under /viewer/ (and index.html at /).
func Names() []string {
	out := make([]string, 0, len(files))
	for name := range files {
		out = append(out, name)
	}
	return out
}

// Size is the viewer's size in bytes, as stored and as sent gzipped.
func Size() (raw, gzipped int) {
	for _, f := range files {
		raw += len(f.body)
		if f.gz != nil {
			gzipped += len(f.gz)
		} else {
			gzipped += len(f.body)
		}
	}
	return raw, gzipped
}

// Index serves the viewer's page (GET /).
func Index() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(w, r, "index.html") })
}

// Files serves the page's script, style sheet and icon by the name in the
// route's {file} (GET /viewer/{file}).
func Files() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if name == "index.html" {
			name = "" // the page has one address, /, which its paths are relative to
		}
		serve(w, r, name)
	})
}

func serve(w http.ResponseWriter, r *http.Request, name string) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", policy(r.Host))
	// The page's address may still carry #token=… for a moment; fragments
	// are never sent, but nothing else needs to learn where a peer came from.
	h.Set("Referrer-Policy", "no-referrer")
	f, ok := files[name]
	if !ok {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "the viewer has no file %q\n", name)
		return
	}
	body, etag := f.body, f.etag
	h.Add("Vary", "Accept-Encoding")
	if f.gz != nil && acceptsGzip(r) {
		body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", etag)
	// Revalidated on every load: the files change with the binary, and a
	// 304 costs a round trip of headers, not the files.
	h.Set("Cache-Control", "no-cache")
	if matches(r.Header.Get("If-None-Match"), f.etag) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// matches reports whether an If-None-Match header names etag, in either of
// its encodings (a weak comparison, as RFC 9110 asks for If-None-Match).
func matches(header, etag string) bool {
	if header == "" {
		return false
	}
	tag := strings.Trim(etag, `"`)
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		t = strings.Trim(t, `"`)
		if t == "*" || t == tag || t == tag+"-gz" {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q > 0
		}
		return true
	}
	return false
}

// policy is the page's Content-Security-Policy: scripts, styles, images and
// connections from this server only, the WebSocket to this same host
// (Chromium and Firefox count ws: as 'self' now; older browsers need it
// named), no plugins, no frames around it, no forms sent anywhere. The
// host was checked by api.Guard before any handler ran; a host with
// characters a policy could be broken with is left out all the same.
func policy(host string) string {
	connect := "'self'"
	if host != "" && strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == "" {
		connect += " ws://" + host + " wss://" + host
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src " + connect +
		"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}
