package app

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"visionflow/assets"
	"visionflow/auth"
	"visionflow/graph"
	"visionflow/internal/testenv"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/settings"
)

// viewerState is what the page's window.visionflow.state() reports.
type viewerState struct {
	Connection string  `json:"connection"`
	Graph      string  `json:"graph"`
	Seq        uint64  `json:"seq"`
	Nodes      int     `json:"nodes"`
	Edges      int     `json:"edges"`
	Frames     int     `json:"frames"`
	Draws      int     `json:"draws"`
	FPS        int     `json:"fps"`
	FrameMS    float64 `json:"frameMs"`
	WebGL2     bool    `json:"webgl2"`
	Antialias  bool    `json:"antialias"`
	Selected   string  `json:"selected"`
	TokenBox   bool    `json:"tokenBox"`
	Labels     int     `json:"labels"`
}

// evalJS runs an expression in the page and decodes its value. Polling is
// done from here rather than with chromedp.Poll, whose predicate the
// page's Content-Security-Policy (no eval) would refuse.
func evalJS[T any](ctx context.Context, expr string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

func pageState(ctx context.Context) (viewerState, error) {
	var st viewerState
	s, err := evalJS[string](ctx, `JSON.stringify(window.visionflow ? window.visionflow.state() : null)`)
	if err != nil {
		return st, err
	}
	err = json.Unmarshal([]byte(s), &st)
	return st, err
}

// waitPage polls the page's state until ok holds or the deadline passes,
// and returns the last state seen.
func waitPage(t testing.TB, ctx context.Context, within time.Duration, what string, ok func(viewerState) bool) viewerState {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, err := pageState(ctx)
		if err == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page did not reach %q within %v: state %+v, err %v", what, within, st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The viewer page and its files are served to anyone who reaches a shared
// server, with their security headers; everything with data still needs a
// token.
func TestViewerPageNeedsNoToken(t *testing.T) {
	ts := startShared(t, filepath.Join(t.TempDir(), "p.db"))
	for _, c := range []struct{ path, ctype string }{
		{"/", "text/html; charset=utf-8"},
		{"/viewer/viewer.js", "text/javascript; charset=utf-8"},
		{"/viewer/style.css", "text/css; charset=utf-8"},
	} {
		code, body, hdr := send(t, "GET", ts.url+c.path, nil, "")
		if code != http.StatusOK || hdr.Get("Content-Type") != c.ctype || len(body) < 100 {
			t.Errorf("GET %s: %d %q, %d bytes", c.path, code, hdr.Get("Content-Type"), len(body))
		}
		if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self' ws://127.0.0.1:") {
			t.Errorf("GET %s: Content-Security-Policy %q", c.path, csp)
		}
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("ETag") == "" {
			t.Errorf("GET %s: headers %v", c.path, hdr)
		}
		if code, _, _ := send(t, "GET", ts.url+c.path, map[string]string{"If-None-Match": hdr.Get("ETag")}, ""); code != http.StatusNotModified {
			t.Errorf("GET %s again with its ETag: %d, want 304", c.path, code)
		}
	}
	if code, _, _ := send(t, "GET", ts.url+"/api/graphs", nil, ""); code != http.StatusUnauthorized {
		t.Errorf("GET /api/graphs without a token: %d, want 401", code)
	}
	if code, _, _ := send(t, "GET", ts.url+"/viewer/secrets.txt", nil, ""); code != http.StatusNotFound {
		t.Errorf("GET /viewer/secrets.txt: %d, want 404", code)
	}
	if code, _, _ := send(t, "GET", ts.url+"/", map[string]string{"Host": "evil.example"}, ""); code != http.StatusForbidden {
		t.Errorf("GET / for another host: %d, want 403", code)
	}
}

// The viewer in headless Chromium, on a shared server, with an editor's
// share link: it draws the Logseq docs, follows a live edit made over REST
// within a second, and its own edits reach the server.
func TestViewerInBrowser(t *testing.T) {
	ctx := browser(t)
	ts := startShared(t, filepath.Join(t.TempDir(), "v.db"))
	bg := context.Background()
	admin := ts.as(ts.FirstToken)
	sum, _, err := admin.ImportLogseq(bg, testenv.LogseqDocs(t), client.ImportOptions{ID: "docs", Name: "Logseq docs"})
	if err != nil {
		t.Fatal(err)
	}
	ed, err := admin.CreateToken(bg, wire.TokenRequest{Role: auth.Editor, Name: "peer"})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(ts.url+"/?graph=docs#token="+ed.Token)); err != nil {
		t.Fatal(err)
	}
	st := waitPage(t, ctx, 30*time.Second, "live with the whole graph and its positions", func(s viewerState) bool {
		return s.Connection == "live" && s.Nodes == sum.Nodes && s.Edges == sum.Edges && s.Frames > 0
	})
	if !st.WebGL2 || st.Graph != "docs" || st.Nodes != 837 || st.Edges != 1426 {
		t.Fatalf("the page holds %+v; want docs with 837 nodes and 1426 edges, drawn with WebGL2", st)
	}
	// The token left the address bar for the tab's session storage.
	where, err := evalJS[string](ctx, `location.href + ' ' + (sessionStorage.getItem('visionflow.token') || '')`)
	if err != nil {
		t.Fatal(err)
	}
	if href, kept, _ := strings.Cut(where, " "); strings.Contains(href, "token") || kept != ed.Token || !strings.HasSuffix(href, "/?graph=docs") {
		t.Errorf("address and session storage: %q", where)
	}

	// What it drew: a dark background with a graph on it, and labels.
	// The page draws only when something changes: a layout that settled
	// before the page joined is drawn once or twice, and that is enough.
	waitPage(t, ctx, 10*time.Second, "drawn with labels", func(s viewerState) bool { return s.Draws > 0 && s.Labels > 5 })
	time.Sleep(500 * time.Millisecond) // let the layout spread before the picture; the checks above were the deadline-bound ones
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(os.TempDir(), "viewer.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	drawn, total := paintedPixels(img, [3]uint8{0x0a, 0x0e, 0x1a})
	t.Logf("screenshot %v: %d of %d pixels differ from the background", img.Bounds().Size(), drawn, total)
	if drawn < total/50 {
		t.Errorf("only %d of %d pixels differ from the background: the graph was not drawn", drawn, total)
	}

	// A live edit made over REST shows in the page within a second.
	live, err := admin.AddNode(bg, "docs", graph.Op{ID: "live-node", Label: new("Added over REST")})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitPage(t, ctx, time.Second, "the node added over REST", func(s viewerState) bool { return s.Nodes == 838 })
	if has, err := evalJS[bool](ctx, `window.visionflow.has('live-node')`); err != nil || !has {
		t.Fatalf("the page does not know live-node: %v %v", has, err)
	}
	t.Logf("a node added over REST reached the page in %v", time.Since(start).Round(time.Millisecond))

	// Edits from the page go through the REST API with the page's token.
	if _, err := evalJS[any](ctx, `window.visionflow.rename('contents', 'Renamed in the browser').then(() => null)`); err != nil {
		t.Fatal(err)
	}
	added, err := evalJS[string](ctx, `window.visionflow.addLinked('contents', 'Added in the browser')`)
	if err != nil {
		t.Fatal(err)
	}
	g, err := admin.Graph(bg, "docs")
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	for _, n := range g.Nodes {
		labels[n.ID] = n.Label
	}
	if labels["contents"] != "Renamed in the browser" || labels[added] != "Added in the browser" {
		t.Errorf("the server's graph: contents is %q, %s is %q", labels["contents"], added, labels[added])
	}
	linked := false
	for _, e := range g.Edges {
		linked = linked || e.Source == "contents" && e.Target == added
	}
	if !linked {
		t.Errorf("no edge contents → %s on the server", added)
	}
	evs, err := admin.Events(bg, "docs", live.Events[len(live.Events)-1].Seq, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs.Events) != 3 {
		t.Errorf("the page's edits made %d events; want 3 (NodeUpdated, NodeAdded, EdgeCreated)", len(evs.Events))
	}
	for _, ev := range evs.Events {
		if ev.Client != "peer" {
			t.Errorf("event %d (%s) was made by %q; the token's name is peer", ev.Seq, ev.Type, ev.Client)
		}
	}
	// …and come back to the page as events.
	waitPage(t, ctx, time.Second, "its own edits back as events", func(s viewerState) bool { return s.Nodes == 839 && s.Edges == 1427 })
	if l, err := evalJS[string](ctx, `window.visionflow.label('contents')`); err != nil || l != "Renamed in the browser" {
		t.Errorf("the page's label of contents: %q %v", l, err)
	}

	// Selecting a node opens the inspector with its neighbours.
	if _, err := evalJS[any](ctx, `window.visionflow.flyTo('contents')`); err != nil {
		t.Fatal(err)
	}
	panel, err := evalJS[string](ctx, `document.getElementById('inspector').hidden + ' ' + document.getElementById('i-label').textContent + ' ' + document.querySelectorAll('#i-neighbours a').length`)
	if err != nil || !strings.HasPrefix(panel, "false Renamed in the browser ") || strings.HasSuffix(panel, " 0") {
		t.Errorf("the inspector: %q %v", panel, err)
	}
	// Search by label.
	found, err := evalJS[[]string](ctx, `window.visionflow.search('renamed in the')`)
	if err != nil || len(found) == 0 || found[0] != "contents" {
		t.Errorf("search: %v %v", found, err)
	}
}

// A wrong token in the link gets the box to paste one, not a broken page.
func TestViewerWrongToken(t *testing.T) {
	ctx := browser(t)
	ts := startShared(t, filepath.Join(t.TempDir(), "w.db"))
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+"/#token=vf_not_a_token")); err != nil {
		t.Fatal(err)
	}
	st := waitPage(t, ctx, 20*time.Second, "the token box", func(s viewerState) bool { return s.TokenBox })
	if st.Connection != "unauthorized" || st.Nodes != 0 {
		t.Errorf("with a wrong token the page shows %+v", st)
	}
	msg, err := evalJS[string](ctx, `document.getElementById('token-error').textContent`)
	if err != nil || !strings.Contains(msg, "refused") {
		t.Errorf("the token box says %q (%v)", msg, err)
	}
	// Pasting the right one lets it in.
	nt, err := ts.as(ts.FirstToken).CreateToken(context.Background(), wire.TokenRequest{Role: auth.Viewer, Name: "pasted"})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("token-input"), nt.Token)); err != nil {
		t.Fatal(err)
	}
	if _, err := evalJS[any](ctx, `document.getElementById('token-form').requestSubmit()`); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, 20*time.Second, "live after the token was pasted", func(s viewerState) bool {
		return s.Connection == "live" && !s.TokenBox && s.Nodes > 0
	})
}

// paintedPixels counts the pixels that differ from the background by more
// than a little (anti-aliasing and PNG rounding are not drawing).
func paintedPixels(img image.Image, bg [3]uint8) (painted, total int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			d := absDiff(uint8(r>>8), bg[0]) + absDiff(uint8(g>>8), bg[1]) + absDiff(uint8(bl>>8), bg[2])
			if d > 24 {
				painted++
			}
			total++
		}
	}
	return painted, total
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// The network drops while the session goes on changing: the page says it
// is reconnecting, dials again with backoff, and catches up with what it
// missed, graph and settings, without a reload.
func TestViewerReconnects(t *testing.T) {
	ctx := browser(t)
	ts := startServer(t, filepath.Join(t.TempDir(), "r.db"))
	defer ts.Close()
	bg := context.Background()
	px := startProxy(t, ts.Addr.String())
	if err := chromedp.Do(ctx, chromedp.Navigate(px.url()+"/?graph="+assets.SampleGraphID)); err != nil {
		t.Fatal(err)
	}
	before := waitPage(t, ctx, 20*time.Second, "live", func(s viewerState) bool { return s.Connection == "live" && s.Nodes > 0 })

	px.cut()
	waitPage(t, ctx, 10*time.Second, "reconnecting", func(s viewerState) bool { return s.Connection == "reconnecting" })
	if _, err := ts.c.AddNode(bg, assets.SampleGraphID, graph.Op{ID: "while-away", Label: new("Added while the page was away")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.c.SetSettings(bg, settings.Update{Path: "rendering.backgroundColor", Value: json.RawMessage(`"#202830"`)}); err != nil {
		t.Fatal(err)
	}
	px.heal()
	after := waitPage(t, ctx, 20*time.Second, "live again with the node it missed", func(s viewerState) bool {
		return s.Connection == "live" && s.Nodes == before.Nodes+1
	})
	sum, err := ts.c.Graphs(bg)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range sum {
		if g.ID == assets.SampleGraphID && g.Seq != after.Seq {
			t.Errorf("the page is at event %d; the graph at %d", after.Seq, g.Seq)
		}
	}
	bgColour, err := evalJS[string](ctx, `getComputedStyle(document.documentElement).getPropertyValue('--bg').trim()`)
	if err != nil || bgColour != "#202830" {
		t.Errorf("the page's background after the settings it missed: %q %v", bgColour, err)
	}
}
