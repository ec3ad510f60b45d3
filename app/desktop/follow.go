package desktop

import (
	"context"
	"maps"
	"reflect"
	"slices"

	"github.com/go-gl/mathgl/mgl32"

	"visionflow/net/wire"
	"visionflow/render/overlay"
)

// viewOf is the lens as the window shares it with its peers.
func viewOf(l *lens) *wire.View {
	v := &wire.View{ColourBy: l.colourBy, SizeBy: l.sizeBy, Only: l.only, Local: l.local, DimRest: !l.hideRest,
		HideOrphans: l.orphans, HideLinkOnly: l.linkOnly, MinDegree: l.minDeg}
	for k, on := range l.hidden {
		if on {
			v.Hidden = append(v.Hidden, k)
		}
	}
	slices.Sort(v.Hidden)
	return v
}

// lensOf is a peer's shared view as this window's lens.
func lensOf(v *wire.View) lens {
	l := lens{colourBy: v.ColourBy, sizeBy: v.SizeBy, only: v.Only, local: min(max(v.Local, 0), 3), hideRest: !v.DimRest,
		orphans: v.HideOrphans, linkOnly: v.HideLinkOnly, minDeg: max(v.MinDegree, 0)}
	if len(v.Hidden) > 0 {
		l.hidden = map[string]bool{}
		for _, k := range v.Hidden {
			l.hidden[k] = true
		}
	}
	return l
}

func sameLens(a, b lens) bool {
	return a.colourBy == b.colourBy && a.sizeBy == b.sizeBy && a.only == b.only && a.local == b.local && a.hideRest == b.hideRest &&
		a.orphans == b.orphans && a.linkOnly == b.linkOnly && a.minDeg == b.minDeg && maps.Equal(a.hidden, b.hidden)
}

// follow keeps the window on the view and camera of the peer it follows,
// for as long as that peer shares them; it stops, saying so, when the peer
// goes or stops sharing.
func (d *desk) follow() {
	if d.following == "" {
		return
	}
	i := slices.IndexFunc(d.pres.peers, func(p wire.Peer) bool { return p.ID == d.following })
	if i < 0 || d.pres.peers[i].View == nil {
		d.following = ""
		d.m.say("the view you followed is no longer shared")
		return
	}
	p := d.pres.peers[i]
	if l := lensOf(p.View); !sameLens(l, d.lens) {
		d.lens = l
		d.repaint = true
	}
	if p.Selected != "" && d.sceneNow != nil {
		if j, ok := d.sceneNow.byID[p.Selected]; ok && d.sceneNow.nodes[j].wire != d.selected {
			id := p.Selected
			d.m.do(func(context.Context) { d.m.selectNode(id, false) })
		}
	}
	if len(p.Eye) == 3 && len(p.Target) == 3 {
		d.cam.LookFrom(mgl32.Vec3{p.Eye[0], p.Eye[1], p.Eye[2]}, mgl32.Vec3{p.Target[0], p.Target[1], p.Target[2]})
		d.autoFit, d.flight = false, nil
	}
}

// sharing adds what the view panel needs to follow and share views.
func (d *desk) sharing(lg *overlay.Legend) {
	lg.Sharing, lg.Following = d.shareView, d.following
	for _, p := range d.pres.peers {
		if p.View != nil {
			lg.Peers = append(lg.Peers, overlay.LegendPeer{ID: p.ID, Name: p.Name, Color: p.Color})
		}
	}
}

func samePresenceView(a, b *wire.View) bool { return reflect.DeepEqual(a, b) }
