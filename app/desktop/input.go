package desktop

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gioui.org/f32"
	"gioui.org/io/input"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/io/transfer"
	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/go-gl/mathgl/mgl32"

	"visionflow/graph"
	"visionflow/render"
	"visionflow/render/overlay"
	"visionflow/settings"
)

type evKind int

const (
	evMove evKind = iota
	evPress
	evRelease
	evScroll
	evKey
	evChar
	evDrop // files or folders dropped on the window
)

// inputEvent is a GLFW event, queued by the callbacks (which run inside
// PollEvents) and handled in order at the start of the frame.
type inputEvent struct {
	kind   evKind
	x, y   float32 // framebuffer pixels
	button glfw.MouseButton
	mods   glfw.ModifierKey
	dx, dy float32 // scroll
	key    glfw.Key
	action glfw.Action
	r      rune
	paths  []string // dropped
	at     time.Time
}

// gesture is what a pressed mouse button is doing.
type gesture int

const (
	gestureNone    gesture = iota
	gestureOverlay         // the press landed on a panel: Gio has it
	gestureOrbit
	gesturePan
	gestureNode // pressed on a node: a click selects it, a drag moves it
)

type inputState struct {
	queue          []inputEvent
	x, y           float32
	buttons        pointer.Buttons
	gesture        gesture
	pressX, pressY float32
	moved          bool // beyond a click's tolerance since the press
	node           graph.WireID
	plane          mgl32.Vec3 // a point of the plane the dragged node moves in
	textFocus      bool
	ime            key.Range // the focused editor's selection, as our edits left it
	hoverDue       bool
	cursor         pointer.Cursor
	cursors        map[pointer.Cursor]*glfw.Cursor
}

// listen installs the GLFW callbacks.
func (d *desk) listen() {
	w := d.w.W
	scale := func() (float32, float32) {
		fw, fh := w.GetFramebufferSize()
		ww, wh := w.GetSize()
		if ww <= 0 || wh <= 0 {
			return 1, 1
		}
		return float32(fw) / float32(ww), float32(fh) / float32(wh)
	}
	push := func(e inputEvent) {
		e.at = time.Now()
		d.in.queue = append(d.in.queue, e)
	}
	w.SetCursorPosCallback(func(_ *glfw.Window, x, y float64) {
		sx, sy := scale()
		push(inputEvent{kind: evMove, x: float32(x) * sx, y: float32(y) * sy})
	})
	w.SetMouseButtonCallback(func(_ *glfw.Window, b glfw.MouseButton, a glfw.Action, mods glfw.ModifierKey) {
		k := evPress
		if a == glfw.Release {
			k = evRelease
		}
		push(inputEvent{kind: k, button: b, mods: mods})
	})
	w.SetScrollCallback(func(w *glfw.Window, dx, dy float64) {
		// Scrolls carry no modifiers in GLFW; they matter for trackpads.
		var mods glfw.ModifierKey
		for _, k := range scrollMods {
			if w.GetKey(k.key) == glfw.Press {
				mods |= k.mod
			}
		}
		push(inputEvent{kind: evScroll, dx: float32(dx), dy: float32(dy), mods: mods})
	})
	w.SetKeyCallback(func(_ *glfw.Window, k glfw.Key, _ int, a glfw.Action, mods glfw.ModifierKey) {
		push(inputEvent{kind: evKey, key: k, action: a, mods: mods})
	})
	w.SetCharCallback(func(_ *glfw.Window, r rune) { push(inputEvent{kind: evChar, r: r}) })
	w.SetDropCallback(func(_ *glfw.Window, names []string) {
		push(inputEvent{kind: evDrop, paths: slices.Clone(names)})
	})
	d.in.cursors = map[pointer.Cursor]*glfw.Cursor{
		pointer.CursorDefault:  glfw.CreateStandardCursor(glfw.ArrowCursor),
		pointer.CursorText:     glfw.CreateStandardCursor(glfw.IBeamCursor),
		pointer.CursorPointer:  glfw.CreateStandardCursor(glfw.HandCursor),
		pointer.CursorGrab:     glfw.CreateStandardCursor(glfw.HandCursor),
		pointer.CursorGrabbing: glfw.CreateStandardCursor(glfw.HandCursor),
	}
}

func buttonOf(b glfw.MouseButton) pointer.Buttons {
	switch b {
	case glfw.MouseButtonLeft:
		return pointer.ButtonPrimary
	case glfw.MouseButtonRight:
		return pointer.ButtonSecondary
	case glfw.MouseButtonMiddle:
		return pointer.ButtonTertiary
	}
	return 0
}

func modsOf(m glfw.ModifierKey) key.Modifiers {
	var k key.Modifiers
	if m&glfw.ModControl != 0 {
		k |= key.ModCtrl
	}
	if m&glfw.ModShift != 0 {
		k |= key.ModShift
	}
	if m&glfw.ModAlt != 0 {
		k |= key.ModAlt
	}
	if m&glfw.ModSuper != 0 {
		k |= key.ModSuper
	}
	return k
}

// keyNames maps GLFW keys to Gio's names for the keys editors use.
var keyNames = map[glfw.Key]key.Name{
	glfw.KeyLeft: key.NameLeftArrow, glfw.KeyRight: key.NameRightArrow, glfw.KeyUp: key.NameUpArrow, glfw.KeyDown: key.NameDownArrow,
	glfw.KeyEnter: key.NameReturn, glfw.KeyKPEnter: key.NameEnter, glfw.KeyEscape: key.NameEscape, glfw.KeyHome: key.NameHome,
	glfw.KeyEnd: key.NameEnd, glfw.KeyBackspace: key.NameDeleteBackward, glfw.KeyDelete: key.NameDeleteForward,
	glfw.KeyPageUp: key.NamePageUp, glfw.KeyPageDown: key.NamePageDown, glfw.KeyTab: key.NameTab, glfw.KeySpace: key.NameSpace,
}

func keyName(k glfw.Key) (key.Name, bool) {
	if n, ok := keyNames[k]; ok {
		return n, true
	}
	switch {
	case k >= glfw.KeyA && k <= glfw.KeyZ:
		return key.Name(rune('A' + k - glfw.KeyA)), true
	case k >= glfw.Key0 && k <= glfw.Key9:
		return key.Name(rune('0' + k - glfw.Key0)), true
	}
	return "", false
}

// handleInput hands this frame's events to Gio and to the 3D view: a
// pointer gesture belongs to whichever it started over.
func (d *desk) handleInput(now time.Time) {
	in := &d.in
	since := now.Sub(d.start)
	for _, e := range in.queue {
		switch e.kind {
		case evMove:
			dx, dy := e.x-in.x, e.y-in.y
			in.x, in.y = e.x, e.y
			// Gio turns moves with a button down into drags itself.
			d.router.Queue(pointer.Event{Kind: pointer.Move, Source: pointer.Mouse, Position: f32.Pt(e.x, e.y), Buttons: in.buttons, Time: since})
			in.hoverDue = true
			if in.buttons != 0 && math.Hypot(float64(e.x-in.pressX), float64(e.y-in.pressY)) > 4 {
				in.moved = true
			}
			d.drag(dx, dy)
		case evPress:
			b := buttonOf(e.button)
			in.buttons |= b
			d.router.Queue(pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Position: f32.Pt(in.x, in.y), Buttons: in.buttons, Modifiers: modsOf(e.mods), Time: since})
			if in.gesture == gestureNone {
				d.press(now, e)
			}
		case evRelease:
			in.buttons &^= buttonOf(e.button)
			d.router.Queue(pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: f32.Pt(in.x, in.y), Buttons: in.buttons, Modifiers: modsOf(e.mods), Time: since})
			if in.buttons == 0 {
				d.release()
			}
		case evScroll:
			d.router.Queue(pointer.Event{Kind: pointer.Scroll, Source: pointer.Mouse, Position: f32.Pt(in.x, in.y), Scroll: f32.Pt(-e.dx*40, -e.dy*40), Time: since})
			if !d.ui.Over(in.x, in.y) {
				d.scroll(e.dx, e.dy, e.mods)
			}
		case evKey:
			state := key.Press
			if e.action == glfw.Release {
				state = key.Release
			}
			if name, ok := keyName(e.key); ok {
				d.router.Queue(key.Event{Name: name, Modifiers: modsOf(e.mods), State: state})
			}
			switch {
			case in.textFocus && e.key == glfw.KeyEscape && e.action == glfw.Press:
				d.ui.Blur() // Esc gives the keyboard back to the view
			case !in.textFocus && e.action != glfw.Release:
				d.cameraKey(e.key, e.mods)
			}
		case evChar:
			if in.textFocus {
				d.insertText(string(e.r))
			}
		case evDrop:
			// A file or folder dropped on the window is imported, one at a
			// time: the first, and a word about the rest.
			if len(e.paths) > 0 {
				path := e.paths[0]
				if len(e.paths) > 1 {
					d.m.say("importing %s; drop the other %d one at a time", filepath.Base(path), len(e.paths)-1)
				}
				d.m.do(func(ctx context.Context) { d.m.importPath(ctx, path) })
			}
		}
	}
	in.queue = in.queue[:0]
}

// scrollMods are the modifier keys that change what a scroll does.
var scrollMods = [...]struct {
	key glfw.Key
	mod glfw.ModifierKey
}{{glfw.KeyLeftShift, glfw.ModShift}, {glfw.KeyRightShift, glfw.ModShift}, {glfw.KeyLeftAlt, glfw.ModAlt}, {glfw.KeyRightAlt, glfw.ModAlt}}

// scroll moves the camera for a wheel or a two-finger trackpad swipe:
// vertical zooms and horizontal orbits; with Shift both pan, with Alt
// (Option) both orbit. A wheel step is 1; trackpads send fractions.
func (d *desk) scroll(dx, dy float32, mods glfw.ModifierKey) {
	if dx == 0 && dy == 0 {
		return
	}
	d.userCamera()
	switch {
	case mods&glfw.ModShift != 0:
		d.cam.Pan(-dx*0.05, dy*0.05)
	case mods&glfw.ModAlt != 0:
		d.cam.Orbit(-dx*0.08, dy*0.08)
	default:
		d.cam.Orbit(-dx*0.08, 0)
		d.cam.Zoom(float32(math.Pow(0.88, float64(dy))))
	}
}

// userCamera marks the camera as the user's: automatic fitting stops.
func (d *desk) userCamera() {
	d.autoFit, d.flight = false, nil
	d.following = "" // the user takes the camera back
}

func (d *desk) press(now time.Time, e inputEvent) {
	in := &d.in
	in.pressX, in.pressY, in.moved = in.x, in.y, false
	if !d.ui.Over(in.x, in.y) {
		d.ui.Blur() // a click in the scene takes the keyboard from the panels
	}
	switch {
	case d.ui.Over(in.x, in.y):
		in.gesture = gestureOverlay
	case e.button == glfw.MouseButtonLeft && e.mods&glfw.ModShift == 0:
		in.gesture = gestureOrbit
		slot, hit, err := d.r.Pick(d.renderFrame(now), int(in.x), int(in.y))
		if err != nil {
			d.log.Error("picking failed", "err", err)
		}
		if hit && slot < len(d.order) {
			id := d.order[slot]
			if p, ok := d.position(id); ok {
				in.gesture, in.node, in.plane = gestureNode, id, p
			}
		}
	default:
		in.gesture = gesturePan
	}
}

func (d *desk) drag(dx, dy float32) {
	in := &d.in
	h := float32(max(d.height, 1))
	switch in.gesture {
	case gestureOrbit:
		if in.moved {
			d.userCamera()
			d.cam.Orbit(-dx/h*3, dy/h*3)
		}
	case gesturePan:
		d.userCamera()
		d.cam.Pan(-dx/h, dy/h)
	case gestureNode:
		if !in.moved {
			return
		}
		d.userCamera()
		// The node moves in the plane through it facing the camera.
		normal := d.cam.Eye().Sub(d.cam.Target).Normalize()
		o, dir := d.cam.Ray(in.x, in.y, d.width, d.height)
		den := dir.Dot(normal)
		if math.Abs(float64(den)) < 1e-6 {
			return
		}
		t := in.plane.Sub(o).Dot(normal) / den
		if t <= 0 {
			return
		}
		p := o.Add(dir.Mul(t))
		if n := d.sceneNow.node(in.node); n != nil {
			d.m.move(n.wire, graph.Vec3{X: p[0], Y: p[1], Z: p[2]})
		}
	}
}

func (d *desk) release() {
	in := &d.in
	switch {
	case in.gesture == gestureNode && !in.moved:
		id := in.node
		d.m.do(func(context.Context) { d.m.selectWire(id, false) })
	case in.gesture == gestureOrbit && !in.moved:
		// A click on empty space clears the selection.
		d.m.do(func(context.Context) { d.m.selectNode("", false) })
	}
	in.gesture, in.node = gestureNone, 0
}

// cameraKey handles keys while no text field has the keyboard.
func (d *desk) cameraKey(k glfw.Key, mods glfw.ModifierKey) {
	const turn = 0.08
	shift := mods&glfw.ModShift != 0
	move := func(dx, dy float32) {
		d.userCamera()
		if shift {
			d.cam.Pan(dx*0.05, dy*0.05)
		} else {
			d.cam.Orbit(dx*turn, dy*turn)
		}
	}
	switch k {
	case glfw.KeyLeft:
		move(-1, 0)
	case glfw.KeyRight:
		move(1, 0)
	case glfw.KeyUp:
		move(0, 1)
	case glfw.KeyDown:
		move(0, -1)
	case glfw.KeyEqual, glfw.KeyKPAdd, glfw.KeyPageUp:
		d.userCamera()
		d.cam.Zoom(0.85)
	case glfw.KeyMinus, glfw.KeyKPSubtract, glfw.KeyPageDown:
		d.userCamera()
		d.cam.Zoom(1 / 0.85)
	case glfw.KeyF:
		d.fit(true)
	case glfw.KeyEscape:
		d.m.do(func(context.Context) { d.m.selectNode("", false) })
	case glfw.KeySlash:
		d.ui.FocusSearch()
	case glfw.KeyV:
		d.ui.ToggleView()
	case glfw.KeyP:
		// A picture of the view: PNG as drawn, or with Shift the SVG of
		// its 2D projection.
		d.pictureDue = "png"
		if shift {
			d.pictureDue = "svg"
		}
	case glfw.KeyL:
		// The local graph around the selection: off, 1, 2, 3 links deep.
		depth := (d.lens.local + 1) % 4
		d.changeLens(&overlay.ViewAction{LocalDepth: &depth})
	case glfw.KeySpace:
		// Pause or resume the physics, through the settings like any change.
		on := d.valsNow != nil && d.valsNow.bool("physics.enabled")
		raw, _ := json.Marshal(!on)
		d.m.do(func(ctx context.Context) {
			d.m.setSettings(ctx, []settings.Update{{Path: "physics.enabled", Value: raw}})
		})
	}
}

// hover finds the node under the cursor, ten times a second at most,
// against the CPU positions (a GPU pick would stall the frame).
func (d *desk) hover(now time.Time, f *render.Frame) {
	in := &d.in
	if !in.hoverDue || in.gesture != gestureNone || now.Sub(d.lastHover) < 100*time.Millisecond {
		return
	}
	in.hoverDue = false
	d.lastHover = now
	var id graph.WireID
	if !d.ui.Over(in.x, in.y) {
		id = d.rayPick(in.x, in.y, f.Settings.NodeSize)
	}
	if id != d.hovered {
		d.touched = append(d.touched, d.hovered, id)
		d.hovered = id
	}
}

// rayPick returns the nearest node whose sphere the ray through a pixel
// meets, or 0.
func (d *desk) rayPick(x, y float32, nodeSize float32) graph.WireID {
	if d.posNow == nil {
		return 0
	}
	o, dir := d.cam.Ray(x, y, d.width, d.height)
	best, bestT := graph.WireID(0), float32(math.MaxFloat32)
	for _, n := range d.posNow.Nodes {
		if d.visible(n.ID) == visHidden {
			continue
		}
		c := mgl32.Vec3{n.Position.X, n.Position.Y, n.Position.Z}
		oc := c.Sub(o)
		t := oc.Dot(dir)
		if t <= 0 || t >= bestT {
			continue
		}
		// As drawn: a knowledge node's value is its degree; an agent's is
		// its progress, and agents have a size of their own (agentStyle).
		r := nodeSize * (1 + 0.5*float32(math.Log1p(float64(n.Value)))) * 1.15
		if n.ID.IsAgent() {
			r = nodeSize * 2.2 * 1.15
		} else if d.paintNow != nil && d.sceneNow != nil {
			if i, ok := d.sceneNow.byWire[n.ID]; ok {
				if size := d.paintNow.sizeOf(i); size > 0 {
					r = nodeSize * size * 1.15 // sized by a measure
				}
			}
		}
		if oc.LenSqr()-t*t <= r*r {
			best, bestT = n.ID, t
		}
	}
	return best
}

// insertText types text into the focused editor as a platform's input
// method does: it replaces the selection and then moves the caret after
// the text. Without the second step every character lands at the same
// place and a word comes out backwards. Several characters can arrive in
// one frame, before the editor reports its new selection, so the
// selection is followed here too.
func (d *desk) insertText(text string) {
	r := d.in.ime
	d.router.Queue(key.EditEvent{Range: r, Text: text})
	at := min(r.Start, r.End) + utf8.RuneCountInString(text)
	d.in.ime = key.Range{Start: at, End: at}
	d.router.Queue(key.SelectionEvent(d.in.ime))
}

// textInput follows Gio's keyboard focus, the focused editor's selection,
// the clipboard and the cursor after a frame.
func (d *desk) textInput() {
	switch d.router.TextInputState() {
	case input.TextInputOpen:
		d.in.textFocus = true
	case input.TextInputClose:
		d.in.textFocus = false
	}
	d.in.ime = d.router.EditorState().Selection.Range
	if _, content, ok := d.router.WriteClipboard(); ok {
		glfw.SetClipboardString(string(content))
	}
	if d.router.ClipboardRequested() {
		text := glfw.GetClipboardString()
		d.router.Queue(transfer.DataEvent{Type: "application/text", Open: func() io.ReadCloser {
			return io.NopCloser(strings.NewReader(text))
		}})
	}
	if c := d.router.Cursor(); c != d.in.cursor {
		d.in.cursor = c
		cur := d.in.cursors[c]
		if cur == nil {
			cur = d.in.cursors[pointer.CursorDefault]
		}
		d.w.W.SetCursor(cur)
	}
}
