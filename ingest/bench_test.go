package ingest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"visionflow/graph"
	"visionflow/graph/gen"
)

// benchContents is a skewed graph of n nodes and 3n edges with positions,
// labels and a metadata field, as exports carry them.
func benchContents(n int) graph.Contents {
	g, _ := gen.Build("bench", n, 3*n, 1, graph.NewClock(nil))
	c := g.Contents()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range c.Nodes {
		c.Nodes[i].Label = fmt.Sprintf("Node %d", i)
		c.Nodes[i].Position = graph.Vec3{X: r.Float32() * 100, Y: r.Float32() * 100, Z: r.Float32() * 100}
		c.Nodes[i].Metadata = map[string]string{"group": fmt.Sprint(i % 17)}
	}
	return c
}

// BenchmarkRead reads a 100k-node, 300k-edge graph in each export format
// (make bench; figures in docs/BENCHMARKS.md).
func BenchmarkRead(b *testing.B) {
	c := benchContents(100_000)
	for _, format := range []string{"graphml", "gexf", "gml", "json", "csv"} {
		var buf bytes.Buffer
		if err := Export(&buf, c, format, nil); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		b.Run(format+"/100k", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				imp, _, err := Read(bytes.NewReader(data), "", format, DefaultLimits)
				if err != nil || imp.Nodes != 100_000 {
					b.Fatalf("%v", err)
				}
			}
		})
	}
}

// BenchmarkObsidianVault reads a vault of 5,000 notes in 50 folders, each
// with a front matter (aliases, tags), a dozen links of every form, an
// embed and inline tags.
func BenchmarkObsidianVault(b *testing.B) {
	const notes = 5000
	vault := MemFS{".obsidian/app.json": []byte("{}")}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range notes {
		var text strings.Builder
		fmt.Fprintf(&text, "---\naliases: [Alias %d]\ntags: [t%d, project/p%d]\nstatus: draft\n---\n# Note %d\n\n", i, i%40, i%7, i)
		for k := range 12 {
			j := r.IntN(notes)
			switch k % 4 {
			case 0:
				fmt.Fprintf(&text, "See [[Note %d]] and ", j)
			case 1:
				fmt.Fprintf(&text, "[[Note %d|that one]], ", j)
			case 2:
				fmt.Fprintf(&text, "[[Note %d#Heading]] or [[Alias %d]]. ", j, j)
			case 3:
				fmt.Fprintf(&text, "[more](f%d/Note%%20%d.md) #tag%d\n", j%50, j, k)
			}
		}
		text.WriteString("\n![[diagram.png]]\n```\n[[not a link]]\n```\n")
		vault[fmt.Sprintf("f%d/Note %d.md", i%50, i)] = []byte(text.String())
	}
	vault["diagram.png"] = []byte("png")
	b.ReportAllocs()
	for b.Loop() {
		imp, err := Obsidian(vault, nil)
		if err != nil || imp.Report.Notes != notes {
			b.Fatalf("%v", err)
		}
	}
}
