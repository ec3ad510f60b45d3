package store

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/gen"
)

func skipWithoutExternalSync(t *testing.T) {
	if !externalSync {
		t.Skip("SQLite syncs its own log here (synchronous=FULL)")
	}
}

// openCountingSyncs opens a store in a fresh folder whose fsyncs of the
// log are counted.
func openCountingSyncs(t *testing.T) (*Store, *atomic.Int64) {
	t.Helper()
	skipWithoutExternalSync(t)
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	syncs := new(atomic.Int64)
	s.sync.fsync = func(f *os.File) error {
		syncs.Add(1)
		return f.Sync()
	}
	return s, syncs
}

// Every acknowledged commit has had an fsync of the log begun after it.
func TestCommitIsSyncedBeforeItReturns(t *testing.T) {
	ctx := context.Background()
	s, syncs := openCountingSyncs(t)
	defer s.Close()
	now := &fakeNow{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	clock := graph.NewClock(now.now)
	g := newGraph("g", now.t)
	if err := s.CreateGraph(ctx, g, build(g, clock, rand.New(rand.NewPCG(1, 2)), 3, 2), CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		before := syncs.Load()
		evs := build(g, clock, rand.New(rand.NewPCG(uint64(i), 2)), 1, 1)
		if err := s.Commit(ctx, g, evs); err != nil {
			t.Fatal(err)
		}
		if syncs.Load() == before {
			t.Fatalf("commit %d returned without an fsync of the log", i)
		}
	}
	// A reader connection sees every commit.
	info, err := s.GraphInfo(ctx, "g")
	if err != nil || info.Seq != g.Seq {
		t.Fatalf("stored seq %d, want %d (%v)", info.Seq, g.Seq, err)
	}
}

// Commits made while an fsync runs share the next one: three commits, two
// fsyncs.
func TestConcurrentCommitsShareAnFsync(t *testing.T) {
	skipWithoutExternalSync(t)
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	started := make(chan struct{}, 8)
	release := make(chan struct{})
	var syncs atomic.Int64
	s.sync.fsync = func(f *os.File) error {
		syncs.Add(1)
		started <- struct{}{}
		<-release
		return f.Sync()
	}
	// The first commit's wait runs an fsync, held until released.
	doneA, err := s.writeLater(ctx, func(tx *sql.Tx) error { return setMeta(ctx, tx, "a") })
	if err != nil {
		t.Fatal(err)
	}
	errA := make(chan error, 1)
	go func() { errA <- doneA() }()
	<-started
	// Two more commits while it runs: both need the next fsync.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, k := range []string{"b", "c"} {
		done, err := s.writeLater(ctx, func(tx *sql.Tx) error { return setMeta(ctx, tx, k) })
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { errs[i] = done() })
	}
	release <- struct{}{} // the first fsync ends; one waiter starts the second
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	<-started
	release <- struct{}{}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := syncs.Load(); n != 2 {
		t.Errorf("%d fsyncs for three commits, two of them made during the first; want 2", n)
	}
}

// A log that cannot be synced fails the commit that waits for it, and every
// write after it, with the reason; nothing later is written.
func TestFailedSyncStopsWrites(t *testing.T) {
	skipWithoutExternalSync(t)
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	if err := s.SetMeta(ctx, "before", "1"); err != nil {
		t.Fatal(err)
	}
	s.sync.fsync = func(*os.File) error { return errors.New("input/output error") }
	err := s.SetMeta(ctx, "lost", "1")
	if err == nil || !strings.Contains(err.Error(), "input/output error") || !strings.Contains(err.Error(), "durable") {
		t.Fatalf("a commit whose log could not be synced: %v", err)
	}
	s.sync.fsync = (*os.File).Sync // the disk is back; the store stays stopped
	if err := s.SetMeta(ctx, "after", "1"); err == nil || !strings.Contains(err.Error(), "durable") {
		t.Fatalf("a write after a failed sync: %v", err)
	}
	if v, _ := s.Meta(ctx, "after"); v != "" {
		t.Errorf("a write after a failed sync was stored: %q", v)
	}
}

func setMeta(ctx context.Context, tx *sql.Tx, key string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, '1')", key)
	return err
}

// A large graph's parts are not synced one by one: until the last commits
// the graph is marked as importing, and the fsync after the last part
// covers the parts before it. It returns only after that fsync.
func TestImportIsSyncedOnceAtItsEnd(t *testing.T) {
	ctx := context.Background()
	s, syncs := openCountingSyncs(t)
	defer s.Close()
	g, events := gen.Build("big", 1000, 2000, 1, graph.NewClock(nil))
	parts := (len(events) + createChunk - 1) / createChunk
	var synced []int64 // syncs done when each part began
	opt := CreateOptions{Progress: func(done, total int) {
		if done%createChunk == 0 && done < total {
			synced = append(synced, syncs.Load())
		}
	}}
	if err := s.CreateGraph(ctx, g, events, opt); err != nil {
		t.Fatal(err)
	}
	if len(synced) < parts-1 {
		t.Fatalf("told of %d parts, want %d", len(synced), parts)
	}
	if last := synced[len(synced)-1]; last != 0 {
		t.Errorf("%d fsyncs before the last part began, want none", last)
	}
	if n := syncs.Load(); n != 1 {
		t.Errorf("%d fsyncs for an import of %d parts, want 1, after the last", n, parts)
	}
}
