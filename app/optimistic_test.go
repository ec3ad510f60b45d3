package app

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/net/wire"
)

// editor is a peer that edits optimistically: a Replica fed by a Link.
// Its pump can be held, so that a test can make it edit on a stale view.
type editor struct {
	t        testing.TB
	c        *client.Client
	l        *client.Link
	rep      *client.Replica
	graph    string
	gate     sync.Mutex // held: the pump waits
	mu       sync.Mutex
	outcomes map[string]client.Outcome
	errs     map[string]error
	done     chan struct{}
	onEvents func([]graph.Event) // told of every events message, when set
}

func newEditor(t testing.TB, url, graphID string) *editor { return newEditorWith(t, url, graphID, nil) }

// newEditorWith is newEditor with a function told of every events message.
func newEditorWith(t testing.TB, url, graphID string, onEvents func([]graph.Event)) *editor {
	t.Helper()
	ctx := context.Background()
	e := &editor{t: t, c: client.New(url, "editor"), graph: graphID, outcomes: map[string]client.Outcome{}, errs: map[string]error{}, done: make(chan struct{}), onEvents: onEvents}
	l, err := e.c.Link(ctx, client.LinkOptions{MinBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.l = l
	if _, err := l.Subscribe(ctx, graphID, wire.StreamEvents); err != nil {
		t.Fatal(err)
	}
	c, err := e.c.Graph(ctx, graphID)
	if err != nil {
		t.Fatal(err)
	}
	e.rep, err = client.NewReplica(c, func(ed *client.Edit, o client.Outcome, err error) {
		e.mu.Lock()
		e.outcomes[ed.ID], e.errs[ed.ID] = o, err
		e.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	go e.pump()
	t.Cleanup(func() { l.Close(); <-e.done })
	return e
}

func (e *editor) pump() {
	defer close(e.done)
	for {
		var m client.Message
		select {
		case m = <-e.l.Messages():
		case <-e.l.Done():
			return
		}
		e.gate.Lock()
		switch m.Type {
		case wire.TypeEvents:
			var ev wire.Events
			json.Unmarshal(m.Raw, &ev)
			if e.rep.Apply(ev.Events) != nil {
				e.reload()
			}
			if e.onEvents != nil {
				e.onEvents(ev.Events)
			}
		case wire.TypeReload:
			e.reload()
		}
		e.gate.Unlock()
	}
}

func (e *editor) reload() {
	if c, err := e.c.Graph(context.Background(), e.graph); err == nil {
		e.rep.Reset(c)
	}
}

// edit makes an edit, checks it shows at once, and sends it.
func (e *editor) edit(ops ...graph.Op) *client.Edit {
	e.t.Helper()
	ed, err := e.rep.Edit(e.graph, ops)
	if err != nil {
		e.t.Fatalf("edit %v: %v", ops, err)
	}
	e.send(ed)
	return ed
}

func (e *editor) send(ed *client.Edit) {
	a, err := e.l.Stream().ApplyAt(context.Background(), e.graph, ed.Base, ed.Ops)
	if err != nil {
		e.rep.Refused(ed, err)
		return
	}
	e.rep.Accepted(ed, a.Events)
}

func (e *editor) outcome(ed *client.Edit) (client.Outcome, error, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, ok := e.outcomes[ed.ID]
	return o, e.errs[ed.ID], ok
}

// settled waits until the editor has no edit pending and shows exactly
// the server's graph.
func (e *editor) settled(server *client.Client) {
	e.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		want, _ := server.Graph(context.Background(), e.graph)
		v := e.rep.View()
		if e.rep.Pending() == 0 && v.Seq == want.Seq && reflect.DeepEqual(stripPositions(v.Contents()), stripPositions(want)) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the editor holds seq %d with %d pending, the server %d", v.Seq, e.rep.Pending(), want.Seq)
		}
	}
}

func TestOptimisticEditsAreShownAtOnceAndReconciled(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, filepath.Join(t.TempDir(), "o.db"))
	defer ts.Close()
	list, _ := ts.c.Graphs(ctx)
	g := list[0].ID
	a, b := newEditor(t, ts.url, g), newEditor(t, ts.url, g)

	// A new node gets its id here and is in the view before the server
	// has heard of it.
	label := "made here"
	ed, err := a.rep.Edit(g, []graph.Op{{Op: graph.AddNode, Label: &label}})
	if err != nil {
		t.Fatal(err)
	}
	id := ed.Ops[0].ID
	if n, ok := a.rep.View().Node(id); !ok || n.Label != label || len(id) != 26 {
		t.Fatalf("the new node %q is not shown at once: %+v", id, n)
	}
	a.send(ed)
	if o, err, ok := a.outcome(ed); !ok || o != client.Confirmed || err != nil {
		t.Errorf("a lone edit: %v %v %v", o, err, ok)
	}
	b.settled(ts.c)
	if _, ok := b.rep.View().Node(id); !ok {
		t.Error("the other peer does not have the node under the id made by the first")
	}

	// Rebased: a edits on a view that has not seen b's two edits.
	a.gate.Lock()
	b.edit(graph.Op{Op: graph.AddNode, ID: "b1"})
	b.edit(graph.Op{Op: graph.AddNode, ID: "b2"})
	newLabel := "renamed by a"
	ed = a.edit(graph.Op{Op: graph.UpdateNode, ID: id, Label: &newLabel})
	a.gate.Unlock()
	a.settled(ts.c)
	if o, _, _ := a.outcome(ed); o != client.Rebased {
		t.Errorf("an edit made before two others arrived: %v", o)
	}

	// Rolled back: b removes a node while a, not knowing, relabels it.
	a.gate.Lock()
	b.edit(graph.Op{Op: graph.RemoveNode, ID: "b1"})
	gone := "too late"
	ed = a.edit(graph.Op{Op: graph.UpdateNode, ID: "b1", Label: &gone})
	if o, err, ok := a.outcome(ed); !ok || o != client.RolledBack || err == nil || !strings.Contains(err.Error(), "b1") {
		t.Errorf("an edit of a node removed meanwhile: %v %v %v", o, err, ok)
	}
	a.gate.Unlock()
	a.settled(ts.c)
	if _, ok := a.rep.View().Node("b1"); ok {
		t.Error("the rolled-back edit left the node in the view")
	}
}

// Eight peers edit at once; all of them end with the server's graph and
// nothing pending.
func TestEightPeersEditingAtOnceConverge(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, filepath.Join(t.TempDir(), "p.db"))
	defer ts.Close()
	list, _ := ts.c.Graphs(ctx)
	g := list[0].ID
	var peers []*editor
	for range 8 {
		peers = append(peers, newEditor(t, ts.url, g))
	}
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() {
			for k := range 10 {
				lbl := fmt.Sprintf("p%d-%d", i, k)
				ed, err := p.rep.Edit(g, []graph.Op{{Op: graph.AddNode, Label: &lbl}})
				if err != nil {
					t.Error(err)
					return
				}
				p.send(ed)
			}
		})
	}
	wg.Wait()
	want, _ := ts.c.Graph(ctx, g)
	for _, p := range peers {
		p.settled(ts.c)
		p.mu.Lock()
		for id, o := range p.outcomes {
			if o == client.RolledBack {
				t.Errorf("edit %s rolled back: %v", id, p.errs[id])
			}
		}
		p.mu.Unlock()
	}
	if got := len(want.Nodes); got < 80 {
		t.Errorf("%d nodes on the server", got)
	}
}
