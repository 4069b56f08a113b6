package ideas

import (
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/web/page"
)

// The flood limits of the store count posts per participant. A caller who
// drops the session cookie is a new anonymous participant with every
// request, so posts are also counted per client address and consultation,
// in memory only (addresses are never stored): AddressFloodFactor times a
// participant's limit in the same window. People who share an address (a
// school, a library) share this allowance.
const AddressFloodFactor = 2

// addressFlood is a token bucket per key (client address, consultation and
// kind of post) that holds limit posts and refills limit per window.
type addressFlood struct {
	limit  float64
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*floodBucket
}

type floodBucket struct {
	tokens float64
	at     time.Time
}

func newAddressFlood(limit int, window time.Duration, now func() time.Time) *addressFlood {
	return &addressFlood{limit: float64(limit), window: window, now: now, buckets: map[string]*floodBucket{}}
}

// take takes one post from key's allowance and tells whether there was one.
func (f *addressFlood) take(key string) bool {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.buckets) > 50_000 {
		for k, b := range f.buckets {
			if now.Sub(b.at) > f.window {
				delete(f.buckets, k)
			}
		}
	}
	b := f.buckets[key]
	if b == nil {
		b = &floodBucket{tokens: f.limit, at: now}
		f.buckets[key] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(f.limit, b.tokens+float64(d)/float64(f.window)*f.limit)
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// give returns a post to key's allowance (the post was not stored).
func (f *addressFlood) give(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b := f.buckets[key]; b != nil {
		b.tokens = min(f.limit, b.tokens+1)
	}
}

// floodGuard limits the posts of anonymous participants per client
// address and consultation.
type floodGuard struct {
	ideas, comments *addressFlood
}

func newFloodGuard(now func() time.Time) *floodGuard {
	return &floodGuard{
		ideas:    newAddressFlood(AddressFloodFactor*IdeaFloodLimit, IdeaFloodWindow, now),
		comments: newAddressFlood(AddressFloodFactor*CommentFloodLimit, CommentFloodWindow, now),
	}
}

// post runs store, which stores one post (an idea when idea is true, else
// a comment) of p in consultation consID, after taking it from the client
// address's allowance; a post that is not stored is given back. Only
// anonymous participants are counted per address: signed-in citizens and
// staff are one participant whatever their cookies.
func (h *Handlers) post(c *fiber.Ctx, consID string, p Participant, idea bool, store func() error) error {
	if !p.Anonymous {
		return store()
	}
	f, msg := h.flood.comments, "ideas.too_many_comments"
	if idea {
		f, msg = h.flood.ideas, "ideas.too_many_ideas"
	}
	key := page.ClientIP(c) + "\x00" + consID
	if !f.take(key) {
		return &apperr.Limited{MessageID: msg}
	}
	err := store()
	if err != nil {
		f.give(key)
	}
	return err
}
