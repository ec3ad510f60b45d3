package overlay

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"gioui.org/f32"
	"gioui.org/font/gofont"
	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/text"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"

	"visionflow/graph"
	"visionflow/settings"
)

// Stats are shown in the top bar.
type Stats struct {
	FPS            float64
	FrameMillis    float64
	StepMillis     float64 // physics step time
	StepsPerSecond float64
	Nodes, Edges   int
	Clients        int
	Engine         string
	GL             string // the window's OpenGL, such as "GL ES 3.1"
	Graph          string
	Remote         string // the host, when joined
	Link           string // the connection to it: receiving, reconnecting, …
}

// Label is a node label to draw at a window position (pixels).
type Label struct {
	Text   string
	X, Y   float32
	Strong bool // hovered or selected
}

// PeerMark is where another peer is: its camera, or the node it selected.
type PeerMark struct {
	Name   string
	Note   string // "moving Time travel"
	Color  color.NRGBA
	X, Y   float32
	Camera bool // its camera (a small triangle); else its selection (a ring)
}

// Inspected is the selected node.
type Inspected struct {
	ID         string
	Label      string
	Metadata   map[string]string
	Degree     int
	Pinned     bool
	Neighbours []Neighbour
	Agent      *AgentInfo // when the node is an agent
	Measures   string     // PageRank, betweenness, community, component, when measured
}

// Neighbour is a node linked to the inspected one.
type Neighbour struct {
	ID, Label string
	Wire      graph.WireID
}

// ImportState is the progress of a running import.
type ImportState struct {
	Running     bool
	Done, Total int
	Message     string
}

// Data is what the overlay shows this frame.
type Data struct {
	Stats     Stats
	Graphs    []graph.Summary
	Current   string
	Setting   func(path string) any // current value of a setting
	Inspected *Inspected
	Labels    []Label
	Peers     []PeerMark
	Import    ImportState
	Message   string      // a notice, such as a search that found nothing
	Swarm     *SwarmPanel // the swarm working on the graph, if any
	Share     *SharePanel // how peers join; nil: no share button
	Timeline  *Timeline   // the graph's history; nil: no history button
	Legend    *Legend     // the view panel's contents; nil: no view button
}

// Actions are what the user asked for this frame.
type Actions struct {
	SelectGraph       string
	Settings          []settings.Update
	Search            string
	SelectNode        string       // a node of the watched graph, by id
	SelectWire        graph.WireID // a node of the scene (the graph or its swarm)
	FocusNeighbours   bool
	ClearSelection    bool
	Import            bool // import ImportFolder: a folder of notes or a graph file
	ImportFolder      string
	Unpin             bool // unpin the inspected node
	Fit               bool
	Command           *CommandAction // for the inspected agent
	SelectSwarm       string
	SubmitTask        string        // the title of a task for the swarm shown
	DeadLetter        *LetterAction // retry or discard a dead letter
	MemorySearch      string        // find memories like this
	ClearMemorySearch bool
	ShareRole         string // make a link that joins with this role
	TimelineAt        uint64 // show the graph as of this change
	TimelinePlay      bool   // play the changes back (false with TimelinePause)
	TimelinePause     bool
	TimelineLive      bool // back to the graph as it is
	View              *ViewAction
}

// UI holds the widgets' state between frames.
type UI struct {
	th           *material.Theme
	ShowPanel    bool
	search       widget.Editor
	importPath   widget.Editor
	importBtn    widget.Clickable
	fitBtn       widget.Clickable
	panelBtn     widget.Clickable
	focusBtn     widget.Clickable
	closeBtn     widget.Clickable
	unpinBtn     widget.Clickable
	panelList    widget.List
	inspectList  widget.List
	graphBtns    map[string]*widget.Clickable
	neighBtns    map[string]*widget.Clickable
	fields       map[string]*fieldState
	panelRect    image.Rectangle
	inspectRect  image.Rectangle
	barRect      image.Rectangle
	shareRect    image.Rectangle
	cornerRect   image.Rectangle
	share        shareState
	timelineRect image.Rectangle
	timeline     timelineState
	searchRect   image.Rectangle
	focusSearch  bool
	blur         bool
	agentWidgets
	view viewState
}

type fieldState struct {
	f       widget.Float
	f2      widget.Float // range: the maximum
	b       widget.Bool
	enum    widget.Enum
	swatch  []widget.Clickable
	hex     widget.Editor
	dragged bool
}

// New returns the overlay.
func New() *UI {
	th := material.NewTheme()
	th.Shaper = text.NewShaper(text.WithCollection(gofont.Collection()))
	th.Palette = material.Palette{
		Bg:         color.NRGBA{R: 18, G: 22, B: 34, A: 235},
		Fg:         color.NRGBA{R: 225, G: 232, B: 240, A: 255},
		ContrastBg: color.NRGBA{R: 0, G: 170, B: 200, A: 255},
		ContrastFg: color.NRGBA{R: 255, G: 255, B: 255, A: 255},
	}
	th.TextSize = 13
	u := &UI{th: th, ShowPanel: false, graphBtns: map[string]*widget.Clickable{}, neighBtns: map[string]*widget.Clickable{}, fields: map[string]*fieldState{}}
	u.search.SingleLine, u.search.Submit = true, true
	u.importPath.SingleLine, u.importPath.Submit = true, true
	u.panelList.Axis = layout.Vertical
	u.inspectList.Axis = layout.Vertical
	u.agentWidgets.init()
	u.view.init()
	return u
}

// FocusSearch gives the search box the keyboard from the next frame.
func (u *UI) FocusSearch() { u.focusSearch = true }

// Blur takes the keyboard from whichever field has it, from the next
// frame: the view's shortcuts work again.
func (u *UI) Blur() { u.blur = true }

// SearchText is what the search box holds.
func (u *UI) SearchText() string { return u.search.Text() }

// Over reports whether a window pixel is over the overlay's panels (so the
// 3D view should not take a pointer event there).
func (u *UI) Over(x, y float32) bool {
	p := image.Pt(int(x), int(y))
	for _, r := range []image.Rectangle{u.panelRect, u.inspectRect, u.barRect, u.searchRect, u.swarmRect, u.shareRect, u.timelineRect, u.cornerRect, u.view.rect} {
		if p.In(r) {
			return true
		}
	}
	return false
}

func fill(gtx layout.Context, c color.NRGBA, size image.Point) {
	defer clip.Rect(image.Rectangle{Max: size}).Push(gtx.Ops).Pop()
	paint.ColorOp{Color: c}.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
}

// panel lays w out on a translucent background and records where it is.
func (u *UI) panel(gtx layout.Context, at *image.Rectangle, w layout.Widget) layout.Dimensions {
	macro := op.Record(gtx.Ops)
	dims := layout.UniformInset(unit.Dp(8)).Layout(gtx, w)
	call := macro.Stop()
	fill(gtx, u.th.Bg, dims.Size)
	call.Add(gtx.Ops)
	*at = image.Rectangle{Max: dims.Size}
	return dims
}

// Layout draws the overlay and returns what the user did.
func (u *UI) Layout(gtx layout.Context, d *Data) Actions {
	var act Actions
	gtx.Constraints.Min = image.Point{}
	if u.blur {
		gtx.Execute(key.FocusCmd{})
		u.blur = false
	}
	u.panelRect, u.inspectRect, u.swarmRect, u.shareRect, u.timelineRect, u.cornerRect, u.view.rect = image.Rectangle{}, image.Rectangle{}, image.Rectangle{}, image.Rectangle{}, image.Rectangle{}, image.Rectangle{}, image.Rectangle{}
	u.labels(gtx, d.Labels)
	u.peers(gtx, d.Peers)
	// The top bar.
	barDims := u.bar(gtx, d, &act)
	u.barRect = image.Rectangle{Max: barDims.Size}
	top := barDims.Size.Y
	// The settings panel, left.
	if u.ShowPanel {
		off := op.Offset(image.Pt(0, top)).Push(gtx.Ops)
		g := gtx
		g.Constraints = layout.Constraints{Min: image.Pt(gtx.Dp(330), 0), Max: image.Pt(gtx.Dp(330), gtx.Constraints.Max.Y-top)}
		g.Constraints.Min.Y = g.Constraints.Max.Y
		u.panel(g, &u.panelRect, func(gtx layout.Context) layout.Dimensions { return u.settingsPanel(gtx, d, &act) })
		u.panelRect = u.panelRect.Add(image.Pt(0, top))
		off.Pop()
	}
	// The inspector, right.
	if d.Inspected != nil {
		w := gtx.Dp(300)
		off := op.Offset(image.Pt(gtx.Constraints.Max.X-w, top)).Push(gtx.Ops)
		g := gtx
		g.Constraints = layout.Constraints{Min: image.Pt(w, 0), Max: image.Pt(w, gtx.Constraints.Max.Y/2)}
		u.panel(g, &u.inspectRect, func(gtx layout.Context) layout.Dimensions { return u.inspector(gtx, d.Inspected, &act) })
		u.inspectRect = u.inspectRect.Add(image.Pt(gtx.Constraints.Max.X-w, top))
		off.Pop()
	}
	// The view panel, right, below the inspector.
	if d.Legend != nil && u.view.show {
		w := gtx.Dp(280)
		y := top
		if !u.inspectRect.Empty() {
			y = u.inspectRect.Max.Y + gtx.Dp(6)
		}
		h := gtx.Constraints.Max.Y - y - gtx.Dp(84) // above History and Share
		if h > gtx.Dp(80) {
			x := gtx.Constraints.Max.X - w
			off := op.Offset(image.Pt(x, y)).Push(gtx.Ops)
			g := gtx
			g.Constraints = layout.Constraints{Min: image.Pt(w, 0), Max: image.Pt(w, h)}
			u.panel(g, &u.view.rect, func(gtx layout.Context) layout.Dimensions { return u.viewPanel(gtx, d.Legend, &act) })
			u.view.rect = u.view.rect.Add(image.Pt(x, y))
			off.Pop()
		}
	}
	// The swarm panel, bottom left (right of the settings when they show).
	if d.Swarm != nil && u.ShowSwarm {
		w, h := gtx.Dp(290), min(gtx.Dp(320), (gtx.Constraints.Max.Y-top)*2/5)
		x := 0
		if u.ShowPanel {
			x = u.panelRect.Max.X
		}
		y := gtx.Constraints.Max.Y - h - gtx.Dp(36)
		off := op.Offset(image.Pt(x, y)).Push(gtx.Ops)
		g := gtx
		g.Constraints = layout.Constraints{Min: image.Pt(w, 0), Max: image.Pt(w, h)}
		u.panel(g, &u.swarmRect, func(gtx layout.Context) layout.Dimensions { return u.swarmPanel(gtx, d.Swarm, &act) })
		u.swarmRect = u.swarmRect.Add(image.Pt(x, y))
		off.Pop()
	}
	// The timeline, bottom, and the History and Share buttons above its
	// right end (the bar stays one line on a small window).
	bottom := gtx.Constraints.Max.Y - gtx.Dp(34)
	if d.Timeline != nil && u.timeline.show {
		u.timelineAt(gtx, d.Timeline, &act)
		bottom = u.timelineRect.Min.Y
	}
	u.corner(gtx, d, bottom)
	// The share panel, centre.
	if d.Share != nil && u.share.show {
		w := gtx.Dp(360)
		x := max(0, (gtx.Constraints.Max.X-w)/2)
		off := op.Offset(image.Pt(x, top)).Push(gtx.Ops)
		g := gtx
		g.Constraints = layout.Constraints{Min: image.Pt(w, 0), Max: image.Pt(w, gtx.Constraints.Max.Y-top)}
		u.panel(g, &u.shareRect, func(gtx layout.Context) layout.Dimensions { return u.sharePanel(gtx, d.Share, &act) })
		u.shareRect = u.shareRect.Add(image.Pt(x, top))
		off.Pop()
	}
	if d.Message != "" {
		off := op.Offset(image.Pt(gtx.Dp(12), gtx.Constraints.Max.Y-gtx.Dp(30))).Push(gtx.Ops)
		l := material.Body2(u.th, d.Message)
		l.Color = color.NRGBA{R: 255, G: 210, B: 120, A: 255}
		l.Layout(gtx)
		off.Pop()
	}
	return act
}

func (u *UI) bar(gtx layout.Context, d *Data, act *Actions) layout.Dimensions {
	s := d.Stats
	where := s.Graph
	if s.Remote != "" {
		where += " @ " + s.Remote
		if s.Link != "" && s.Link != "receiving" {
			where += " (" + s.Link + ")"
		}
	}
	physics := "at rest"
	if s.StepsPerSecond > 0 {
		physics = fmt.Sprintf("%.0f steps/s · %.1f ms", s.StepsPerSecond, s.StepMillis)
	}
	text := fmt.Sprintf("%s   %d nodes · %d edges   %s physics %s   %.0f FPS · %.1f ms · %s   %d clients",
		where, s.Nodes, s.Edges, s.Engine, physics, s.FPS, s.FrameMillis, s.GL, s.Clients)
	g := gtx
	g.Constraints.Min.X = gtx.Constraints.Max.X
	var r image.Rectangle
	dims := u.panel(g, &r, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if u.panelBtn.Clicked(gtx) {
					u.ShowPanel = !u.ShowPanel
				}
				label := "Settings"
				if u.ShowPanel {
					label = "Hide settings"
				}
				return material.Button(u.th, &u.panelBtn, label).Layout(gtx)
			}),
			layout.Rigid(layout.Spacer{Width: unit.Dp(8)}.Layout),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if d.Swarm == nil {
					return layout.Dimensions{}
				}
				if u.swarmBtn.Clicked(gtx) {
					u.ShowSwarm = !u.ShowSwarm
				}
				return layout.Inset{Right: unit.Dp(8)}.Layout(gtx, material.Button(u.th, &u.swarmBtn, "Swarm").Layout)
			}),

			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if d.Legend == nil {
					return layout.Dimensions{}
				}
				if u.view.btn.Clicked(gtx) {
					u.view.show = !u.view.show
				}
				return layout.Inset{Right: unit.Dp(8)}.Layout(gtx, material.Button(u.th, &u.view.btn, "View").Layout)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if u.fitBtn.Clicked(gtx) {
					act.Fit = true
					u.blur = true
				}
				return material.Button(u.th, &u.fitBtn, "Fit").Layout(gtx)
			}),
			layout.Rigid(layout.Spacer{Width: unit.Dp(12)}.Layout),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				l := material.Body2(u.th, text)
				l.MaxLines = 2 // a narrow window cuts the stats short rather than growing the bar
				return l.Layout(gtx)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if u.focusSearch {
					gtx.Execute(key.FocusCmd{Tag: &u.search})
					u.focusSearch = false
				}
				for {
					ev, ok := u.search.Update(gtx)
					if !ok {
						break
					}
					if _, ok := ev.(widget.SubmitEvent); ok {
						act.Search = strings.TrimSpace(u.search.Text())
						u.blur = true // the search is done: the keys are the view's again
					}
				}
				gtx.Constraints.Min.X, gtx.Constraints.Max.X = gtx.Dp(220), gtx.Dp(220)
				return widget.Border{Color: u.th.ContrastBg, Width: unit.Dp(1), CornerRadius: unit.Dp(3)}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return layout.UniformInset(unit.Dp(5)).Layout(gtx, material.Editor(u.th, &u.search, "Search nodes…").Layout)
				})
			}),
		)
	})
	return dims
}

func (u *UI) labels(gtx layout.Context, labels []Label) {
	for _, l := range labels {
		off := op.Offset(image.Pt(int(l.X)+gtx.Dp(6), int(l.Y)-gtx.Dp(8))).Push(gtx.Ops)
		lbl := material.Label(u.th, unit.Sp(12), l.Text)
		lbl.MaxLines = 1
		lbl.Color = color.NRGBA{R: 220, G: 230, B: 240, A: 210}
		if l.Strong {
			lbl.Color = color.NRGBA{R: 255, G: 230, B: 120, A: 255}
			lbl.TextSize = unit.Sp(14)
		}
		g := gtx
		g.Constraints = layout.Constraints{Max: image.Pt(gtx.Dp(260), gtx.Dp(40))}
		lbl.Layout(g)
		off.Pop()
	}
}

// peers draws where the others are: a ring on the node each selected, a
// triangle where each one's camera is, with their names in their colours.
func (u *UI) peers(gtx layout.Context, marks []PeerMark) {
	for _, m := range marks {
		x, y := int(m.X), int(m.Y)
		r := gtx.Dp(11)
		if m.Camera {
			var p clip.Path
			p.Begin(gtx.Ops)
			p.MoveTo(f32.Pt(float32(x), float32(y+r/2)))
			p.LineTo(f32.Pt(float32(x-r/2), float32(y-r/2)))
			p.LineTo(f32.Pt(float32(x+r/2), float32(y-r/2)))
			p.Close()
			paint.FillShape(gtx.Ops, m.Color, clip.Outline{Path: p.End()}.Op())
		} else {
			ring := clip.Ellipse{Min: image.Pt(x-r, y-r), Max: image.Pt(x+r, y+r)}
			paint.FillShape(gtx.Ops, m.Color, clip.Stroke{Path: ring.Path(gtx.Ops), Width: float32(gtx.Dp(2))}.Op())
		}
		text := m.Name
		if m.Note != "" {
			text += " · " + m.Note
		}
		off := op.Offset(image.Pt(x+r+gtx.Dp(2), y+gtx.Dp(4))).Push(gtx.Ops)
		lbl := material.Label(u.th, unit.Sp(12), text)
		lbl.MaxLines = 1
		lbl.Color = m.Color
		g := gtx
		g.Constraints = layout.Constraints{Max: image.Pt(gtx.Dp(260), gtx.Dp(40))}
		lbl.Layout(g)
		off.Pop()
	}
}

func (u *UI) inspector(gtx layout.Context, n *Inspected, act *Actions) layout.Dimensions {
	var rows []layout.Widget
	rows = append(rows, material.H6(u.th, n.Label).Layout)
	pinned := ""
	if n.Pinned {
		pinned = " · pinned"
	}
	rows = append(rows, material.Caption(u.th, fmt.Sprintf("%s · %d links%s", n.ID, n.Degree, pinned)).Layout)
	if n.Measures != "" {
		rows = append(rows, material.Caption(u.th, n.Measures).Layout)
	}
	if n.Agent != nil {
		rows = append(rows, u.agentRows(n.Agent, act)...)
	}
	keys := slices.Sorted(maps.Keys(n.Metadata))
	for _, k := range keys {
		v := n.Metadata[k]
		if len(v) > 200 {
			v = v[:200] + "…"
		}
		rows = append(rows, material.Body2(u.th, k+": "+v).Layout)
	}
	rows = append(rows, func(gtx layout.Context) layout.Dimensions {
		if u.focusBtn.Clicked(gtx) {
			act.FocusNeighbours = true
		}
		if u.closeBtn.Clicked(gtx) {
			act.ClearSelection = true
		}
		if u.unpinBtn.Clicked(gtx) {
			act.Unpin = true
		}
		children := []layout.FlexChild{
			layout.Rigid(material.Button(u.th, &u.focusBtn, "Open neighbours").Layout),
			layout.Rigid(layout.Spacer{Width: unit.Dp(6)}.Layout),
		}
		if n.Pinned {
			children = append(children, layout.Rigid(material.Button(u.th, &u.unpinBtn, "Unpin").Layout), layout.Rigid(layout.Spacer{Width: unit.Dp(6)}.Layout))
		}
		children = append(children, layout.Rigid(material.Button(u.th, &u.closeBtn, "Close").Layout))
		return layout.Flex{}.Layout(gtx, children...)
	})
	if len(n.Neighbours) > 0 {
		rows = append(rows, material.Body1(u.th, "Neighbours").Layout)
	}
	for _, nb := range n.Neighbours {
		btn := clickable(u.neighBtns, nb.ID)
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			if btn.Clicked(gtx) {
				if nb.Wire != 0 {
					act.SelectWire = nb.Wire
				} else {
					act.SelectNode = nb.ID
				}
			}
			return material.Clickable(gtx, btn, func(gtx layout.Context) layout.Dimensions {
				l := material.Body2(u.th, "→ "+nb.Label)
				l.Color = u.th.ContrastBg
				return layout.UniformInset(unit.Dp(2)).Layout(gtx, l.Layout)
			})
		})
	}
	return material.List(u.th, &u.inspectList).Layout(gtx, len(rows), func(gtx layout.Context, i int) layout.Dimensions {
		return rows[i](gtx)
	})
}

// clickable returns the clickable kept for id, making it on first use.
func clickable(m map[string]*widget.Clickable, id string) *widget.Clickable {
	c := m[id]
	if c == nil {
		c = new(widget.Clickable)
		m[id] = c
	}
	return c
}

// swatches are the colours a colour setting offers at a click.
var swatches = []string{"#00e5ff", "#40ff00", "#ff8800", "#ff3d7f", "#b388ff", "#ffd600", "#ffffff", "#56b6c2", "#0a0e1a", "#202724"}

func (u *UI) settingsPanel(gtx layout.Context, d *Data, act *Actions) layout.Dimensions {
	var rows []layout.Widget
	rows = append(rows, material.H6(u.th, "Graphs").Layout)
	for _, g := range d.Graphs {
		btn := clickable(u.graphBtns, g.ID)
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			if btn.Clicked(gtx) {
				act.SelectGraph = g.ID
			}
			label := fmt.Sprintf("%s  (%d nodes)", g.Name, g.Nodes)
			if g.ID == d.Current {
				label = "● " + label
			}
			return material.Clickable(gtx, btn, func(gtx layout.Context) layout.Dimensions {
				return layout.UniformInset(unit.Dp(3)).Layout(gtx, material.Body2(u.th, label).Layout)
			})
		})
	}
	rows = append(rows, func(gtx layout.Context) layout.Dimensions {
		for {
			ev, ok := u.importPath.Update(gtx)
			if !ok {
				break
			}
			if _, ok := ev.(widget.SubmitEvent); ok {
				act.Import, act.ImportFolder = true, strings.TrimSpace(u.importPath.Text())
				u.blur = true
			}
		}
		if u.importBtn.Clicked(gtx) {
			act.Import, act.ImportFolder = true, strings.TrimSpace(u.importPath.Text())
		}
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(layout.Spacer{Height: unit.Dp(6)}.Layout),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return widget.Border{Color: u.th.ContrastBg, Width: unit.Dp(1)}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return layout.UniformInset(unit.Dp(4)).Layout(gtx, material.Editor(u.th, &u.importPath, "Folder or file to import (or drop it here)…").Layout)
				})
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if d.Import.Running {
					p := float32(0)
					if d.Import.Total > 0 {
						p = float32(d.Import.Done) / float32(d.Import.Total)
					}
					return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
						layout.Rigid(material.ProgressBar(u.th, p).Layout),
						layout.Rigid(material.Caption(u.th, d.Import.Message).Layout))
				}
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(material.Button(u.th, &u.importBtn, "Import").Layout),
					layout.Rigid(material.Caption(u.th, d.Import.Message).Layout))
			}))
	})
	section := ""
	for k := range settings.Schema {
		f := &settings.Schema[k]
		sec := f.Path[:strings.IndexByte(f.Path, '.')]
		if sec == "system" || f.Kind == settings.Text || f.Kind == settings.Secret {
			continue // server settings and texts (endpoints, keys) stay in the REST API
		}
		if sec != section {
			section = sec
			rows = append(rows, material.H6(u.th, strings.ToUpper(sec[:1])+sec[1:]).Layout)
		}
		rows = append(rows, func(gtx layout.Context) layout.Dimensions { return u.field(gtx, f, d, act) })
	}
	return material.List(u.th, &u.panelList).Layout(gtx, len(rows), func(gtx layout.Context, i int) layout.Dimensions {
		return layout.Inset{Bottom: unit.Dp(2)}.Layout(gtx, rows[i])
	})
}

// doc is a setting's help line: the schema's doc, dimmed.
func (u *UI) doc(f *settings.Field) layout.Widget {
	return func(gtx layout.Context) layout.Dimensions {
		if f.Doc == "" {
			return layout.Dimensions{}
		}
		l := material.Caption(u.th, f.Doc)
		l.Color = color.NRGBA{R: 150, G: 160, B: 178, A: 255}
		l.TextSize = unit.Sp(11)
		return layout.Inset{Bottom: unit.Dp(4)}.Layout(gtx, l.Layout)
	}
}

// field draws one setting and turns the user's changes into updates,
// which go through the same path as REST (validated, stored, recorded,
// sent to peers).
func (u *UI) field(gtx layout.Context, f *settings.Field, d *Data, act *Actions) layout.Dimensions {
	st := u.fields[f.Path]
	if st == nil {
		st = &fieldState{swatch: make([]widget.Clickable, len(swatches))}
		st.hex.SingleLine, st.hex.Submit = true, true
		u.fields[f.Path] = st
	}
	name := fieldLabels()[f.Path]
	cur := d.Setting(f.Path)
	send := func(v any) {
		b, _ := json.Marshal(v)
		act.Settings = append(act.Settings, settings.Update{Path: f.Path, Value: b})
	}
	switch f.Kind {
	case settings.Float, settings.Int:
		lo, hi := *f.Min, *f.Max
		val := toFloat(cur)
		if !st.f.Dragging() {
			st.f.Value = float32(toUnit(val, lo, hi))
		}
		if st.f.Update(gtx) {
			st.dragged = true
		}
		if st.dragged && !st.f.Dragging() {
			st.dragged = false
			v := fromUnit(float64(st.f.Value), lo, hi)
			if f.Kind == settings.Int {
				send(int64(math.Round(v)))
			} else {
				send(round(v))
			}
		}
		shown := fromUnit(float64(st.f.Value), lo, hi)
		// The number can be typed too: Enter sends it (the session checks
		// it like any other update).
		for {
			ev, ok := st.hex.Update(gtx)
			if !ok {
				break
			}
			if _, ok := ev.(widget.SubmitEvent); ok {
				if v, err := strconv.ParseFloat(strings.TrimSpace(st.hex.Text()), 64); err == nil {
					if f.Kind == settings.Int {
						send(int64(math.Round(v)))
					} else {
						send(v)
					}
				}
				u.blur = true
			}
		}
		if !gtx.Focused(&st.hex) {
			if t := formatNum(shown, f.Kind); st.hex.Text() != t {
				st.hex.SetText(t)
			}
		}
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Flexed(1, material.Caption(u.th, name).Layout),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						gtx.Constraints.Min.X, gtx.Constraints.Max.X = gtx.Dp(70), gtx.Dp(70)
						e := material.Editor(u.th, &st.hex, name)
						e.TextSize = unit.Sp(12)
						return widget.Border{Color: color.NRGBA{R: 60, G: 70, B: 90, A: 255}, Width: unit.Dp(1)}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
							return layout.UniformInset(unit.Dp(2)).Layout(gtx, e.Layout)
						})
					}))
			}),
			layout.Rigid(material.Slider(u.th, &st.f).Layout),
			layout.Rigid(u.doc(f)))
	case settings.Range:
		lo, hi := *f.Min, *f.Max
		pair, _ := cur.([2]float64)
		if !st.f.Dragging() && !st.f2.Dragging() {
			st.f.Value, st.f2.Value = float32(toUnit(pair[0], lo, hi)), float32(toUnit(pair[1], lo, hi))
		}
		a, b := st.f.Update(gtx), st.f2.Update(gtx)
		if a || b {
			st.dragged = true
		}
		if st.dragged && !st.f.Dragging() && !st.f2.Dragging() {
			st.dragged = false
			x, y := fromUnit(float64(st.f.Value), lo, hi), fromUnit(float64(st.f2.Value), lo, hi)
			if x < y {
				send([2]float64{round(x), round(y)})
			}
		}
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{}.Layout(gtx,
					layout.Flexed(1, material.Caption(u.th, name).Layout),
					layout.Rigid(material.Caption(u.th, fmt.Sprintf("%s – %s", formatNum(fromUnit(float64(st.f.Value), lo, hi), f.Kind), formatNum(fromUnit(float64(st.f2.Value), lo, hi), f.Kind))).Layout))
			}),
			layout.Rigid(material.Slider(u.th, &st.f).Layout),
			layout.Rigid(material.Slider(u.th, &st.f2).Layout),
			layout.Rigid(u.doc(f)))
	case settings.Bool:
		st.b.Value, _ = cur.(bool)
		if st.b.Update(gtx) {
			send(st.b.Value)
		}
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return material.CheckBox(u.th, &st.b, name).Layout(gtx)
			}),
			layout.Rigid(u.doc(f)))
	case settings.Enum:
		st.enum.Value, _ = cur.(string)
		if st.enum.Update(gtx) {
			send(st.enum.Value)
		}
		children := []layout.FlexChild{layout.Rigid(material.Caption(u.th, name).Layout), layout.Rigid(layout.Spacer{Width: unit.Dp(8)}.Layout)}
		for _, o := range f.Options {
			children = append(children, layout.Rigid(material.RadioButton(u.th, &st.enum, o, o).Layout))
		}
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx, children...)
			}),
			layout.Rigid(u.doc(f)))
	case settings.Color:
		hex, _ := cur.(string)
		for i := range swatches {
			if st.swatch[i].Clicked(gtx) {
				send(swatches[i])
			}
		}
		for {
			ev, ok := st.hex.Update(gtx)
			if !ok {
				break
			}
			if _, ok := ev.(widget.SubmitEvent); ok {
				send(strings.TrimSpace(st.hex.Text()))
				u.blur = true
			}
		}
		if !gtx.Focused(&st.hex) && st.hex.Text() != hex {
			st.hex.SetText(hex)
		}
		sw := []layout.FlexChild{layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			sz := image.Pt(gtx.Dp(22), gtx.Dp(22))
			fill(gtx, parseHex(hex), sz)
			return layout.Dimensions{Size: sz}
		}), layout.Rigid(layout.Spacer{Width: unit.Dp(6)}.Layout)}
		for i, c := range swatches {
			sw = append(sw, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return material.Clickable(gtx, &st.swatch[i], func(gtx layout.Context) layout.Dimensions {
					sz := image.Pt(gtx.Dp(16), gtx.Dp(16))
					return layout.UniformInset(unit.Dp(1)).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						fill(gtx, parseHex(c), sz)
						return layout.Dimensions{Size: sz}
					})
				})
			}))
		}
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(material.Caption(u.th, name).Layout),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx, sw...)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Max.X = gtx.Dp(120)
				return material.Editor(u.th, &st.hex, "#rrggbb").Layout(gtx)
			}),
			layout.Rigid(u.doc(f)))
	}
	return layout.Dimensions{}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return 0
}

// Sliders move on a logarithmic scale when a range spans orders of
// magnitude (repelK 0–10000), so small values stay reachable.
func logScale(lo, hi float64) bool { return lo >= 0 && hi/math.Max(lo, 1e-3) > 1000 }

func toUnit(v, lo, hi float64) float64 {
	if logScale(lo, hi) {
		return math.Log1p(v-lo) / math.Log1p(hi-lo)
	}
	return (v - lo) / (hi - lo)
}

func fromUnit(u, lo, hi float64) float64 {
	u = min(max(u, 0), 1)
	if logScale(lo, hi) {
		return lo + math.Expm1(u*math.Log1p(hi-lo))
	}
	return lo + u*(hi-lo)
}

// round keeps four significant digits, so slider values read well.
func round(v float64) float64 {
	if v == 0 {
		return 0
	}
	p := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

func formatNum(v float64, k settings.Kind) string {
	if k == settings.Int {
		return fmt.Sprintf("%d", int64(math.Round(v)))
	}
	return fmt.Sprintf("%.4g", round(v))
}

func parseHex(s string) color.NRGBA {
	var r, g, b uint8
	if len(s) >= 7 {
		fmt.Sscanf(s[1:7], "%02x%02x%02x", &r, &g, &b)
	}
	return color.NRGBA{R: r, G: g, B: b, A: 255}
}

func opOffset(gtx layout.Context, p image.Point) op.TransformStack {
	return op.Offset(p).Push(gtx.Ops)
}

// corner lays out the History and Share buttons at the right, ending at
// bottom.
func (u *UI) corner(gtx layout.Context, d *Data, bottom int) {
	if d.Share == nil && d.Timeline == nil {
		return
	}
	macro := op.Record(gtx.Ops)
	g := gtx
	g.Constraints.Min = image.Point{}
	dims := layout.Flex{}.Layout(g,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if d.Timeline == nil {
				return layout.Dimensions{}
			}
			return u.timelineButton(gtx)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if d.Share == nil {
				return layout.Dimensions{}
			}
			return u.shareButton(gtx)
		}),
	)
	call := macro.Stop()
	at := image.Pt(gtx.Constraints.Max.X-dims.Size.X-gtx.Dp(4), bottom-dims.Size.Y-gtx.Dp(4))
	off := op.Offset(at).Push(gtx.Ops)
	call.Add(gtx.Ops)
	off.Pop()
	u.cornerRect = image.Rectangle{Min: at, Max: at.Add(dims.Size)}
}
