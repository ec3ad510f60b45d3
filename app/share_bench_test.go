package app

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/net/client"
)

// latencyPeer is a peer that notes when each node it hears of arrived.
type latencyPeer struct {
	*editor
	mu     sync.Mutex
	heard  map[string]time.Time
	notify chan struct{}
}

// BenchmarkEditToPeers8 has 8 peers edit at once, each with an optimistic
// Replica over a Link: every round, each adds a node; the figure is the
// time from a peer's send to the moment each of the 7 others applied the
// event, p50 and p99 over every (edit, peer) pair.
func BenchmarkEditToPeers8(b *testing.B) {
	ctx := context.Background()
	ts := startServer(b, filepath.Join(b.TempDir(), "lat.db"))
	defer ts.Close()
	list, _ := ts.c.Graphs(ctx)
	g := list[0].ID
	var peers []*latencyPeer
	for range 8 {
		p := &latencyPeer{heard: map[string]time.Time{}, notify: make(chan struct{}, 1)}
		p.editor = newEditorWith(b, ts.url, g, func(evs []graph.Event) {
			now := time.Now()
			p.mu.Lock()
			for _, ev := range evs {
				if ev.Node != nil {
					p.heard[ev.Node.ID] = now
				}
			}
			p.mu.Unlock()
			select {
			case p.notify <- struct{}{}:
			default:
			}
		})
		peers = append(peers, p)
	}
	var lat []time.Duration
	b.ResetTimer()
	for round := range b.N {
		sent := make([]time.Time, len(peers))
		ids := make([]string, len(peers))
		var wg sync.WaitGroup
		for i, p := range peers {
			wg.Go(func() {
				label := fmt.Sprintf("r%d p%d", round, i)
				ed, err := p.rep.Edit(g, []graph.Op{{Op: graph.AddNode, Label: &label}})
				if err != nil {
					b.Error(err)
					return
				}
				ids[i], sent[i] = ed.Ops[0].ID, time.Now()
				p.send(ed)
			})
		}
		wg.Wait()
		for j, p := range peers {
			for {
				p.mu.Lock()
				done := true
				for i, id := range ids {
					if i != j {
						if _, ok := p.heard[id]; !ok {
							done = false
						}
					}
				}
				p.mu.Unlock()
				if done {
					break
				}
				select {
				case <-p.notify:
				case <-time.After(10 * time.Second):
					b.Fatalf("peer %d did not hear round %d", j, round)
				}
			}
			p.mu.Lock()
			for i, id := range ids {
				if i != j {
					lat = append(lat, p.heard[id].Sub(sent[i]))
				}
			}
			p.mu.Unlock()
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkResumeAfter10sOutage: the network between a peer and the host
// drops for 10 seconds while a writer goes on adding nodes; the figure is
// the time from the network's return to the peer holding the host's
// graph, and how many events it was sent.
func BenchmarkResumeAfter10sOutage(b *testing.B) {
	ctx := context.Background()
	ts := startServer(b, filepath.Join(b.TempDir(), "res.db"))
	defer ts.Close()
	list, _ := ts.c.Graphs(ctx)
	g := list[0].ID
	px := startProxy(b, ts.Addr.String())
	e := newEditorWith(b, px.url(), g, nil)
	var missed uint64
	var took, reconnect []time.Duration
	for range b.N {
		b.StopTimer()
		px.cut()
		before := e.rep.Seq()
		deadline := time.Now().Add(10 * time.Second)
		for i := 0; time.Now().Before(deadline); i++ {
			label := fmt.Sprintf("w%d", i)
			if _, err := ts.c.AddNode(ctx, g, graph.Op{Label: &label}); err != nil {
				b.Fatal(err)
			}
		}
		want, _ := ts.c.Graph(ctx, g)
		missed += want.Seq - before
		b.StartTimer()
		start := time.Now()
		px.heal()
		var back time.Duration
		for e.rep.Seq() < want.Seq {
			if s := e.l.State(); back == 0 && (s == client.Connected || s == client.Subscribed || s == client.Receiving) {
				back = time.Since(start)
			}
			time.Sleep(time.Millisecond)
			if time.Since(start) > time.Minute {
				b.Fatal("the peer did not catch up")
			}
		}
		took, reconnect = append(took, time.Since(start)), append(reconnect, back)
	}
	b.StopTimer()
	slices.Sort(took)
	slices.Sort(reconnect)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-to-catch-up")
	b.ReportMetric(float64(reconnect[len(reconnect)/2].Microseconds())/1000, "ms-to-reconnect")
	b.ReportMetric(float64(missed)/float64(b.N), "events-missed")
}
