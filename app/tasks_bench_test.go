package app

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"visionflow/agent"
	"visionflow/memory"
	"visionflow/task"
)

// BenchmarkTasks is the task pipeline's throughput, each move stored in
// SQLite before it is answered: an agent claims the best ready task and
// completes it (one op = claim + complete), in the session and over REST.
// Tasks are submitted beforehand, 64 at a time, and not timed.
func BenchmarkTasks(b *testing.B) {
	for _, via := range []string{"session", "rest"} {
		b.Run("via="+via, func(b *testing.B) {
			s := startServer(b, filepath.Join(b.TempDir(), "vf.db"))
			defer s.Close()
			ctx := context.Background()
			if _, err := s.c.ReportStatus(ctx, agent.Status{AgentID: "worker", SwarmID: "bench", State: agent.Idle, Capabilities: []string{"go"}}); err != nil {
				b.Fatal(err)
			}
			claim := func() (*task.Task, error) { return s.Session.ClaimTask(ctx, "b", "bench", "worker", "") }
			complete := func(id string) error { _, err := s.Session.CompleteTask(ctx, "b", "worker", id, "ok"); return err }
			if via == "rest" {
				claim = func() (*task.Task, error) { return s.c.ClaimTask(ctx, "bench", "worker", "") }
				complete = func(id string) error { _, err := s.c.CompleteTask(ctx, "worker", id, "ok"); return err }
			}
			n := 0
			for b.Loop() {
				if n%64 == 0 {
					b.StopTimer()
					specs := make([]task.Spec, 64)
					for i := range specs {
						specs[i] = task.Spec{Title: fmt.Sprintf("t%d", n+i), Requires: []string{"go"}}
					}
					if _, err := s.Session.SubmitTask(ctx, "b", task.Submission{SwarmID: "bench", Title: "batch", Subtasks: specs}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				t, err := claim()
				if err != nil || t == nil {
					b.Fatalf("claim: %v %v", t, err)
				}
				if err := complete(t.ID); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}

// BenchmarkRemember is the memory insert rate with the local embedder:
// validated, embedded, stored in SQLite, indexed (contents of about 300
// bytes, one in ten over the compression threshold).
func BenchmarkRemember(b *testing.B) {
	s, _, stop := newSession(b)
	defer stop()
	ctx := context.Background()
	texts := benchCorpus(1000)
	i := 0
	for b.Loop() {
		in := memory.Input{AgentID: fmt.Sprintf("a%d", i%20), Type: "observation", Content: texts[i%len(texts)]}
		if i%10 == 0 {
			in.Content = in.Content + " " + texts[(i+1)%len(texts)] + " " + texts[(i+2)%len(texts)] + " " + texts[(i+3)%len(texts)] +
				" " + texts[(i+4)%len(texts)] + " " + texts[(i+5)%len(texts)] + " " + texts[(i+6)%len(texts)] + " " + texts[(i+7)%len(texts)] +
				" " + texts[(i+8)%len(texts)] + " " + texts[(i+9)%len(texts)] + " " + texts[(i+10)%len(texts)] + " " + texts[(i+11)%len(texts)] +
				" " + texts[(i+12)%len(texts)] + " " + texts[(i+13)%len(texts)] + " " + texts[(i+14)%len(texts)]
		}
		if _, err := s.Remember(ctx, "b", in); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "memories/s")
}

// BenchmarkRecall is a search through the session at 10k memories: the
// query embedded, the index searched, the ten hits read (from the cache or
// SQLite); it reports the median and 99th percentile.
func BenchmarkRecall(b *testing.B) {
	s, _, stop := newSession(b)
	defer stop()
	ctx := context.Background()
	texts := benchCorpus(10_000)
	for i, t := range texts {
		if _, err := s.Remember(ctx, "b", memory.Input{AgentID: fmt.Sprintf("a%d", i%20), Type: "fact", Content: t}); err != nil {
			b.Fatal(err)
		}
	}
	queries := benchCorpus(200)
	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		res, err := s.Recall(ctx, memory.Query{Text: queries[i%len(queries)], K: 10})
		lat = append(lat, time.Since(start))
		if err != nil || len(res.Hits) != 10 {
			b.Fatalf("%v %d hits", err, len(res.Hits))
		}
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// benchCorpus makes n sentences of 30 to 70 words from a vocabulary of
// 3,000 words, seeded.
func benchCorpus(n int) []string {
	out := make([]string, n)
	x := uint64(88172645463325252)
	next := func() uint64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
	for i := range out {
		words := make([]byte, 0, 400)
		for w := range 30 + next()%41 {
			if w > 0 {
				words = append(words, ' ')
			}
			k := next() % 3000
			k = k * k / 3000 // skewed towards common words
			words = fmt.Appendf(words, "w%d", k)
		}
		out[i] = string(words)
	}
	return out
}
