package graph

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Timestamp is a hybrid logical clock reading: the high 48 bits are Unix
// milliseconds, the low 16 bits a counter that orders events within the same
// millisecond (and keeps order when a peer's clock runs ahead of ours).
// Timestamps from one Clock strictly increase; comparing two is comparing
// integers.
type Timestamp uint64

const logicalBits = 16

// MakeTimestamp builds a timestamp from a wall time and a logical counter.
func MakeTimestamp(wall time.Time, logical uint16) Timestamp {
	return Timestamp(uint64(wall.UnixMilli())<<logicalBits | uint64(logical))
}

// Wall returns the physical part of t.
func (t Timestamp) Wall() time.Time {
	return time.UnixMilli(int64(t >> logicalBits)).UTC()
}

// Logical returns the counter part of t.
func (t Timestamp) Logical() uint16 { return uint16(t) }

// MarshalJSON writes the timestamp as a decimal string: its values are above
// 2^53, where JavaScript numbers lose precision and order.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatUint(uint64(t), 10) + `"`), nil
}

// UnmarshalJSON reads a timestamp as a decimal string or a number.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %s: %w", b, err)
	}
	*t = Timestamp(v)
	return nil
}

func (t Timestamp) String() string {
	return fmt.Sprintf("%s+%d", t.Wall().Format(time.RFC3339Nano), t.Logical())
}

// MaxDrift is how far ahead of local time a remote timestamp may be before
// Observe refuses it; one runaway peer must not drag every clock forward.
const MaxDrift = time.Minute

// Clock is a hybrid logical clock. It is safe for concurrent use.
type Clock struct {
	now  func() time.Time
	mu   sync.Mutex
	last Timestamp
}

// NewClock returns a clock reading wall time from now (time.Now if nil).
func NewClock(now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now}
}

// Now returns a timestamp later than every one this clock has returned or
// observed.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.advance(0)
}

// Observe merges a timestamp seen from elsewhere (a peer's event, a stored
// log) and returns a local timestamp after it.
func (c *Clock) Observe(remote Timestamp) (Timestamp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if limit := MakeTimestamp(c.now().Add(MaxDrift), 0); remote > limit {
		return 0, fmt.Errorf("observe %v: more than %v ahead of local time", remote, MaxDrift)
	}
	return c.advance(remote), nil
}

// Seed makes every later reading come after t, however far ahead of the
// wall clock t is. It is for a clock's own history (the stored log), which
// Observe's drift check must not refuse.
func (c *Clock) Seed(t Timestamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = max(c.last, t)
}

func (c *Clock) advance(remote Timestamp) Timestamp {
	next := max(c.last+1, remote+1, MakeTimestamp(c.now(), 0))
	c.last = next
	return next
}
