package analysis

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"visionflow/graph"
	"visionflow/graph/gen"
)

// karate is Zachary's karate club (34 members, 78 ties), 1-indexed: the
// standard small test of community detection.
var karate = map[int][]int{
	1: {2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 18, 20, 22, 32}, 2: {3, 4, 8, 14, 18, 20, 22, 31},
	3: {4, 8, 9, 10, 14, 28, 29, 33}, 4: {8, 13, 14}, 5: {7, 11}, 6: {7, 11, 17}, 7: {17},
	9: {31, 33, 34}, 10: {34}, 14: {34}, 15: {33, 34}, 16: {33, 34}, 19: {33, 34}, 20: {34},
	21: {33, 34}, 23: {33, 34}, 24: {26, 28, 30, 33, 34}, 25: {26, 28, 32}, 26: {32},
	27: {30, 34}, 28: {34}, 29: {32, 34}, 30: {33, 34}, 31: {33, 34}, 32: {33, 34}, 33: {34},
}

func karateNet() (*Net, []Link) {
	var links []Link
	for s := 1; s <= 34; s++ {
		for _, t := range karate[s] {
			links = append(links, Link{Source: int32(s - 1), Target: int32(t - 1)})
		}
	}
	return NewNet(34, links), links
}

func TestKarateClubCommunities(t *testing.T) {
	net, links := karateNet()
	if len(links) != 78 || net.Links() != 78 {
		t.Fatalf("karate has %d links, want 78", len(links))
	}
	label, count, q, err := net.Communities(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// The best partition known has Q = 0.4198 in four communities.
	if q < 0.4197 || q > 0.4199 || count != 4 {
		t.Fatalf("modularity %.4f in %d communities, want 0.4198 in 4", q, count)
	}
	// Other orders of the nodes reach it or one close to it.
	best := 0
	for seed := range uint64(20) {
		_, _, q, _ := net.Communities(context.Background(), seed)
		if q < 0.39 {
			t.Fatalf("seed %d: modularity %.4f", seed, q)
		}
		if q > 0.4197 {
			best++
		}
	}
	if best < 15 {
		t.Fatalf("only %d of 20 seeds found the best partition", best)
	}
	if got := denseModularity(34, links, label); math.Abs(got-q) > 1e-9 {
		t.Fatalf("reported modularity %.6f, computed from the definition %.6f", q, got)
	}
	// The instructor (1) and the administrator (34) lead different groups.
	if label[0] == label[33] {
		t.Fatal("members 1 and 34 in one community")
	}
	again, _, _, _ := net.Communities(context.Background(), 0)
	if !slices.Equal(label, again) {
		t.Fatal("the same seed gave another partition")
	}
}

// denseModularity is Q = 1/2m Σij [Aij − ki kj / 2m] δ(ci, cj), straight
// from the definition over an adjacency matrix.
func denseModularity(n int, links []Link, label []int32) float64 {
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, n)
	}
	for _, l := range links {
		w := float64(l.Weight)
		if w <= 0 {
			w = 1
		}
		a[l.Source][l.Target] += w
		a[l.Target][l.Source] += w
	}
	k := make([]float64, n)
	var m2 float64
	for i := range n {
		for j := range n {
			k[i] += a[i][j]
		}
		m2 += k[i]
	}
	var q float64
	for i := range n {
		for j := range n {
			if label[i] == label[j] {
				q += a[i][j] - k[i]*k[j]/m2
			}
		}
	}
	return q / m2
}

func TestRingOfCliquesSplitsIntoTheCliques(t *testing.T) {
	const cliques, size = 8, 5
	var links []Link
	for c := range cliques {
		base := int32(c * size)
		for i := range int32(size) {
			for j := i + 1; j < size; j++ {
				links = append(links, Link{Source: base + i, Target: base + j})
			}
		}
		links = append(links, Link{Source: base, Target: int32((c+1)%cliques*size + 1)})
	}
	net := NewNet(cliques*size, links)
	label, count, q, err := net.Communities(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if count != cliques {
		t.Fatalf("%d communities, want %d", count, cliques)
	}
	for c := range cliques {
		for i := 1; i < size; i++ {
			if label[c*size+i] != label[c*size] {
				t.Fatalf("clique %d split: %v", c, label[c*size:c*size+size])
			}
		}
	}
	if want := denseModularity(cliques*size, links, label); math.Abs(q-want) > 1e-9 {
		t.Fatalf("modularity %.6f, want %.6f", q, want)
	}
}

func TestWeightsPullCommunities(t *testing.T) {
	// Two triangles joined by a heavy link and a square of light ones:
	// weighted, the heavy pair belongs together.
	links := []Link{{0, 1, 1}, {1, 2, 1}, {2, 0, 1}, {3, 4, 1}, {4, 5, 1}, {5, 3, 1}, {2, 3, 50}}
	net := NewNet(6, links)
	label, _, _, err := net.Communities(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if label[2] != label[3] {
		t.Fatalf("nodes joined by weight 50 apart: %v", label)
	}
}

func TestPageRankOfTwoNodes(t *testing.T) {
	// A → B, and B has no out-links (it hands its rank to both):
	// pB = 0.925/1.425 solves pA = 0.075 + 0.425 pB, pA + pB = 1.
	pr, err := NewNet(2, []Link{{Source: 0, Target: 1}}).PageRank(context.Background(), 0.85)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.925 / 1.425; math.Abs(pr[1]-want) > 1e-9 || math.Abs(pr[0]-(1-want)) > 1e-9 {
		t.Fatalf("ranks %v, want [%v %v]", pr, 1-want, want)
	}
}

func TestPageRankMatchesDenseIteration(t *testing.T) {
	for seed := range uint64(5) {
		n := 40
		links := randomLinks(n, 90, seed)
		pr, err := NewNet(n, links).PageRank(context.Background(), 0.85)
		if err != nil {
			t.Fatal(err)
		}
		want := densePageRank(n, links, 0.85)
		var sum float64
		for i := range n {
			sum += pr[i]
			if math.Abs(pr[i]-want[i]) > 1e-8 {
				t.Fatalf("seed %d: node %d rank %v, dense %v", seed, i, pr[i], want[i])
			}
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("ranks sum to %v", sum)
		}
	}
}

// densePageRank iterates the Google matrix G = d(M + dangling) + (1−d)/n
// built in full, 1,000 times.
func densePageRank(n int, links []Link, d float64) []float64 {
	out := make([]float64, n)
	for _, l := range links {
		if l.Source != l.Target {
			out[l.Source]++
		}
	}
	g := make([][]float64, n) // g[to][from]
	for i := range g {
		g[i] = make([]float64, n)
	}
	for _, l := range links {
		if l.Source != l.Target {
			g[l.Target][l.Source] += d / out[l.Source]
		}
	}
	for to := range n {
		for from := range n {
			if out[from] == 0 {
				g[to][from] += d / float64(n)
			}
			g[to][from] += (1 - d) / float64(n)
		}
	}
	p := make([]float64, n)
	for i := range p {
		p[i] = 1 / float64(n)
	}
	for range 1000 {
		next := make([]float64, n)
		for to := range n {
			for from := range n {
				next[to] += g[to][from] * p[from]
			}
		}
		p = next
	}
	return p
}

func randomLinks(n, m int, seed uint64) []Link {
	r := rand.New(rand.NewPCG(seed, 99))
	links := make([]Link, m)
	for i := range links {
		links[i] = Link{Source: int32(r.IntN(n)), Target: int32(r.IntN(n))}
	}
	return links
}

func TestBetweennessOfAPath(t *testing.T) {
	// 0-1-2-3-4: node 1 is between 0 and each of 2, 3, 4; node 2 between
	// {0,1} and {3,4}.
	net := NewNet(5, []Link{{Source: 0, Target: 1}, {Source: 1, Target: 2}, {Source: 2, Target: 3}, {Source: 3, Target: 4}})
	bc, err := net.Betweenness(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{0, 3, 4, 3, 0}; !slices.Equal(bc, want) {
		t.Fatalf("betweenness %v, want %v", bc, want)
	}
}

func TestBetweennessMatchesAllPairs(t *testing.T) {
	for seed := range uint64(5) {
		n := 30
		links := randomLinks(n, 45, seed)
		bc, err := NewNet(n, links).Betweenness(context.Background(), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := allPairsBetweenness(n, links)
		for i := range n {
			if math.Abs(bc[i]-want[i]) > 1e-9 {
				t.Fatalf("seed %d: node %d betweenness %v, all pairs %v", seed, i, bc[i], want[i])
			}
		}
	}
}

// allPairsBetweenness counts shortest paths by Floyd–Warshall with path
// counts and sums σsv·σvt/σst over pairs s < t for each v between them.
func allPairsBetweenness(n int, links []Link) []float64 {
	const inf = math.MaxInt32
	dist := make([][]int, n)
	sigma := make([][]float64, n)
	for i := range n {
		dist[i] = make([]int, n)
		sigma[i] = make([]float64, n)
		for j := range n {
			dist[i][j] = inf
		}
		dist[i][i], sigma[i][i] = 0, 1
	}
	for _, l := range links {
		s, t := l.Source, l.Target
		if s == t {
			continue
		}
		dist[s][t], dist[t][s] = 1, 1
		sigma[s][t]++ // parallel links are parallel paths
		sigma[t][s]++
	}
	// Path counts by increasing length: σst = Σ over neighbours u of t with
	// d(s,u) = d(s,t)−1 of σsu · (links u–t).
	adj := make([][]float64, n)
	for i := range adj {
		adj[i] = make([]float64, n)
	}
	for _, l := range links {
		if l.Source != l.Target {
			adj[l.Source][l.Target]++
			adj[l.Target][l.Source]++
		}
	}
	for k := range n {
		for i := range n {
			for j := range n {
				if dist[i][k] != inf && dist[k][j] != inf && dist[i][k]+dist[k][j] < dist[i][j] {
					dist[i][j] = dist[i][k] + dist[k][j]
				}
			}
		}
	}
	for s := range n {
		for d := 2; d < n; d++ {
			for t := range n {
				if dist[s][t] != d {
					continue
				}
				sigma[s][t] = 0
				for u := range n {
					if adj[u][t] > 0 && dist[s][u] == d-1 {
						sigma[s][t] += sigma[s][u] * adj[u][t]
					}
				}
			}
		}
	}
	bc := make([]float64, n)
	for s := range n {
		for t := s + 1; t < n; t++ {
			if dist[s][t] == inf {
				continue
			}
			for v := range n {
				if v != s && v != t && dist[s][v] != inf && dist[v][t] != inf && dist[s][v]+dist[v][t] == dist[s][t] {
					bc[v] += sigma[s][v] * sigma[v][t] / sigma[s][t]
				}
			}
		}
	}
	return bc
}

func TestSampledBetweennessFindsTheBridges(t *testing.T) {
	n := 2000
	var links []Link
	for _, e := range gen.SkewedEdges(n, 3*n, 5) {
		links = append(links, Link{Source: int32(e.Source), Target: int32(e.Target)})
	}
	net := NewNet(n, links)
	exact, _ := net.Betweenness(context.Background(), 0, 0)
	est, _ := net.Betweenness(context.Background(), 200, 3)
	top := func(bc []float64) int { return slices.Index(bc, slices.Max(bc)) }
	if top(exact) != top(est) {
		t.Fatalf("the sample's top node is %d, exact %d", top(est), top(exact))
	}
	i := top(exact)
	if rel := math.Abs(est[i]-exact[i]) / exact[i]; rel > 0.25 {
		t.Fatalf("top node estimated %.0f, exact %.0f (%.0f%% off)", est[i], exact[i], 100*rel)
	}
}

func TestComponentsLargestFirst(t *testing.T) {
	// {0,1}, {2,3,4}, {5} alone.
	net := NewNet(6, []Link{{Source: 0, Target: 1}, {Source: 2, Target: 3}, {Source: 4, Target: 3}, {Source: 5, Target: 5}})
	label, count := net.Components()
	if want := []int32{1, 1, 0, 0, 0, 2}; count != 3 || !slices.Equal(label, want) {
		t.Fatalf("components %v (%d), want %v", label, count, want)
	}
	if d := net.Degree(); !slices.Equal(d, []int32{1, 1, 1, 2, 1, 2}) {
		t.Fatalf("degrees %v", d)
	}
}

func TestFromContentsSkipsDanglingEdges(t *testing.T) {
	c := graph.Contents{
		Nodes: []graph.Node{{ID: "a"}, {ID: "b"}},
		Edges: []graph.Edge{{ID: "e1", Source: "a", Target: "b", Weight: 1}, {ID: "e2", Source: "a", Target: "gone"}},
	}
	net := FromContents(c)
	if net.Nodes() != 2 || net.Links() != 1 {
		t.Fatalf("%d nodes, %d links", net.Nodes(), net.Links())
	}
}

func TestAnalyzeStopsWhenCancelled(t *testing.T) {
	var links []Link
	for _, e := range gen.SkewedEdges(5000, 15000, 1) {
		links = append(links, Link{Source: int32(e.Source), Target: int32(e.Target)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Analyze(ctx, NewNet(5000, links), Options{}); err == nil {
		t.Fatal("a cancelled analysis returned no error")
	}
}

func TestAnalyzeEmptyAndTiny(t *testing.T) {
	for n := range 3 {
		res, err := Analyze(context.Background(), NewNet(n, nil), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Degree) != n || len(res.PageRank) != n || len(res.Community) != n || res.Communities != n || res.Modularity != 0 {
			t.Fatalf("n=%d: %+v", n, res)
		}
	}
}

func TestKarateClubBetweenness(t *testing.T) {
	// Published values (e.g. networkx's betweenness_centrality with
	// normalized=False; normalized, 34 is 0.30407 × 528): member 1 231.07, 34 160.55, 33 76.69, 3 75.85.
	net, _ := karateNet()
	bc, err := net.Betweenness(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for member, want := range map[int]float64{1: 231.0714, 34: 160.5516, 33: 76.6905, 3: 75.8508} {
		if got := bc[member-1]; math.Abs(got-want) > 1e-3 {
			t.Errorf("member %d: betweenness %.4f, want %.4f", member, got, want)
		}
	}
}
