package ingest

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"visionflow/graph"
)

// history turns a dynamic GEXF's spells into the graph's history: each
// node and edge is added when a spell of it starts and removed when it
// ends, in time order, and imp.At says when, so the graph's events keep
// those times and its timeline replays how it grew. The graph as imported
// is the one at the last time the file names: what is there then is not
// removed. Times are ISO 8601 dates or date-times, or numbers (GEXF's
// double and integer time formats), taken as seconds since 1970. Where the
// times cannot be placed on one clock (a date before 1970 or in the
// future, a mix of numbers and dates, a time that does not parse), the
// import stays the graph with every node and edge it ever holds, as
// without history, and a warning says why.
func (p *gexfReader) history() {
	type stamped struct {
		at   time.Time
		rank int // at one time: edges go, then nodes go, nodes come, edges come
		op   graph.Op
	}
	var (
		lo, hi  time.Time
		numbers = -1 // unknown; 1 numbers, 0 dates
		bad     string
	)
	parse := func(s string) (time.Time, bool) {
		t, isNumber, err := gexfTime(s)
		switch {
		case err != nil:
			bad = err.Error()
		case numbers >= 0 && (numbers == 1) != isNumber:
			bad = fmt.Sprintf("time %q mixes numbers and dates", s)
		case t.Before(time.Unix(0, 0)) || t.After(time.Now()):
			bad = fmt.Sprintf("time %q is before 1970 or in the future, where the graph's clock cannot place it", s)
		default:
			if isNumber {
				numbers = 1
			} else {
				numbers = 0
			}
			if lo.IsZero() || t.Before(lo) {
				lo = t
			}
			if t.After(hi) {
				hi = t
			}
			return t, true
		}
		return time.Time{}, false
	}
	times := map[opKey][][2]time.Time{} // zero: open
	for k, spells := range p.spells {
		for _, sp := range spells {
			var iv [2]time.Time
			for j, v := range []string{sp.start, sp.end} {
				if v == "" {
					continue
				}
				t, ok := parse(v)
				if !ok {
					p.imp.Warnings = append(p.imp.Warnings, "the graph's times are kept as metadata, not as its history: "+bad)
					return
				}
				iv[j] = t
			}
			times[k] = append(times[k], iv)
		}
	}
	n := 0
	for _, ivs := range times {
		n += len(ivs)
	}
	if n > p.lim.MaxNodes+p.lim.MaxEdges {
		p.imp.Warnings = append(p.imp.Warnings, fmt.Sprintf("the graph's times are kept as metadata, not as its history: its %d spells are more than the node and edge limits together (system.import.maxNodes, maxEdges)", n))
		return
	}
	// Edges without an id get one, so their removal can name them.
	taken := map[string]bool{}
	for _, op := range p.edges {
		taken[op.ID] = true
	}
	next := 1
	for i := range p.edges {
		if p.edges[i].ID == "" {
			for taken["e"+strconv.Itoa(next)] {
				next++
			}
			p.edges[i].ID = "e" + strconv.Itoa(next)
			taken[p.edges[i].ID] = true
		}
	}
	spans := func(k opKey) [][2]time.Time {
		if ivs := times[k]; len(ivs) > 0 {
			return ivs
		}
		return [][2]time.Time{{}} // there all along
	}
	// covers says whether an item is meant to be there at t: what is
	// there at the last time stays, the graph as the file leaves it.
	covers := func(k opKey, t time.Time) bool {
		for _, iv := range spans(k) {
			if (iv[0].IsZero() || !t.Before(iv[0])) && (iv[1].IsZero() || t.Before(iv[1]) || !iv[1].Before(hi)) {
				return true
			}
		}
		return false
	}
	var evs []stamped
	index := map[string]int{}
	for i, op := range p.nodes {
		index[op.ID] = i
	}
	incident := make([][]int, len(p.nodes))
	for i, op := range p.edges {
		incident[index[op.Source]] = append(incident[index[op.Source]], i)
		if op.Target != op.Source {
			incident[index[op.Target]] = append(incident[index[op.Target]], i)
		}
	}
	push := func(k opKey, op graph.Op) {
		rankAdd, rankRemove := 2, 1
		if k.edge {
			rankAdd, rankRemove = 3, 0
		}
		for _, iv := range spans(k) {
			start := iv[0]
			if start.IsZero() {
				start = lo
			}
			evs = append(evs, stamped{start, rankAdd, op})
			if end := iv[1]; !end.IsZero() && end.Before(hi) {
				rm := graph.Op{Op: graph.RemoveNode, ID: op.ID}
				if k.edge {
					rm.Op = graph.RemoveEdge
				}
				evs = append(evs, stamped{end, rankRemove, rm})
			}
		}
	}
	for i, op := range p.nodes {
		push(opKey{false, i}, op)
	}
	for i, op := range p.edges {
		push(opKey{true, i}, op)
	}
	slices.SortStableFunc(evs, func(a, b stamped) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.rank, b.rank)) })
	// Replayed on a scratch graph, so every op applies in order: an edge
	// whose end is not there yet waits for it (it comes with the node, if
	// still meant to be there), one a node's removal took comes back with
	// the node, and a removal of what is gone already is left out.
	g := graph.New(graph.Info{ID: "gexf", Type: p.imp.Type})
	tx := g.Begin(graph.NewClock(nil), "gexf")
	var ops []graph.Op
	var at []time.Time
	do := func(op graph.Op, t time.Time) bool {
		if _, err := tx.Do(op); err != nil {
			return false
		}
		ops, at = append(ops, op), append(at, t)
		return true
	}
	shown := make([]bool, len(p.edges))
	for _, e := range evs {
		if !do(e.op, e.at) || e.op.Op != graph.AddNode {
			continue
		}
		for _, i := range incident[index[e.op.ID]] {
			if covers(opKey{true, i}, e.at) {
				if _, there := g.Edge(p.edges[i].ID); !there {
					do(p.edges[i], e.at)
				}
			}
		}
	}
	edgeAt := make(map[string]int, len(p.edges))
	for i, op := range p.edges {
		edgeAt[op.ID] = i
	}
	for _, op := range ops {
		if op.Op == graph.AddEdge {
			shown[edgeAt[op.ID]] = true
		}
	}
	dropped := 0
	for _, s := range shown {
		if !s {
			dropped++
		}
	}
	p.imp.Nodes, p.imp.Edges = len(g.Nodes()), len(g.Edges())
	tx.Rollback()
	p.imp.Ops, p.imp.At = ops, at
	// The dynamic warning said times would be metadata; they are history.
	p.imp.Warnings = slices.DeleteFunc(p.imp.Warnings, func(w string) bool { return strings.HasPrefix(w, "the graph changes over time") })
	msg := fmt.Sprintf("the graph changes over time: its %d changes from %s to %s are its history (the timeline replays them), and it is imported as it stands at the end; attribute values that change are kept at their last value",
		len(ops), gexfTimeText(lo, numbers == 1), gexfTimeText(hi, numbers == 1))
	if dropped > 0 {
		msg += fmt.Sprintf("; %d edges never had both ends there while they were meant to be, and were left out", dropped)
	}
	p.imp.Warnings = append(p.imp.Warnings, msg)
}

// gexfTime reads a GEXF time: a number (seconds since 1970) or an ISO 8601
// date or date-time.
func gexfTime(s string) (t time.Time, isNumber bool, err error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
			return time.Time{}, true, fmt.Errorf("time %q is out of range", s)
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), false, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("time %q is neither a number nor an ISO 8601 date", s)
}

func gexfTimeText(t time.Time, number bool) string {
	if number {
		return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'g', -1, 64)
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format(time.RFC3339)
}
