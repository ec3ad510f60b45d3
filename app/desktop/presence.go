package desktop

import (
	"image/color"
	"slices"
	"time"

	"github.com/go-gl/mathgl/mgl32"

	"visionflow/net/wire"
	"visionflow/render/overlay"
)

// presenceState is what the window last told its peers, and the peers it
// last read.
type presenceState struct {
	sent     wire.Presence
	sentAt   time.Time
	peers    []wire.Peer
	peersAt  time.Time
	peersFor string
}

// sharePresence tells the peers where the window is: its graph, its
// selection, the node it drags, its camera; when that changed, at most
// five times a second.
func (d *desk) sharePresence(now time.Time) {
	if d.sceneNow == nil || now.Sub(d.pres.sentAt) < 200*time.Millisecond {
		return
	}
	p := wire.Presence{Graph: d.sceneNow.graphID}
	if n := d.sceneNow.node(d.selected); n != nil && d.sceneNow.isGraphNode(n) {
		p.Selected = n.id
	}
	if d.in.gesture == gestureNode && d.in.moved {
		if n := d.sceneNow.node(d.in.node); n != nil {
			p.Editing = n.id
		}
	}
	eye := d.cam.Eye()
	p.Eye, p.Target = round3(eye), round3(d.cam.Target)
	if d.shareView {
		p.View = viewOf(&d.lens)
	}
	if samePresence(p, d.pres.sent) {
		return
	}
	select {
	case d.m.presence <- p:
		d.pres.sent, d.pres.sentAt = p, now
	default: // the last one has not gone yet: try again next frame
	}
}

// round3 keeps a camera to a tenth of a unit, so that a camera at rest is
// not sent again for float noise.
func round3(v mgl32.Vec3) []float32 {
	r := func(x float32) float32 { return float32(int64(x*10)) / 10 }
	return []float32{r(v[0]), r(v[1]), r(v[2])}
}

func samePresence(a, b wire.Presence) bool {
	return a.Graph == b.Graph && a.Selected == b.Selected && a.Editing == b.Editing && slices.Equal(a.Eye, b.Eye) && slices.Equal(a.Target, b.Target) &&
		samePresenceView(a.View, b.View)
}

// peerMarks are where the others are on this window's screen: a ring on
// each one's selected node, a triangle at each one's camera.
func (d *desk) peerMarks(now time.Time) []overlay.PeerMark {
	if d.sceneNow == nil {
		return nil
	}
	if now.Sub(d.pres.peersAt) >= 100*time.Millisecond || d.pres.peersFor != d.sceneNow.graphID {
		d.pres.peers, d.pres.peersAt, d.pres.peersFor = d.src.Peers(d.sceneNow.graphID), now, d.sceneNow.graphID
	}
	var out []overlay.PeerMark
	onScreen := func(p mgl32.Vec3) (float32, float32, bool) {
		x, y, _, ok := d.cam.Project(p, d.width, d.height)
		return x, y, ok && x >= 0 && y >= 0 && x <= float32(d.width) && y <= float32(d.height)
	}
	for _, peer := range d.pres.peers {
		col := nrgba(peer.Color)
		note := ""
		if peer.Editing != "" {
			if i, ok := d.sceneNow.byID[peer.Editing]; ok {
				note = "moving " + d.sceneNow.nodes[i].label
			}
		}
		if i, ok := d.sceneNow.byID[peer.Selected]; ok && peer.Selected != "" {
			if p, ok := d.position(d.sceneNow.nodes[i].wire); ok {
				if x, y, ok := onScreen(p); ok {
					out = append(out, overlay.PeerMark{Name: peer.Name, Note: note, Color: col, X: x, Y: y})
					note = ""
				}
			}
		}
		if len(peer.Eye) == 3 {
			if x, y, ok := onScreen(mgl32.Vec3{peer.Eye[0], peer.Eye[1], peer.Eye[2]}); ok {
				out = append(out, overlay.PeerMark{Name: peer.Name, Note: note, Color: col, X: x, Y: y, Camera: true})
			}
		}
	}
	return out
}

// nrgba is a peer's #rrggbb colour.
func nrgba(s string) color.NRGBA {
	c := parseColor(s)
	return color.NRGBA{R: c[0], G: c[1], B: c[2], A: 255}
}

// isGraphNode reports whether n is the watched graph's (not its swarm's).
func (s *scene) isGraphNode(n *nodeView) bool {
	i, ok := s.byID[n.id]
	return ok && i == s.byWire[n.wire]
}
