package crdt

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkMergeAnchorYjs merges the same 100,000 divergent changes as
// BenchmarkMerge100k, then has Yjs (bench/anchors/merge.mjs, the CRDT
// library behind many collaborative editors) merge its own two replicas of
// the same workload in the same run, and reports both and their ratio.
func BenchmarkMergeAnchorYjs(b *testing.B) {
	dir, _ := filepath.Abs("../../bench/anchors")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "yjs")); err != nil {
		b.Skip("the anchors are not installed: run make bench (or npm ci in bench/anchors)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		b.Skip("node is not installed")
	}
	a0, b0 := divergent(b, 100_000)
	var ours []time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		a, bb := a0.Clone(), b0.Clone()
		b.StartTimer()
		start := time.Now()
		if err := a.ApplyAll(bb.OpsAfter(a.Seen())); err != nil {
			b.Fatal(err)
		}
		if err := bb.ApplyAll(a0.OpsAfter(bb.Seen())); err != nil {
			b.Fatal(err)
		}
		_ = a.View()
		ours = append(ours, time.Since(start))
	}
	b.StopTimer()
	out, err := exec.Command("node", filepath.Join(dir, "merge.mjs"), "100000", "3").Output()
	if err != nil {
		b.Fatalf("node merge.mjs: %v", err)
	}
	var y struct {
		MS []float64 `json:"ms"`
	}
	if err := json.Unmarshal(out, &y); err != nil || len(y.MS) == 0 {
		b.Fatalf("node merge.mjs printed %q: %v", out, err)
	}
	slices.Sort(y.MS)
	slices.Sort(ours)
	yjs := y.MS[len(y.MS)/2]
	mine := float64(ours[len(ours)/2]) / 1e6
	b.ReportMetric(mine, "ms/merge")
	b.ReportMetric(yjs, "yjs-ms/merge")
	b.ReportMetric(mine/yjs, "ratio")
}
