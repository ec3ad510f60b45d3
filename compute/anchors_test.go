package compute

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/gen"
)

// BenchmarkAnchors runs the engines behind 3d-force-graph, d3-force-3d and
// ngraph.forcelayout (bench/anchors, Node.js), on the same generated graphs
// as this engine, in the same run: steps per second at 10k, 64k and 100k nodes,
// and layout quality (normalised stress, see Stress) at 10k nodes with each
// engine run until it decides it is done. `make bench` installs the npm
// packages first.
func BenchmarkAnchors(b *testing.B) {
	anchors, err := filepath.Abs("../bench/anchors")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(anchors, "node_modules", "d3-force-3d")); err != nil {
		b.Skip("the anchors are not installed: run make bench (or npm ci in bench/anchors)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		b.Skip("node is not installed")
	}
	// 64,000 nodes and 245,000 edges is the size of the Debian package
	// graph of issue 14 (BenchmarkStep64k).
	for _, tc := range []struct {
		n, m, steps int
		quality     bool
	}{{10_000, 30_000, 30, true}, {nodes64k, edges64k, 5, false}, {100_000, 300_000, 5, false}} {
		b.Run(fmt.Sprintf("nodes=%d", tc.n), func(b *testing.B) {
			edges := gen.SkewedEdges(tc.n, tc.m, 1)
			file := filepath.Join(b.TempDir(), "graph.json")
			pairs := make([][2]int, len(edges))
			adj := make([][]int32, tc.n)
			for i, e := range edges {
				pairs[i] = [2]int{e.Source, e.Target}
				adj[e.Source] = append(adj[e.Source], int32(e.Target))
				adj[e.Target] = append(adj[e.Target], int32(e.Source))
			}
			data, _ := json.Marshal(map[string]any{"n": tc.n, "edges": pairs})
			if err := os.WriteFile(file, data, 0o644); err != nil {
				b.Fatal(err)
			}
			bodies := make([]Body, tc.n)
			springs := make([]Spring, len(edges))
			for i := range bodies {
				bodies[i] = Body{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1)), Position: graph.InitialPosition(gen.NodeID(i), tc.n)}
			}
			for i, e := range edges {
				springs[i] = Spring{Source: bodies[e.Source].ID, Target: bodies[e.Target].ID, Weight: 1}
			}
			e := NewCPU(0)
			if err := e.Load(bodies, springs); err != nil {
				b.Fatal(err)
			}
			p := DefaultParams()
			e.Step(p)
			start := time.Now()
			for range tc.steps {
				e.Step(p)
			}
			ours := float64(tc.steps) / time.Since(start).Seconds()
			b.ReportMetric(ours, "visionflow-steps/s")
			for _, engine := range []string{"d3", "ngraph"} {
				var out struct {
					StepsPerSecond float64 `json:"stepsPerSecond"`
				}
				run(b, anchors, &out, engine, file, "steps", fmt.Sprint(tc.steps))
				b.ReportMetric(out.StepsPerSecond, engine+"-steps/s")
				b.ReportMetric(ours/out.StepsPerSecond, "×"+engine)
			}
			if !tc.quality {
				return
			}
			steps := 0
			for st := e.Step(p); steps < 3000 && st.MaxMove >= 0.01*p.RestLength; st = e.Step(p) {
				steps++
			}
			pos := make([][3]float32, tc.n)
			for _, body := range e.Bodies(nil) {
				pos[body.ID.Index()-1] = [3]float32{body.Position.X, body.Position.Y, body.Position.Z}
			}
			b.ReportMetric(Stress(adj, pos, 100, 1), "visionflow-stress")
			b.ReportMetric(float64(steps), "visionflow-settle-steps")
			for _, engine := range []string{"d3", "ngraph"} {
				posFile := filepath.Join(b.TempDir(), engine+".json")
				var out struct {
					Steps int `json:"steps"`
				}
				run(b, anchors, &out, engine, file, "settle", "3000", posFile)
				raw, err := os.ReadFile(posFile)
				if err != nil {
					b.Fatal(err)
				}
				var theirs [][3]float32
				if err := json.Unmarshal(raw, &theirs); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(Stress(adj, theirs, 100, 1), engine+"-stress")
				b.ReportMetric(float64(out.Steps), engine+"-settle-steps")
			}
		})
	}
}

func run(b *testing.B, dir string, out any, args ...string) {
	b.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join(dir, "run.mjs")}, args...)...)
	cmd.Dir = dir
	raw, err := cmd.Output()
	if err != nil {
		b.Fatalf("node %v: %v", args, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.Fatalf("node %v printed %q: %v", args, raw, err)
	}
}
