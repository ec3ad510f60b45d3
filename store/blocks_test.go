package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/graph/gen"
)

// An import's events are stored in large blocks, each later commit's in a
// block of its own, compressed or plain; reading the log pages across them
// as if it were one, and time travel finds the state at any event's time.
func TestEventsAcrossBlocks(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	// Every event a millisecond after the one before.
	tick := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	clock := graph.NewClock(func() time.Time { tick = tick.Add(time.Millisecond); return tick })
	g, imported := gen.Build("b", 1500, 3000, 1, clock)
	states := map[uint64]*graph.Graph{} // the graph after some events, rebuilt from the import
	replay := graph.New(g.Info)
	replay.Seq = 0
	for _, ev := range imported {
		if err := replay.Apply(ev); err != nil {
			t.Fatal(err)
		}
		if ev.Seq%createChunk <= 1 || ev.Seq == 777 {
			states[ev.Seq] = replay.Clone()
		}
	}
	if err := s.CreateGraph(ctx, g, imported, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	importBlocks := (len(imported) + createChunk - 1) / createChunk
	if n := countRows(t, s, "event_blocks", "b"); n != importBlocks {
		t.Fatalf("%d blocks for %d events", n, len(imported))
	}
	all := slices.Clone(imported)
	// A commit of five new nodes (long enough to be compressed), one of one
	// (stored plain), and one of five again.
	for k, size := range []int{5, 1, 5} {
		tx := g.Begin(clock, "editor")
		for i := range size {
			if _, err := tx.Do(graph.Op{Op: graph.AddNode, ID: fmt.Sprintf("late%d-%d", k, i)}); err != nil {
				t.Fatal(err)
			}
		}
		later := tx.Commit()
		if err := s.Commit(ctx, g, later); err != nil {
			t.Fatal(err)
		}
		for _, ev := range later { // the state after every one, inside the block or at its end
			if err := replay.Apply(ev); err != nil {
				t.Fatal(err)
			}
			states[ev.Seq] = replay.Clone()
		}
		all = append(all, later...)
	}
	if n := countRows(t, s, "event_blocks", "b"); n != importBlocks+3 {
		t.Fatalf("%d blocks after three commits, want %d", n, importBlocks+3)
	}
	var compressed []bool
	rows, err := s.r.Query("SELECT data FROM event_blocks WHERE graph_id = 'b' ORDER BY first_seq DESC LIMIT 3")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var data []byte
		rows.Scan(&data)
		compressed = append(compressed, bytes.HasPrefix(data, zstdMagic))
	}
	rows.Close()
	if !slices.Equal(compressed, []bool{true, false, true}) {
		t.Errorf("the last three blocks compressed: %v, want five events compressed and one plain", compressed)
	}

	// Pages that end inside blocks and at their ends.
	for _, page := range []int{1, 3, 300, createChunk, 1000, len(all)} {
		var got []graph.Event
		for since := uint64(0); ; {
			evs, err := s.Events(ctx, "b", since, page)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			if len(evs) > page {
				t.Fatalf("page of %d holds %d", page, len(evs))
			}
			got = append(got, evs...)
			since = evs[len(evs)-1].Seq
		}
		if len(got) != len(all) {
			t.Fatalf("pages of %d: %d events, want %d", page, len(got), len(all))
		}
		for i := range got {
			if got[i].Seq != all[i].Seq || got[i].Type != all[i].Type || got[i].Subject() != all[i].Subject() || got[i].Time != all[i].Time {
				t.Fatalf("pages of %d: event %d is %+v, want %+v", page, i, got[i], all[i])
			}
		}
	}
	for seq, want := range states {
		at := all[seq-1].Time.Wall()
		got, err := s.GraphAt(ctx, "b", at)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := s.ContentsAt(ctx, "b", at); err != nil || !reflect.DeepEqual(c, got.Contents()) {
			t.Errorf("at event %d's time: ContentsAt differs from GraphAt (%v)", seq, err)
		}
		if got.Seq != seq || got.NodeCount() != want.NodeCount() || got.EdgeCount() != want.EdgeCount() {
			t.Errorf("at event %d's time: seq %d, %d nodes, %d edges; want %d nodes, %d edges",
				seq, got.Seq, got.NodeCount(), got.EdgeCount(), want.NodeCount(), want.EdgeCount())
		}
	}
	// The clock of a new process starts after the blocks' times too.
	if latest, err := s.MaxTime(ctx); err != nil || latest != all[len(all)-1].Time {
		t.Errorf("MaxTime = %v (%v), want %v", latest, err, all[len(all)-1].Time)
	}
}

// A damaged block is an error that says so, never a panic or a wrong log.
func TestDamagedBlockIsAnError(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	g, evs := gen.Build("d", 300, 600, 1, graph.NewClock(nil))
	if err := s.CreateGraph(ctx, g, evs, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	good, _ := encodeBlock(evs[createChunk:createChunk+3], importEncoder)
	for name, data := range map[string][]byte{
		"not JSON lines":      []byte("garbage"),
		"damaged zstd":        append(slices.Clone(zstdMagic), "garbage"...),
		"events of elsewhere": good,
	} {
		if _, err := s.w.Exec("UPDATE event_blocks SET data = ? WHERE graph_id = 'd' AND first_seq = 1", data); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Events(ctx, "d", 0, 10); err == nil {
			t.Errorf("%s: the log read without an error", name)
		}
	}
	if _, err := s.w.Exec("DELETE FROM event_blocks WHERE graph_id = 'd' AND first_seq = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Events(ctx, "d", 0, 10); !errors.Is(err, graph.ErrCorruptEvent) {
		t.Errorf("a missing block: %v, want ErrCorruptEvent", err)
	}
}

func FuzzDecodeBlock(f *testing.F) {
	g, evs := gen.Build("f", 5, 6, 1, graph.NewClock(nil))
	_ = g
	good, _ := encodeBlock(evs, importEncoder)
	f.Add(good, uint64(1), uint64(len(evs)), uint64(0), uint64(100))
	f.Add(importEncoder.EncodeAll([]byte("{}\n{\"seq\":2}\n"), nil), uint64(1), uint64(2), uint64(0), uint64(2))
	plain, _ := encodeBlock(evs[:1], commitEncoder)
	f.Add(plain, uint64(1), uint64(1), uint64(0), uint64(1))
	f.Fuzz(func(t *testing.T, data []byte, first, last, from, to uint64) {
		want := max(first, from+1)
		_ = decodeBlock(data, first, last, from, to, func(ev graph.Event) error {
			if ev.Seq != want || ev.Seq > to || ev.Seq <= from || ev.Seq > last {
				t.Fatalf("gave event %d, want %d (block %d–%d, range %d–%d]", ev.Seq, want, first, last, from, to)
			}
			want++
			return nil
		})
	})
}
