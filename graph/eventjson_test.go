package graph

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func eventEncodingJSON(t testing.TB, e *Event) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Every kind of event a graph records, with odd strings and floats, is
// written as encoding/json writes it.
func TestEventAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	g := randomGraph(r, 60, 120)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := NewClock(func() time.Time { return now })
	var events []Event
	for i := range 400 {
		tx := g.Begin(clock, []string{"", "alice", "bob <b>&"}[i%3])
		if _, err := tx.Do(randomOp(r, g)); err != nil {
			tx.Rollback()
			continue
		}
		events = append(events, tx.Commit()...)
	}
	kinds := map[EventType]bool{}
	for i := range events {
		e := &events[i]
		kinds[e.Type] = true
		if got, want := e.AppendJSON(nil), eventEncodingJSON(t, e); !bytes.Equal(got, want) {
			t.Fatalf("event %d (%s):\n got %s\nwant %s", e.Seq, e.Type, got, want)
		}
	}
	if len(kinds) < 6 {
		t.Errorf("only %d kinds of event tried: %v", len(kinds), kinds)
	}
}

func FuzzEventAppendJSON(f *testing.F) {
	f.Add("x", "label\u2028<>", float32(0.5), true, uint64(1)<<60)
	f.Add("", "", float32(1e-7), false, uint64(0))
	f.Fuzz(func(t *testing.T, id, s string, x float32, pin bool, hlc uint64) {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return
		}
		v := Vec3{x, -x, x * 3}
		e := &Event{Seq: hlc >> 3, Time: Timestamp(hlc), Type: EventType(s), Client: s, ID: id,
			Node:     &Node{ID: id, Label: s, Position: v, Metadata: map[string]string{s: id}, Pinned: pin},
			Edge:     &Edge{ID: id, Source: s, Target: id, Label: s, Weight: x},
			Position: &v, PrevVelocity: &v, Pinned: &pin, Label: &s, PrevLabel: &id,
			Metadata: map[string]*string{s: &id, id + "k": nil}, PrevMetadata: map[string]*string{"": nil},
			Weight: &x}
		if got, want := e.AppendJSON(nil), eventEncodingJSON(t, e); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}
