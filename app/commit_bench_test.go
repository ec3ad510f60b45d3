package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/gen"
	"visionflow/ingest"
	"visionflow/internal/testenv"
	"visionflow/settings"
)

// BenchmarkConcurrentPOSTs is the rate of acknowledged single-node POSTs
// from 1 and 64 clients (keep-alive connections) to one graph on a real
// server: each 201 means the node is in the SQLite file
// (synchronous=FULL). Concurrent writes share transactions (group commit),
// so the rate is not bounded by one fsync per write. With physics on, the
// graph's layout steps beside the writes and takes its share of the cores.
// The anchor is the same clients against a bare net/http handler that
// answers 201 at once: what HTTP alone costs on this machine, in the same
// run, clients and server sharing the cores as here.
//
// The clients are net/http's (client=net-http), or lean ones
// (client=lean) that cost the shared cores what a load generator such as
// wrk would: http.Client's transport spends about a quarter of all the
// CPU here, which a server under real load does not pay, its clients being
// elsewhere.
func BenchmarkConcurrentPOSTs(b *testing.B) {
	bare := func(b *testing.B) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"n"}`)
		}))
	}
	serve := func(b *testing.B, physics bool) (*testServer, string) {
		s := startServer(b, filepath.Join(b.TempDir(), "vf.db"))
		ctx := context.Background()
		on := []settings.Update{{Path: "physics.enabled", Value: json.RawMessage(strconv.FormatBool(physics))}}
		if _, err := s.Session.Settings().Apply(ctx, "bench", on); err != nil {
			b.Fatal(err)
		}
		sum, err := s.Session.CreateGraph(ctx, "bench", graph.Info{Name: "bench", Type: graph.Knowledge}, "bench")
		if err != nil {
			b.Fatal(err)
		}
		return s, sum.ID
	}
	check := func(b *testing.B, s *testServer, id string) {
		b.ReportMetric(scrapeMean(b, s.url, "visionflow_commit_edits"), "edits/commit")
		info, err := s.Session.store.GraphInfo(context.Background(), id)
		if err != nil || info.Nodes != b.N {
			b.Fatalf("stored %d nodes, want %d (%v)", info.Nodes, b.N, err)
		}
	}
	for _, clients := range []int{1, 64} {
		b.Run(fmt.Sprintf("anchor=bare-http/clients=%d", clients), func(b *testing.B) {
			srv := bare(b)
			defer srv.Close()
			post, done := httpClientPOSTs(clients)
			defer done()
			postNodes(b, srv.URL+"/api/graph/x/nodes", clients, post)
		})
	}
	for _, physics := range []bool{false, true} {
		for _, clients := range []int{1, 64} {
			b.Run(fmt.Sprintf("physics=%v/clients=%d", physics, clients), func(b *testing.B) {
				s, id := serve(b, physics)
				defer s.Close()
				post, done := httpClientPOSTs(clients)
				defer done()
				postNodes(b, s.url+"/api/graph/"+id+"/nodes", clients, post)
				check(b, s, id)
			})
		}
	}
	b.Run("anchor=bare-http/client=lean/clients=64", func(b *testing.B) {
		srv := bare(b)
		defer srv.Close()
		postNodes(b, srv.URL+"/api/graph/x/nodes", 64, leanPOSTs)
	})
	b.Run("physics=false/client=lean/clients=64", func(b *testing.B) {
		s, id := serve(b, false)
		defer s.Close()
		postNodes(b, s.url+"/api/graph/"+id+"/nodes", 64, leanPOSTs)
		check(b, s, id)
	})
}

// A poster sends the POSTs numbered by next until it passes b.N, on one
// keep-alive connection of its own, and returns the first failure.
type poster func(b *testing.B, url string, next *atomic.Int64) error

// postNodes POSTs b.N nodes to url from clients goroutines, each with its
// own keep-alive connection, and reports the rate.
func postNodes(b *testing.B, url string, clients int, post poster) {
	var next atomic.Int64
	var failed atomic.Value
	b.ResetTimer()
	cpu := testenv.CPUTime()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			if err := post(b, url, &next); err != nil {
				failed.Store(err)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	cpu = testenv.CPUTime() - cpu
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "POSTs/s")
	// Clients and server share the process: this is what a POST costs both.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/POST")
}

// httpClientPOSTs posts through one http.Client for all clients, with a
// connection each.
func httpClientPOSTs(clients int) (poster, func()) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	return func(b *testing.B, url string, next *atomic.Int64) error { return postThrough(hc, b, url, next) }, hc.CloseIdleConnections
}

func postThrough(hc *http.Client, b *testing.B, url string, next *atomic.Int64) error {
	for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
		if err := created(hc.Post(url, "application/json", strings.NewReader(fmt.Sprintf(`{"label":"n%d"}`, i)))); err != nil {
			return err
		}
	}
	return nil
}

// created reads an answer to its end and says whether it was a 201.
func created(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST: %s", resp.Status)
	}
	return nil
}

// leanPOSTs writes each request in one piece and reads the answer with
// http.ReadResponse: what a load generator costs, without http.Transport's
// two goroutines per connection and its per-request copies.
func leanPOSTs(b *testing.B, url string, next *atomic.Int64) error {
	u, err := neturl.Parse(url)
	if err != nil {
		return err
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		return err
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	head := "POST " + u.Path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: application/json\r\nContent-Length: "
	var req []byte
	for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
		body := strconv.AppendInt([]byte(`{"label":"n`), i, 10)
		body = append(body, `"}`...)
		req = append(strconv.AppendInt(append(req[:0], head...), int64(len(body)), 10), "\r\n\r\n"...)
		req = append(req, body...)
		if _, err := conn.Write(req); err != nil {
			return err
		}
		if err := created(http.ReadResponse(br, nil)); err != nil {
			return err
		}
	}
	return nil
}

// scrapeMean is the mean of a histogram on the server's /metrics.
func scrapeMean(b *testing.B, base, name string) float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var sum, count float64
	for line := range strings.Lines(string(body)) {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == name+"_sum" {
			sum, _ = strconv.ParseFloat(f[1], 64)
		}
		if len(f) == 2 && f[0] == name+"_count" {
			count, _ = strconv.ParseFloat(f[1], 64)
		}
	}
	if count == 0 {
		b.Fatalf("no %s in /metrics", name)
	}
	return sum / count
}

// BenchmarkWritesDuringImport is how one graph's import holds up another
// graph's writes: a client edits graph B one node at a time (each edit
// durable before the next) while graph A, 50k nodes and 100k edges, is
// imported. It reports the import's time and B's edit latency while it
// runs (p50, p99, p99.9, max), how long its writes waited for the writer,
// and B's edits per second. The anchors, in the same run: the same client
// alone for as long as the import took (what the disk and the two cores
// give B's edits with no import beside them); the same client beside the
// import's work in memory, which writes nothing (what sharing two cores
// with that much work costs B); and the same import with no client beside
// it.
func BenchmarkWritesDuringImport(b *testing.B) {
	s, st, stop := newSession(b)
	defer stop()
	// How long each of B's writes waited for the writer, as /metrics
	// shows it (visionflow_store_writer_wait_seconds): the stall the
	// import's parts cause, apart from the CPU share and the disk.
	var waitMu sync.Mutex
	var waitInto *[]time.Duration
	var waits, waitsAlone []time.Duration
	st.ObserveWriterWaits(func(bulk bool, d time.Duration) {
		waitMu.Lock()
		if waitInto != nil && !bulk {
			*waitInto = append(*waitInto, d)
		}
		waitMu.Unlock()
	})
	waitFor := func(into *[]time.Duration) {
		waitMu.Lock()
		waitInto = into
		waitMu.Unlock()
	}
	ctx := context.Background()
	imp := importBeside(b, s)
	var lat, alone, beside []time.Duration
	var importTime, importAlone time.Duration
	var busyImport, busyBuild cpuUse
	for i := 0; b.Loop(); i++ {
		edit := func(k int, into *[]time.Duration) bool {
			start := time.Now()
			if _, err := s.Apply(ctx, "b", "b", addNode(fmt.Sprintf("b%d-%d", i, k), "x")); err != nil {
				b.Error(err)
				return false
			}
			*into = append(*into, time.Since(start))
			return true
		}
		// editing runs B's client, its edits numbered from first, until
		// the function it returns is called.
		editing := func(first int, into *[]time.Duration) (stop func()) {
			done := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for k := first; ; k++ {
					select {
					case <-done:
						return
					default:
					}
					if !edit(k, into) {
						return
					}
				}
			})
			return func() { close(done); wg.Wait() }
		}
		var mine []time.Duration
		stopB := editing(0, &mine)
		waitFor(&waits)
		cpu0 := processCPU()
		start := time.Now()
		if _, err := s.Import(ctx, "a", graph.Info{Name: "a", Type: graph.Knowledge}, imp, ImportOptions{IDBase: "a"}); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		importTime += took
		stopB()
		busyImport = busyImport.add(processCPU().since(cpu0))
		lat = append(lat, mine...)
		waitFor(&waitsAlone)
		for k, end := 0, time.Now().Add(took); time.Now().Before(end); k++ {
			if !edit(-1-k, &alone) {
				break
			}
		}
		waitFor(nil)
		// The anchor for the CPU share: B beside the import's work in
		// memory alone (building the graph and encoding its snapshot, as
		// Session.Import and the store do), with no writes, for as long and
		// at about the same CPU use.
		stopB = editing(1_000_000, &beside)
		cpu0 = processCPU()
		for end := time.Now().Add(took); time.Now().Before(end); {
			buildInMemory(b, imp)
		}
		stopB()
		busyBuild = busyBuild.add(processCPU().since(cpu0))
		start = time.Now()
		if _, err := s.Import(ctx, "c", graph.Info{Name: "c", Type: graph.Knowledge}, imp, ImportOptions{IDBase: "c"}); err != nil {
			b.Fatal(err)
		}
		importAlone += time.Since(start)
	}
	b.ReportMetric(importTime.Seconds()/float64(b.N), "import-s")
	b.ReportMetric(quantileMs(lat, 0.5), "B-p50-ms")
	b.ReportMetric(quantileMs(lat, 0.99), "B-p99-ms")
	b.ReportMetric(quantileMs(lat, 0.999), "B-p999-ms")
	b.ReportMetric(quantileMs(lat, 1), "B-max-ms")
	b.ReportMetric(float64(len(lat))/importTime.Seconds(), "B-edits/s")
	b.ReportMetric(quantileMs(alone, 0.99), "alone-p99-ms")
	b.ReportMetric(quantileMs(alone, 0.999), "alone-p999-ms")
	b.ReportMetric(quantileMs(alone, 1), "alone-max-ms")
	b.ReportMetric(importAlone.Seconds()/float64(b.N), "import-alone-s")
	// The longest wait is one sample, and the host's own hiccups reach it:
	// how often an edit waits over 10 ms, beside the import and alone, says
	// whether the import itself makes long waits.
	over := func(lat []time.Duration) float64 {
		n := 0
		for _, d := range lat {
			if d > 10*time.Millisecond {
				n++
			}
		}
		return 1e4 * float64(n) / float64(len(lat))
	}
	b.ReportMetric(over(lat), "B-over10ms-per10k")
	b.ReportMetric(over(alone), "alone-over10ms-per10k")
	b.ReportMetric(quantileMs(waits, 0.99), "B-writer-wait-p99-ms")
	b.ReportMetric(quantileMs(waits, 0.999), "B-writer-wait-p999-ms")
	b.ReportMetric(quantileMs(waits, 1), "B-writer-wait-max-ms")
	b.ReportMetric(quantileMs(waitsAlone, 1), "alone-writer-wait-max-ms")
	b.ReportMetric(quantileMs(beside, 0.99), "cpu-p99-ms")
	b.ReportMetric(quantileMs(beside, 0.999), "cpu-p999-ms")
	b.ReportMetric(quantileMs(beside, 1), "cpu-max-ms")
	b.ReportMetric(over(beside), "cpu-over10ms-per10k")
	// The cores the process used in each (user and system time over wall
	// time): the anchor is a fair one if it keeps them about as busy.
	b.ReportMetric(busyImport.cores(), "B-cores-used")
	b.ReportMetric(busyBuild.cores(), "cpu-cores-used")
}

// buildInMemory does the import's work that needs no database: the graph
// built from its ops and its snapshot encoded. It pauses for 300 µs every
// 256 ops, as often as Session.Import yields, so that it uses about as much
// CPU as the import, which waits for the writer and the disk (1.28 against
// 1.25 cores here; without the pauses 1.64, and B's p99 beside it 4.2 ms).
func buildInMemory(b *testing.B, imp *ingest.Import) {
	g := graph.NewSized(graph.Info{ID: "m", Name: "m", Type: graph.Knowledge}, 50_000, 100_000)
	tx := g.Begin(graph.NewClock(nil), "bench")
	tx.Grow(len(imp.Ops))
	for i, op := range imp.Ops {
		if i%256 == 255 {
			time.Sleep(300 * time.Microsecond)
		}
		if _, err := tx.Do(op); err != nil {
			b.Fatal(err)
		}
	}
	tx.Commit()
	if _, err := g.MarshalBinary(); err != nil {
		b.Fatal(err)
	}
}

// importBeside readies s for the import benchmarks: physics off (the
// layouts of the graphs imported would otherwise take a core of two, and
// these measure the writer, not the CPU share) and graph B to edit. It
// returns the import: 50k nodes and 100k edges.
func importBeside(b *testing.B, s *Session) *ingest.Import {
	ctx := context.Background()
	off := []settings.Update{{Path: "physics.enabled", Value: json.RawMessage("false")}}
	if _, err := s.Settings().Apply(ctx, "bench", off); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateGraph(ctx, "b", graph.Info{ID: "b", Name: "b", Type: graph.Knowledge}, ""); err != nil {
		b.Fatal(err)
	}
	return &ingest.Import{Ops: gen.Ops(50_000, 100_000, 1)}
}

// quantileMs is the p-quantile of d in milliseconds; it sorts d.
func quantileMs(d []time.Duration, p float64) float64 {
	slices.Sort(d)
	return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
}

// BenchmarkOccasionalWritesDuringImport is BenchmarkWritesDuringImport with
// a client that edits graph B every 10 ms, as a person might, instead of
// back to back: each edit comes to a writer that no edit has asked for
// lately. It reports how long B's edits took and waited for the writer.
func BenchmarkOccasionalWritesDuringImport(b *testing.B) {
	s, st, stop := newSession(b)
	defer stop()
	var mu sync.Mutex
	var waits, lat []time.Duration
	st.ObserveWriterWaits(func(bulk bool, d time.Duration) {
		if !bulk {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
		}
	})
	ctx := context.Background()
	imp := importBeside(b, s)
	for i := 0; b.Loop(); i++ {
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for k := 0; ; k++ {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				start := time.Now()
				if _, err := s.Apply(ctx, "b", "b", addNode(fmt.Sprintf("o%d-%d", i, k), "x")); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
			}
		})
		if _, err := s.Import(ctx, "a", graph.Info{Name: "a", Type: graph.Knowledge}, imp, ImportOptions{IDBase: "a"}); err != nil {
			b.Fatal(err)
		}
		close(done)
		wg.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	over := func(d []time.Duration, limit time.Duration) float64 {
		n := 0
		for _, x := range d {
			if x > limit {
				n++
			}
		}
		return 100 * float64(n) / float64(len(d))
	}
	b.ReportMetric(quantileMs(lat, 0.5), "B-p50-ms")
	b.ReportMetric(quantileMs(lat, 0.99), "B-p99-ms")
	b.ReportMetric(quantileMs(lat, 1), "B-max-ms")
	b.ReportMetric(quantileMs(waits, 0.9), "B-writer-wait-p90-ms")
	b.ReportMetric(quantileMs(waits, 0.99), "B-writer-wait-p99-ms")
	b.ReportMetric(quantileMs(waits, 1), "B-writer-wait-max-ms")
	b.ReportMetric(over(waits, 2500*time.Microsecond), "B-writer-wait-over2.5ms-%")
	b.ReportMetric(float64(len(lat))/float64(b.N), "B-edits/import")
}
