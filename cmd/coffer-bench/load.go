package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// op is one request of a scenario, made by one of the generator's clients.
type op func(ctx context.Context, client int) error

// sample is what one run of the load generator measured.
type sample struct {
	n        int             // requests measured, failed ones included
	errs     int             // failed requests
	firstErr error           // the first failure
	elapsed  time.Duration   // measured time
	lat      []time.Duration // latencies, sorted
}

// rate is the rate of requests per second.
func (s sample) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.n) / s.elapsed.Seconds()
}

// quantile returns the latency under which a fraction q of the requests took.
func (s sample) quantile(q float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	return s.lat[min(len(s.lat)-1, int(q*float64(len(s.lat))))]
}

// max returns the longest latency.
func (s sample) max() time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	return s.lat[len(s.lat)-1]
}

// recorder gathers the latencies and failures of one run from many goroutines.
type recorder struct {
	mu       sync.Mutex
	lat      []time.Duration
	errs     int
	firstErr error
}

func (r *recorder) add(lat []time.Duration, errs int, firstErr error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat = append(r.lat, lat...)
	r.errs += errs
	if r.firstErr == nil {
		r.firstErr = firstErr
	}
}

func (r *recorder) sample(elapsed time.Duration) sample {
	slices.Sort(r.lat)
	return sample{n: len(r.lat), errs: r.errs, firstErr: r.firstErr, elapsed: elapsed, lat: r.lat}
}

// warmUp is the part of a run, at its start, that is not measured: connections are opened and
// caches filled.
func warmUp(d time.Duration) time.Duration { return min(d/5, time.Second) }

// closedLoop runs fn from `clients` goroutines, each sending its next request as soon as its last
// one is answered, for a warm-up and then d. It measures the requests started after the
// warm-up, up to the answer of the last of them.
func closedLoop(ctx context.Context, clients int, warm, d time.Duration, fn op) sample {
	var rec recorder
	start := time.Now()
	from, until := start.Add(warm), start.Add(warm+d)
	var last atomic.Int64 // the end of the last measured request, in ns since start
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var lat []time.Duration
			var errs int
			var firstErr error
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(until) {
					break
				}
				err := fn(ctx, c)
				t1 := time.Now()
				if t0.Before(from) {
					continue
				}
				lat = append(lat, t1.Sub(t0))
				if err != nil {
					if errs++; firstErr == nil {
						firstErr = err
					}
				}
				for end := int64(t1.Sub(start)); ; {
					cur := last.Load()
					if cur >= end || last.CompareAndSwap(cur, end) {
						break
					}
				}
			}
			rec.add(lat, errs, firstErr)
		})
	}
	wg.Wait()
	return rec.sample(time.Duration(last.Load()) - from.Sub(start))
}

// openLoop sends requests at a fixed rate for d (after a warm-up), whatever the answers, from
// at most `clients` requests at a time. A request's latency runs from the moment it was due,
// not from when a client was free to send it, so that a server falling behind shows in the
// latencies instead of slowing the generator down (no coordinated omission).
func openLoop(ctx context.Context, rate float64, clients int, d time.Duration, fn op) sample {
	if rate <= 0 {
		return sample{}
	}
	interval := time.Duration(float64(time.Second) / rate)
	if interval <= 0 {
		interval = 1
	}
	var rec recorder
	due := make(chan time.Time, 1<<16)
	start := time.Now()
	from := start.Add(warmUp(d))
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var lat []time.Duration
			var errs int
			var firstErr error
			for t := range due {
				sent := time.Now()
				err := fn(ctx, c)
				done := time.Now()
				if t.Before(from) {
					continue
				}
				begin := t // a request sent before it was due is timed from its sending
				if sent.Before(begin) {
					begin = sent
				}
				lat = append(lat, done.Sub(begin))
				if err != nil {
					if errs++; firstErr == nil {
						firstErr = err
					}
				}
			}
			rec.add(lat, errs, firstErr)
		})
	}
	end := from.Add(d)
	for i := 0; ctx.Err() == nil; i++ {
		t := start.Add(time.Duration(i) * interval)
		if !t.Before(end) {
			break
		}
		// Sleeping for less than a fraction of a millisecond costs more than it is precise:
		// requests due that soon are sent at once, and timed from when they were sent.
		if w := time.Until(t); w > 200*time.Microsecond {
			time.Sleep(w)
		}
		due <- t
	}
	close(due)
	wg.Wait()
	return rec.sample(d)
}
