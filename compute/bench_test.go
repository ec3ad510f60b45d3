package compute

import (
	"fmt"
	"testing"
)

// BenchmarkStep measures CPU engine steps on generated skewed graphs with
// three edges per node (make bench; docs/BENCHMARKS.md).
func BenchmarkStep(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			if testing.Short() && n > 100_000 {
				b.Skip("1M nodes only in full benchmark runs")
			}
			bodies, springs := skewed(n, 3*n, 1)
			e := load(b, 0, bodies, springs)
			p := DefaultParams()
			e.Step(p) // first step allocates the buffers
			b.ResetTimer()
			for b.Loop() {
				e.Step(p)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}
