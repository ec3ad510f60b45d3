package app

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress prints how far a long job is: one updating line on a terminal,
// a line every 10% otherwise.
type progress struct {
	w        io.Writer
	terminal bool
	mu       sync.Mutex
	label    string
	last     time.Time
	lastPct  int
	open     bool // a terminal line without its newline yet
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			p.terminal = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return p
}

// step returns a callback that reports progress of one phase.
func (p *progress) step(label string) func(done, total int) {
	return func(done, total int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.label != label {
			p.finishLine()
			p.label, p.lastPct = label, -1
		}
		pct := 100
		if total > 0 {
			pct = done * 100 / total
		}
		switch {
		case p.terminal:
			if done < total && time.Since(p.last) < 100*time.Millisecond {
				return
			}
			p.last = time.Now()
			fmt.Fprintf(p.w, "\r%s: %d/%d (%d%%)", label, done, total, pct)
			p.open = true
		case pct/10 != p.lastPct/10 || (done == total && p.lastPct != 100):
			fmt.Fprintf(p.w, "%s: %d/%d (%d%%)\n", label, done, total, pct)
		}
		p.lastPct = pct
	}
}

func (p *progress) finishLine() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

// done ends the current phase's line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishLine()
	p.label = ""
}
