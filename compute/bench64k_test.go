package compute

import (
	"testing"
	"time"

	"visionflow/internal/testenv"
)

// The Debian package graph of issue 14 has 63.7k nodes and 245k edges; these
// benchmarks use a generated graph of that size with the same skew as the
// other benchmarks (docs/BENCHMARKS.md).
const (
	nodes64k = 64_000
	edges64k = 245_000
)

// BenchmarkStep64k measures steps on the 64k graph from its initial
// positions, the phase where the layout moves most.
func BenchmarkStep64k(b *testing.B) {
	bodies, springs := skewed(nodes64k, edges64k, 1)
	e := load(b, 0, bodies, springs)
	p := DefaultParams()
	e.Step(p) // first step allocates the buffers
	b.ResetTimer()
	cpu := testenv.CPUTime()
	for b.Loop() {
		e.Step(p)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	b.ReportMetric(float64((testenv.CPUTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/step")
}

// BenchmarkSettle64k runs the 64k graph until it settles (as app/layout.go
// decides it: the largest move below 0.01·restLength) and reports the
// steps it took, steps per second over the whole run, and the stress of the
// settled layout, so a faster step is seen to cost no quality. Run it with
// -benchtime 1x.
func BenchmarkSettle64k(b *testing.B) {
	bodies, springs := skewed(nodes64k, edges64k, 1)
	adj := make([][]int32, nodes64k)
	for _, s := range springs {
		a, c := int32(s.Source.Index()-1), int32(s.Target.Index()-1)
		adj[a] = append(adj[a], c)
		adj[c] = append(adj[c], a)
	}
	for b.Loop() {
		e := load(b, 0, bodies, springs)
		p := DefaultParams()
		start, cpu := time.Now(), testenv.CPUTime()
		steps, calm := 0, 0
		for steps < 3000 && calm < 10 {
			st := e.Step(p)
			steps++
			if st.MaxMove < 0.01*p.RestLength {
				calm++
			} else {
				calm = 0
			}
		}
		took, cpu := time.Since(start), testenv.CPUTime()-cpu
		b.StopTimer()
		pos := make([][3]float32, nodes64k)
		for _, body := range e.Bodies(nil) {
			pos[body.ID.Index()-1] = [3]float32{body.Position.X, body.Position.Y, body.Position.Z}
		}
		b.ReportMetric(float64(steps), "settle-steps")
		b.ReportMetric(float64(steps)/took.Seconds(), "steps/s")
		b.ReportMetric(float64(cpu.Milliseconds())/float64(steps), "cpu-ms/step")
		b.ReportMetric(Stress(adj, pos, 100, 1), "stress")
		b.StartTimer()
	}
}
