package http

import (
	"math"
	"sync"
	"time"

	"github.com/cofferhq/coffer"
	"golang.org/x/time/rate"
)

// limiter is the per-platform rate limit: one token bucket per platform, so that one platform
// that sends too much is slowed down and no other ever is. It is applied after authentication:
// a request with wrong credentials names no platform it could be charged to, and charging the
// name it claims would let anyone throttle a platform whose name they know.
type limiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[int64]*bucket
	swept   time.Time // when idle buckets were last dropped
}

// bucket is a platform's token bucket and when it was last used.
type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// newLimiter returns a limiter of perSecond requests a second with bursts of burst (at least
// 1; 0 means perSecond rounded up), or nil when perSecond is not positive: no limit.
func newLimiter(perSecond float64, burst int, now func() time.Time) *limiter {
	if !(perSecond > 0) {
		return nil
	}
	if burst <= 0 {
		burst = int(min(math.Ceil(perSecond), math.MaxInt32))
	}
	return &limiter{rate: rate.Limit(perSecond), burst: burst, now: now, buckets: make(map[int64]*bucket)}
}

// idle is how long a bucket takes to fill from empty, at least a second and at most a day. A
// bucket unused for that long is full, exactly as a new one would be, so dropping it changes
// nothing but the memory it held (with a rate so low that filling takes more than a day, an
// idle day refills it early).
func (l *limiter) idle() time.Duration {
	secs := float64(l.burst) / float64(l.rate)
	return time.Duration(min(max(secs, 1), 24*60*60) * float64(time.Second))
}

// allow takes a token from the platform's bucket. When there is none it takes nothing and
// returns how long until one is available.
func (l *limiter) allow(platformID int64) (wait time.Duration, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if idle := l.idle(); now.Sub(l.swept) >= idle {
		// At most once per fill time, so that the cost stays proportional to the requests.
		for id, b := range l.buckets {
			if now.Sub(b.used) >= idle {
				delete(l.buckets, id)
			}
		}
		l.swept = now
	}
	b := l.buckets[platformID]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[platformID] = b
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Duration(math.MaxInt64), false // cannot happen with a burst of at least 1
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused request spends nothing
		return d, false
	}
	return 0, true
}

// size returns how many buckets the limiter holds.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// errTooManyRequests is the 429 of a platform over its rate.
var errTooManyRequests = coffer.Errorf(codeTooManyRequests, "429.001", "Too many requests for this platform; retry after the seconds of the Retry-After header.")

// retryAfter rounds a wait up to whole seconds, at least 1, as Retry-After counts them.
func retryAfter(wait time.Duration) int64 {
	s := int64(math.Ceil(wait.Seconds()))
	return max(s, 1)
}
