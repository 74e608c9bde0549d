package http

import (
	"testing"
	"time"
)

// fakeClock is a clock that moves only when the test says so.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestLimiterOff(t *testing.T) {
	for _, perSecond := range []float64{0, -1} {
		if l := newLimiter(perSecond, 10, time.Now); l != nil {
			t.Errorf("newLimiter(%v): got a limiter, want nil (no limit)", perSecond)
		}
	}
}

// TestLimiterBucket follows one bucket on a fake clock: its burst, the wait it reports, its
// refill, and the other platforms it never touches.
func TestLimiterBucket(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(2, 3, clock.now) // 2 a second, bursts of 3
	for i := range 3 {
		if _, ok := l.allow(1); !ok {
			t.Fatalf("request %d of the burst: refused, want allowed", i+1)
		}
	}
	wait, ok := l.allow(1)
	if ok {
		t.Fatal("request past the burst: allowed, want refused")
	}
	if wait != 500*time.Millisecond {
		t.Errorf("wait: got %v, want 500ms (one token at 2 a second)", wait)
	}
	if got := retryAfter(wait); got != 1 {
		t.Errorf("Retry-After of %v: got %d, want 1", wait, got)
	}
	// Refused requests spend nothing: still half a second to wait after many of them.
	for range 10 {
		l.allow(1)
	}
	if wait, _ := l.allow(1); wait != 500*time.Millisecond {
		t.Errorf("wait after refused requests: got %v, want 500ms", wait)
	}
	// Another platform has its own full bucket.
	for i := range 3 {
		if _, ok := l.allow(2); !ok {
			t.Fatalf("other platform, request %d: refused, want allowed", i+1)
		}
	}
	clock.advance(499 * time.Millisecond)
	if _, ok := l.allow(1); ok {
		t.Error("after 499ms: allowed, want refused")
	}
	clock.advance(time.Millisecond)
	if _, ok := l.allow(1); !ok {
		t.Error("after 500ms: refused, want allowed (one token refilled)")
	}
	if _, ok := l.allow(1); ok {
		t.Error("second request after 500ms: allowed, want refused")
	}
	clock.advance(time.Hour)
	for i := range 3 {
		if _, ok := l.allow(1); !ok {
			t.Fatalf("after an hour, request %d: refused, want allowed (full again)", i+1)
		}
	}
	if _, ok := l.allow(1); ok {
		t.Error("after an hour, request past the burst: allowed, want refused (a bucket never holds more than its burst)")
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want int64
	}{
		{0, 1},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + time.Nanosecond, 2},
		{90 * time.Second, 90},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.wait); got != tt.want {
			t.Errorf("retryAfter(%v): got %d, want %d", tt.wait, got, tt.want)
		}
	}
}

func TestLimiterDefaultBurst(t *testing.T) {
	tests := []struct {
		perSecond float64
		burst     int
		want      int
	}{
		{0.5, 0, 1},
		{10, 0, 10},
		{2.5, 0, 3},
		{10, 4, 4},
	}
	for _, tt := range tests {
		if got := newLimiter(tt.perSecond, tt.burst, time.Now).burst; got != tt.want {
			t.Errorf("newLimiter(%v, %d): burst %d, want %d", tt.perSecond, tt.burst, got, tt.want)
		}
	}
}

// TestLimiterForgetsIdleBuckets checks that memory does not grow with every platform ever seen:
// a bucket idle long enough to be full again is dropped, and one in use is kept.
func TestLimiterForgetsIdleBuckets(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(10, 20, clock.now) // fills in 2s
	for id := range int64(1000) {
		l.allow(id)
	}
	if got := l.size(); got != 1000 {
		t.Fatalf("buckets: got %d, want 1000", got)
	}
	for range 20 {
		l.allow(1) // platform 1 spends its whole burst
	}
	if _, ok := l.allow(1); ok {
		t.Fatal("platform 1 past its burst: allowed, want refused")
	}
	clock.advance(time.Second)
	l.allow(1) // platform 1's bucket stays in use, half refilled
	clock.advance(time.Second)
	l.allow(2000)
	if got := l.size(); got != 2 {
		t.Errorf("buckets after 2s: got %d, want 2 (platform 1, still in use, and the new one)", got)
	}
	// Platform 1 kept its bucket: 10 tokens came back in the last second, on top of the 9 left.
	n := 0
	for ; n < 100; n++ {
		if _, ok := l.allow(1); !ok {
			break
		}
	}
	if n != 19 {
		t.Errorf("platform 1 after the sweep: %d requests allowed, want 19 (its bucket kept, not a new one of 20)", n)
	}
}
