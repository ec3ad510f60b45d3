package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"visionflow/graph"
	"visionflow/session"
	"visionflow/store"
)

// openSessionWith runs a session on a store whose log is synced by sync.
func openSessionWith(t *testing.T, path string, sync func(*os.File) error) (*Session, func() error) {
	t.Helper()
	s, _, stop := newSessionWith(t, path, store.Options{SyncFile: sync})
	return s, stop
}

// An edit is answered, and its events told, only once the fsync that
// covers it has ended; many writers at once each get their own answer and
// subscribers hear every event once, in order.
func TestEditsAreAnsweredAfterTheirSync(t *testing.T) {
	ctx := context.Background()
	var hold atomic.Bool
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	s, stop := openSessionWith(t, filepath.Join(t.TempDir(), "vf.db"), func(f *os.File) error {
		if hold.Load() {
			entered <- struct{}{}
			<-release
		}
		return f.Sync()
	})
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var heard []uint64
	unsub, err := s.Subscribe(func(ch session.Change) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range ch.Events {
			heard = append(heard, ev.Seq)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unsub()
	heardCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(heard)
	}

	hold.Store(true)
	answered := make(chan error, 1)
	go func() {
		_, err := s.Apply(ctx, "t", "g", addNode("first", "first"))
		answered <- err
	}()
	<-entered // its commit is written; the fsync that covers it is held
	select {
	case err := <-answered:
		t.Fatalf("answered (%v) while its fsync was still running", err)
	default:
	}
	if n := heardCount(); n != 0 {
		t.Fatalf("subscribers heard %d events before the fsync ended", n)
	}
	hold.Store(false)
	close(release)
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if n := heardCount(); n != 1 {
		t.Fatalf("subscribers heard %d events once it was durable, want 1", n)
	}

	const writers, each = 16, 25
	var wg sync.WaitGroup
	var seqs sync.Map
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				ch, err := s.Apply(ctx, "t", "g", addNode(id, id))
				if err != nil {
					t.Error(err)
					return
				}
				if prev, dup := seqs.LoadOrStore(ch.Events[0].Seq, id); dup {
					t.Errorf("seq %d answered to %s and %s", ch.Events[0].Seq, prev, id)
				}
				if ch.Nodes[0].ID != id {
					t.Errorf("%s answered with node %s", id, ch.Nodes[0].ID)
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(heard) != 1+writers*each {
		t.Fatalf("subscribers heard %d events, want %d", len(heard), 1+writers*each)
	}
	for i, seq := range heard {
		if seq != uint64(i+1) {
			t.Fatalf("event %d heard as seq %d: out of order or repeated", i, seq)
		}
	}
}

// A log that cannot be synced: the edit waiting for it is refused with the
// reason, nothing is published for it, every later write is refused, and
// /api/health says why.
func TestFailedSyncRefusesEditsAndSaysSo(t *testing.T) {
	ctx := context.Background()
	var failing atomic.Bool
	path := filepath.Join(t.TempDir(), "vf.db")
	s, stop := openSessionWith(t, path, func(f *os.File) error {
		if failing.Load() {
			return errors.New("input/output error")
		}
		return f.Sync()
	})
	if _, err := s.CreateGraph(ctx, "t", graph.Info{ID: "g", Name: "g", Type: graph.Knowledge}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, "t", "g", addNode("kept", "kept")); err != nil {
		t.Fatal(err)
	}
	var heard atomic.Int64
	unsub, err := s.Subscribe(func(ch session.Change) { heard.Add(int64(len(ch.Events))) })
	if err != nil {
		t.Fatal(err)
	}
	defer unsub()
	failing.Store(true)
	if _, err := s.Apply(ctx, "t", "g", addNode("lost", "lost")); err == nil || !strings.Contains(err.Error(), "input/output error") {
		t.Fatalf("an edit whose fsync failed: %v", err)
	}
	failing.Store(false) // the disk is back; writes stay refused until a restart
	if _, err := s.Apply(ctx, "t", "g", addNode("after", "after")); err == nil || !strings.Contains(err.Error(), "durable") {
		t.Fatalf("an edit after a failed fsync: %v", err)
	}
	if n := heard.Load(); n != 0 {
		t.Errorf("subscribers heard %d events of refused edits", n)
	}
	h, err := s.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != "degraded" || len(h.Problems) == 0 || !strings.Contains(h.Problems[0], "writes are refused") {
		t.Errorf("health %q %q", h.Status, h.Problems)
	}
	// Saving positions at the end fails the same way, if there were any
	// to save.
	if err := stop(); err != nil && !strings.Contains(err.Error(), "durable") {
		t.Errorf("the session's end after a failed fsync: %v", err)
	}

	// After a restart the acknowledged edit is there and writes work again.
	s2, stop2 := openSessionWith(t, path, nil)
	defer func() {
		if err := stop2(); err != nil {
			t.Error(err)
		}
	}()
	c, err := s2.Graph(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range c.Nodes {
		found = found || n.ID == "kept"
	}
	if !found {
		t.Error("the acknowledged node is gone after a restart")
	}
	if _, err := s2.Apply(ctx, "t", "g", addNode("again", "again")); err != nil {
		t.Errorf("writing after a restart: %v", err)
	}
}
