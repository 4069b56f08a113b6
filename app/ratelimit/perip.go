// Package ratelimit keeps one client address (or any key) from flooding
// the platform: a token bucket per key, in memory only, so the addresses
// are never stored. Each instance counts on its own.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter is a token bucket per key that holds limit tokens and refills
// limit tokens per window, steadily. A shared address (a school, a library)
// has room for many people.
type Limiter struct {
	limit  float64
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter of limit actions per window and key (limit 0 or
// less: nil, a limiter that allows everything); now may be nil (time.Now).
func New(limit int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if limit <= 0 || window <= 0 {
		return nil
	}
	return &Limiter{limit: float64(limit), window: window, now: now, buckets: map[string]*bucket{}}
}

// PerMinute returns a limiter of perMinute actions a minute per key.
func PerMinute(perMinute int, now func() time.Time) *Limiter { return New(perMinute, time.Minute, now) }

// Allow takes cost tokens from key's bucket and tells whether there were
// enough. A nil limiter allows everything.
func (l *Limiter) Allow(key string, cost float64) bool {
	if l == nil {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 50_000 {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.limit, at: now}
		l.buckets[key] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.limit, b.tokens+float64(d)/float64(l.window)*l.limit)
		b.at = now
	}
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// Give returns cost tokens to key's bucket (the action did not happen).
func (l *Limiter) Give(key string, cost float64) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[key]; b != nil {
		b.tokens = min(l.limit, b.tokens+cost)
	}
}

// sweep forgets the buckets that are full again.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.at) > l.window {
			delete(l.buckets, k)
		}
	}
}
