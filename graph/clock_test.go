package graph

import (
	"testing"
	"time"
)

func TestClockIsMonotonicWhenWallClockStallsOrGoesBack(t *testing.T) {
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(func() time.Time { return wall })
	a := c.Now()
	b := c.Now()
	if b <= a || b.Wall() != a.Wall() || b.Logical() != a.Logical()+1 {
		t.Errorf("same millisecond: %v then %v", a, b)
	}
	wall = wall.Add(-time.Hour) // the system clock is set back
	if d := c.Now(); d <= b {
		t.Errorf("after the wall clock went back: %v is not after %v", d, b)
	}
	wall = wall.Add(2 * time.Hour)
	e := c.Now()
	if e.Logical() != 0 || !e.Wall().Equal(wall) {
		t.Errorf("after the wall clock moved on: %v, want %v+0", e, wall)
	}
}

func TestClockObserve(t *testing.T) {
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(func() time.Time { return wall })
	remote := MakeTimestamp(wall.Add(30*time.Second), 7)
	got, err := c.Observe(remote)
	if err != nil || got <= remote {
		t.Fatalf("Observe(%v) = %v, %v; want a later timestamp", remote, got, err)
	}
	if next := c.Now(); next <= got {
		t.Errorf("Now after Observe = %v, not after %v", next, got)
	}
	if _, err := c.Observe(MakeTimestamp(wall.Add(2*MaxDrift), 0)); err == nil {
		t.Error("a timestamp far in the future was accepted")
	}
}

func TestTimestampParts(t *testing.T) {
	wall := time.Date(2026, 11, 27, 10, 11, 12, 13e6, time.UTC)
	ts := MakeTimestamp(wall, 42)
	if !ts.Wall().Equal(wall) || ts.Logical() != 42 {
		t.Errorf("%v: wall %v logical %d", ts, ts.Wall(), ts.Logical())
	}
}
