package picture

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Image rasterises the picture, antialiased: the edges as one path in
// one translucent colour (so crossings do not darken), each node as a disc
// with a thin dark rim, farthest first, then the labels with a halo.
func (p *Picture) Image() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, p.Width, p.Height))
	bg := p.Background
	draw.Draw(img, img.Bounds(), image.NewUniform(color.NRGBA{bg[0], bg[1], bg[2], 255}), image.Point{}, draw.Src)
	if len(p.Lines) > 0 {
		r := vector.NewRasterizer(p.Width, p.Height)
		const half = 0.45
		for _, l := range p.Lines {
			dx, dy := l[2]-l[0], l[3]-l[1]
			n := float32(math.Hypot(float64(dx), float64(dy)))
			if n < 0.01 {
				continue
			}
			nx, ny := -dy/n*half, dx/n*half
			r.MoveTo(l[0]+nx, l[1]+ny)
			r.LineTo(l[2]+nx, l[3]+ny)
			r.LineTo(l[2]-nx, l[3]-ny)
			r.LineTo(l[0]-nx, l[1]-ny)
			r.ClosePath()
		}
		r.Draw(img, img.Bounds(), image.NewUniform(color.NRGBA{0x9f, 0xb4, 0xd6, 72}), image.Point{})
	}
	rim := image.NewUniform(color.NRGBA{0x0a, 0x0e, 0x1a, 255})
	for _, d := range p.Dots {
		disc(img, d.X, d.Y, d.R+0.6, rim)
		disc(img, d.X, d.Y, d.R, image.NewUniform(color.NRGBA{d.Colour[0], d.Colour[1], d.Colour[2], 255}))
	}
	if len(p.Labels) > 0 {
		face, err := labelFace()
		if err == nil {
			for _, i := range p.Labels {
				b := p.labelBox(i)
				text := labelText(p.Dots[i].Label)
				at := fixed.P(int(b[0]), int(p.Dots[i].Y+LabelSize*0.35))
				halo := &font.Drawer{Dst: img, Src: rim, Face: face}
				for _, o := range [][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
					halo.Dot = at.Add(fixed.P(o[0], o[1]))
					halo.DrawString(text)
				}
				(&font.Drawer{Dst: img, Src: image.NewUniform(color.NRGBA{0xe8, 0xec, 0xf4, 255}), Face: face, Dot: at}).DrawString(text)
			}
		}
	}
	return img
}

// disc draws an antialiased filled circle through a rasteriser the size
// of its bounding box, so small discs cost little whatever the picture's
// size.
func disc(dst *image.NRGBA, cx, cy, r float32, src image.Image) {
	x0, y0 := int(math.Floor(float64(cx-r)))-1, int(math.Floor(float64(cy-r)))-1
	x1, y1 := int(math.Ceil(float64(cx+r)))+1, int(math.Ceil(float64(cy+r)))+1
	box := image.Rect(x0, y0, x1, y1).Intersect(dst.Bounds())
	if box.Empty() {
		return
	}
	ras := vector.NewRasterizer(box.Dx(), box.Dy())
	lx, ly := cx-float32(box.Min.X), cy-float32(box.Min.Y)
	// Four cubic Béziers make a circle within 0.03% of its radius.
	const k = 0.5523
	ras.MoveTo(lx+r, ly)
	ras.CubeTo(lx+r, ly+k*r, lx+k*r, ly+r, lx, ly+r)
	ras.CubeTo(lx-k*r, ly+r, lx-r, ly+k*r, lx-r, ly)
	ras.CubeTo(lx-r, ly-k*r, lx-k*r, ly-r, lx, ly-r)
	ras.CubeTo(lx+k*r, ly-r, lx+r, ly-k*r, lx+r, ly)
	ras.ClosePath()
	ras.Draw(dst, box, src, image.Point{})
}

// PNG writes the picture as a PNG.
func (p *Picture) PNG(w io.Writer) error {
	if err := png.Encode(w, p.Image()); err != nil {
		return fmt.Errorf("sketch: encode PNG: %w", err)
	}
	return nil
}

var labelFace = sync.OnceValues(func() (font.Face, error) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("sketch: label font: %w", err)
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: LabelSize, DPI: 72, Hinting: font.HintingFull})
})
