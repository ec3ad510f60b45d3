package app

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"visionflow/auth"
	"visionflow/net/wire"
)

// browser starts headless Chromium (Debian's; make deps installs it). Its
// absence fails the test: a skipped browser test would prove nothing.
// WebGL2 comes from SwiftShader (through ANGLE) on machines without a GPU;
// Chromium asks for the flag below before it falls back to it for WebGL,
// and the viewer's tests need WebGL2.
func browser(t testing.TB) context.Context {
	return browserFor(t, time.Minute)
}

// browserFor is browser with a longer life, for benchmarks that load
// large graphs.
func browserFor(t testing.TB, life time.Duration) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("no Chromium here: make deps installs it (Debian's chromium package)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Flag("headless", "new"),
		chromedp.Flag("enable-unsafe-swiftshader", true), chromedp.WindowSize(1280, 800))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, life)
	t.Cleanup(cancel3)
	return ctx
}

// A page of the shared server itself, in a real browser: fetch with a
// bearer token, the WebSocket with the token as a subprotocol, and the
// refusals a browser meets (no token, a form post).
func TestBrowserTokenFlow(t *testing.T) {
	ctx := browser(t)
	ts := startShared(t, filepath.Join(t.TempDir(), "b.db"))
	nt, err := ts.as(ts.FirstToken).CreateToken(context.Background(), wire.TokenRequest{Role: auth.Viewer, Name: "browser"})
	if err != nil {
		t.Fatal(err)
	}
	script := `(async () => {
	  const tok = ` + "`" + nt.Token + "`" + `;
	  const out = {};
	  out.noToken = (await fetch('/api/graphs')).status;
	  const me = await fetch('/api/whoami', {headers: {Authorization: 'Bearer ' + tok}});
	  out.whoami = (await me.json()).name;
	  const post = await fetch('/api/graphs', {method: 'POST', headers: {Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json'}, body: '{"name":"x"}'});
	  out.viewerPost = post.status;
	  const form = await fetch('/api/graphs', {method: 'POST', headers: {'Content-Type': 'text/plain'}, body: '{"name":"x"}'});
	  out.simplePost = form.status + ' ' + (await form.json()).detail;
	  out.hello = await new Promise((resolve) => {
	    const ws = new WebSocket('ws://' + location.host + '/ws', ['visionflow', 'visionflow.bearer.' + tok]);
	    ws.onmessage = (e) => { resolve(ws.protocol + ' ' + JSON.parse(e.data).type); ws.close(); };
	    ws.onerror = () => resolve('error');
	  });
	  out.wsNoToken = await new Promise((resolve) => {
	    const ws = new WebSocket('ws://' + location.host + '/ws');
	    ws.onopen = () => resolve('open');
	    ws.onerror = () => resolve('refused');
	  });
	  return JSON.stringify(out);
	})()`
	// Any page of the server is its origin; /api/health answers 401
	// without a token, which is still a page of that origin.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+"/api/health")); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"noToken":401`, `"whoami":"browser"`, `"viewerPost":403`, `"simplePost":"403 a browser's POST must not be a CORS simple request`, `"hello":"visionflow hello"`, `"wsNoToken":"refused"`} {
		if !strings.Contains(res, want) {
			t.Errorf("the browser saw %s; want %s", res, want)
		}
	}
}
