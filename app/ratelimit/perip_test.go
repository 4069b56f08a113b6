package ratelimit

import (
	"testing"
	"time"
)

func TestBucketsRefillOverTheirWindow(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	l := New(3, 15*time.Minute, func() time.Time { return now })
	for i := range 3 {
		if !l.Allow("10.0.0.1", 1) {
			t.Fatalf("action %d refused", i+1)
		}
	}
	if l.Allow("10.0.0.1", 1) {
		t.Fatal("a fourth action within the window was allowed")
	}
	if !l.Allow("10.0.0.2", 1) {
		t.Fatal("another address shares the bucket")
	}
	l.Give("10.0.0.1", 1) // the action did not happen
	if !l.Allow("10.0.0.1", 1) {
		t.Fatal("a token given back was not there")
	}
	now = now.Add(5 * time.Minute) // a third of the window: one token
	if !l.Allow("10.0.0.1", 1) || l.Allow("10.0.0.1", 1) {
		t.Fatal("the bucket did not refill one token in a third of its window")
	}
	var none *Limiter = New(0, time.Minute, nil)
	if !none.Allow("x", 100) {
		t.Fatal("a limiter of 0 refuses")
	}
}
