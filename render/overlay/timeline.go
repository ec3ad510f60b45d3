package overlay

import (
	"fmt"
	"image"
	"math"
	"time"

	"gioui.org/layout"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"
)

// Timeline is the graph's history as the timeline strip shows it.
type Timeline struct {
	Seq     uint64    // the graph's last event
	At      uint64    // the event the scene shows (0: live)
	When    time.Time // of that event
	Playing bool
	Changes []string // who changed what up to At, the newest last
}

type timelineState struct {
	btn, live, play widget.Clickable
	slider          widget.Float
	show            bool
	lastAt          uint64
}

func (u *UI) timelineButton(gtx layout.Context) layout.Dimensions {
	if u.timeline.btn.Clicked(gtx) {
		u.timeline.show = !u.timeline.show
	}
	return layout.Inset{Right: unit.Dp(8)}.Layout(gtx, material.Button(u.th, &u.timeline.btn, "History").Layout)
}

// ShowTimeline opens or closes the timeline strip.
func (u *UI) ShowTimeline(show bool) { u.timeline.show = show }

// timelineStrip is the bottom strip: Live, Play, a slider over every
// change of the graph, when the change shown was made and the changes up
// to it.
func (u *UI) timelineStrip(gtx layout.Context, t *Timeline, act *Actions) layout.Dimensions {
	if t.Seq == 0 {
		return material.Body2(u.th, "This graph has no history yet.").Layout(gtx)
	}
	st := &u.timeline
	if u.timeline.live.Clicked(gtx) {
		act.TimelineLive = true
	}
	if u.timeline.play.Clicked(gtx) {
		if t.Playing {
			act.TimelinePause = true
		} else {
			act.TimelinePlay = true
		}
	}
	// The slider follows the scene unless the user holds it.
	shown := t.At
	if shown == 0 {
		shown = t.Seq
	}
	if st.slider.Update(gtx) {
		at := uint64(math.Round(float64(st.slider.Value) * float64(t.Seq)))
		at = max(at, 1)
		if at != st.lastAt {
			act.TimelineAt, st.lastAt = at, at
		}
	} else if !st.slider.Dragging() {
		st.slider.Value = float32(shown) / float32(t.Seq)
		st.lastAt = shown
	}
	caption := fmt.Sprintf("Live · %d changes", t.Seq)
	if t.At != 0 {
		caption = fmt.Sprintf("As of %s · change %d of %d · edits are off until Live", t.When.Local().Format("2006-01-02 15:04:05"), t.At, t.Seq)
	}
	play := "Play"
	if t.Playing {
		play = "Pause"
	}
	rows := []layout.FlexChild{
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Rigid(material.Button(u.th, &st.live, "Live").Layout),
				layout.Rigid(layout.Spacer{Width: unit.Dp(6)}.Layout),
				layout.Rigid(material.Button(u.th, &st.play, play).Layout),
				layout.Rigid(layout.Spacer{Width: unit.Dp(8)}.Layout),
				layout.Flexed(1, material.Slider(u.th, &st.slider).Layout),
			)
		}),
		layout.Rigid(material.Caption(u.th, caption).Layout),
	}
	for _, c := range t.Changes {
		rows = append(rows, layout.Rigid(material.Caption(u.th, c).Layout))
	}
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx, rows...)
}

// timelineAt lays the strip out at the bottom of the window.
func (u *UI) timelineAt(gtx layout.Context, t *Timeline, act *Actions) {
	h := gtx.Dp(150)
	y := gtx.Constraints.Max.Y - h - gtx.Dp(34)
	off := opOffset(gtx, image.Pt(0, y))
	g := gtx
	g.Constraints = layout.Constraints{Min: image.Pt(gtx.Constraints.Max.X, 0), Max: image.Pt(gtx.Constraints.Max.X, h)}
	u.panel(g, &u.timelineRect, func(gtx layout.Context) layout.Dimensions { return u.timelineStrip(gtx, t, act) })
	u.timelineRect = u.timelineRect.Add(image.Pt(0, y))
	off.Pop()
}
