package picture

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// SVG writes the picture as an SVG document: the edges as one path, then
// a circle per node, then the labels. Inkscape, browsers and print
// pipelines read it.
func (p *Picture) SVG(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	num := func(v float32) string { return strconv.FormatFloat(float64(v), 'f', 1, 32) }
	hex := func(c [3]uint8) string { return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2]) }
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">
<rect width="100%%" height="100%%" fill="%s"/>
`, p.Width, p.Height, p.Width, p.Height, hex(p.Background))
	if len(p.Lines) > 0 {
		bw.WriteString(`<path fill="none" stroke="#9fb4d6" stroke-opacity="0.28" stroke-width="0.8" d="`)
		for _, l := range p.Lines {
			bw.WriteString("M" + num(l[0]) + " " + num(l[1]) + "L" + num(l[2]) + " " + num(l[3]))
		}
		bw.WriteString("\"/>\n")
	}
	bw.WriteString("<g stroke=\"#0a0e1a\" stroke-width=\"0.6\">\n")
	for _, d := range p.Dots {
		fmt.Fprintf(bw, `<circle cx="%s" cy="%s" r="%s" fill="%s"/>`+"\n", num(d.X), num(d.Y), num(d.R), hex(d.Colour))
	}
	bw.WriteString("</g>\n")
	if len(p.Labels) > 0 {
		fmt.Fprintf(bw, `<g font-family="Go, DejaVu Sans, sans-serif" font-size="%d" fill="#e8ecf4" paint-order="stroke" stroke="#0a0e1a" stroke-width="3">`+"\n", LabelSize)
		for _, i := range p.Labels {
			b := p.labelBox(i)
			fmt.Fprintf(bw, `<text x="%s" y="%s">`, num(b[0]), num(p.Dots[i].Y+LabelSize*0.35))
			xml.EscapeText(bw, []byte(labelText(p.Dots[i].Label)))
			bw.WriteString("</text>\n")
		}
		bw.WriteString("</g>\n")
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}
