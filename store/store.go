package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Options tune a Store. The zero value is sensible.
type Options struct {
	// SnapshotEvery is the least number of events between two snapshots
	// of a graph (default 1000). The real spacing is the larger of this and
	// the graph's size, so writing snapshots costs O(1) per event.
	SnapshotEvery int
	// Readers is the size of the reader pool (default: number of CPUs, at
	// least 2).
	Readers int
	Log     *slog.Logger
	// SyncFile makes the write-ahead log durable after commits (default:
	// fdatasync on Linux, fsync elsewhere); tests make it fail.
	SyncFile func(*os.File) error
}

// Store is an open VisionFlow database.
type Store struct {
	path          string
	w             *sql.DB // exactly one connection: the only writer
	r             *sql.DB // readers; WAL lets them run beside the writer
	snapshotEvery int
	log           *slog.Logger

	stmts map[string]*sql.Stmt // the writer's statements (writerStatements)
	sync  *syncer              // makes commits durable (durable.go)
	gate  *writerGate          // small writes before bulk ones (gate.go)

	// The seq of each graph's last snapshot, once read: asking SQLite on
	// every commit costs a seek past the snapshots' large rows (4 ms a
	// commit on a 64k-node graph). Ahead of the database only when a
	// transaction that wrote a snapshot rolled back, which delays the next
	// snapshot and loses nothing.
	snapMu  sync.Mutex
	snapSeq map[string]uint64

	waits atomic.Pointer[func(bulk bool, d time.Duration)] // ObserveWriterWaits
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if opt.SnapshotEvery <= 0 {
		opt.SnapshotEvery = 1000
	}
	if opt.Readers <= 0 {
		opt.Readers = max(2, runtime.NumCPU())
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("open database %s: create its folder: %w", abs, err)
	}
	// busy_timeout comes first so that even switching to WAL waits for a
	// lock instead of failing. A 2xx means the change survives power loss:
	// synchronous=NORMAL where the store fsyncs the log itself after each
	// commit, outside the writer (durable.go); FULL elsewhere.
	syncMode := "FULL"
	if externalSync {
		syncMode = "NORMAL"
	}
	w, err := sql.Open("sqlite", dsn(abs, "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous("+syncMode+")&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: abs, w: w, snapshotEvery: opt.SnapshotEvery, log: opt.Log, sync: newSyncer(abs), gate: newWriterGate()}
	if opt.SyncFile != nil {
		s.sync.fsync = opt.SyncFile
	}
	// Two processes creating the same file at once can meet a lock that
	// SQLite's busy handler does not wait for (switching to WAL); retry.
	err = retryBusy(ctx, func() error {
		if err := s.checkWAL(ctx); err != nil {
			return err
		}
		// A damaged file is refused before anything is written to it.
		if err := check(ctx, s.w, abs, true); err != nil {
			return err
		}
		if err := s.migrate(ctx); err != nil {
			return err
		}
		if externalSync { // a migration's commit, like any other, is synced by the store
			if err := s.sync.wait(s.sync.committed()); err != nil {
				return err
			}
		}
		return s.prepareWriter(ctx)
	})
	if err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(abs, "_pragma=busy_timeout(10000)&_query_only=1"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s for reading: %w", abs, err)
	}
	r.SetMaxOpenConns(opt.Readers)
	r.SetMaxIdleConns(opt.Readers)
	s.r = r
	return s, nil
}

// retryBusy runs fn until it does not fail with SQLITE_BUSY, for up to ten
// seconds.
func retryBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := fn()
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// dsn builds a SQLite URI for path; escaping keeps '?', '#' and '%' in file
// names from being read as URI syntax.
func dsn(path, params string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: C:/x → /C:/x
	}
	return "file://" + (&url.URL{Path: p}).EscapedPath() + "?" + params
}

func (s *Store) checkWAL(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("open database %s: %w", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("open database %s: journal mode is %q, not WAL (is the file on a network share?)", s.path, mode)
	}
	return nil
}

// ObserveWriterWaits has fn told how long each write waited for the one
// writer connection: what other writes, an import's parts (bulk) above all,
// cost it. fn runs on the writing goroutine and must return at once.
func (s *Store) ObserveWriterWaits(fn func(bulk bool, d time.Duration)) {
	s.waits.Store(&fn)
}

// writer returns the one writer connection once it is free, and tells the
// observer how long that took.
func (s *Store) writer(ctx context.Context, bulk bool) (*sql.Conn, error) {
	asked := time.Now()
	conn, err := s.w.Conn(ctx)
	if obs := s.waits.Load(); obs != nil && err == nil {
		(*obs)(bulk, time.Since(asked))
	}
	return conn, err
}

// Failed returns why the store refuses writes (its log could not be made
// durable), or nil.
func (s *Store) Failed() error { return s.sync.failed() }

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database. It checkpoints the WAL so the file stands on
// its own.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	errs = append(errs, s.sync.close())
	if _, err := s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		errs = append(errs, fmt.Errorf("checkpoint: %w", err))
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database %s: %w", s.path, err)
	}
	return nil
}

// writerStatements are the statements of commits, prepared once on the
// writer's connection when the store opens: preparing costs more than
// running the small statements of a commit.
var writerStatements = []string{
	qInsertBlock, qUpsertNode, qDeleteNode, qUpsertEdge, qUpdateEdge, qDeleteEdge,
	qWriteChunk, qGraphSeq, qUpdateGraph, qLastSnapshot,
}

func (s *Store) prepareWriter(ctx context.Context) error {
	s.stmts = make(map[string]*sql.Stmt, len(writerStatements))
	for _, q := range writerStatements {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return nil
}

// prepared returns the writer's statement for query within tx. The
// writer has one connection, which tx holds, so a statement that was not
// prepared at open is a bug.
func (s *Store) prepared(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	st := s.stmts[query]
	if st == nil {
		panic("store: statement not prepared at open: " + query)
	}
	return tx.StmtContext(ctx, st)
}

// write runs fn in one write transaction and returns once it is durable.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	t, err := s.writeUnsynced(ctx, fn)
	if err != nil || !externalSync {
		return err
	}
	return s.sync.wait(t)
}

// writeBulk runs fn in one write transaction after the small writes that
// are waiting for the writer (writerGate). Unless last it returns once
// committed, without waiting for the disk: for writes that nothing reads as
// done until a later, durable one (the parts of an import), which last
// marks.
func (s *Store) writeBulk(ctx context.Context, last bool, fn func(tx *sql.Tx) error) error {
	if err := s.sync.failed(); err != nil {
		return err
	}
	if t := s.gate.bulk(); externalSync {
		if err := s.sync.wait(t); err != nil {
			return err
		}
		runtime.Gosched() // the writes this sync made durable may answer first
	}
	t, err := s.commitBulk(ctx, last, fn)
	// The writer is free: a small write that waited for it has just been
	// handed it, and Go queues that goroutine to run next on this core,
	// after this one. But this one goes on to encode the next part, or
	// the snapshot, for up to the scheduler's 10 ms slice, while a
	// collector's worker can hold the other core: an edit waited 20 ms
	// so in a trace. Yielding here lets the edit run now.
	runtime.Gosched()
	if err != nil || !last || !externalSync {
		return err
	}
	return s.sync.wait(t)
}

// Checkpoints while a graph is written in parts. SQLite checkpoints the
// log in the commit that takes it past 1,000 pages; during an import that
// was often an edit of another graph, which then waited while its commit
// copied the import's pages and synced the log and the database (3–4 ms
// in a trace). So between an import's parts the threshold is out of
// reach, and each part brings it back for its own commit: the import's
// commits do its checkpoints. The last part leaves SQLite's default, and
// so does an import that ends early (CreateGraph).
const (
	autoCheckpoint   = 1000    // pages: SQLite's default
	importCheckpoint = 1 << 16 // pages: only a bound, should the next part never come
)

// commitBulk is commit for a part of a graph written in parts.
func (s *Store) commitBulk(ctx context.Context, last bool, fn func(tx *sql.Tx) error) (ticket, error) {
	conn, err := s.writer(ctx, true) // held until the threshold is set again
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := setAutoCheckpoint(ctx, conn, autoCheckpoint); err != nil {
		return 0, err
	}
	t, err := s.commit(ctx, conn, fn)
	if err != nil {
		return 0, err
	}
	if !last {
		// Failing leaves the default: other commits may checkpoint.
		_ = setAutoCheckpoint(ctx, conn, importCheckpoint)
	}
	return t, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func setAutoCheckpoint(ctx context.Context, db execer, pages int) error {
	_, err := db.ExecContext(ctx, "PRAGMA wal_autocheckpoint = "+strconv.Itoa(pages))
	return err
}

// writeLater runs fn in one write transaction and returns when it is
// committed, with the wait for it to be durable: the caller may take in
// its next work first, but must not acknowledge this write before wait
// returns nil.
func (s *Store) writeLater(ctx context.Context, fn func(tx *sql.Tx) error) (wait func() error, err error) {
	t, err := s.writeUnsynced(ctx, fn)
	if err != nil {
		return nil, err
	}
	if !externalSync {
		return func() error { return nil }, nil
	}
	return func() error { return s.sync.wait(t) }, nil
}

// writeUnsynced runs fn in one write transaction, committed but perhaps
// not yet on disk.
func (s *Store) writeUnsynced(ctx context.Context, fn func(tx *sql.Tx) error) (ticket, error) {
	// Once the log could not be synced, nothing new is written: it could
	// not be acknowledged.
	if err := s.sync.failed(); err != nil {
		return 0, err
	}
	release := s.gate.small()
	conn, err := s.writer(ctx, false)
	if err != nil {
		release(0)
		return 0, err
	}
	t, err := s.commit(ctx, conn, fn)
	conn.Close()
	release(t)
	return t, err
}

// commit runs fn in one write transaction on the writer connection w and
// returns its ticket.
func (s *Store) commit(ctx context.Context, w *sql.Conn, fn func(tx *sql.Tx) error) (ticket, error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return 0, cancelled(ctx, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, cancelled(ctx, err)
	}
	return s.sync.committed(), nil
}

// cancelled names the real cause when a transaction failed because its
// context ended: database/sql rolls such a transaction back on its own, and
// what fails next says only that it is done.
func cancelled(ctx context.Context, err error) error {
	if errors.Is(err, sql.ErrTxDone) && ctx.Err() != nil {
		return fmt.Errorf("%w (the transaction was rolled back)", ctx.Err())
	}
	return err
}
