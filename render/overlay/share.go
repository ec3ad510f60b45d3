package overlay

import (
	"image"
	"image/color"

	"gioui.org/layout"
	"gioui.org/op/paint"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"
)

// SharePanel is what the share panel shows: how peers can join, and the
// last link made.
type SharePanel struct {
	// Status says whether and how this session is shared ("Shared on
	// 192.168.1.20:7733", "Only this machine can reach this session: start
	// with --share").
	Status string
	// CanMake is set when this window may make links (a shared local
	// session, or a host that took this window's token as an admin's).
	CanMake bool
	Link    string      // the last link made: the host's URL with #token=
	Role    string      // its role
	QR      image.Image // the link as a QR code
}

// shareRoles are the roles a link can give.
var shareRoles = []string{"viewer", "editor", "agent"}

type shareState struct {
	btn     widget.Clickable
	make    [3]widget.Clickable
	link    widget.Selectable
	show    bool
	qrOp    paint.ImageOp
	qrOf    image.Image
	linkFor string
}

func (u *UI) shareButton(gtx layout.Context) layout.Dimensions {
	if u.share.btn.Clicked(gtx) {
		u.share.show = !u.share.show
	}
	return layout.Inset{Right: unit.Dp(8)}.Layout(gtx, material.Button(u.th, &u.share.btn, "Share").Layout)
}

func (u *UI) sharePanel(gtx layout.Context, p *SharePanel, act *Actions) layout.Dimensions {
	rows := []layout.Widget{material.H6(u.th, "Share this session").Layout, material.Body2(u.th, p.Status).Layout}
	if p.CanMake {
		rows = append(rows, material.Caption(u.th, "Make a link that lets someone join as:").Layout)
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			var kids []layout.FlexChild
			for i, r := range shareRoles {
				if u.share.make[i].Clicked(gtx) {
					act.ShareRole = r
				}
				kids = append(kids, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return layout.Inset{Right: unit.Dp(6)}.Layout(gtx, material.Button(u.th, &u.share.make[i], r).Layout)
				}))
			}
			return layout.Flex{}.Layout(gtx, kids...)
		})
	}
	if p.Link != "" {
		rows = append(rows, material.Caption(u.th, "A link for a "+p.Role+" (shown only now: copy it, or scan the code):").Layout)
		if u.share.linkFor != p.Link {
			u.share.link.SetText(p.Link)
			u.share.linkFor = p.Link
		}
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			l := material.Body2(u.th, p.Link)
			l.State = &u.share.link
			l.Color = color.NRGBA{R: 255, G: 230, B: 120, A: 255}
			return l.Layout(gtx)
		})
		rows = append(rows, material.Caption(u.th, "visionflow --join '"+p.Link+"'").Layout)
	}
	if p.QR != nil {
		if u.share.qrOf != p.QR {
			u.share.qrOp, u.share.qrOf = paint.NewImageOp(p.QR), p.QR
		}
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			size := gtx.Dp(180)
			img := widget.Image{Src: u.share.qrOp, Fit: widget.Contain, Scale: float32(size) / float32(p.QR.Bounds().Dx()) / gtx.Metric.PxPerDp}
			g := gtx
			g.Constraints = layout.Exact(image.Pt(size, size))
			return img.Layout(g)
		})
	}
	var kids []layout.FlexChild
	for _, r := range rows {
		kids = append(kids, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Bottom: unit.Dp(6)}.Layout(gtx, r)
		}))
	}
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx, kids...)
}

// ShowShare opens or closes the share panel.
func (u *UI) ShowShare(show bool) { u.share.show = show }

// Corner is where the History and Share buttons are (History left, Share
// right), as last laid out.
func (u *UI) Corner() image.Rectangle { return u.cornerRect }

// Shown reports whether the share panel and the timeline are open.
func (u *UI) Shown() (share, timeline bool) { return u.share.show, u.timeline.show }
