package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"visionflow/graph"
	"visionflow/graph/gen"
	"visionflow/ingest"
	"visionflow/settings"
)

// BenchmarkBrowserViewerFPS measures the browser viewer's frames per second
// under headless Chromium (WebGL2 on SwiftShader: the CPU draws) on
// generated graphs of 10k and 100k nodes with three edges a node, beside
// 3d-force-graph's own page (bench/anchors, its UMD bundle) on the same
// graph in the same run and the same browser.
//
// Both are counted the same way: requestAnimationFrame callbacks over at
// least five seconds (and four frames), with the viewer made to redraw
// every frame (window.visionflow.alwaysDraw), as 3d-force-graph does. Two
// phases each: "live", while the layout runs (the server's, streamed to
// the viewer; 3d-force-graph's own d3-force-3d in the page), and "rest",
// the layout stopped (physics.enabled off; cooldownTicks(0)), which is the
// drawing alone.
func BenchmarkBrowserViewerFPS(b *testing.B) {
	if testing.Short() {
		b.Skip("opens headless Chromium on graphs of up to 100k nodes")
	}
	bundle, _ := filepath.Abs("../bench/anchors/node_modules/3d-force-graph/dist/3d-force-graph.min.js")
	if _, err := os.Stat(bundle); err != nil {
		b.Logf("3d-force-graph is not installed (make bench, or npm ci in bench/anchors): the viewer alone is measured")
		bundle = ""
	}
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			ctx := browserFor(b, 20*time.Minute)
			ts := startServer(b, filepath.Join(b.TempDir(), "fps.db"))
			defer ts.Close()
			bg := context.Background()
			ops := gen.Ops(n, 3*n, 1)
			if _, err := ts.Session.Import(bg, "bench", graph.Info{ID: "g", Name: "generated", Type: graph.Knowledge}, &ingest.Import{Ops: ops}, ImportOptions{}); err != nil {
				b.Fatal(err)
			}
			for range b.N { // one measurement is the figure; b.N is 1 unless -benchtime asks for more
				b.StopTimer()
				start := time.Now()
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(ts.url+"/?graph=g")); err != nil {
					b.Fatal(err)
				}
				waitPage(b, ctx, 10*time.Minute, "the graph loaded and streaming", func(s viewerState) bool {
					return s.Nodes == n && s.Frames > 0
				})
				st, _ := pageState(ctx)
				b.Logf("viewer: %d nodes loaded and streaming after %v (multisampling %v)", n, time.Since(start).Round(time.Millisecond), st.Antialias)
				if _, err := evalJS[bool](ctx, `window.visionflow.alwaysDraw = true`); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				live := rafFPS(b, ctx)
				b.StopTimer()
				st, _ = pageState(ctx)
				b.Logf("viewer live: %.2f fps (page work %.1f ms a drawn frame, %d position frames applied)", live, st.FrameMS, st.Frames)
				if _, err := ts.c.SetSettings(bg, settings.Update{Path: "physics.enabled", Value: json.RawMessage("false")}); err != nil {
					b.Fatal(err)
				}
				time.Sleep(time.Second) // the last frames in flight
				b.StartTimer()
				rest := rafFPS(b, ctx)
				b.StopTimer()
				st, _ = pageState(ctx)
				b.Logf("viewer at rest: %.2f fps (page work %.1f ms a drawn frame)", rest, st.FrameMS)
				b.ReportMetric(live, "fps-live")
				b.ReportMetric(rest, "fps-rest")
				if bundle == "" {
					continue
				}
				data := anchorGraph(b, ops)
				// Its own page as it comes (three.js asked for 4× MSAA), then
				// with MSAA off as the viewer has it on a software GPU, so
				// that the comparison is of the drawing, not of one setting.
				for _, aa := range []bool{true, false} {
					suffix := ""
					if !aa {
						suffix = "-noaa"
					}
					aLive, aRest := anchorFPS(b, ctx, bundle, data, aa)
					b.ReportMetric(aLive, "3dfg"+suffix+"-fps-live")
					b.ReportMetric(aRest, "3dfg"+suffix+"-fps-rest")
					b.ReportMetric(live/aLive, "x-live"+suffix)
					b.ReportMetric(rest/aRest, "x-rest"+suffix)
				}
			}
		})
	}
}

// rafFPS counts requestAnimationFrame callbacks in the page for at least
// five seconds and four frames (at most a minute) and returns their rate.
// The script is evaluated by DevTools, which the viewer's
// Content-Security-Policy does not restrict.
func rafFPS(b *testing.B, ctx context.Context) float64 {
	b.Helper()
	s, err := evalJS[string](ctx, `new Promise((resolve) => {
	  let n = 0, t0 = 0;
	  const step = (t) => {
	    if (n === 0) t0 = t;
	    n++;
	    if ((t - t0 >= 5000 && n >= 5) || t - t0 >= 60000) resolve(JSON.stringify({frames: n - 1, ms: t - t0}));
	    else requestAnimationFrame(step);
	  };
	  requestAnimationFrame(step);
	})`)
	if err != nil {
		b.Fatal(err)
	}
	var r struct {
		Frames int
		MS     float64
	}
	if err := json.Unmarshal([]byte(s), &r); err != nil || r.MS <= 0 {
		b.Fatalf("frame count %s: %v", s, err)
	}
	return float64(r.Frames) * 1000 / r.MS
}

// anchorGraph is the generated graph as 3d-force-graph takes it.
func anchorGraph(b *testing.B, ops []graph.Op) []byte {
	b.Helper()
	type node struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	type link struct {
		Source string `json:"source"`
		Target string `json:"target"`
	}
	var data struct {
		Nodes []node `json:"nodes"`
		Links []link `json:"links"`
	}
	for _, op := range ops {
		switch op.Op {
		case graph.AddNode:
			data.Nodes = append(data.Nodes, node{ID: op.ID, Name: *op.Label})
		case graph.AddEdge:
			data.Links = append(data.Links, link{Source: op.Source, Target: op.Target})
		}
	}
	body, err := json.Marshal(data)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// anchorFPS serves a page that draws the graph with 3d-force-graph's
// defaults (sphere meshes, line links, its d3-force-3d layout in the page;
// multisampling as aa says) and measures it as the viewer was measured:
// while its layout runs, then with the layout stopped.
func anchorFPS(b *testing.B, ctx context.Context, bundle string, body []byte, aa bool) (live, rest float64) {
	b.Helper()
	config := ""
	if !aa {
		config = "{rendererConfig: {antialias: false, alpha: true}}"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;background:#000}</style></head>
<body><div id="graph"></div><script src="/3d-force-graph.min.js"></script><script>
fetch('/graph.json').then((r) => r.json()).then((data) => {
  window.anchorGraph = ForceGraph3D(`+config+`)(document.getElementById('graph')).width(1280).height(800).graphData(data);
  let ticks = 0;
  window.anchorGraph.onEngineTick(() => { ticks++; window.anchorTicks = ticks; });
});
</script></body></html>`)
	})
	mux.HandleFunc("GET /3d-force-graph.min.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, bundle) })
	mux.HandleFunc("GET /graph.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(srv.URL+"/")); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		ticks, err := evalJS[int](ctx, `window.anchorTicks || 0`)
		if err == nil && ticks > 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("3d-force-graph did not start within 10 minutes: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Logf("3d-force-graph (multisampling %v): loaded and ticking after %v", aa, time.Since(start).Round(time.Millisecond))
	b.StartTimer()
	live = rafFPS(b, ctx)
	b.StopTimer()
	ticks, _ := evalJS[int](ctx, `window.anchorTicks`)
	b.Logf("3d-force-graph live: %.2f fps (%d layout ticks so far)", live, ticks)
	if _, err := evalJS[bool](ctx, `window.anchorGraph.cooldownTicks(0), true`); err != nil {
		b.Fatal(err)
	}
	time.Sleep(time.Second)
	b.StartTimer()
	rest = rafFPS(b, ctx)
	b.StopTimer()
	b.Logf("3d-force-graph at rest: %.2f fps", rest)
	return live, rest
}
