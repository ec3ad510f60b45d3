package store

import "sync"

// A writerGate puts small writes before bulk ones at the one writer and
// at the disk.
//
// database/sql hands its only connection to a random waiter, so an edit of
// one graph that arrives while an import of another holds the writer could
// wait for that part and then for the next one too, as the import's parts
// come back to back. And an fsync of the write-ahead log, which SQLite
// appends to, writes back the pages appended while it runs: an edit's
// fsync took 10 ms while an import's parts kept coming, against well under
// one alone. So a bulk write (a part of an import) first lets every small
// write that had asked for the writer by then commit, and then waits until
// they are durable, joining or running the fsync that makes them so. It
// waits for those only, not for small writes that come later, so a steady
// stream of edits does not hold an import up for ever.
type writerGate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	asked   uint64 // small writes that have asked for the writer
	done    uint64 // small writes that have had it (or given up)
	last    ticket // the latest commit of a small write
	waiting int    // bulk writes waiting
	seen    uint64 // asked, when the last bulk write was let through
	bulks   uint64 // bulk writes let through
	demand  uint64 // bulks, when the last one found small writes before it
}

// sharedBulks is how many bulk writes after one that found small writes
// before it still find the writer in demand. An edit every so often
// (a person's, not a benchmark's stream) would otherwise meet a part of
// full size nearly every time, and a part of 512 events held the writer
// for up to 10 ms in a trial through the binary.
const sharedBulks = 64

func newWriterGate() *writerGate {
	g := &writerGate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// small registers a small write about to ask for the writer; release
// says it is over, with the ticket of its commit (0 if it failed).
func (g *writerGate) small() (release func(ticket)) {
	g.mu.Lock()
	g.asked++
	g.mu.Unlock()
	return func(t ticket) {
		g.mu.Lock()
		g.done++
		g.last = max(g.last, t)
		if g.waiting > 0 {
			g.cond.Broadcast()
		}
		g.mu.Unlock()
	}
}

// bulk returns once every small write that had asked for the writer when
// it was called is over, with the ticket that covers their commits.
func (g *writerGate) bulk() ticket {
	g.mu.Lock()
	defer g.mu.Unlock()
	target := g.asked
	g.waiting++
	for g.done < target {
		g.cond.Wait()
	}
	g.waiting--
	g.bulks++
	if g.asked != g.seen {
		g.demand = g.bulks
	}
	g.seen = g.asked
	return g.last
}

// shared reports whether the writer is in demand: small writes have asked
// for it since the last bulk write was let through, or before one of the
// last sharedBulks.
func (g *writerGate) shared() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.asked != g.seen || (g.demand > 0 && g.bulks-g.demand < sharedBulks)
}
