package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"visionflow/graph"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func fieldOf(err error) string {
	var ge *graph.Error
	if errors.As(err, &ge) {
		return ge.Field
	}
	return ""
}

func TestInputValidation(t *testing.T) {
	good := Input{AgentID: "a", Content: "the parser handles shaders", Type: "fact", Links: []string{"n1", "n2"}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		change func(*Input)
		field  string
	}{
		{func(in *Input) { in.AgentID = "" }, "agentId"},
		{func(in *Input) { in.Content = "  " }, "content"},
		{func(in *Input) { in.Content = strings.Repeat("x", 10<<20) }, "content"},
		{func(in *Input) { in.Content = "\xff\xfe" }, "content"},
		{func(in *Input) { in.Type = "Big Idea" }, "type"},
		{func(in *Input) { in.Type = "" }, "type"},
		{func(in *Input) { in.Importance = new(1.5) }, "importance"},
		{func(in *Input) { in.Importance = new(math.NaN()) }, "importance"},
		{func(in *Input) { in.Links = []string{"a", "a"} }, "links[1]"},
		{func(in *Input) { in.Links = []string{"a\x01"} }, "links[0]"},
		{func(in *Input) { in.Links = make([]string, MaxLinks+1) }, "links"},
	} {
		in := good
		in.Links = slices.Clone(good.Links)
		c.change(&in)
		if err := in.Validate(); fieldOf(err) != c.field {
			t.Errorf("want a %s error, got %v", c.field, err)
		}
	}
	var in Input
	if err := json.Unmarshal([]byte(`{"agentId":"a","content":"x","type":"fact","agent":"b"}`), &in); err == nil || !strings.Contains(err.Error(), "agent") {
		t.Errorf("an unknown field: %v", err)
	}
}

func TestQueryValidation(t *testing.T) {
	q := Query{Text: "shaders"}
	if err := q.Validate(); err != nil || q.K != DefaultK {
		t.Fatalf("%v %+v", err, q)
	}
	for _, c := range []struct {
		q     Query
		field string
	}{
		{Query{Text: ""}, "q"},
		{Query{Text: "x", K: 1_000_000}, "k"},
		{Query{Text: "x", K: -1}, "k"},
		{Query{Text: strings.Repeat("q", MaxQueryBytes+1)}, "q"},
		{Query{Text: "x", Agent: "a\x01"}, "agent"},
		{Query{Text: "x", Type: "NOPE"}, "type"},
	} {
		if err := c.q.Validate(); fieldOf(err) != c.field {
			t.Errorf("%+v: want a %s error, got %v", c.q, c.field, err)
		}
	}
}

func TestImportanceAndRank(t *testing.T) {
	short := BaseImportance("ok", "observation", 0)
	long := BaseImportance(strings.Repeat("word ", 500), "observation", 0)
	linked := BaseImportance("ok", "observation", 4)
	fact := BaseImportance("ok", "fact", 0)
	if !(short < long && short < linked && short < fact) || long > 1 || short < 0 {
		t.Errorf("importance: short %v long %v linked %v fact %v", short, long, linked, fact)
	}
	if Rank(0.8, 1, 0) <= Rank(0.8, 0, 0) || Rank(0.8, 0.5, 0) <= Rank(0.8, 0.5, 30*24*time.Hour) || Rank(0.9, 0, 365*24*time.Hour) <= Rank(0.6, 1, 0) {
		t.Error("rank: importance and recency break ties; similarity leads")
	}
}

func cos(a, b []float32) float64 { return float64(dot(a, b)) }

func TestLocalEmbedder(t *testing.T) {
	l := NewLocal()
	corpus := []string{
		"The parser reads GLSL shaders and reports compile errors.",
		"Agents renew their task leases with heartbeats.",
		"The dead-letter queue keeps failed work for an operator.",
		"Barnes-Hut octree speeds up repulsion between nodes.",
	}
	for _, c := range corpus {
		l.Observe(c)
	}
	vs, _ := l.Embed(context.Background(), append(corpus, "parsing shader compile errors", "", "the of and"))
	for i, v := range vs[:5] {
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if len(v) != LocalDims || math.Abs(n-1) > 1e-4 {
			t.Errorf("vector %d: %d dims, length² %v", i, len(v), n)
		}
	}
	q := vs[4]
	best := -1.0
	for i := range corpus {
		if c := cos(q, vs[i]); c > best {
			best = c
			if i != 0 {
				t.Errorf("%q is closer to %q (%.3f) than to the parser", "parsing shader compile errors", corpus[i], c)
			}
		}
	}
	if best < 0.3 {
		t.Errorf("stems and inflections should match: cosine %.3f", best)
	}
	if slices.ContainsFunc(vs[5], func(x float32) bool { return x != 0 }) {
		t.Error("an empty text has a vector")
	}
	// The same text, the same vector; a word every text holds weighs less.
	again, _ := l.Embed(context.Background(), corpus[:1])
	if !slices.Equal(again[0], vs[0]) {
		t.Error("embedding is not deterministic")
	}
	if l.Docs() != 4 {
		t.Errorf("docs %d", l.Docs())
	}
	for _, c := range corpus {
		l.Forget(c)
	}
	if l.Docs() != 0 || len(l.df) != 0 {
		t.Errorf("after forgetting all: %d docs, %d terms", l.Docs(), len(l.df))
	}
}

// randomUnit returns a random unit vector.
func randomUnit(r *rand.Rand, dims int) []float32 {
	v := make([]float64, dims)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return normalise(v)
}

// The index's search is the brute-force ranking, filters applied; removals
// keep it so; other embedders' vectors are counted, never compared.
func TestIndexMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := NewIndex()
	type rec struct {
		e   Entry
		vec []float32
	}
	var all []rec
	for i := range 3000 {
		e := Entry{ID: fmt.Sprintf("m%04d", i), Agent: fmt.Sprintf("a%d", i%5), Type: []string{"fact", "plan"}[i%2],
			Importance: r.Float64(), Created: t0.Add(-time.Duration(r.IntN(1000)) * time.Hour)}
		v := randomUnit(r, 16)
		if err := x.Add(e, "e1", v); err != nil {
			t.Fatal(err)
		}
		all = append(all, rec{e, v})
	}
	for i := range 50 {
		x.Add(Entry{ID: fmt.Sprintf("o%02d", i)}, "e2", randomUnit(r, 8))
	}
	if err := x.Add(Entry{ID: "bad"}, "e1", make([]float32, 3)); err == nil {
		t.Error("a vector of the wrong size went in")
	}
	// Remove a third.
	for i := 0; i < len(all); i += 3 {
		if !x.Remove(all[i].e.ID) {
			t.Fatalf("remove %s", all[i].e.ID)
		}
	}
	all = slices.DeleteFunc(all, func(r rec) bool { n := 0; fmt.Sscanf(r.e.ID, "m%d", &n); return n%3 == 0 })
	if x.Len() != len(all)+50 || x.Embedders()["e2"] != 50 {
		t.Fatalf("len %d, embedders %v", x.Len(), x.Embedders())
	}
	for trial := range 20 {
		q := Query{K: 1 + trial%12}
		if trial%3 == 1 {
			q.Agent = "a2"
		}
		if trial%4 == 2 {
			q.Type = "plan"
		}
		qv := randomUnit(r, 16)
		var want []Scored
		for _, rc := range all {
			if (q.Agent != "" && rc.e.Agent != q.Agent) || (q.Type != "" && rc.e.Type != q.Type) {
				continue
			}
			c := cos(qv, rc.vec)
			want = append(want, Scored{Entry: rc.e, Cosine: c, Score: Rank(c, rc.e.Importance, t0.Sub(rc.e.Created))})
		}
		slices.SortFunc(want, better)
		want = want[:min(q.K, len(want))]
		got, searched, skipped := x.Search("e1", qv, q, t0)
		if skipped != 50 || searched == 0 {
			t.Errorf("searched %d, skipped %d", searched, skipped)
		}
		if len(got) != len(want) {
			t.Fatalf("trial %d: %d hits, want %d", trial, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID || math.Abs(got[i].Score-want[i].Score) > 1e-6 {
				t.Fatalf("trial %d hit %d: %s %.5f, want %s %.5f", trial, i, got[i].ID, got[i].Score, want[i].ID, want[i].Score)
			}
		}
	}
	if hits, _, _ := x.Search("nobody", randomUnit(r, 16), Query{K: 3}, t0); hits != nil {
		t.Error("a search of an embedder with no vectors found something")
	}
	if ex := x.Except("e1"); len(ex) != 50 {
		t.Errorf("except e1: %d", len(ex))
	}
}

func TestCodec(t *testing.T) {
	small := "short"
	if b, z := Pack(small, 64); z || string(b) != small {
		t.Error("a short content was compressed")
	}
	big := strings.Repeat("agents remember what they learn. ", 500)
	b, z := Pack(big, 64)
	if !z || len(b) >= len(big)/4 {
		t.Fatalf("compressed %v to %d of %d bytes", z, len(b), len(big))
	}
	if back, err := Unpack(b, true); err != nil || back != big {
		t.Fatalf("unpack: %v", err)
	}
	if _, err := Unpack([]byte("not zstd"), true); err == nil {
		t.Error("garbage unpacked")
	}
	v := []float32{1, -2.5, float32(math.Pi), 0}
	back, err := DecodeVector(EncodeVector(v))
	if err != nil || !slices.Equal(back, v) {
		t.Fatalf("vector: %v %v", back, err)
	}
	if _, err := DecodeVector([]byte{1, 2, 3}); err == nil {
		t.Error("a vector of 3 bytes decoded")
	}
	for _, bad := range [][]float32{{}, {0, 0}, {1, float32(math.NaN())}, {float32(math.Inf(1))}} {
		if _, err := CheckVector(bad, 0); err == nil {
			t.Errorf("%v passed", bad)
		}
	}
	if _, err := CheckVector([]float32{1, 2}, 3); err == nil {
		t.Error("the wrong size passed")
	}
	if u, err := CheckVector([]float32{3, 4}, 2); err != nil || math.Abs(float64(u[0])-0.6) > 1e-6 {
		t.Errorf("scaled: %v %v", u, err)
	}
}

func FuzzInput(f *testing.F) {
	f.Add([]byte(`{"agentId":"a","content":"remember this","type":"fact","importance":0.5,"links":["n"]}`))
	f.Add([]byte(`{"agentId":"a","content":"","type":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var in Input
		if json.Unmarshal(b, &in) != nil || in.Validate() != nil {
			return
		}
		if strings.TrimSpace(in.Content) == "" || len(in.Content) > MaxContentBytes || !typeRE.MatchString(in.Type) {
			t.Fatalf("accepted %+v", in)
		}
		// What is accepted embeds and packs without trouble.
		v, _ := NewLocal().Embed(context.Background(), []string{in.Content})
		if len(v[0]) != LocalDims {
			t.Fatal("no vector")
		}
		p, z := Pack(in.Content, 16)
		if back, err := Unpack(p, z); err != nil || back != in.Content {
			t.Fatalf("pack: %v", err)
		}
	})
}

func FuzzUnpack(f *testing.F) {
	z, _ := Pack(strings.Repeat("abc", 100), 1)
	f.Add(z, true)
	f.Add([]byte("plain"), false)
	f.Fuzz(func(t *testing.T, b []byte, compressed bool) {
		s, err := Unpack(b, compressed)
		if err == nil && len(s) > 4*MaxContentBytes {
			t.Fatalf("unpacked %d bytes", len(s))
		}
		if v, err := DecodeVector(b); err == nil && len(v) != len(b)/4 {
			t.Fatal("vector size")
		}
	})
}

// Re-adding a memory (a new vector of the same embedder, or of another
// size when it is its space's only one) keeps it findable and removable.
func TestIndexReAdd(t *testing.T) {
	x := NewIndex()
	if err := x.Add(Entry{ID: "a"}, "e", []float32{1, 0}); err != nil {
		t.Fatal(err)
	}
	if err := x.Add(Entry{ID: "a"}, "e", []float32{0, 1}); err != nil {
		t.Fatal(err)
	}
	hits, _, _ := x.Search("e", []float32{0, 1}, Query{K: 1}, t0)
	if len(hits) != 1 || hits[0].ID != "a" || hits[0].Cosine != 1 {
		t.Fatalf("after re-adding the only memory: %+v", hits)
	}
	if err := x.Add(Entry{ID: "a"}, "e", []float32{0, 0, 1}); err != nil || !x.Fits("e", 3) || x.Fits("e", 2) {
		t.Fatalf("a new size for the only memory: %v", err)
	}
	x.Add(Entry{ID: "b"}, "e", []float32{1, 0, 0})
	if err := x.Add(Entry{ID: "b"}, "e", []float32{1, 0}); err == nil {
		t.Fatal("a vector of another size joined a space of two")
	}
	if !x.Remove("a") || !x.Remove("b") || x.Len() != 0 || x.Remove("a") {
		t.Fatal("remove")
	}
}
