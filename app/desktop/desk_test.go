package desktop

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/go-gl/mathgl/mgl32"

	"visionflow/agent"
	"visionflow/app"
	"visionflow/assets"
	"visionflow/auth"
	"visionflow/graph"
	"visionflow/internal/gltest"
	"visionflow/memory"
	"visionflow/net/client"
	"visionflow/net/wire"
	"visionflow/render"
	"visionflow/render/overlay"
	"visionflow/render/view"
	"visionflow/session"
	"visionflow/settings"
	"visionflow/store"
	"visionflow/task"
)

var update = flag.Bool("update", false, "rewrite the golden screenshots in testdata/")

// The sample graph, drawn by the CPU engine's settled layout, matches the
// golden screenshot within a tolerance (the stats bar's FPS differs from
// run to run; drivers may round differently).
func TestGoldenScreenshot(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine, cfg.Frames = "cpu", 3
	cfg.Screenshot = filepath.Join(t.TempDir(), "sample.png")
	runDesk(t, cfg, hooks{})
	matchGolden(t, "sample.png", readPNG(t, cfg.Screenshot))
}

// The command line's --screenshot goes through app.Main to the window.
func TestScreenshotCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "shot.png")
	var code int
	var stderr syncBuf
	onMain(func() {
		code = app.Main([]string{"--db", filepath.Join(t.TempDir(), "vf.db"), "--addr", "127.0.0.1:0", "--screenshot", out,
			"--size", "320x200", "--engine", "cpu", "--log-level", "warn"}, io.Discard, &stderr, Run)
	})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if b := readPNG(t, out).Bounds(); b.Dx() != 320 || b.Dy() != 200 {
		t.Errorf("screenshot is %v", b.Size())
	}
}

// nodeNamed finds a node of the scene by label.
func nodeNamed(d *desk, label string) *nodeView {
	if d.sceneNow == nil {
		return nil
	}
	for i := range d.sceneNow.nodes {
		if d.sceneNow.nodes[i].label == label {
			return &d.sceneNow.nodes[i]
		}
	}
	return nil
}

// onScreen is where a node is drawn.
func onScreen(d *desk, w graph.WireID) (x, y float32, ok bool) {
	p, ok := d.position(w)
	if !ok {
		return 0, 0, false
	}
	x, y, _, ok = d.cam.Project(p, d.width, d.height)
	return x, y, ok
}

// Hundreds of frames with the GPU engine stepping between them, the camera
// turning and settings switching the renderer's paths, raise no GL error
// (every frame checks; one would end the run with an error).
func TestFramesRunWithoutGLErrors(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = gpuEngine()
	frames := 0
	set := func(d *desk, path string, v any) {
		raw, _ := json.Marshal(v)
		d.act(overlay.Actions{Settings: []settings.Update{{Path: path, Value: raw}}})
	}
	runDesk(t, cfg, script(t, 60*time.Second,
		step{"the engine asked for in use", func(d *desk) bool {
			eng := d.loc.engine()
			return eng != nil && eng.Name() == cfg.Engine && len(d.order) > 0
		}},
		step{"300 frames", func(d *desk) bool {
			frames++
			d.in.queue = append(d.in.queue, inputEvent{kind: evKey, key: keyLeft, action: keyPress})
			switch frames {
			case 60:
				set(d, "rendering.enableAntialiasing", false)
				set(d, "nodes.enableInstancing", false)
			case 120:
				set(d, "edges.enableArrows", true)
				set(d, "nodes.quality", "low")
				set(d, "nodes.enableMetadataShape", true)
			case 150:
				d.w.W.SetSize(640, 400) // the frames follow a resize
				set(d, "edges.quality", "low")
			case 180:
				set(d, "physics.repelK", 200.0) // wakes the layout: the kernels run again
			}
			return frames >= 300
		}},
		step{"drawn", func(d *desk) bool {
			if d.stats.glErrors != 0 {
				t.Errorf("%d GL errors", d.stats.glErrors)
			}
			if !d.setNow.Arrows || d.setNow.Instancing || d.setNow.Quality != 0 || d.setNow.EdgeQuality != 0 {
				t.Errorf("settings did not reach the renderer: %+v", d.setNow)
			}
			if d.width != 640 || d.height != 400 {
				t.Errorf("after the resize the frame is %dx%d", d.width, d.height)
			}
			return true
		}},
	))
	if frames < 300 {
		t.Errorf("%d frames", frames)
	}
}

// A settings change made over REST shows in the next frames; one made in
// the panel is stored and recorded like a REST change.
func TestSettingsReachTheFrames(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	var c *client.Client
	var sent atomic.Bool
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"background is the default", func(d *desk) bool {
			c = client.New("http://"+d.loc.srv.Addr.String(), "tester")
			got := pixel(d, d.width-2, d.height-2)
			if !colourClose(got, [3]uint8{0x0a, 0x0e, 0x1a}, 3) {
				t.Errorf("background %s, want #0a0e1a", fmtRGB(got))
			}
			return true
		}},
		step{"REST change drawn", func(d *desk) bool {
			if !sent.Swap(true) {
				go func() {
					if _, err := c.SetSettings(context.Background(), settings.Update{Path: "rendering.backgroundColor", Value: json.RawMessage(`"#ff0000"`)}); err != nil {
						t.Error(err)
					}
				}()
			}
			return colourClose(pixel(d, d.width-2, d.height-2), [3]uint8{255, 0, 0}, 3)
		}},
		step{"panel change stored", func(d *desk) bool {
			if sent.Swap(false) {
				d.act(overlay.Actions{Settings: []settings.Update{{Path: "physics.springK", Value: json.RawMessage(`0.2`)}}})
			}
			return d.loc.srv.Settings.Float("physics.springK") == 0.2
		}},
		step{"recorded as the desktop's", func(d *desk) bool {
			hist, err := d.loc.srv.Session.SettingsHistory(context.Background(), "physics.springK", 0, 10)
			if err != nil || len(hist) != 1 || hist[0].Client != "desktop" || string(hist[0].New) != "0.2" {
				t.Errorf("history %+v %v", hist, err)
			}
			return true
		}},
	))
}

// A click on a node selects it and opens its inspector; dragging it moves
// and pins it through a graph event that a peer on the stream receives.
func TestClickSelectsAndDragPins(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	var target *nodeView
	var x, y float32
	var seen atomic.Bool
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"click", func(d *desk) bool {
			target = nodeNamed(d, "Time travel")
			var ok bool
			if x, y, ok = onScreen(d, target.wire); !ok {
				t.Fatal("the node is off screen")
			}
			d.in.queue = append(d.in.queue, inputEvent{kind: evMove, x: x, y: y}, inputEvent{kind: evPress, button: mouseLeft}, inputEvent{kind: evRelease, button: mouseLeft})
			// A peer follows the graph's events.
			go watchForPin(t, "http://"+d.loc.srv.Addr.String(), d.sceneNow.graphID, target.id, &seen)
			return true
		}},
		step{"selected and inspected", func(d *desk) bool {
			in := d.m.inspected.Load()
			return d.selected == target.wire && in != nil && in.Label == "Time travel" && in.Degree > 0 && len(in.Neighbours) > 0
		}},
		step{"drag", func(d *desk) bool {
			d.in.queue = append(d.in.queue, inputEvent{kind: evMove, x: x, y: y}, inputEvent{kind: evPress, button: mouseLeft},
				inputEvent{kind: evMove, x: x + 20, y: y}, inputEvent{kind: evMove, x: x + 60, y: y + 30}, inputEvent{kind: evRelease, button: mouseLeft})
			return true
		}},
		step{"peer saw the pinned move", func(d *desk) bool { return seen.Load() }},
		step{"the node is pinned where it was dropped", func(d *desk) bool {
			n := d.sceneNow.node(target.wire)
			if n == nil || !n.pinned {
				return false
			}
			sx, sy, ok := onScreen(d, target.wire)
			return ok && abs32(sx-(x+60)) < 3 && abs32(sy-(y+30)) < 3
		}},
	))
}

func watchForPin(t *testing.T, url, graphID, nodeID string, seen *atomic.Bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := client.New(url, "peer").Stream(ctx)
	if err != nil {
		t.Error(err)
		return
	}
	defer st.Close()
	if _, err := st.Subscribe(ctx, graphID, wire.StreamEvents); err != nil {
		t.Error(err)
		return
	}
	for {
		select {
		case m := <-st.Messages():
			var ev wire.Events
			if m.Type != wire.TypeEvents || json.Unmarshal(m.Raw, &ev) != nil {
				continue
			}
			for _, e := range ev.Events {
				if e.Type == graph.NodeMoved && e.ID == nodeID && e.Pinned != nil && *e.Pinned && e.Client == "desktop" {
					seen.Store(true)
					return
				}
			}
		case <-ctx.Done():
			return
		}
	}
}

// Searching selects the node and flies the camera to it.
func TestSearchFliesToTheNode(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	var target *nodeView
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"search", func(d *desk) bool {
			target = nodeNamed(d, "Time travel")
			d.act(overlay.Actions{Search: "time trav"})
			return true
		}},
		step{"selected, camera there, label strong", func(d *desk) bool {
			p, _ := d.position(target.wire)
			if d.selected != target.wire || d.flight != nil || d.cam.Target.Sub(p).Len() > 0.01 {
				return false
			}
			// Its neighbours are in the picture too.
			for _, e := range d.sceneNow.edges[:d.sceneNow.graphEdges] {
				other := e.a
				if e.a == target.wire {
					other = e.b
				} else if e.b != target.wire {
					continue
				}
				if x, y, ok := onScreen(d, other); !ok || x < 0 || y < 0 || x > float32(d.width) || y > float32(d.height) {
					t.Errorf("a neighbour of the node found is off screen at %.0f,%.0f", x, y)
					return true
				}
			}
			for _, l := range d.labels(time.Now()) {
				if l.Text == "Time travel" && l.Strong {
					return true
				}
			}
			return false
		}},
		step{"nothing found says so", func(d *desk) bool {
			if n := d.m.notice.Load(); n != nil {
				return n.text == `no node matches "zzz-nothing"`
			}
			d.act(overlay.Actions{Search: "zzz-nothing"})
			return false
		}},
	))
}

// Scrolling over the graph, as a wheel or a trackpad does: vertical zooms,
// horizontal orbits, Shift pans, Alt orbits both ways; over the panels it
// leaves the camera alone.
func TestScrollZoomsOrbitsAndPans(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	var before view.Camera
	scroll := func(d *desk, dx, dy float32, mods glfw.ModifierKey, x, y float32) {
		before = d.cam
		d.in.x, d.in.y = x, y
		d.in.queue = append(d.in.queue, inputEvent{kind: evScroll, dx: dx, dy: dy, mods: mods})
	}
	centre := func(d *desk) (float32, float32) { return float32(d.width) / 2, float32(d.height) / 2 }
	check := func(name string, ok func(d *desk) bool) step {
		return step{name, func(d *desk) bool {
			if !ok(d) {
				t.Errorf("%s: camera %+v, before %+v", name, d.cam, before)
			}
			return true
		}}
	}
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"wheel up", func(d *desk) bool { x, y := centre(d); scroll(d, 0, 1, 0, x, y); return true }},
		check("zoomed in", func(d *desk) bool {
			return d.cam.Distance < before.Distance*0.9 && d.cam.Yaw == before.Yaw && d.cam.Target == before.Target && !d.autoFit
		}),
		step{"two fingers sideways", func(d *desk) bool { x, y := centre(d); scroll(d, 0.5, 0, 0, x, y); return true }},
		check("orbited sideways", func(d *desk) bool {
			return d.cam.Yaw != before.Yaw && d.cam.Pitch == before.Pitch && d.cam.Distance == before.Distance
		}),
		step{"Shift+scroll", func(d *desk) bool { x, y := centre(d); scroll(d, 1, 1, glfw.ModShift, x, y); return true }},
		check("panned", func(d *desk) bool {
			return d.cam.Target.Sub(before.Target).Len() > 0 && d.cam.Distance == before.Distance && d.cam.Yaw == before.Yaw
		}),
		step{"Alt+scroll", func(d *desk) bool { x, y := centre(d); scroll(d, 0, 1, glfw.ModAlt, x, y); return true }},
		check("orbited up", func(d *desk) bool {
			return d.cam.Pitch != before.Pitch && d.cam.Distance == before.Distance && d.cam.Target == before.Target
		}),
		step{"over the bar", func(d *desk) bool { scroll(d, 0, 1, 0, 20, 10); return true }},
		check("camera left alone", func(d *desk) bool { return d.cam == before }),
	))
}

// sharedHost starts a shared server (listening on every address, as
// --share does) and returns it and its URL on loopback.
func sharedHost(t *testing.T) (*app.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	host, err := app.Start(context.Background(), app.Config{DB: filepath.Join(t.TempDir(), "host.db"), Addr: ln.Addr().String()}, ln, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close() })
	if !host.Shared || host.FirstToken == "" {
		t.Fatal("the host is not shared")
	}
	_, port, _ := net.SplitHostPort(host.Addr.String())
	return host, "http://127.0.0.1:" + port
}

// --join shows the host's graph from its stream and sends edits back; the
// host's changes reach the window. The host is shared (it listens on every
// address), so the window joins with a token.
func TestJoinShowsTheHostsNodes(t *testing.T) {
	host, url := sharedHost(t)
	cfg := testConfig(t)
	cfg.Join, cfg.Token = url, host.FirstToken
	var target *nodeView
	var sent atomic.Bool
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"host's nodes drawn", func(d *desk) bool {
			if d.loc != nil || d.src.Where() != cfg.Join {
				t.Fatalf("not joined: %q", d.src.Where())
			}
			if len(d.sceneNow.nodes) != 34 || len(d.order) != 34 || len(d.sceneNow.edges) != 50 {
				t.Errorf("scene %d nodes %d edges, %d slots", len(d.sceneNow.nodes), len(d.sceneNow.edges), len(d.order))
			}
			target = nodeNamed(d, "Time travel")
			x, y, ok := onScreen(d, target.wire)
			if !ok {
				t.Fatal("the node is off screen")
			}
			if got := pixel(d, int(x), int(y)); colourClose(got, [3]uint8{0x0a, 0x0e, 0x1a}, 20) {
				t.Errorf("background %s where the host's node should be drawn", fmtRGB(got))
			}
			return true
		}},
		step{"a window edit reaches the host", func(d *desk) bool {
			if !sent.Swap(true) {
				d.act(overlay.Actions{Settings: []settings.Update{{Path: "nodes.nodeSize", Value: json.RawMessage(`2`)}}})
				d.m.move(target.wire, graph.Vec3{X: 1, Y: 2, Z: 3})
			}
			return host.Settings.Float("nodes.nodeSize") == 2
		}},
		step{"the move reaches the host and comes back", func(d *desk) bool {
			p, ok := d.position(target.wire)
			n := d.sceneNow.node(target.wire)
			return ok && n != nil && n.pinned && p.Sub(mgl32.Vec3{1, 2, 3}).Len() < 1e-3
		}},
		step{"a host change reaches the window", func(d *desk) bool {
			if sent.Swap(false) {
				go host.Settings.Apply(context.Background(), "host", []settings.Update{{Path: "edges.color", Value: json.RawMessage(`"#ff00ff"`)}})
			}
			return d.valsNow.str("edges.color") == "#ff00ff" && d.setNow.EdgeColor == [3]uint8{255, 0, 255}
		}},
	))
}

// A window joined with a viewer's token draws a pin at once, and undoes it
// with a notice when the host refuses it.
func TestJoinedViewerEditIsUndoneWithANotice(t *testing.T) {
	host, url := sharedHost(t)
	secret, _, err := host.Session.CreateToken(context.Background(), "test", session.TokenRequest{Role: auth.Viewer, Name: "vera"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Join, cfg.Token = url, secret
	var target *nodeView
	var sent, sawPinned atomic.Bool
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"drag a node", func(d *desk) bool {
			target = nodeNamed(d, "Time travel")
			if !sent.Swap(true) {
				d.m.move(target.wire, graph.Vec3{X: 1, Y: 2, Z: 3})
			}
			return true
		}},
		step{"the pin is drawn, then undone with a notice", func(d *desk) bool {
			if n := d.sceneNow.node(target.wire); n != nil && n.pinned {
				sawPinned.Store(true)
			}
			n := d.m.notice.Load()
			if n == nil || !strings.Contains(n.text, "undone") {
				return false
			}
			if !strings.Contains(n.text, "viewer") {
				t.Errorf("notice %q does not say why", n.text)
			}
			return true
		}},
		step{"the node is unpinned again", func(d *desk) bool {
			n := d.sceneNow.node(target.wire)
			return n != nil && !n.pinned
		}},
	))
	if !sawPinned.Load() {
		t.Log("the optimistic pin was undone before a frame showed it")
	}
}

// Peers see each other: a client's selection is drawn as a ring in its
// colour with its name; the window's own selection reaches the host and the
// other peers.
func TestPresenceInTheWindow(t *testing.T) {
	host, url := sharedHost(t)
	st, g := peerStream(t, host, url, "alice", auth.Editor)
	id := func(label string) string {
		for _, n := range g.Nodes {
			if n.Label == label {
				return n.ID
			}
		}
		t.Fatalf("no node %q", label)
		return ""
	}
	cfg := testConfig(t)
	cfg.Join, cfg.Token = url, host.FirstToken
	var picked string
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"alice selects a node", func(d *desk) bool {
			eye := d.cam.Target.Add(mgl32.Vec3{5, 5, 5})
			return st.SetPresence(wire.Presence{Graph: g.ID, Selected: id("Time travel"), Eye: []float32{eye[0], eye[1], eye[2]}}) == nil
		}},
		step{"her ring and name are drawn on it", func(d *desk) bool {
			target := nodeNamed(d, "Time travel")
			x, y, _ := onScreen(d, target.wire)
			for _, m := range d.peerMarks(time.Now()) {
				if m.Name == "alice" && !m.Camera {
					if dx, dy := m.X-x, m.Y-y; dx*dx+dy*dy > 4 {
						t.Errorf("alice's ring at %.0f,%.0f, the node at %.0f,%.0f", m.X, m.Y, x, y)
					}
					if want := nrgba(wire.PeerColor("alice")); m.Color != want {
						t.Errorf("alice's colour %v, want %v", m.Color, want)
					}
					return true
				}
			}
			return false
		}},
		step{"the window selects a node", func(d *desk) bool {
			if dir := os.Getenv("VISIONFLOW_SHOT_DIR"); dir != "" { // to look at
				writePNG(filepath.Join(dir, "presence.png"), render.ReadPixels(d.width, d.height), d.width, d.height)
			}
			picked = id("Springs")
			d.act(overlay.Actions{SelectNode: picked})
			return true
		}},
		step{"the host and alice see the window's selection", func(d *desk) bool {
			var atHost bool
			for _, p := range host.Hub().Peers(g.ID) {
				atHost = atHost || (p.Name == "owner" && p.Selected == picked)
			}
			if !atHost {
				return false
			}
			for {
				select {
				case m := <-st.Messages():
					if m.Type == wire.TypePresence && strings.Contains(string(m.Raw), `"name":"owner"`) && strings.Contains(string(m.Raw), `"selected":"`+picked+`"`) {
						return true
					}
				default:
					return false
				}
			}
		}},
	))
}

// The share panel of a shared session makes a link with a QR code; the
// link's token joins with the role chosen. A session on loopback only says
// how to share it instead.
func TestSharePanelMakesALink(t *testing.T) {
	cfg := testConfig(t)
	cfg.Addr = "0.0.0.0:0"
	cfg.Width, cfg.Height = 800, 600
	var link string
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"open the panel and ask for a viewer's link", func(d *desk) bool {
			p := d.m.share.Load()
			if p == nil || !p.CanMake || !strings.Contains(p.Status, "Shared on") {
				t.Fatalf("share panel %+v", p)
			}
			// The Share button, clicked through the real input path.
			r := d.ui.Corner()
			if r.Empty() {
				t.Fatal("no History and Share buttons")
			}
			x, y := float32(r.Max.X-15), float32(r.Min.Y+r.Dy()/2)
			d.in.queue = append(d.in.queue, inputEvent{kind: evMove, x: x, y: y}, inputEvent{kind: evPress, button: mouseLeft}, inputEvent{kind: evRelease, button: mouseLeft})
			return true
		}},
		step{"the panel opens", func(d *desk) bool {
			if share, _ := d.ui.Shown(); !share {
				return false
			}
			d.act(overlay.Actions{ShareRole: "viewer"})
			return true
		}},
		step{"the link and its code are shown", func(d *desk) bool {
			p := d.m.share.Load()
			if p.Link == "" || p.QR == nil {
				return false
			}
			link = p.Link
			return true
		}},
		step{"look at it", func(d *desk) bool {
			if dir := os.Getenv("VISIONFLOW_SHOT_DIR"); dir != "" {
				writePNG(filepath.Join(dir, "share.png"), render.ReadPixels(d.width, d.height), d.width, d.height)
			}
			// The link's token works on this session as a viewer's.
			_, tok, ok := strings.Cut(link, "#token=")
			if !ok {
				t.Fatalf("link %q has no token", link)
			}
			c := client.New("http://"+d.loc.srv.Addr.String(), "")
			c.SetToken(tok)
			if strings.HasPrefix(d.loc.srv.Addr.String(), "0.0.0.0") || strings.HasPrefix(d.loc.srv.Addr.String(), "[::]") {
				_, port, _ := net.SplitHostPort(d.loc.srv.Addr.String())
				c = client.New("http://127.0.0.1:"+port, "")
				c.SetToken(tok)
			}
			me, err := c.WhoAmI(context.Background())
			if err != nil || me.Role != auth.Viewer {
				t.Errorf("the link's token: %+v %v", me, err)
			}
			return true
		}},
	))
	// On loopback only: no links, and a way to share.
	runDesk(t, testConfig(t), script(t, 30*time.Second,
		settled(),
		step{"the panel says how to share", func(d *desk) bool {
			p := d.m.share.Load()
			if p == nil || p.CanMake || !strings.Contains(p.Status, "--share") {
				t.Errorf("share panel on loopback: %+v", p)
			}
			return true
		}},
	))
}

// The timeline shows the graph as it was after any change, says who made
// the changes, turns edits off meanwhile, plays the history back and ends
// live.
func TestTimelineScrubsAndPlays(t *testing.T) {
	cfg := testConfig(t)
	cfg.Width, cfg.Height = 800, 600
	var before uint64
	var added atomic.Bool
	runDesk(t, cfg, script(t, 60*time.Second,
		settled(),
		step{"three nodes are added", func(d *desk) bool {
			if !added.Swap(true) {
				before = d.m.timeline.Load().Seq
				sess, graphID := d.loc.srv.Session, d.sceneNow.graphID
				go func() {
					for i := range 3 {
						label := fmt.Sprintf("Added later %d", i)
						sess.Apply(context.Background(), "carol", graphID, []graph.Op{{Op: graph.AddNode, ID: fmt.Sprintf("later-%d", i), Label: &label}})
					}
				}()
			}
			return nodeNamed(d, "Added later 2") != nil
		}},
		step{"scrub to before them", func(d *desk) bool {
			// The History button, clicked through the real input path.
			r := d.ui.Corner()
			x, y := float32(r.Min.X+15), float32(r.Min.Y+r.Dy()/2)
			d.in.queue = append(d.in.queue, inputEvent{kind: evMove, x: x, y: y}, inputEvent{kind: evPress, button: mouseLeft}, inputEvent{kind: evRelease, button: mouseLeft})
			return true
		}},
		step{"the timeline opens", func(d *desk) bool {
			if _, history := d.ui.Shown(); !history {
				return false
			}
			d.act(overlay.Actions{TimelineAt: before})
			return true
		}},
		step{"the past is shown, with who changed what", func(d *desk) bool {
			tl := d.m.timeline.Load()
			if tl == nil || tl.At != before || nodeNamed(d, "Added later 0") != nil || nodeNamed(d, "Springs") == nil {
				return false
			}
			if len(tl.Changes) == 0 || tl.When.IsZero() || tl.Seq != before+3 {
				t.Errorf("timeline %+v", tl)
			}
			return true
		}},
		step{"edits are off in the past", func(d *desk) bool {
			if dir := os.Getenv("VISIONFLOW_SHOT_DIR"); dir != "" {
				writePNG(filepath.Join(dir, "timeline.png"), render.ReadPixels(d.width, d.height), d.width, d.height)
			}
			d.m.move(nodeNamed(d, "Springs").wire, graph.Vec3{X: 1})
			return true
		}},
		step{"the window says so", func(d *desk) bool {
			n := d.m.notice.Load()
			return n != nil && strings.Contains(n.text, "press Live")
		}},
		step{"play", func(d *desk) bool {
			d.act(overlay.Actions{TimelineAt: before - 2})
			d.act(overlay.Actions{TimelinePlay: true})
			return true
		}},
		step{"it plays through and ends live", func(d *desk) bool {
			tl := d.m.timeline.Load()
			return tl != nil && tl.At == 0 && !tl.Playing && nodeNamed(d, "Added later 2") != nil
		}},
	))
}

// Two desktop peers of one host, each a window of its own process: the
// second (a separate visionflow process, joined with bob's token) shows up
// in the first with its name and camera, and the host lists both.
func TestTwoDesktopPeersSeeEachOther(t *testing.T) {
	host, url := sharedHost(t)
	secret, _, err := host.Session.CreateToken(context.Background(), "test", session.TokenRequest{Role: auth.Editor, Name: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "bob.png")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VISIONFLOW_TEST_WINDOW=--join "+url+" --token "+secret+" --screenshot "+shot+" --frames 2000 --size 480x320 --gl "+gltest.GL())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-done
	}()
	cfg := testConfig(t)
	cfg.Join, cfg.Token = url, host.FirstToken
	runDesk(t, cfg, script(t, 120*time.Second,
		settled(),
		step{"bob's window appears, with his camera", func(d *desk) bool {
			select {
			case err := <-done:
				t.Fatalf("bob's window ended before it was seen: %v\n%s", err, out.String())
			default:
			}
			for _, p := range d.src.Peers(d.sceneNow.graphID) {
				if p.Name == "bob" && len(p.Eye) == 3 {
					return true
				}
			}
			return false
		}},
		step{"the host lists both windows", func(d *desk) bool {
			names := map[string]bool{}
			for _, p := range host.Hub().Peers(d.sceneNow.graphID) {
				names[p.Name] = true
			}
			return names["bob"] && names["owner"]
		}},
	))
}

// A joined window whose host stops and starts again keeps its scene, says
// so in its bar, and catches up by itself: a node the restarted host gets
// is drawn.
func TestJoinedWindowResumesAfterTheHostRestarts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	db := filepath.Join(t.TempDir(), "host.db")
	host, err := app.Start(context.Background(), app.Config{DB: db, Addr: addr}, ln, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var again atomic.Pointer[app.Server]
	defer func() {
		host.Close()
		if h := again.Load(); h != nil {
			h.Close()
		}
	}()
	cfg := testConfig(t)
	cfg.Join = "http://" + addr
	closed := make(chan struct{})
	var started atomic.Bool
	var sawDown atomic.Bool
	runDesk(t, cfg, script(t, 60*time.Second,
		settled(),
		step{"the host stops", func(d *desk) bool {
			if d.src.Link() != "receiving" && d.src.Link() != "subscribed" && d.src.Link() != "connected" {
				t.Errorf("link %q before the host stops", d.src.Link())
			}
			go func() { host.Close(); close(closed) }()
			return true
		}},
		step{"the bar says the window is reconnecting", func(d *desk) bool {
			l := d.src.Link()
			if l == "reconnecting" || l == "connecting" {
				sawDown.Store(true)
				return true
			}
			return false
		}},
		step{"the host starts again and gets a node", func(d *desk) bool {
			if !started.Swap(true) {
				go func() {
					<-closed
					ln, err := net.Listen("tcp", addr)
					if err != nil {
						t.Error(err)
						return
					}
					h, err := app.Start(context.Background(), app.Config{DB: db, Addr: addr}, ln, slog.New(slog.DiscardHandler))
					if err != nil {
						t.Error(err)
						return
					}
					again.Store(h)
					label := "Came back"
					list, _ := h.Session.ListGraphs(context.Background())
					for _, g := range list {
						if g.Type == graph.Knowledge {
							h.Session.Apply(context.Background(), "test", g.ID, []graph.Op{{Op: graph.AddNode, ID: "came-back", Label: &label}})
						}
					}
				}()
			}
			return true
		}},
		step{"the node is drawn and the link receiving", func(d *desk) bool {
			return nodeNamed(d, "Came back") != nil && d.src.Link() == "receiving"
		}},
	))
	if !sawDown.Load() {
		t.Error("the window never showed the drop")
	}
}

// Opening a database whose graphs the server lays out in the background
// while the window starts: the GPU engines they get must not wait for the
// GL thread while it waits for the session (this once deadlocked).
func TestStoredGraphsGetGPUEnginesWhileTheWindowStarts(t *testing.T) {
	skipWithoutCompute(t)
	cfg := testConfig(t)
	cfg.DB, cfg.Engine = benchDB(t, 300, true), "gpu"
	// What is checked is that the window gets there at all (a deadlock
	// never does), not how soon: the layout need not settle, and the
	// timeout only ends a hang (software GL on a busy machine is slow).
	runDesk(t, cfg, script(t, 180*time.Second,
		step{"drawn from the GPU engine", func(d *desk) bool {
			return len(d.order) == 300 && d.engNow != nil && d.engNow.Name() == "gpu"
		}},
	))
}

// Closing the window saves the layout the GPU engine computed: a new
// start from the same file finds the nodes where the window last drew
// them.
func TestClosingSavesTheGPULayout(t *testing.T) {
	skipWithoutCompute(t)
	cfg := testConfig(t)
	cfg.Engine = "gpu"
	var id string
	var last mgl32.Vec3
	runDesk(t, cfg, script(t, 60*time.Second,
		settled(),
		step{"remember a node", func(d *desk) bool {
			if d.engNow == nil || d.engNow.Name() != "gpu" {
				t.Fatal("not the GPU engine")
			}
			n := nodeNamed(d, "Time travel")
			id = n.id
			last, _ = d.position(n.wire)
			return true
		}},
	))
	st, err := store.Open(context.Background(), cfg.DB, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.LoadGraph(context.Background(), "visionflow-tour")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := g.Node(id)
	saved := mgl32.Vec3{n.Position.X, n.Position.Y, n.Position.Z}
	if saved.Sub(last).Len() > 0.01 || last.Len() == 0 {
		t.Errorf("saved %v, the window last drew %v", saved, last)
	}
}

// Typing into the search box through the window's real input path (the
// GLFW character and key callbacks' events): the text reads as typed,
// the editing keys work, Esc gives the keyboard back to the view, and a
// click in the scene does too.
func TestTypingIntoTheSearchBox(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	chars := func(d *desk, s string) {
		for _, r := range s {
			d.in.queue = append(d.in.queue, inputEvent{kind: evChar, r: r})
		}
	}
	keyTap := func(d *desk, k glfw.Key, mods glfw.ModifierKey) {
		d.in.queue = append(d.in.queue, inputEvent{kind: evKey, key: k, action: glfw.Press, mods: mods},
			inputEvent{kind: evKey, key: k, action: glfw.Release, mods: mods})
	}
	wait := 0
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"focus the search box with /", func(d *desk) bool {
			keyTap(d, glfw.KeySlash, 0)
			return true
		}},
		step{"the box has the keyboard", func(d *desk) bool { return d.in.textFocus }},
		step{"type abc in one frame", func(d *desk) bool {
			chars(d, "abc")
			return true
		}},
		step{"then d in the next", func(d *desk) bool {
			chars(d, "d")
			return true
		}},
		step{"it reads abcd", func(d *desk) bool { return d.ui.SearchText() == "abcd" }},
		step{"Left, Backspace", func(d *desk) bool {
			keyTap(d, glfw.KeyLeft, 0)
			keyTap(d, glfw.KeyBackspace, 0)
			return true
		}},
		step{"it reads abd", func(d *desk) bool { return d.ui.SearchText() == "abd" }},
		step{"Home, then x", func(d *desk) bool {
			keyTap(d, glfw.KeyHome, 0)
			return true
		}},
		step{"x at the start", func(d *desk) bool {
			if wait++; wait == 1 {
				chars(d, "x")
				return false
			}
			return d.ui.SearchText() == "xabd"
		}},
		step{"End, Delete does nothing, Shift+Home selects all, typing replaces it", func(d *desk) bool {
			keyTap(d, glfw.KeyEnd, 0)
			keyTap(d, glfw.KeyDelete, 0)
			keyTap(d, glfw.KeyHome, glfw.ModShift)
			return true
		}},
		step{"typing over the selection", func(d *desk) bool {
			chars(d, "time")
			return true
		}},
		step{"it reads time", func(d *desk) bool { return d.ui.SearchText() == "time" }},
		step{"Esc gives the keyboard back", func(d *desk) bool {
			keyTap(d, glfw.KeyEscape, 0)
			return true
		}},
		step{"no field has it", func(d *desk) bool { return !d.in.textFocus }},
		step{"and F fits the view again", func(d *desk) bool {
			d.userCamera()
			keyTap(d, glfw.KeyF, 0)
			return true
		}},
		step{"fitted", func(d *desk) bool { return d.autoFit && d.ui.SearchText() == "time" }},
		step{"focus again, then click the scene", func(d *desk) bool {
			d.ui.FocusSearch()
			return true
		}},
		step{"focused", func(d *desk) bool { return d.in.textFocus }},
		step{"click", func(d *desk) bool {
			d.in.queue = append(d.in.queue, inputEvent{kind: evMove, x: float32(d.width) / 2, y: float32(d.height) * 0.9},
				inputEvent{kind: evPress, button: mouseLeft}, inputEvent{kind: evRelease, button: mouseLeft})
			return true
		}},
		step{"the click took the keyboard", func(d *desk) bool { return !d.in.textFocus }},
	))
}

// A swarm working on the graph appears beside it in the window, local or
// joined: agents drawn in their states' colours beside the knowledge they
// work on (a faint link to it), a message pulses along a link, the
// inspector shows an agent and sends the operator's commands, the swarm
// panel counts the states, and a focus request moves the camera.
func TestSwarmInTheWindow(t *testing.T) {
	for _, joined := range []bool{false, true} {
		t.Run(map[bool]string{false: "local", true: "joined"}[joined], func(t *testing.T) { swarmInTheWindow(t, joined) })
	}
}

func swarmInTheWindow(t *testing.T, joined bool) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	var host *app.Server
	if joined {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		host, err = app.Start(context.Background(), app.Config{DB: filepath.Join(t.TempDir(), "host.db"), Addr: ln.Addr().String()}, ln, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer host.Close()
		cfg.Join = "http://" + host.Addr.String()
	}
	ctx := context.Background()
	pct := func(v float64) *float64 { return &v }
	var ada graph.WireID
	var started atomic.Bool
	// Never on the GL thread: the session may be waiting for it.
	async := func(fn func(s *app.Session)) {
		s := host
		go func() { fn(s.Session) }()
	}
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"agents report", func(d *desk) bool {
			if host == nil {
				host = d.loc.srv
			}
			async(func(s *app.Session) {
				_, err := s.ReportStatus(ctx, "test", []agent.Status{
					{AgentID: "ada", SwarmID: "crew", State: agent.Executing, Progress: pct(40), Name: "Ada", WorkingOn: []string{"visionflow"}, CurrentTask: "map the tour"},
					{AgentID: "bob", SwarmID: "crew", State: agent.Error, CollaboratingWith: []string{"ada"}},
					{AgentID: "cy", SwarmID: "crew", State: agent.Idle},
				})
				if err != nil {
					t.Error(err)
				}
			})
			return true
		}},
		step{"the swarm is in the scene", func(d *desk) bool {
			if d.sceneNow == nil || d.sceneNow.swarm != "crew" || d.lookNow == nil || len(d.lookNow.marks) != 3 || len(d.order) != 37 {
				return false
			}
			ada = nodeNamed(d, "Ada").wire
			return true
		}},
		step{"agents look their states; a link to the work", func(d *desk) bool {
			s := d.styleOf(ada, *d.valsNow)
			want := overlay.StateColors["executing"]
			if s.Flags&render.FlagAgent == 0 || s.Flags&render.StateFlags(agent.Executing.Code()) == 0 || [3]uint8(s.Color[:3]) != want {
				t.Errorf("ada's style %+v, want the executing colour %v", s, want)
			}
			work := 0
			for _, e := range d.edges(time.Now()) {
				if e.Tint[3] != 0 {
					work++
				}
			}
			if work != 1 {
				t.Errorf("%d tinted edges, want ada's one link to her work", work)
			}
			if !strings.Contains(d.labelOf(d.sceneNow.node(ada)), "executing 40%") {
				t.Errorf("ada's label %q", d.labelOf(d.sceneNow.node(ada)))
			}
			return true
		}},
		step{"a message pulses along a link", func(d *desk) bool {
			if !started.Swap(true) {
				async(func(s *app.Session) {
					if _, err := s.SendMessage(ctx, "test", agent.Message{Swarm: "crew", From: "bob", To: "ada", Text: "help"}); err != nil {
						t.Error(err)
					}
				})
			}
			return d.pulsing
		}},
		step{"the panel counts the states", func(d *desk) bool {
			c := d.lookNow.panel.Counts
			return c["executing"] == 1 && c["error"] == 1 && c["idle"] == 1
		}},
		step{"select ada: the inspector shows her", func(d *desk) bool {
			if started.Swap(false) {
				d.act(overlay.Actions{SelectWire: ada})
			}
			in := d.m.inspected.Load()
			return in != nil && in.Agent != nil && in.Agent.State == "executing" && in.Agent.Task == "map the tour" &&
				len(in.Agent.WorkingOn) == 1 && in.Label == "Ada"
		}},
		step{"pause her from the inspector", func(d *desk) bool {
			if !started.Swap(true) {
				d.act(overlay.Actions{Command: &overlay.CommandAction{Kind: "pause"}})
			}
			list, _ := host.Session.Commands(ctx, "crew", "ada", 10)
			return len(list) == 1 && list[0].Kind == agent.Pause && list[0].State == agent.Queued
		}},
		step{"the window hears of the command", func(d *desk) bool {
			in := d.m.inspected.Load()
			return in != nil && in.Agent != nil && len(in.Agent.Commands) == 1 && strings.HasPrefix(in.Agent.Commands[0], "pause: queued")
		}},
		step{"a graph that cannot be opened leaves the window as it was", func(d *desk) bool {
			if started.Swap(false) {
				d.act(overlay.Actions{SelectGraph: "no-such-graph"})
			}
			n := d.m.notice.Load()
			return n != nil && strings.Contains(n.text, `open graph "no-such-graph"`)
		}},
		step{"still following the graph and its swarm", func(d *desk) bool {
			started.Store(true)
			return d.sceneNow.graphID == "visionflow-tour" && d.src.Positions() != nil && d.src.SwarmPositions() != nil
		}},
		step{"an agent asks the people to look", func(d *desk) bool {
			if started.Swap(false) {
				d.m.focus.Store(nil)
				async(func(s *app.Session) {
					if err := s.Focus(ctx, "ada", session.FocusRequest{Graph: "visionflow-tour", Nodes: []string{"agent-graph"}, Note: "here"}); err != nil {
						t.Error(err)
					}
				})
			}
			n := d.m.notice.Load()
			return n != nil && strings.Contains(n.text, "ada asks you to look at 1 node(s): here")
		}},
		step{"submit a task from the swarm panel", func(d *desk) bool {
			if !started.Swap(true) {
				async(func(s *app.Session) {
					// One attempt: its failure goes to the dead-letter queue.
					if _, err := s.Settings().Apply(ctx, "test", []settings.Update{{Path: "tasks.maxAttempts", Value: json.RawMessage("1")}}); err != nil {
						t.Error(err)
					}
					d.act(overlay.Actions{SubmitTask: "chart the tour"})
				})
			}
			list, _ := host.Session.Tasks(ctx, "crew", "", 1000)
			return len(list) == 1 && list[0].Title == "chart the tour" && list[0].State == task.Ready && list[0].By == "desktop"
		}},
		step{"the task is a cube in its state's colour, in the queue", func(d *desk) bool {
			var w graph.WireID
			for id, tk := range d.lookNow.tasks {
				if tk.title == "chart the tour" && tk.state == "ready" {
					w = id
				}
			}
			if w == 0 || len(d.lookNow.panel.Tasks) != 1 || d.lookNow.panel.Open != 1 {
				return false
			}
			s := d.styleOf(w, *d.valsNow)
			if s.Shape != render.ShapeCube || [3]uint8(s.Color[:3]) != overlay.TaskStateColors["ready"] {
				t.Errorf("the task's style %+v", s)
			}
			if l := d.labelOf(d.sceneNow.node(w)); l != "chart the tour · ready" {
				t.Errorf("the task's label %q", l)
			}
			return true
		}},
		step{"a task that fails for good is a dead letter in the panel", func(d *desk) bool {
			if started.Swap(false) {
				async(func(s *app.Session) {
					list, _ := s.Tasks(ctx, "crew", "", 1000)
					if _, err := s.ClaimTask(ctx, "test", "crew", "cy", list[0].ID); err != nil {
						t.Error(err)
					}
					if _, err := s.FailTask(ctx, "test", "cy", list[0].ID, "the map is torn"); err != nil {
						t.Error(err)
					}
				})
			}
			l := d.lookNow.panel.Letters
			return len(l) == 1 && l[0].Title == "chart the tour" && l[0].Error == "the map is torn"
		}},
		step{"retry it from the window", func(d *desk) bool {
			if !started.Swap(true) {
				d.act(overlay.Actions{DeadLetter: &overlay.LetterAction{ID: d.lookNow.panel.Letters[0].ID, Retry: true}})
			}
			list, _ := host.Session.Tasks(ctx, "crew", "", 1000)
			return len(list) == 1 && list[0].State == task.Ready && len(d.lookNow.panel.Letters) == 0
		}},
		step{"ada remembers; her inspector shows it", func(d *desk) bool {
			if started.Swap(false) {
				async(func(s *app.Session) {
					if _, err := s.Remember(ctx, "test", memory.Input{AgentID: "ada", Type: "fact", Links: []string{"visionflow"},
						Content: "The tour starts at the VisionFlow page."}); err != nil {
						t.Error(err)
					}
				})
				d.act(overlay.Actions{SelectWire: ada})
			}
			in := d.m.inspected.Load()
			return in != nil && in.Agent != nil && len(in.Agent.Memories) == 1 && in.Agent.Memories[0].Text == "The tour starts at the VisionFlow page."
		}},
		step{"a memory search highlights the node it links to", func(d *desk) bool {
			if !started.Swap(true) {
				d.act(overlay.Actions{MemorySearch: "where does the tour start"})
			}
			hits := d.lookNow.panel.MemoryHits
			if len(hits) != 1 || hits[0].Agent != "ada" || hits[0].Wire != ada {
				return false
			}
			w := nodeNamed(d, "VisionFlow").wire
			s := d.styleOf(w, *d.valsNow)
			if !d.lookNow.highlit[w] || s.Color != highlitColor {
				t.Errorf("the linked node is not highlighted: %+v", s)
			}
			return true
		}},
		step{"clear the search", func(d *desk) bool {
			if started.Swap(false) {
				d.act(overlay.Actions{ClearMemorySearch: true})
			}
			return len(d.lookNow.highlit) == 0 && d.lookNow.panel.MemoryQuery == ""
		}},
	))
}

// --graph opens that graph (the newest is another); a window started
// without it opens the graph shown last; a graph that is not there is
// refused with the ones that are.
func TestGraphFlagAndTheLastGraphShown(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	srv, err := app.Start(context.Background(), cfg, nil, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := srv.Session.CreateGraph(ctx, "test", graph.Info{ID: "newer", Name: "Newer", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Session.Apply(ctx, "test", "newer", []graph.Op{{Op: graph.AddNode, ID: "only", Label: new("Only node")}}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	shows := func(id string) step {
		return step{"shows " + id, func(d *desk) bool { return d.sceneNow != nil && d.sceneNow.graphID == id }}
	}
	// Without --graph and nothing remembered: the newest.
	runDesk(t, cfg, script(t, 30*time.Second, shows("newer")))
	// --graph: the tour, which is older.
	cfg.Graph = assets.SampleGraphID
	runDesk(t, cfg, script(t, 30*time.Second, shows(assets.SampleGraphID)))
	// Remembered: the tour again, though newer is newer.
	cfg.Graph = ""
	runDesk(t, cfg, script(t, 30*time.Second, shows(assets.SampleGraphID)))

	cfg.Graph = "missing"
	var err2 error
	onMain(func() { err2 = run(context.Background(), cfg, io.Discard, testLog(t), hooks{}) })
	if err2 == nil || !strings.Contains(err2.Error(), "--graph missing: no such graph; the session has") || !strings.Contains(err2.Error(), "newer") {
		t.Fatalf("an unknown graph: %v", err2)
	}
}

// peerStream is a peer of host named name with role, on the WebSocket
// stream, subscribed to the events of host's knowledge graph, which it
// returns too.
func peerStream(t *testing.T, host *app.Server, url, name string, role auth.Role) (*client.Stream, graph.Contents) {
	t.Helper()
	ctx := context.Background()
	secret, _, err := host.Session.CreateToken(ctx, "test", session.TokenRequest{Role: role, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(url, "")
	c.SetToken(secret)
	st, err := c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	list, _ := host.Session.ListGraphs(ctx)
	var g graph.Contents
	for _, s := range list {
		if s.Type == graph.Knowledge {
			g, _ = host.Session.Graph(ctx, s.ID)
		}
	}
	if _, err := st.Subscribe(ctx, g.ID, wire.StreamEvents); err != nil {
		t.Fatal(err)
	}
	return st, g
}
