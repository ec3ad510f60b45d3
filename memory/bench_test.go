package memory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// corpus makes n texts of 20 to 60 words drawn, Zipf-skewed as language
// is, from a vocabulary of 5,000 made-up words.
func corpus(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	vocab := make([]string, 5000)
	for i := range vocab {
		var b strings.Builder
		for range 3 + r.IntN(7) {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
		vocab[i] = b.String()
	}
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	out := make([]string, n)
	for i := range out {
		words := make([]string, 20+r.IntN(41))
		for j := range words {
			words[j] = vocab[z.Uint64()]
		}
		out[i] = strings.Join(words, " ")
	}
	return out
}

// BenchmarkLocalEmbed embeds one text of about 40 words.
func BenchmarkLocalEmbed(b *testing.B) {
	texts := corpus(1000, 1)
	l := NewLocal()
	for _, t := range texts {
		l.Observe(t)
	}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		l.Embed(ctx, texts[i%len(texts):i%len(texts)+1])
		i++
	}
}

// BenchmarkSearch is exact top-10 search over n memories of 384
// dimensions made by the local embedder, queried with texts of the same
// kind; it reports the latency's median and 99th percentile.
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("memories=%dk", n/1000), func(b *testing.B) {
			texts := corpus(n, 2)
			l := NewLocal()
			for _, t := range texts {
				l.Observe(t)
			}
			vecs, _ := l.Embed(context.Background(), texts)
			x := NewIndex()
			t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			for i, v := range vecs {
				x.Add(Entry{ID: fmt.Sprintf("m%06d", i), Agent: fmt.Sprintf("a%d", i%50), Type: "fact", Importance: 0.5,
					Created: t0.Add(-time.Duration(i) * time.Minute)}, LocalName, v)
			}
			queries, _ := l.Embed(context.Background(), corpus(200, 3))
			var lat []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				hits, _, _ := x.Search(LocalName, queries[i%len(queries)], Query{K: 10}, t0)
				lat = append(lat, time.Since(start))
				if len(hits) != 10 {
					b.Fatalf("%d hits", len(hits))
				}
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
