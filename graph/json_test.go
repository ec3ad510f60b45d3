package graph

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// encodingJSON is what AppendJSON must match: json.Encoder without HTML
// escaping, as the server encoded graphs before.
func encodingJSON(t testing.TB, c Contents) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	g := randomGraph(r, 300, 700)
	c := g.Contents()
	odd := []string{"", "plain", `quote " and \ back`, "tab\tnew\nline\r", "\x00\x01\x1f\x7f", "<html>&amp;", "ünïcödé 日本", "\u2028\u2029", "bad \xff utf8 \xc3", "emoji 🎉"}
	floats := []float32{0, -0, 1, -1, 0.1, 1e-7, -1e-7, 1e-6, 9.99e-7, 1e20, 1e21, 3.4e38, math.SmallestNonzeroFloat32, 123456.789, 1.0 / 3}
	for i := range c.Nodes {
		n := &c.Nodes[i]
		n.Label = odd[i%len(odd)]
		n.Position = Vec3{floats[i%len(floats)], floats[(i+3)%len(floats)], -floats[(i+7)%len(floats)]}
		if i%4 == 0 {
			n.Metadata = map[string]string{odd[(i+1)%len(odd)] + "k": odd[(i+2)%len(odd)], "a": "1", "z": ""}
		}
		n.Pinned = i%5 == 0
	}
	for i := range c.Edges {
		c.Edges[i].Label = odd[i%len(odd)]
		c.Edges[i].Weight = floats[i%len(floats)]
	}
	c.Name = "name \"quoted\" <b>"
	c.Created = time.Date(2026, 12, 2, 21, 0, 0, 123456789, time.UTC)
	want := encodingJSON(t, c)
	got, err := c.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("differs at byte %d:\n got %q\nwant %q", i, got[max(0, i-40):min(len(got), i+40)], want[max(0, i-40):min(len(want), i+40)])
	}
	var streamed bytes.Buffer
	if err := c.WriteJSON(&streamed); err != nil || !bytes.Equal(streamed.Bytes(), want) {
		t.Errorf("WriteJSON differs (%v)", err)
	}
	empty := Contents{Info: c.Info}
	if got, _ := empty.AppendJSON(nil); !bytes.Equal(got, encodingJSON(t, empty)) {
		t.Errorf("empty graph: %s", got)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("plain", float32(1.5))
	f.Add("\u2028\xff\"\\\x00<>&", float32(1e-7))
	f.Fuzz(func(t *testing.T, s string, x float32) {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return
		}
		c := Contents{Info: Info{ID: s, Name: s}, Nodes: []Node{{ID: s, Label: s, Position: Vec3{x, -x, x / 3}, Metadata: map[string]string{s: s}}},
			Edges: []Edge{{ID: s, Source: s, Target: s, Label: s, Weight: x}}}
		got, err := c.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := encodingJSON(t, c); !bytes.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

func BenchmarkContentsJSON(b *testing.B) {
	g := randomGraph(rand.New(rand.NewPCG(1, 2)), 64_000, 245_000)
	c := g.Contents()
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			b.SetBytes(int64(len(encodingJSON(b, c))))
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf, _ = c.AppendJSON(buf[:0])
			b.SetBytes(int64(len(buf)))
		}
	})
}
