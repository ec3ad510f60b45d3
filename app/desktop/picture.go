package desktop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"visionflow/graph"
	"visionflow/picture"
	"visionflow/render"
)

// picturesDir is where pictures of the view are saved: --pictures, else
// the Pictures folder in the home folder, else beside the database.
func (d *desk) picturesDir() string {
	if d.cfg.Pictures != "" {
		return d.cfg.Pictures
	}
	if home, err := os.UserHomeDir(); err == nil {
		if dir := filepath.Join(home, "Pictures"); isDir(dir) {
			return dir
		}
	}
	return filepath.Dir(d.cfg.DB)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// picturePath names a new picture after the graph and the time, so
// pictures never overwrite each other.
func (d *desk) picturePath(ext string) string {
	name := "visionflow"
	if sc := d.sceneNow; sc != nil {
		name = strings.Map(func(r rune) rune {
			if r == '/' || r == '\\' || r == ':' || r < ' ' {
				return '-'
			}
			return r
		}, sc.graphID)
	}
	base := filepath.Join(d.picturesDir(), name+"-"+time.Now().Format("20060102-150405"))
	p := base + "." + ext
	for i := 2; fileExists(p); i++ {
		p = fmt.Sprintf("%s-%d.%s", base, i, ext)
	}
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// savePicture saves the view as the user sees it: "png" is the frame's 3D
// scene as drawn (read back before the panels are drawn over it), "svg"
// the same camera's 2D projection with the lens's colours, sizes and
// filters. The file is written off the GL thread; the notice line says
// where it went.
func (d *desk) savePicture(kind string) {
	path := d.picturePath(kind)
	var write func() error
	switch kind {
	case "png":
		px := render.ReadPixels(d.width, d.height)
		w, h := d.width, d.height
		write = func() error { return writePNG(path, px, w, h) }
	case "svg":
		c, opt, ok := d.sketchOfView()
		if !ok {
			d.m.say("Nothing to draw yet")
			return
		}
		write = func() error {
			pic, err := picture.Draw(c, opt)
			if err != nil {
				return err
			}
			return writeAtomic(path, pic.SVG)
		}
	default:
		return
	}
	d.m.bg.Go(func() {
		if err := write(); err != nil {
			d.log.Error("saving a picture failed", "file", path, "err", err)
			d.m.say("Could not save the picture: %v", err)
			return
		}
		d.log.Info("picture saved", "file", path)
		d.m.say("Picture saved: %s", path)
	})
}

// sketchOfView is the watched graph as the window shows it now: the
// latest positions, the lens's colours, sizes and hidden nodes, the
// camera and the window's size.
func (d *desk) sketchOfView() (graph.Contents, picture.Options, bool) {
	sc, pos := d.sceneNow, d.posNow
	if sc == nil || pos == nil || sc.graphNodes == 0 {
		return graph.Contents{}, picture.Options{}, false
	}
	at := make(map[graph.WireID]graph.Vec3, len(pos.Nodes))
	for _, n := range pos.Nodes {
		at[n.ID] = n.Position
	}
	c := graph.Contents{Info: graph.Info{ID: sc.graphID, Name: sc.name}}
	eye := d.cam.Eye()
	cam := picture.Camera{Eye: graph.Vec3{X: eye[0], Y: eye[1], Z: eye[2]}, Target: graph.Vec3{X: d.cam.Target[0], Y: d.cam.Target[1], Z: d.cam.Target[2]}, FovY: d.cam.FovY}
	opt := picture.Options{Width: d.width, Height: d.height, Camera: &cam, Labels: 40,
		Colours: make([][3]uint8, sc.graphNodes), Hidden: make([]bool, sc.graphNodes)}
	opt.Background = d.setNow.Background
	base := picture.DefaultColour
	if d.valsNow != nil {
		base = d.valsNow.rgb("nodes.baseColor")
	}
	p := d.paintNow
	for i, n := range sc.nodes[:sc.graphNodes] {
		c.Nodes = append(c.Nodes, graph.Node{ID: n.id, Label: n.label, Position: at[n.wire]})
		opt.Colours[i] = base
		if col, ok := p.colourOf(int32(i)); ok {
			opt.Colours[i] = col
		}
		opt.Hidden[i] = p.visOf(int32(i)) == visHidden
		if s := p.sizeOf(int32(i)); s > 0 {
			if opt.Sizes == nil {
				opt.Sizes = make([]float32, sc.graphNodes)
				for j := range opt.Sizes {
					opt.Sizes[j] = 1
				}
			}
			opt.Sizes[i] = s
		}
	}
	for k, e := range sc.edges[:sc.graphEdges] {
		a, okA := sc.byWire[e.a]
		b, okB := sc.byWire[e.b]
		if okA && okB {
			c.Edges = append(c.Edges, graph.Edge{ID: fmt.Sprint(k), Source: sc.nodes[a].id, Target: sc.nodes[b].id})
		}
	}
	opt.Width, opt.Height = min(max(opt.Width, 16), picture.MaxSide), min(max(opt.Height, 16), picture.MaxSide)
	return c, opt, true
}
