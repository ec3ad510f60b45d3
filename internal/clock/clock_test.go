package clock

import (
	"testing"
	"time"
)

func TestManualFiresInOrderAndOnlyWhenAdvanced(t *testing.T) {
	start := time.Unix(1000, 0)
	m := NewManual(start)
	tick := m.NewTicker(100 * time.Millisecond)
	timer := m.NewTimer(250 * time.Millisecond)
	if m.Waiting() != 2 {
		t.Fatalf("%d armed, want 2", m.Waiting())
	}
	m.Advance(99 * time.Millisecond)
	select {
	case <-tick.C():
		t.Fatal("a tick before its period")
	default:
	}
	m.Advance(time.Millisecond)
	if at := <-tick.C(); !at.Equal(start.Add(100 * time.Millisecond)) {
		t.Errorf("first tick at %v", at.Sub(start))
	}
	// Two more periods pass untaken: one tick waits, the other is dropped.
	m.Advance(200 * time.Millisecond)
	if at := <-tick.C(); !at.Equal(start.Add(200 * time.Millisecond)) {
		t.Errorf("kept tick at %v", at.Sub(start))
	}
	select {
	case <-tick.C():
		t.Error("a second tick was kept while the first was not taken")
	default:
	}
	if at := <-timer.C(); !at.Equal(start.Add(250 * time.Millisecond)) {
		t.Errorf("timer at %v", at.Sub(start))
	}
	if m.Waiting() != 1 || timer.Stop() {
		t.Errorf("a fired timer is still armed")
	}
	tick.Reset(time.Second)
	m.Advance(999 * time.Millisecond)
	select {
	case <-tick.C():
		t.Error("a reset ticker fired early")
	default:
	}
	m.Advance(time.Millisecond)
	<-tick.C()
	tick.Stop()
	if m.Waiting() != 0 {
		t.Errorf("%d armed after Stop", m.Waiting())
	}
	if got := m.Now().Sub(start); got != 1300*time.Millisecond {
		t.Errorf("now is start+%v", got)
	}
}
