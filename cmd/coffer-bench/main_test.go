package main

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"
)

func TestSampleQuantiles(t *testing.T) {
	var rec recorder
	lat := make([]time.Duration, 0, 100)
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	rec.add(lat, 1, errors.New("boom"))
	s := rec.sample(2 * time.Second)
	tests := []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"p50", s.quantile(0.5), 51 * time.Millisecond},
		{"p99", s.quantile(0.99), 100 * time.Millisecond},
		{"max", s.max(), 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if got := s.rate(); got != 50 {
		t.Errorf("rate: got %v, want 50", got)
	}
	if s.errs != 1 || s.firstErr == nil {
		t.Errorf("errors: got %d (%v), want 1", s.errs, s.firstErr)
	}
}

func TestEachCallsEveryIndexOnce(t *testing.T) {
	const n = 1000
	var calls [n]atomic.Int32
	if err := each(context.Background(), 8, n, func(_ context.Context, i int) error {
		calls[i].Add(1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range calls {
		if got := calls[i].Load(); got != 1 {
			t.Fatalf("index %d: got %d calls, want 1", i, got)
		}
	}
}

func TestEachStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	err := each(context.Background(), 4, 1000, func(_ context.Context, i int) error {
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
}

func TestLoopsCountFailures(t *testing.T) {
	var n atomic.Int64
	fn := func(context.Context, int) error {
		if n.Add(1)%2 == 0 {
			return errors.New("even")
		}
		return nil
	}
	for name, s := range map[string]sample{
		"closed": closedLoop(context.Background(), 2, 0, 50*time.Millisecond, fn),
		"open":   openLoop(context.Background(), 2000, 2, 50*time.Millisecond, fn),
	} {
		if s.n == 0 || s.errs == 0 || s.errs > s.n || s.firstErr == nil {
			t.Errorf("%s: %d requests, %d failed (%v): want some of each", name, s.n, s.errs, s.firstErr)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--customers", "1000", "--accounts", "100000", "--concurrency", "32", "--duration", "10s"}, true},
		{[]string{"--concurrency", "0"}, false},
		{[]string{"--accounts", "10", "--cli-ops", "11"}, false},
		{[]string{"--duration", "1ms"}, false},
		{[]string{"extra"}, false},
	}
	for _, tt := range tests {
		_, err := parseFlags(tt.args, io.Discard)
		if got := err == nil; got != tt.ok {
			t.Errorf("%q: got error %v, want ok %v", tt.args, err, tt.ok)
		}
	}
}

func TestMixSpreadsCurrencies(t *testing.T) {
	counts := map[string]int{}
	for i := range 10_000 {
		counts[currencyOf(i)]++
	}
	for _, c := range []string{"USD", "EUR", "GBP", "CAD"} {
		if counts[c] < 1000 {
			t.Errorf("%s: got %d of 10000 accounts, want at least 1000", c, counts[c])
		}
	}
}
