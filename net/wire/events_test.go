package wire

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"visionflow/graph"
)

// An events message written by hand is what encoding/json writes for it.
func TestEventsAppendJSONMatchesEncodingJSON(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := graph.NewClock(func() time.Time { return now })
	g := graph.New(graph.Info{ID: "g", Type: graph.Knowledge})
	odd := "<b>&\"é\u2028\\"
	tx := g.Begin(clock, odd)
	for _, op := range []graph.Op{
		{Op: graph.AddNode, ID: "a", Label: &odd, Metadata: map[string]*string{odd: &odd}},
		{Op: graph.AddNode, ID: "b"},
		{Op: graph.AddEdge, ID: "e", Source: "a", Target: "b", Label: &odd},
		{Op: graph.UpdateNode, ID: "a", Metadata: map[string]*string{odd: nil}},
		{Op: graph.RemoveEdge, ID: "e"},
	} {
		if _, err := tx.Do(op); err != nil {
			t.Fatal(err)
		}
	}
	events := tx.Commit()
	for _, m := range []Events{
		{Type: TypeEvents, Graph: odd, Events: events},
		{Type: TypeEvents, Graph: "g", Events: []graph.Event{}},
		{Type: TypeEvents, Graph: "g"},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		if got := m.AppendJSON(nil); !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("%d events:\n got %s\nwant %s", len(m.Events), got, want.Bytes())
		}
	}
}
