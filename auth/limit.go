package auth

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits holds a token bucket per key (a token's id). Time is passed in, so
// tests decide it.
type Limits struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// maxBuckets bounds the map: past it, buckets idle for a minute go.
const maxBuckets = 10_000

// Take spends one request of key's allowance of perSecond requests a
// second with bursts of burst. It returns 0 when the request may go ahead,
// else how long until it could. perSecond ≤ 0 means no limit.
func (l *Limits) Take(key string, perSecond float64, burst int, now time.Time) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	burst = max(burst, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			for k, o := range l.buckets {
				if now.Sub(o.used) > time.Minute {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(perSecond), burst)}
		l.buckets[key] = b
	}
	if b.lim.Limit() != rate.Limit(perSecond) {
		b.lim.SetLimitAt(now, rate.Limit(perSecond))
	}
	if b.lim.Burst() != burst {
		b.lim.SetBurstAt(now, burst)
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Second
	}
	d := r.DelayFrom(now)
	if d > 0 {
		r.CancelAt(now) // a refused request spends nothing
	}
	return d
}

// RetryAfter is d in whole seconds, at least one, for a Retry-After header.
func RetryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
