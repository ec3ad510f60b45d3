package desktop

import (
	"context"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/go-gl/mathgl/mgl32"

	"visionflow/auth"
	"visionflow/graph"
	"visionflow/net/wire"
	"visionflow/render"
	"visionflow/render/overlay"
)

// click presses and releases the left button at a window pixel, through
// the window's input queue as GLFW's callbacks fill it.
func click(d *desk, x, y float32) {
	d.in.queue = append(d.in.queue, inputEvent{kind: evMove, x: x, y: y}, inputEvent{kind: evPress, button: mouseLeft}, inputEvent{kind: evRelease, button: mouseLeft})
}

func tap(d *desk, k glfw.Key) {
	d.in.queue = append(d.in.queue, inputEvent{kind: evKey, key: k, action: glfw.Press}, inputEvent{kind: evKey, key: k, action: glfw.Release})
}

// clickView clicks a control of the view panel (overlay.UI.ViewTarget).
func clickView(t *testing.T, d *desk, name string) bool {
	x, y, ok := d.ui.ViewTarget(name)
	if !ok {
		return false
	}
	click(d, x, y)
	return true
}

// shownCount is how many of the graph's nodes the lens shows.
func shownCount(d *desk) (shown, dim int) {
	for i := range d.sceneNow.graphNodes {
		switch d.paintNow.visOf(int32(i)) {
		case visShown:
			shown++
		case visDim:
			dim++
		}
	}
	return shown, dim
}

// The view panel, driven by keys and clicks as a user would: V opens it;
// colouring by a metadata field gives each group its palette colour and a
// legend with counts; a click on a class hides it, "only" isolates
// another and "all" brings the rest back; colouring by community uses the
// measures (modularity in the note); L makes a local graph around the
// selection, dimming the rest; hiding the rest hides it.
func TestViewPanelColoursFiltersAndLocalGraph(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	cfg.Width, cfg.Height = 900, 700
	shot := func(d *desk, name string) {
		if dir := os.Getenv("VISIONFLOW_SHOT_DIR"); dir != "" {
			writePNG(filepath.Join(dir, name), render.ReadPixels(d.width, d.height), d.width, d.height)
		}
	}
	legend := func(d *desk) map[string]overlay.LegendClass {
		out := map[string]overlay.LegendClass{}
		if d.paintNow != nil {
			for _, c := range d.paintNow.legend.Classes {
				out[c.Key] = c
			}
		}
		return out
	}
	var hub *nodeView
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"V opens the view panel", func(d *desk) bool {
			tap(d, glfw.KeyV)
			return true
		}},
		step{"open, measured", func(d *desk) bool { return d.ui.ViewShown() && d.measNow != nil }},
		step{"colour by group", func(d *desk) bool { return clickView(t, d, "option:meta:group") }},
		step{"the pointer leaves the panel, so no button is lit by it", func(d *desk) bool {
			d.in.queue = append(d.in.queue, inputEvent{kind: evMove, x: float32(d.width) / 2, y: float32(d.height) - 5})
			return true
		}},
		step{"six groups, largest first, each node in its class's colour", func(d *desk) bool {
			if d.lens.colourBy != "meta:group" || d.repaint || len(d.paintNow.legend.Classes) == 0 || d.lab.rankedBy.Load() != d.measNow {
				return false // repainted in the next frame; labels ranked by the measures
			}
			lg := d.paintNow.legend
			var names []string
			for _, c := range lg.Classes {
				names = append(names, c.Name)
			}
			if strings.Join(names, " ") != "layout data network views core import" || lg.Classes[0].Count != 9 {
				t.Errorf("legend %v", lg.Classes)
				return true
			}
			vf := nodeNamed(d, "VisionFlow")
			want := lg.Classes[4].Color // core
			if got := d.styleOf(vf.wire, *d.valsNow).Color; got != [4]uint8{want[0], want[1], want[2], 255} {
				t.Errorf("VisionFlow (core) drawn in %v, legend says %v", got, want)
				return true
			}
			shot(d, "view-group.png")
			matchGolden(t, "view-legend-group.png", frameImage(d, d.ui.ViewRect()))
			matchGolden(t, "view-scene-group.png", frameImage(d, image.Rect(150, 150, 450, 450)))
			return true
		}},
		step{"click layout: hidden", func(d *desk) bool { return clickView(t, d, "class:layout") }},
		step{"the nine layout nodes are hidden", func(d *desk) bool {
			if !legend(d)["layout"].Hidden {
				return false
			}
			shown, _ := shownCount(d)
			if shown != 34-9 || d.paintNow.legend.Shown != 25 {
				t.Errorf("%d shown, legend says %d", shown, d.paintNow.legend.Shown)
				return true
			}
			for i, n := range d.sceneNow.nodes[:d.sceneNow.graphNodes] {
				if n.meta["group"] == "layout" && d.styleOf(n.wire, *d.valsNow).Size != 0 {
					t.Errorf("hidden node %d drawn", i)
					return true
				}
			}
			return true
		}},
		step{"only data", func(d *desk) bool { return clickView(t, d, "only:data") }},
		step{"six shown", func(d *desk) bool {
			if shown, _ := shownCount(d); shown != 6 {
				return false
			}
			return d.paintNow.legend.Only == "data"
		}},
		step{"all again", func(d *desk) bool { return clickView(t, d, "only:data") }},
		step{"back to all but layout", func(d *desk) bool {
			shown, _ := shownCount(d)
			return d.paintNow.legend.Only == "" && shown == 25
		}},
		step{"colour by community", func(d *desk) bool { return clickView(t, d, "option:community") }},
		step{"communities named by their hubs, modularity in the note", func(d *desk) bool {
			lg := d.paintNow.legend
			if d.lens.colourBy != "community" || d.repaint || len(lg.Classes) < 2 || !strings.Contains(lg.Note, "modularity") {
				return false
			}
			shown, _ := shownCount(d)
			if shown != 34 { // the hidden class was the group colouring's
				t.Errorf("%d shown after changing the colouring", shown)
				return true
			}
			if !slices.ContainsFunc(lg.Classes, func(c overlay.LegendClass) bool { return c.Name == "VisionFlow" }) {
				t.Errorf("no community named after VisionFlow: %+v", lg.Classes)
				return true
			}
			shot(d, "view-community.png")
			return true
		}},
		step{"size by betweenness", func(d *desk) bool { return clickView(t, d, "size:betweenness") }},
		step{"the hub drawn larger than a leaf, within the range", func(d *desk) bool {
			if d.lens.sizeBy != "betweenness" || d.repaint {
				return false
			}
			hubSize := d.styleOf(nodeNamed(d, "VisionFlow").wire, *d.valsNow).Size
			leafSize := d.styleOf(nodeNamed(d, "Go").wire, *d.valsNow).Size
			if hubSize != 4 || leafSize != 0.8 { // the most between, and a leaf (between none)
				t.Errorf("sized by betweenness: hub %.2f, leaf %.2f", hubSize, leafSize)
			}
			return true
		}},
		step{"select the hub, then L for a local graph", func(d *desk) bool {
			hub = nodeNamed(d, "VisionFlow")
			d.m.do(func(context.Context) { d.m.selectNode(hub.id, false) })
			return true
		}},
		step{"selected, its measures in the inspector", func(d *desk) bool {
			if d.selected != hub.wire {
				return false
			}
			if in := d.inspected(); in == nil || !strings.Contains(in.Measures, "PageRank") || !strings.Contains(in.Measures, "community") {
				t.Errorf("inspector: %+v", in)
				return true
			}
			tap(d, glfw.KeyL)
			return true
		}},
		step{"its neighbours shown, the rest hidden with its edges", func(d *desk) bool {
			if d.lens.local != 1 || d.repaint || d.lab.rankedBy.Load() != d.measNow {
				return false
			}
			shown, dim := shownCount(d)
			if shown != hub.degree+1 || dim != 0 {
				t.Errorf("local graph of depth 1: %d shown, %d dimmed; the hub has %d links", shown, dim, hub.degree)
				return true
			}
			shot(d, "view-local.png")
			matchGolden(t, "view-scene-local.png", frameImage(d, image.Rect(250, 250, 550, 550)))
			edges := d.edges(time.Now())
			want := 0
			for _, e := range d.sceneNow.edges[:d.sceneNow.graphEdges] {
				if d.visible(e.a) != visHidden && d.visible(e.b) != visHidden {
					want++
				}
			}
			if len(edges) != want {
				t.Errorf("%d edges drawn, %d between shown nodes", len(edges), want)
				return true
			}
			return true
		}},
		step{"L again: two deep", func(d *desk) bool {
			tap(d, glfw.KeyL)
			return true
		}},
		step{"more shown", func(d *desk) bool {
			shown, _ := shownCount(d)
			return d.lens.local == 2 && !d.repaint && shown > hub.degree+1
		}},
		step{"dim the rest instead", func(d *desk) bool {
			off := false
			d.changeLens(&overlay.ViewAction{HideRest: &off})
			return true
		}},
		step{"the rest dimmed", func(d *desk) bool {
			shown, dim := shownCount(d)
			return !d.repaint && dim > 0 && shown+dim == 34
		}},
	))
}

// A peer who shares its view can be followed: the window takes its
// colouring, filters, selection and camera, keeps up as they change, and
// lets go when the user moves the camera. The window's own view, shared
// with a click, reaches the peer.
func TestFollowingASharedView(t *testing.T) {
	host, url := sharedHost(t)
	st, gc := peerStream(t, host, url, "alice", auth.Viewer)
	g := gc.ID
	share := func(v wire.View, target []float32) error {
		return st.SetPresence(wire.Presence{Graph: g, View: &v, Eye: []float32{target[0] + 30, target[1] + 10, target[2] + 40}, Target: target})
	}
	cfg := testConfig(t)
	cfg.Join, cfg.Token = url, host.FirstToken
	cfg.Width, cfg.Height = 900, 700
	var aliceID string
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"V, and alice shares her view", func(d *desk) bool {
			tap(d, glfw.KeyV)
			return share(wire.View{ColourBy: "meta:group", Hidden: []string{"layout"}}, []float32{1, 2, 3}) == nil
		}},
		step{"the panel offers to follow alice", func(d *desk) bool {
			for _, p := range d.pres.peers {
				if p.Name == "alice" && p.View != nil {
					aliceID = p.ID
				}
			}
			return aliceID != "" && d.ui.ViewShown() && clickView(t, d, "follow:"+aliceID)
		}},
		step{"her colouring, hidden class and camera are the window's", func(d *desk) bool {
			if d.following != aliceID || d.lens.colourBy != "meta:group" || !d.lens.hidden["layout"] {
				return false
			}
			if d.cam.Target != (mgl32.Vec3{1, 2, 3}) || abs32(d.cam.Distance-float32(math.Sqrt(30*30+10*10+40*40))) > 0.01 {
				t.Errorf("camera %+v, alice looks at 1,2,3 from 50.99 away", d.cam)
			}
			return true
		}},
		step{"alice changes her view", func(d *desk) bool {
			return share(wire.View{ColourBy: "community", Local: 2}, []float32{4, 5, 6}) == nil
		}},
		step{"the window keeps up", func(d *desk) bool {
			return d.lens.colourBy == "community" && d.lens.local == 2 && len(d.lens.hidden) == 0 && d.cam.Target == (mgl32.Vec3{4, 5, 6})
		}},
		step{"the user turns the camera", func(d *desk) bool {
			tap(d, glfw.KeyLeft)
			return true
		}},
		step{"following stops; the view stays", func(d *desk) bool {
			return d.following == "" && d.lens.colourBy == "community"
		}},
		step{"share the window's view", func(d *desk) bool { return clickView(t, d, "share") }},
		step{"alice receives it", func(d *desk) bool {
			if !d.shareView {
				return false
			}
			for {
				select {
				case m := <-st.Messages():
					if m.Type == wire.TypePresence && strings.Contains(string(m.Raw), `"name":"owner"`) && strings.Contains(string(m.Raw), `"colourBy":"community"`) {
						return true
					}
				default:
					return false
				}
			}
		}},
	))
}

// Ctrl+V pastes the system clipboard into the focused field, through the
// window's keys and GLFW's clipboard (X11's, under Xvfb).
func TestPasteIntoTheSearchBox(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	ctrl := func(d *desk, k glfw.Key) {
		d.in.queue = append(d.in.queue, inputEvent{kind: evKey, key: k, action: glfw.Press, mods: glfw.ModControl},
			inputEvent{kind: evKey, key: k, action: glfw.Release, mods: glfw.ModControl})
	}
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"/ focuses the search box", func(d *desk) bool {
			tap(d, glfw.KeySlash)
			return true
		}},
		step{"focused; something on the clipboard; Ctrl+V", func(d *desk) bool {
			if !d.in.textFocus {
				return false
			}
			glfw.SetClipboardString("Snapshots")
			ctrl(d, glfw.KeyV)
			return true
		}},
		step{"pasted", func(d *desk) bool { return d.ui.SearchText() == "Snapshots" }},
		step{"Ctrl+A, then typing replaces it", func(d *desk) bool {
			ctrl(d, glfw.KeyA)
			return true
		}},
		step{"type", func(d *desk) bool {
			d.in.queue = append(d.in.queue, inputEvent{kind: evChar, r: 'x'})
			return true
		}},
		step{"replaced", func(d *desk) bool { return d.ui.SearchText() == "x" }},
	))
}

// The measures follow the graph: a node added by a peer is measured (its
// community and PageRank known) soon after it arrives.
func TestMeasuresFollowEdits(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	var before *measures
	runDesk(t, cfg, script(t, 30*time.Second,
		settled(),
		step{"measured", func(d *desk) bool {
			before = d.measNow
			return before != nil
		}},
		step{"a peer adds a node linked to VisionFlow", func(d *desk) bool {
			g, hub := d.sceneNow.graphID, nodeNamed(d, "VisionFlow").id
			go func() {
				_, err := d.loc.srv.Session.Apply(context.Background(), "peer", g, []graph.Op{
					{Op: graph.AddNode, ID: "newcomer", Label: new("Newcomer")},
					{Op: graph.AddEdge, ID: "newcomer-link", Source: "newcomer", Target: hub},
				})
				if err != nil {
					t.Error(err)
				}
			}()
			return true
		}},
		step{"measured again, the newcomer with them", func(d *desk) bool {
			n := nodeNamed(d, "Newcomer")
			if n == nil || d.measNow == before {
				return false
			}
			i := d.measNow.of(n.wire)
			if i < 0 {
				return false
			}
			hub := d.measNow.of(nodeNamed(d, "VisionFlow").wire)
			if d.measNow.res.Degree[i] != 1 || d.measNow.res.Component[i] != d.measNow.res.Component[hub] {
				t.Errorf("newcomer: degree %d, component %d (the hub's %d)", d.measNow.res.Degree[i], d.measNow.res.Component[i], d.measNow.res.Component[hub])
			}
			return true
		}},
	))
}
