package citizens

import (
	"sync"
	"time"
)

// addrLimiter is a token bucket per client address, in memory only (the
// addresses are never stored): it keeps one machine from mailing sign-in
// links to many addresses. A bucket holds limit links and refills
// steadily over window; each instance counts on its own.
type addrLimiter struct {
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

func newAddrLimiter(limit int, window time.Duration, now func() time.Time) *addrLimiter {
	return &addrLimiter{limit: float64(limit), window: window, now: now, buckets: map[string]*bucket{}}
}

// allow takes one token from addr's bucket and tells whether there was one.
func (l *addrLimiter) allow(addr string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 50_000 {
		l.sweep(now)
	}
	b := l.buckets[addr]
	if b == nil {
		b = &bucket{tokens: l.limit, at: now}
		l.buckets[addr] = b
	}
	b.tokens = min(l.limit, b.tokens+float64(now.Sub(b.at))/float64(l.window)*l.limit)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep forgets the buckets that are full again.
func (l *addrLimiter) sweep(now time.Time) {
	for addr, b := range l.buckets {
		if now.Sub(b.at) > l.window {
			delete(l.buckets, addr)
		}
	}
}
