package desktop

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// saved is the one file with ext in dir, once it is whole ("" until then).
func saved(dir, ext string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "*."+ext))
	if len(m) != 1 {
		return ""
	}
	return m[0]
}

// Saving pictures of the view as a user would: P writes a PNG of the
// scene as drawn (the window's size, the graph on it); the view panel's
// SVG button writes the 2D projection with the lens's colours, one circle
// per shown node.
func TestSavingPicturesOfTheView(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	cfg.Width, cfg.Height = 900, 700
	cfg.Pictures = t.TempDir()
	var coreColour string
	runDesk(t, cfg, script(t, 40*time.Second,
		settled(),
		step{"P saves a PNG", func(d *desk) bool {
			tap(d, glfw.KeyP)
			return true
		}},
		step{"the PNG is written, as large as the window, with the graph on it", func(d *desk) bool {
			path := saved(cfg.Pictures, "png")
			if path == "" {
				return false
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("read %s: %v", path, err)
				return true
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Errorf("%s: %v", path, err)
				return true
			}
			if img.Bounds().Dx() != d.width || img.Bounds().Dy() != d.height {
				t.Errorf("PNG %v, window %d×%d", img.Bounds(), d.width, d.height)
			}
			bg := d.setNow.Background
			other := 0
			for y := 0; y < img.Bounds().Dy(); y += 4 {
				for x := 0; x < img.Bounds().Dx(); x += 4 {
					r, g, b, _ := img.At(x, y).RGBA()
					if [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)} != bg {
						other++
					}
				}
			}
			if other < 200 {
				t.Errorf("the PNG is background but for %d samples", other)
			}
			if !strings.Contains(d.m.notice.Load().text, path) {
				t.Errorf("notice %q does not say where the picture went", d.m.notice.Load().text)
			}
			return true
		}},
		step{"V opens the view panel", func(d *desk) bool {
			tap(d, glfw.KeyV)
			return true
		}},
		step{"colour by group", func(d *desk) bool { return d.ui.ViewShown() && clickView(t, d, "option:meta:group") }},
		step{"repainted", func(d *desk) bool {
			if d.lens.colourBy != "meta:group" || d.repaint || d.paintNow == nil || len(d.paintNow.legend.Classes) == 0 {
				return false
			}
			for _, c := range d.paintNow.legend.Classes {
				if c.Key == "core" {
					coreColour = fmt.Sprintf("#%02x%02x%02x", c.Color[0], c.Color[1], c.Color[2])
				}
			}
			return true
		}},
		step{"the SVG button", func(d *desk) bool { return clickView(t, d, "save:svg") }},
		step{"the SVG is written: a circle per node, coloured as the lens colours them", func(d *desk) bool {
			path := saved(cfg.Pictures, "svg")
			if path == "" {
				return false
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("read %s: %v", path, err)
				return true
			}
			dec := xml.NewDecoder(bytes.NewReader(b))
			circles, core := 0, 0
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Errorf("%s does not parse: %v", path, err)
					return true
				}
				if e, ok := tok.(xml.StartElement); ok && e.Name.Local == "circle" {
					circles++
					for _, a := range e.Attr {
						if a.Name.Local == "fill" && a.Value == coreColour {
							core++
						}
					}
				}
			}
			if circles != d.sceneNow.graphNodes {
				t.Errorf("%d circles for %d nodes", circles, d.sceneNow.graphNodes)
			}
			if core == 0 {
				t.Errorf("no circle in the core group's colour %s", coreColour)
			}
			return true
		}},
	))
}
