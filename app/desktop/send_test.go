package desktop

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/net/client"
)

// applyRecorder is a host that records the edits it is sent and holds the
// first until released.
type applyRecorder struct {
	Source
	arrived chan string
	release chan struct{}

	mu           sync.Mutex
	order        []string
	inFlight     int
	mostAtOnce   int
	heldTheFirst bool
}

func (a *applyRecorder) Apply(ctx context.Context, _ string, _ uint64, ops []graph.Op) ([]graph.Event, error) {
	a.mu.Lock()
	a.order = append(a.order, ops[0].ID)
	a.inFlight++
	a.mostAtOnce = max(a.mostAtOnce, a.inFlight)
	hold := !a.heldTheFirst
	a.heldTheFirst = true
	a.mu.Unlock()
	a.arrived <- ops[0].ID
	if hold {
		<-a.release
	}
	a.mu.Lock()
	a.inFlight--
	a.mu.Unlock()
	return nil, nil
}

// Edits reach the host one at a time, in the order they were made, even
// when the first is slow to be answered.
func TestEditsAreSentOneAtATimeInOrder(t *testing.T) {
	host := &applyRecorder{arrived: make(chan string, 3), release: make(chan struct{})}
	m := &model{src: host, reqs: make(chan func(context.Context), 64)}
	ctx, cancel := context.WithCancel(context.Background())
	for _, id := range []string{"drag-start", "drag-middle", "drag-end"} {
		m.send(ctx, &client.Edit{Graph: "g", Ops: []graph.Op{{Op: graph.UpdateNode, ID: id}}})
	}
	if got := <-host.arrived; got != "drag-start" {
		t.Fatalf("the first edit to arrive is %q", got)
	}
	received := 1
	// Another edit arriving while the first is held is the fault; none
	// arriving proves nothing alone, so the wait is short and only widens
	// the chance of catching it.
	select {
	case got := <-host.arrived:
		received++
		t.Errorf("%q arrived while the first edit was unanswered", got)
	case <-time.After(20 * time.Millisecond):
	}
	close(host.release)
	for ; received < 3; received++ {
		<-host.arrived
	}
	cancel() // the answers are posted to a model goroutine this test does not run
	m.bg.Wait()
	if want := []string{"drag-start", "drag-middle", "drag-end"}; !slices.Equal(host.order, want) || host.mostAtOnce != 1 {
		t.Errorf("the host got %v, %d at once; want %v one at a time", host.order, host.mostAtOnce, want)
	}
}
