package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"visionflow/graph"
)

// The writer stays in demand for the sharedBulks bulk writes after one
// that found small writes before it: an edit now and then keeps an import's
// parts small, not only a stream of them.
func TestGateStaysSharedAfterASmallWrite(t *testing.T) {
	g := newWriterGate()
	if g.shared() {
		t.Fatal("shared before any small write")
	}
	g.bulk()
	if g.shared() {
		t.Fatal("shared after a bulk write with no small write before it")
	}
	g.small()(1)
	if !g.shared() {
		t.Fatal("not shared with a small write since the last bulk write")
	}
	g.bulk() // finds the small write before it
	for i := range sharedBulks {
		if !g.shared() {
			t.Fatalf("no longer shared %d bulk writes after the one that found a small write", i)
		}
		g.bulk()
	}
	if g.shared() {
		t.Fatalf("still shared %d bulk writes after the one that found a small write", sharedBulks)
	}
}

func (g *writerGate) bulkWaiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// A bulk write waits for the small writes that asked for the writer before
// it, and only for those: a stream of later ones does not hold it up.
func TestGateBulkWaitsForEarlierSmallWritesOnly(t *testing.T) {
	g := newWriterGate()
	if got := g.bulk(); got != 0 {
		t.Fatalf("bulk with no small writes = ticket %d, want 0", got)
	}
	early := g.small()
	got := make(chan ticket)
	go func() { got <- g.bulk() }()
	for g.bulkWaiting() == 0 {
		runtime.Gosched()
	}
	late := g.small() // asks after the bulk write did
	select {
	case tk := <-got:
		t.Fatalf("bulk returned (ticket %d) before the small write before it was over", tk)
	default:
	}
	early(5)
	if tk := <-got; tk != 5 {
		t.Fatalf("bulk returned ticket %d, want the earlier write's 5", tk)
	}
	late(7)
	if tk := g.bulk(); tk != 7 {
		t.Fatalf("next bulk returned ticket %d, want 7", tk)
	}
	failed := g.small()
	failed(0) // a small write that failed has no ticket
	if tk := g.bulk(); tk != 7 {
		t.Fatalf("bulk after a failed small write returned ticket %d, want 7", tk)
	}
}

// A bulk write does not start until the small writes before it are on
// disk: an fsync of the log under way would otherwise chase the pages the
// bulk write appends.
func TestBulkWriteWaitsForEarlierSmallWritesToBeDurable(t *testing.T) {
	s, _ := openCountingSyncs(t)
	defer s.Close()
	ctx := context.Background()
	inSync, release := make(chan struct{}), make(chan struct{})
	var synced atomic.Bool
	s.sync.fsync = func(f *os.File) error {
		if synced.Load() {
			return f.Sync()
		}
		close(inSync)
		<-release
		err := f.Sync()
		synced.Store(true)
		return err
	}
	small := make(chan error)
	go func() {
		small <- s.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO settings (path, value) VALUES ('small', '1')")
			return err
		})
	}()
	<-inSync // committed; its fsync is under way
	ran := make(chan bool, 1)
	bulk := make(chan error)
	go func() {
		bulk <- s.writeBulk(ctx, false, func(tx *sql.Tx) error {
			ran <- synced.Load()
			return nil
		})
	}()
	for {
		select {
		case after := <-ran:
			t.Fatalf("the bulk write ran while the small write's fsync was under way (fsync over: %v)", after)
		default:
		}
		s.sync.mu.Lock()
		n := s.sync.waiting
		s.sync.mu.Unlock()
		if n > 0 {
			break // the bulk write waits for that fsync
		}
		runtime.Gosched()
	}
	close(release)
	if err := <-small; err != nil {
		t.Fatal(err)
	}
	if after := <-ran; !after {
		t.Fatal("the bulk write ran before the small write was durable")
	}
	if err := <-bulk; err != nil {
		t.Fatal(err)
	}
}

func autoCheckpointOf(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.w.QueryRow("PRAGMA wal_autocheckpoint").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Between the parts of an import, other commits do not checkpoint the
// log; the import's own parts do, and SQLite's threshold is back once it
// ends, whether it is stored or abandoned.
func TestImportPartsDoTheCheckpoints(t *testing.T) {
	s, _ := openCountingSyncs(t)
	defer s.Close()
	for _, abandon := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		now := &fakeNow{time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
		g := newGraph(fmt.Sprintf("g%v", abandon), now.t)
		events := build(g, graph.NewClock(now.now), rand.New(rand.NewPCG(1, 2)), 2000, 2000)
		between := make(chan func(ticket), 1)
		held := false
		opt := CreateOptions{Progress: func(done, total int) {
			if done >= 2*createChunk && !held {
				// Inside a part: hold the next one at the gate.
				held = true
				between <- s.gate.small()
			}
		}}
		created := make(chan error)
		go func() { created <- s.CreateGraph(ctx, g, events, opt) }()
		release := <-between
		for s.gate.bulkWaiting() == 0 {
			runtime.Gosched()
		}
		if n := autoCheckpointOf(t, s); n != importCheckpoint {
			t.Errorf("between parts the threshold is %d pages, want %d", n, importCheckpoint)
		}
		if abandon {
			cancel()
		}
		release(0)
		err := <-created
		if abandon != (err != nil) {
			t.Fatalf("abandoned %v: CreateGraph returned %v", abandon, err)
		}
		if n := autoCheckpointOf(t, s); n != autoCheckpoint {
			t.Errorf("abandoned %v: after the import the threshold is %d pages, want %d", abandon, n, autoCheckpoint)
		}
		cancel()
	}
}

// The observer is told how long a write waited for the writer: here, a
// small write behind a part of an import that holds it.
func TestWriterWaitsAreObserved(t *testing.T) {
	s, _ := openCountingSyncs(t)
	defer s.Close()
	ctx := context.Background()
	type wait struct {
		bulk bool
		d    time.Duration
	}
	var mu sync.Mutex
	var waits []wait
	s.ObserveWriterWaits(func(bulk bool, d time.Duration) {
		mu.Lock()
		waits = append(waits, wait{bulk, d})
		mu.Unlock()
	})
	held, release := make(chan struct{}), make(chan struct{})
	bulk := make(chan error)
	go func() {
		bulk <- s.writeBulk(ctx, false, func(*sql.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	before := s.w.Stats().WaitCount
	small := make(chan error)
	go func() {
		small <- s.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO settings (path, value) VALUES ('small', '1')")
			return err
		})
	}()
	for s.w.Stats().WaitCount == before {
		runtime.Gosched() // until the small write waits for the connection
	}
	const hold = 20 * time.Millisecond
	time.Sleep(hold) // the small write waits at least this long
	close(release)
	if err := <-bulk; err != nil {
		t.Fatal(err)
	}
	if err := <-small; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 2 || !waits[0].bulk || waits[1].bulk {
		t.Fatalf("waits observed: %v, want the bulk write's, then the small write's", waits)
	}
	if waits[1].d < hold {
		t.Errorf("the small write waited %v for the writer, observed as less than the %v the import's part held it", waits[1].d, hold)
	}
}
