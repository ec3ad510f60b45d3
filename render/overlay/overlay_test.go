package overlay

import (
	"encoding/json"
	"image"
	"strings"
	"testing"
	"time"

	"gioui.org/f32"
	"gioui.org/io/input"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"

	"visionflow/graph"
	"visionflow/settings"
)

// harness lays the overlay out without a GPU (Gio's ops and input routing
// need none) and clicks what its semantics say is where.
type harness struct {
	t      *testing.T
	u      *UI
	r      input.Router
	data   Data
	values map[string]any
	size   image.Point
	now    time.Time
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, u: New(), size: image.Pt(1280, 2400), now: time.Now(), values: map[string]any{}}
	for _, f := range settings.Schema {
		b, _ := json.Marshal(f.Default)
		v, err := f.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		h.values[f.Path] = v
	}
	h.data = Data{Setting: func(p string) any { return h.values[p] }, Current: "g",
		Graphs: []graph.Summary{{Info: graph.Info{ID: "g", Name: "Graph G"}, Nodes: 3}, {Info: graph.Info{ID: "h", Name: "Graph H"}, Nodes: 5}}}
	return h
}

func (h *harness) frame() Actions {
	var ops op.Ops
	h.now = h.now.Add(50 * time.Millisecond)
	gtx := layout.Context{Ops: &ops, Now: h.now, Source: h.r.Source(), Metric: unit.Metric{PxPerDp: 1, PxPerSp: 1}, Constraints: layout.Exact(h.size)}
	act := h.u.Layout(gtx, &h.data)
	h.r.Frame(&ops)
	return act
}

// find returns the bounds of the first semantic node whose label or
// description is text, or whose child's label is (a button's bounds, not
// its label's, which run to the window's edge).
func (h *harness) find(text string) (image.Rectangle, bool) {
	var walk func(nodes []input.SemanticNode) (image.Rectangle, bool)
	walk = func(nodes []input.SemanticNode) (image.Rectangle, bool) {
		for _, n := range nodes {
			if n.Desc.Description == text {
				return n.Desc.Bounds, true
			}
			for _, c := range n.Children {
				if c.Desc.Label == text && len(c.Children) == 0 {
					return n.Desc.Bounds, true
				}
			}
			if r, ok := walk(n.Children); ok {
				return r, true
			}
		}
		return image.Rectangle{}, false
	}
	return walk(h.r.AppendSemantics(nil))
}

// typeInto clicks the editor whose hint is hint (the semantics give the
// hint as the editor's next sibling) and types text into it.
func (h *harness) typeInto(hint, text string) {
	h.t.Helper()
	var walk func(nodes []input.SemanticNode) (image.Rectangle, bool)
	walk = func(nodes []input.SemanticNode) (image.Rectangle, bool) {
		for i, n := range nodes {
			if n.Desc.Label == hint && i > 0 && nodes[i-1].Desc.Class == semantic.Editor {
				return nodes[i-1].Desc.Bounds, true
			}
			if r, ok := walk(n.Children); ok {
				return r, true
			}
		}
		return image.Rectangle{}, false
	}
	r, ok := walk(h.r.AppendSemantics(nil))
	if !ok {
		h.t.Fatalf("no editor hinted %q", hint)
	}
	c := f32.Pt(float32(r.Min.X+r.Max.X)/2, float32(r.Min.Y+r.Max.Y)/2)
	h.r.Queue(pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Buttons: pointer.ButtonPrimary, Position: c},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: c})
	h.frame()
	h.r.Queue(key.EditEvent{Range: h.r.EditorState().Selection.Range, Text: text})
	h.frame()
}

// click presses and releases at the centre of what find finds, then lays
// out the frame that sees it.
func (h *harness) click(text string) Actions {
	h.t.Helper()
	r, ok := h.find(text)
	if !ok {
		h.t.Fatalf("nothing labelled %q", text)
	}
	c := f32.Pt(float32(r.Min.X+r.Max.X)/2, float32(r.Min.Y+r.Max.Y)/2)
	h.r.Queue(pointer.Event{Kind: pointer.Move, Source: pointer.Mouse, Position: c},
		pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Buttons: pointer.ButtonPrimary, Position: c},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: c})
	return h.frame()
}

func TestSettingsPanelSendsValidUpdates(t *testing.T) {
	h := newHarness(t)
	h.frame()
	if h.u.ShowPanel || h.u.Over(100, 400) {
		t.Fatal("the panel is open before it is asked for")
	}
	h.click("Settings")
	h.frame()
	if !h.u.ShowPanel || !h.u.Over(100, 400) || h.u.Over(900, 400) {
		t.Fatalf("panel open %v; over it at (100,400): %v, at (900,400): %v", h.u.ShowPanel, h.u.Over(100, 400), h.u.Over(900, 400))
	}
	checks := []struct {
		click, path, want string
	}{
		{"Hologram", "nodes.enableHologram", "false"}, // a switch, on by default
		{"low", "nodes.quality", `"low"`},             // the first radio button named low: nodes.quality
		{"Graph H  (5 nodes)", "", ""},
	}
	for _, c := range checks {
		act := h.click(c.click)
		if c.path == "" {
			if act.SelectGraph != "h" {
				t.Errorf("clicking %q: %+v", c.click, act)
			}
			continue
		}
		if len(act.Settings) != 1 || act.Settings[0].Path != c.path || string(act.Settings[0].Value) != c.want {
			t.Errorf("clicking %q: %+v, want %s = %s", c.click, act.Settings, c.path, c.want)
			continue
		}
		f, _ := settings.Lookup(c.path)
		if _, err := f.Parse(act.Settings[0].Value); err != nil {
			t.Errorf("%s: the panel sent an invalid value: %v", c.path, err)
		}
	}
}

func TestInspectorActions(t *testing.T) {
	h := newHarness(t)
	h.data.Inspected = &Inspected{ID: "a", Label: "Node A", Degree: 2, Pinned: true, Metadata: map[string]string{"kind": "page"},
		Neighbours: []Neighbour{{ID: "b", Label: "Node B"}}}
	h.frame()
	for _, c := range []struct {
		click string
		check func(Actions) bool
	}{
		{"→ Node B", func(a Actions) bool { return a.SelectNode == "b" }},
		{"Open neighbours", func(a Actions) bool { return a.FocusNeighbours }},
		{"Unpin", func(a Actions) bool { return a.Unpin }},
		{"Close", func(a Actions) bool { return a.ClearSelection }},
		{"Fit", func(a Actions) bool { return a.Fit }},
	} {
		if act := h.click(c.click); !c.check(act) {
			t.Errorf("clicking %q: %+v", c.click, act)
		}
	}
	if !h.u.Over(1200, 120) {
		t.Error("the inspector is not where the 3D view should leave the pointer alone")
	}
}

func TestSliderScales(t *testing.T) {
	for _, c := range []struct{ lo, hi float64 }{{0, 1}, {0, 10000}, {0.01, 100}, {-5, 5}, {1, 1000000}} {
		for _, v := range []float64{c.lo, c.hi, (c.lo + c.hi) / 2, c.lo + (c.hi-c.lo)/1000} {
			u := toUnit(v, c.lo, c.hi)
			back := fromUnit(u, c.lo, c.hi)
			if u < 0 || u > 1 || (back-v) > 1e-6*(c.hi-c.lo) || (v-back) > 1e-6*(c.hi-c.lo) {
				t.Errorf("[%v, %v]: %v → %v → %v", c.lo, c.hi, v, u, back)
			}
		}
	}
	if !logScale(0, 10000) || logScale(0, 1) || logScale(-5, 5) {
		t.Error("logScale")
	}
	if round(0.123456) != 0.1235 || round(12345.6) != 12350 {
		t.Errorf("round: %v %v", round(0.123456), round(12345.6))
	}
	if c := parseHex("#ff8000"); c.R != 255 || c.G != 128 || c.B != 0 || c.A != 255 {
		t.Errorf("parseHex %+v", c)
	}
	if !strings.Contains(formatNum(3, settings.Int), "3") {
		t.Error("formatNum")
	}
}

// Typing in the search box and pressing Return asks for a search; "/"
// (FocusSearch) gives the box the keyboard.
func TestSearchSubmits(t *testing.T) {
	h := newHarness(t)
	h.frame()
	h.u.FocusSearch()
	h.frame()
	if h.r.TextInputState() != input.TextInputOpen {
		t.Fatal("the search box did not take the keyboard")
	}
	h.r.Queue(key.EditEvent{Range: h.r.EditorState().Selection.Range, Text: "time travel "})
	h.frame()
	h.r.Queue(key.Event{Name: key.NameReturn, State: key.Press})
	if act := h.frame(); act.Search != "time travel" {
		t.Errorf("search %q", act.Search)
	}
}

// The swarm panel's queue: a task's row selects its node, the box submits
// a task, and each dead letter can be retried or discarded.
func TestSwarmPanelQueue(t *testing.T) {
	h := newHarness(t)
	h.data.Swarm = &SwarmPanel{Swarm: "crew", Open: 1,
		Tasks:   []TaskRow{{Wire: 7, Title: "chart the tour", State: "claimed", Progress: 40}, {Wire: 9, Title: "old", State: "done", Progress: 100}},
		Letters: []LetterRow{{ID: "dl-1", Title: "fetch", Error: "timeout"}}}
	h.frame()
	for _, text := range []string{"Tasks · 1 open", "■ chart the tour — claimed 40%", "■ old — done", "Dead letters · 1", "fetch: timeout"} {
		if _, ok := h.find(text); !ok {
			t.Errorf("the panel does not say %q", text)
		}
	}
	if act := h.click("■ chart the tour — claimed 40%"); act.SelectWire != 7 {
		t.Errorf("clicking a task: %+v", act)
	}
	if act := h.click("Retry"); act.DeadLetter == nil || *act.DeadLetter != (LetterAction{ID: "dl-1", Retry: true}) {
		t.Errorf("retry: %+v", act.DeadLetter)
	}
	if act := h.click("Discard"); act.DeadLetter == nil || *act.DeadLetter != (LetterAction{ID: "dl-1"}) {
		t.Errorf("discard: %+v", act.DeadLetter)
	}
	// Type a title and press Submit.
	h.typeInto("A task for the swarm…", "map the west")
	if act := h.click("Submit"); act.SubmitTask != "map the west" {
		t.Errorf("submit: %q", act.SubmitTask)
	}
	if act := h.click("Submit"); act.SubmitTask != "" {
		t.Errorf("an empty box submitted %q", act.SubmitTask)
	}
}

// The swarm panel's memory search: Find asks for it, a hit selects its
// agent, Clear drops it; the inspector lists an agent's memories.
func TestMemorySearchAndInspector(t *testing.T) {
	h := newHarness(t)
	h.data.Swarm = &SwarmPanel{Swarm: "crew", MemoryQuery: "tour",
		MemoryHits: []MemoryRow{{Agent: "ada", Type: "fact", Text: "the tour starts here", Score: 0.71, Wire: 5}}}
	h.data.Inspected = &Inspected{ID: "ada", Label: "Ada", Agent: &AgentInfo{ID: "ada", State: "idle",
		Memories: []MemoryRow{{Type: "plan", Text: "map the tour"}}}}
	h.frame()
	for _, text := range []string{"0.71 ada · fact: the tour starts here", "Remembers", "plan: map the tour"} {
		if _, ok := h.find(text); !ok {
			t.Errorf("nothing says %q", text)
		}
	}
	if act := h.click("0.71 ada · fact: the tour starts here"); act.SelectWire != 5 {
		t.Errorf("a hit: %+v", act)
	}
	if act := h.click("Clear"); !act.ClearMemorySearch {
		t.Error("Clear")
	}
	h.typeInto("Search memories…", "octree")
	if act := h.click("Find"); act.MemorySearch != "octree" {
		t.Errorf("find: %q", act.MemorySearch)
	}
}

// labels are every text the overlay's semantics carry.
func (h *harness) labels() map[string]bool {
	out := map[string]bool{}
	var walk func(nodes []input.SemanticNode)
	walk = func(nodes []input.SemanticNode) {
		for _, n := range nodes {
			out[n.Desc.Label], out[n.Desc.Description] = true, true
			walk(n.Children)
		}
	}
	walk(h.r.AppendSemantics(nil))
	return out
}

// Every control of the settings panel carries its name in words, two of
// one name say their group, each says what it does (the schema's doc),
// and a number can be typed.
func TestSettingsPanelNamesEveryControl(t *testing.T) {
	h := newHarness(t)
	h.size = image.Pt(1280, 40000) // the whole panel in one frame
	h.u.ShowPanel = true
	h.frame()
	h.frame()
	got := h.labels()
	names := fieldLabels()
	for _, f := range settings.Schema {
		sec := f.Path[:strings.IndexByte(f.Path, '.')]
		if sec == "system" || f.Kind == settings.Text || f.Kind == settings.Secret {
			continue
		}
		name := names[f.Path]
		if !got[name] {
			t.Errorf("%s: no control named %q", f.Path, name)
		}
		if f.Doc != "" && !got[f.Doc] {
			t.Errorf("%s: its doc is not shown", f.Path)
		}
		if !strings.Contains(name, " ") && strings.ToLower(name[1:]) != name[1:] {
			t.Errorf("%s: %q reads like a key", f.Path, name)
		}
	}
	for _, want := range []string{"Quality (nodes)", "Quality (edges)", "Spring strength", "Max velocity", "Hologram", "Feature: springs"} {
		if !got[want] {
			t.Errorf("no control named %q", want)
		}
	}
	if got["quality"] || got["springK"] || got["enableHologram"] {
		t.Error("a raw key is shown as a name")
	}
	// Typing a number: node size 2.5.
	h.clickEditorAfter("Node size")
	h.r.Queue(key.Event{Name: key.NameEnd, State: key.Press})
	h.frame()
	h.r.Queue(key.Event{Name: key.NameHome, State: key.Press, Modifiers: key.ModShift})
	h.frame()
	h.r.Queue(key.EditEvent{Range: h.r.EditorState().Selection.Range, Text: "2.5"})
	h.frame()
	h.r.Queue(key.Event{Name: key.NameReturn, State: key.Press})
	act := h.frame()
	if len(act.Settings) != 1 || act.Settings[0].Path != "nodes.nodeSize" || string(act.Settings[0].Value) != "2.5" {
		t.Fatalf("typing 2.5 into node size sent %+v", act.Settings)
	}
}

// clickEditorAfter clicks the first editor that follows the text label in
// the overlay's semantics (a setting's number box after its name).
func (h *harness) clickEditorAfter(label string) {
	h.t.Helper()
	var flat []input.SemanticNode
	var walk func(nodes []input.SemanticNode)
	walk = func(nodes []input.SemanticNode) {
		for _, n := range nodes {
			flat = append(flat, n)
			walk(n.Children)
		}
	}
	walk(h.r.AppendSemantics(nil))
	seen := false
	for _, n := range flat {
		if n.Desc.Label == label {
			seen = true
		}
		if seen && n.Desc.Class == semantic.Editor {
			r := n.Desc.Bounds
			c := f32.Pt(float32(r.Min.X+r.Max.X)/2, float32(r.Min.Y+r.Max.Y)/2)
			h.r.Queue(pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Buttons: pointer.ButtonPrimary, Position: c},
				pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: c})
			h.frame()
			return
		}
	}
	h.t.Fatalf("no editor after %q", label)
}
