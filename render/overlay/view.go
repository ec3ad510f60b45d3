package overlay

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"gioui.org/layout"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"
)

// Legend is what the view panel shows: what colours the nodes, the
// classes with their counts and colours, and the filters. It is the
// window's own way of looking at the graph, not a shared setting.
type Legend struct {
	ColourBy string // the key of the option chosen ("": one colour)
	SizeBy   string // "" (degree), "pagerank" or "betweenness"
	Options  []LegendOption
	Classes  []LegendClass
	Only     string // the class isolated ("": none)
	Note     string // what the measures found, or that they are being made

	LocalDepth   int  // the local graph's depth around the selection (0: off)
	Focused      bool // a node is selected: the local graph has a centre
	HideRest     bool
	HideOrphans  bool
	HideLinkOnly bool
	MinDegree    int
	Shown, Total int

	Sharing   bool         // this window shares its view with its peers
	Peers     []LegendPeer // peers who share theirs
	Following string       // the peer followed ("": none)
}

// LegendPeer is a peer whose view can be followed.
type LegendPeer struct{ ID, Name, Color string }

// LegendOption is one way to colour the nodes.
type LegendOption struct{ Key, Name string }

// LegendClass is one colour of the legend.
type LegendClass struct {
	Key, Name string
	Count     int
	Color     [3]uint8
	Hidden    bool
}

// ViewAction is a change to the window's view asked for in the panel;
// nil fields are unchanged.
type ViewAction struct {
	ColourBy     *string
	SizeBy       *string
	Toggle       string  // hide or show this class
	Only         *string // isolate this class ("": show every class)
	LocalDepth   *int
	HideRest     *bool
	HideOrphans  *bool
	HideLinkOnly *bool
	MinDegree    *int
	ShareView    *bool
	Follow       *string // follow this peer's view and camera ("": stop)
	SavePicture  string  // save a picture of the view: "png" or "svg"
}

type viewState struct {
	show       bool
	btn        widget.Clickable
	list       widget.List
	options    map[string]*widget.Clickable
	sizes      map[string]*widget.Clickable
	classes    map[string]*widget.Clickable
	only       map[string]*widget.Clickable
	depth      [4]widget.Clickable
	rest       widget.Bool
	orphans    widget.Bool
	linkOnly   widget.Bool
	share      widget.Bool
	saves      map[string]*widget.Clickable
	follow     map[string]*widget.Clickable
	less, more widget.Clickable
	rect       image.Rectangle
	// What each row of the last frame holds and how tall it was, so a
	// test can click a class or an option where it is drawn.
	rowNames [][]string
	rowH     []int
	inset    int
}

func (v *viewState) init() {
	v.list.Axis = layout.Vertical
	v.options, v.classes, v.only = map[string]*widget.Clickable{}, map[string]*widget.Clickable{}, map[string]*widget.Clickable{}
	v.sizes, v.follow, v.saves = map[string]*widget.Clickable{}, map[string]*widget.Clickable{}, map[string]*widget.Clickable{}
}

// ToggleView shows or hides the view panel (the V key).
func (u *UI) ToggleView() { u.view.show = !u.view.show }

// ViewShown reports whether the view panel is open.
func (u *UI) ViewShown() bool { return u.view.show }

func (u *UI) viewAction(act *Actions) *ViewAction {
	if act.View == nil {
		act.View = &ViewAction{}
	}
	return act.View
}

// viewPanel lays out the colouring, the legend and the filters.
func (u *UI) viewPanel(gtx layout.Context, lg *Legend, act *Actions) layout.Dimensions {
	v := &u.view
	var rows []layout.Widget
	var names [][]string
	rows = append(rows, material.Body1(u.th, fmt.Sprintf("View · %d of %d nodes shown", lg.Shown, lg.Total)).Layout)
	rows = append(rows, material.Caption(u.th, "Colour by").Layout)
	names = append(names, nil, nil)
	// The options, three to a row.
	// chips is a row of up to three choices, the chosen one lit.
	chips := func(prefix string, opts []LegendOption, btns map[string]*widget.Clickable, chosen string, pick func(a *ViewAction, key *string)) {
		var row []string
		for _, o := range opts {
			row = append(row, prefix+o.Key)
		}
		for range 3 - len(opts) {
			row = append(row, "")
		}
		names = append(names, row)
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			var children []layout.FlexChild
			for _, o := range opts {
				btn := clickable(btns, o.Key)
				if btn.Clicked(gtx) {
					key := o.Key
					pick(u.viewAction(act), &key)
				}
				children = append(children, layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
					b := material.Button(u.th, btn, o.Name)
					b.Inset = layout.Inset{Top: unit.Dp(4), Bottom: unit.Dp(4), Left: unit.Dp(6), Right: unit.Dp(6)}
					b.TextSize = unit.Sp(11)
					if o.Key != chosen {
						b.Background = color.NRGBA{R: 40, G: 48, B: 64, A: 255}
					}
					return layout.Inset{Right: unit.Dp(4), Bottom: unit.Dp(4)}.Layout(gtx, b.Layout)
				}))
			}
			for range 3 - len(opts) {
				children = append(children, layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return layout.Dimensions{} }))
			}
			return layout.Flex{}.Layout(gtx, children...)
		})
	}
	for start := 0; start < len(lg.Options); start += 3 {
		chips("option:", lg.Options[start:min(start+3, len(lg.Options))], v.options, lg.ColourBy, func(a *ViewAction, k *string) { a.ColourBy = k })
	}
	rows = append(rows, material.Caption(u.th, "Size by").Layout)
	names = append(names, nil)
	sizes := []LegendOption{{"", "Degree"}, {"pagerank", "PageRank"}, {"betweenness", "Betweenness"}}
	chips("size:", sizes, v.sizes, lg.SizeBy, func(a *ViewAction, k *string) { a.SizeBy = k })
	if lg.Note != "" {
		rows = append(rows, material.Caption(u.th, lg.Note).Layout)
		names = append(names, nil)
	}
	for _, c := range lg.Classes {
		row := clickable(v.classes, c.Key)
		only := clickable(v.only, c.Key)
		names = append(names, []string{"class:" + c.Key, "only:" + c.Key})
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			if row.Clicked(gtx) {
				u.viewAction(act).Toggle = c.Key
			}
			if only.Clicked(gtx) {
				key := c.Key
				if lg.Only == c.Key {
					key = ""
				}
				u.viewAction(act).Only = &key
			}
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
					return material.Clickable(gtx, row, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								s := gtx.Dp(12)
								col := color.NRGBA{R: c.Color[0], G: c.Color[1], B: c.Color[2], A: 255}
								if c.Hidden {
									col.A = 50
								}
								return layout.Inset{Top: unit.Dp(3), Bottom: unit.Dp(3), Right: unit.Dp(6)}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
									fill(gtx, col, image.Pt(s, s))
									return layout.Dimensions{Size: image.Pt(s, s)}
								})
							}),
							layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
								l := material.Body2(u.th, c.Name)
								l.MaxLines = 1
								if c.Hidden {
									l.Color.A = 110
								}
								return l.Layout(gtx)
							}),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								l := material.Caption(u.th, fmt.Sprintf(" %d", c.Count))
								if c.Hidden {
									l.Color.A = 110
								}
								return l.Layout(gtx)
							}),
						)
					})
				}),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					text := "only"
					if lg.Only == c.Key {
						text = "all"
					}
					b := material.Button(u.th, only, text)
					b.Inset = layout.Inset{Top: unit.Dp(2), Bottom: unit.Dp(2), Left: unit.Dp(5), Right: unit.Dp(5)}
					b.TextSize = unit.Sp(11)
					b.Background = color.NRGBA{R: 40, G: 48, B: 64, A: 255}
					return layout.Inset{Left: unit.Dp(6)}.Layout(gtx, b.Layout)
				}),
			)
		})
	}
	// Filters.
	rows = append(rows, material.Caption(u.th, "Filters").Layout)
	check := func(b *widget.Bool, on bool, text string, set func(*ViewAction, *bool)) layout.Widget {
		return func(gtx layout.Context) layout.Dimensions {
			b.Value = on
			if b.Update(gtx) {
				val := b.Value
				set(u.viewAction(act), &val)
			}
			return material.CheckBox(u.th, b, text).Layout(gtx)
		}
	}
	rows = append(rows, check(&v.orphans, lg.HideOrphans, "Hide orphans (no links)", func(a *ViewAction, b *bool) { a.HideOrphans = b }))
	rows = append(rows, check(&v.linkOnly, lg.HideLinkOnly, "Hide link-only pages (no file)", func(a *ViewAction, b *bool) { a.HideLinkOnly = b }))
	rows = append(rows, func(gtx layout.Context) layout.Dimensions {
		if v.less.Clicked(gtx) && lg.MinDegree > 0 {
			d := lg.MinDegree - 1
			u.viewAction(act).MinDegree = &d
		}
		if v.more.Clicked(gtx) {
			d := lg.MinDegree + 1
			u.viewAction(act).MinDegree = &d
		}
		small := func(c *widget.Clickable, t string) layout.Widget {
			b := material.Button(u.th, c, t)
			b.Inset = layout.Inset{Top: unit.Dp(2), Bottom: unit.Dp(2), Left: unit.Dp(8), Right: unit.Dp(8)}
			return b.Layout
		}
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(material.Body2(u.th, fmt.Sprintf("Degree at least %d  ", lg.MinDegree)).Layout),
			layout.Rigid(small(&v.less, "−")),
			layout.Rigid(layout.Spacer{Width: unit.Dp(4)}.Layout),
			layout.Rigid(small(&v.more, "+")),
		)
	})
	rows = append(rows, func(gtx layout.Context) layout.Dimensions {
		children := []layout.FlexChild{layout.Rigid(material.Body2(u.th, "Local graph ").Layout)}
		for depth := range v.depth {
			btn := &v.depth[depth]
			if btn.Clicked(gtx) {
				d := depth
				u.viewAction(act).LocalDepth = &d
			}
			text := "off"
			if depth > 0 {
				text = fmt.Sprint(depth)
			}
			children = append(children, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := material.Button(u.th, btn, text)
				b.Inset = layout.Inset{Top: unit.Dp(2), Bottom: unit.Dp(2), Left: unit.Dp(7), Right: unit.Dp(7)}
				if depth != lg.LocalDepth {
					b.Background = color.NRGBA{R: 40, G: 48, B: 64, A: 255}
				}
				return layout.Inset{Right: unit.Dp(4)}.Layout(gtx, b.Layout)
			}))
		}
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx, children...)
	})
	if lg.LocalDepth > 0 && !lg.Focused {
		rows = append(rows, material.Caption(u.th, "select a node: the local graph is around it").Layout)
	}
	rows = append(rows, check(&v.rest, lg.HideRest, "Hide the rest (else dim it)", func(a *ViewAction, b *bool) { a.HideRest = b }))
	for len(names) < len(rows) {
		names = append(names, nil)
	}
	rows = append(rows, material.Caption(u.th, "Save a picture of this view (P, Shift+P)").Layout)
	names = append(names, nil)
	chips("save:", []LegendOption{{"png", "PNG"}, {"svg", "SVG"}}, v.saves, "", func(a *ViewAction, k *string) { a.SavePicture = *k })
	// Sharing and following views.
	rows = append(rows, material.Caption(u.th, "With peers").Layout)
	rows = append(rows, check(&v.share, lg.Sharing, "Share my view", func(a *ViewAction, b *bool) { a.ShareView = b }))
	for len(names) < len(rows)-1 {
		names = append(names, nil)
	}
	names = append(names, []string{"share"})
	for _, p := range lg.Peers {
		btn := clickable(v.follow, p.ID)
		names = append(names, []string{"follow:" + p.ID})
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			following := lg.Following == p.ID
			if btn.Clicked(gtx) {
				id := p.ID
				if following {
					id = ""
				}
				u.viewAction(act).Follow = &id
			}
			text := "Follow " + p.Name
			if following {
				text = "Stop following " + p.Name
			}
			b := material.Button(u.th, btn, text)
			b.Inset = layout.Inset{Top: unit.Dp(3), Bottom: unit.Dp(3), Left: unit.Dp(8), Right: unit.Dp(8)}
			b.Background = parseHex(p.Color)
			b.Color = color.NRGBA{R: 10, G: 14, B: 26, A: 255}
			return layout.Inset{Bottom: unit.Dp(3)}.Layout(gtx, b.Layout)
		})
	}
	for len(names) < len(rows) {
		names = append(names, nil)
	}
	v.rowNames, v.rowH, v.inset = names, make([]int, len(rows)), gtx.Dp(8)
	return material.List(u.th, &v.list).Layout(gtx, len(rows), func(gtx layout.Context, i int) layout.Dimensions {
		dims := rows[i](gtx)
		v.rowH[i] = dims.Size.Y
		return dims
	})
}

// ViewTarget is where in the window the view panel drew a control:
// "option:KEY" (a colouring), "class:KEY" (a legend row), "only:KEY"
// (its isolate button) or "save:png"/"save:svg". It assumes the panel is
// not scrolled.
func (u *UI) ViewTarget(name string) (x, y float32, ok bool) {
	v := &u.view
	if v.rect.Empty() {
		return 0, 0, false
	}
	top := v.rect.Min.Y + v.inset
	left, width := v.rect.Min.X+v.inset, v.rect.Dx()-2*v.inset
	for i, row := range v.rowNames {
		if i >= len(v.rowH) {
			break
		}
		for c, n := range row {
			if n != name {
				continue
			}
			y := float32(top + v.rowH[i]/2)
			switch {
			case len(row) == 3:
				return float32(left) + (float32(c)+0.5)*float32(width)/3, y, true
			case len(row) == 1 && strings.HasPrefix(n, "follow:"):
				return float32(left + 40), y, true
			case c == 0:
				return float32(left + 30), y, true
			default:
				return float32(left + width - 12), y, true
			}
		}
		top += v.rowH[i]
	}
	return 0, 0, false
}

// ViewRect is where the view panel was drawn in the last frame (empty
// when it is closed).
func (u *UI) ViewRect() image.Rectangle { return u.view.rect }
