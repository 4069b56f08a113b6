package ideas

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/ratelimit"
	"github.com/inspraak/inspraak/app/web/page"
)

// The flood limits of the store count posts per participant. A caller who
// drops the session cookie is a new anonymous participant with every
// request, so posts are also counted per client address and consultation,
// in memory only (addresses are never stored): AddressFloodFactor times a
// participant's limit in the same window. People who share an address (a
// school, a library) share this allowance.
const AddressFloodFactor = 2

// floodGuard limits the posts of anonymous participants per client
// address and consultation.
type floodGuard struct {
	ideas, comments *ratelimit.Limiter
}

func newFloodGuard(now func() time.Time) *floodGuard {
	return &floodGuard{
		ideas:    ratelimit.New(AddressFloodFactor*IdeaFloodLimit, IdeaFloodWindow, now),
		comments: ratelimit.New(AddressFloodFactor*CommentFloodLimit, CommentFloodWindow, now),
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
	if !f.Allow(key, 1) {
		return &apperr.Limited{MessageID: msg}
	}
	err := store()
	if err != nil {
		f.Give(key, 1)
	}
	return err
}
