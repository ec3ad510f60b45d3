package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// A commit is made durable apart from the transaction that wrote it.
//
// With synchronous=FULL, SQLite fsyncs the write-ahead log inside every
// commit while it holds the only writer connection: every other write, of
// any graph, waits for the disk, and a graph's next group of edits cannot
// start until the last one's fsync is over. Instead the writer runs with
// synchronous=NORMAL (SQLite still syncs around checkpoints and WAL
// resets) and the store fsyncs the log file itself after the commit,
// outside the connection. SQLite's FULL is exactly NORMAL plus that fsync
// after each commit, so an acknowledged write is as durable as before; what
// changes is that one fsync now covers every commit made before it began,
// and that the writer is free while the disk works.
//
// Windows keeps synchronous=FULL: its files are opened with sharing modes
// that another handle may not match, and there is no machine to test on.
var externalSync = runtime.GOOS != "windows"

// A ticket names a commit; it is durable once the syncer's synced count
// reaches it.
type ticket uint64

// syncer fsyncs the write-ahead log for commits, several at once. There is
// no goroutine of its own: whoever needs a sync and finds none running
// becomes the one that runs it.
type syncer struct {
	path    string // the -wal file
	written atomic.Uint64
	fsync   func(*os.File) error // syncData; tests make it fail

	mu      sync.Mutex
	cond    *sync.Cond
	synced  uint64
	running bool
	waiting int      // callers waiting for a sync under way (tests watch it)
	err     error    // sticky: once the log could not be synced, no write is acknowledged again
	f       *os.File // the log file, reopened if SQLite replaced it
}

func newSyncer(dbPath string) *syncer {
	y := &syncer{path: dbPath + "-wal", fsync: syncData}
	y.cond = sync.NewCond(&y.mu)
	return y
}

// committed returns the ticket of a commit that has just returned. It is
// taken after the commit, so any sync that starts later covers it.
func (y *syncer) committed() ticket { return ticket(y.written.Add(1)) }

// failed returns the error that stopped durability, if one did.
func (y *syncer) failed() error {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.err
}

// wait returns when commit t is on disk, running the fsync itself if none
// is under way.
func (y *syncer) wait(t ticket) error {
	y.mu.Lock()
	defer y.mu.Unlock()
	for {
		switch {
		case y.err != nil:
			return y.err
		case y.synced >= uint64(t):
			return nil
		case y.running:
			y.waiting++
			y.cond.Wait()
			y.waiting--
			continue
		}
		y.running = true
		target := y.written.Load() // every commit counted so far is in the file
		y.mu.Unlock()
		err := y.syncFile()
		y.mu.Lock()
		y.running = false
		if err != nil {
			y.err = fmt.Errorf("make the write-ahead log %s durable: %w; no write is acknowledged until VisionFlow restarts", y.path, err)
		} else {
			y.synced = max(y.synced, target)
		}
		y.cond.Broadcast()
	}
}

// syncFile fsyncs the log. Only the running syncer calls it.
func (y *syncer) syncFile() error {
	st, err := os.Stat(y.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no log: nothing was written through one since it was checkpointed away
	}
	if err != nil {
		return err
	}
	if y.f != nil {
		if cur, err := y.f.Stat(); err != nil || !os.SameFile(cur, st) {
			y.f.Close()
			y.f = nil
		}
	}
	if y.f == nil {
		// Write access: some systems sync only through a writable handle.
		if y.f, err = os.OpenFile(y.path, os.O_RDWR, 0); err != nil {
			return err
		}
	}
	return y.fsync(y.f)
}

// close closes the log file. The store's writers have finished.
func (y *syncer) close() error {
	y.mu.Lock()
	defer y.mu.Unlock()
	if y.f == nil {
		return nil
	}
	err := y.f.Close()
	y.f = nil
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}
