// Package ratelimit keeps one client address from flooding the platform.
package ratelimit

import (
	"sync"
	"time"
)

// PerIP is a token bucket per client address, in memory only (the
// addresses are never stored): it keeps callers without a session cookie,
// who get a fresh participant with every request, from asking and voting
// without limit. A bucket holds a minute's worth of actions and refills
// steadily; a shared address (a school, a library) has room for many people.
type PerIP struct {
	perMinute float64
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter of perMinute actions a minute per address (0: none,
// a nil limiter, which allows everything); now may be nil (time.Now).
func New(perMinute int, now func() time.Time) *PerIP {
	if now == nil {
		now = time.Now
	}
	if perMinute <= 0 {
		return nil
	}
	return &PerIP{perMinute: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

// Allow takes cost tokens from ip's bucket and tells whether there were
// enough. A nil limiter allows everything.
func (l *PerIP) Allow(ip string, cost float64) bool {
	if l == nil {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 50_000 {
		l.sweep(now)
	}
	b := l.buckets[ip]
	if b == nil {
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[ip] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// sweep forgets the buckets that are full again.
func (l *PerIP) sweep(now time.Time) {
	for ip, b := range l.buckets {
		if now.Sub(b.at) > time.Minute {
			delete(l.buckets, ip)
		}
	}
}
