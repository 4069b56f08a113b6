package ideas

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/app/ratelimit"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// Handlers serves the consultation and idea pages and API.
type Handlers struct {
	store   *Store
	mod     *moderation.Store
	render  *page.Renderer
	zone    *time.Location
	baseURL string
	perIP   *ratelimit.Limiter
	flood   *floodGuard
}

// NewHandlers returns the idea handlers; perMinute limits the posts,
// supports and new participants of one client address (0: no limit).
func NewHandlers(store *Store, mod *moderation.Store, render *page.Renderer, zone *time.Location, baseURL string, perMinute int) *Handlers {
	return &Handlers{store: store, mod: mod, render: render, zone: zone, baseURL: baseURL, perIP: ratelimit.PerMinute(perMinute, nil),
		flood: newFloodGuard(store.Now)}
}

// throttle takes cost from the client address's allowance.
func (h *Handlers) throttle(c *fiber.Ctx, cost float64) error {
	if !h.perIP.Allow(page.ClientIP(c), cost) {
		return &apperr.Limited{MessageID: "error.rate_limited"}
	}
	return nil
}

// newParticipantCost is what a fresh anonymous participant costs from the
// address's allowance, besides the action itself.
const newParticipantCost = 4

// participant says who takes part in c: a staff account, a signed-in
// citizen, or (when c allows anonymous participation) the session's
// anonymous participant. It costs one action from the address's allowance.
func (h *Handlers) participant(c *fiber.Ctx, cons *models.Consultation) (Participant, error) {
	if err := h.throttle(c, 1); err != nil {
		return Participant{}, err
	}
	if a := page.Account(c); a != nil {
		return Participant{Key: h.store.ParticipantKey(cons.ID, "a", a.ID), Name: a.Name}, nil
	}
	if cit := page.Citizen(c); cit != nil {
		id := cit.ID
		return Participant{Key: h.store.ParticipantKey(cons.ID, "c", id), CitizenID: &id, Name: cit.DisplayName}, nil
	}
	if !cons.Anonymous {
		return Participant{}, &apperr.Refused{MessageID: "ideas.sign_in_required"}
	}
	s := page.Sess(c)
	if s == nil {
		return Participant{}, apperr.ErrForbidden
	}
	if s.String(auth.KeyParticipant) == "" {
		// A caller without a session cookie gets a fresh participant with
		// every request: that costs from the address's allowance.
		if err := h.throttle(c, newParticipantCost); err != nil {
			return Participant{}, err
		}
	}
	return Participant{Key: h.store.ParticipantKey(cons.ID, "p", page.Participant(c)), Anonymous: true}, nil
}

// knownKey is the visitor's key in cons without creating an anonymous
// participant (for pages that only read): "" for a first-time visitor.
func (h *Handlers) knownKey(c *fiber.Ctx, cons *models.Consultation) string {
	if a := page.Account(c); a != nil {
		return h.store.ParticipantKey(cons.ID, "a", a.ID)
	}
	if cit := page.Citizen(c); cit != nil {
		return h.store.ParticipantKey(cons.ID, "c", cit.ID)
	}
	if s := page.Sess(c); s != nil {
		if p := s.String(auth.KeyParticipant); p != "" {
			return h.store.ParticipantKey(cons.ID, "p", p)
		}
	}
	return ""
}

// viewer is the visitor as an author of posts in cons (see Viewer), without
// creating an anonymous participant.
func (h *Handlers) viewer(c *fiber.Ctx, cons *models.Consultation) Viewer {
	v := Viewer{Key: h.knownKey(c, cons)}
	if cit := page.Citizen(c); cit != nil {
		v.CitizenID = cit.ID
	}
	return v
}

// ideaAndConsultation reads the idea named by the URL parameter and its
// consultation.
func (h *Handlers) ideaAndConsultation(c *fiber.Ctx, param string) (*models.Idea, *models.Consultation, error) {
	ctx := c.UserContext()
	idea, err := h.store.Idea(ctx, c.Params(param))
	if err != nil {
		return nil, nil, err
	}
	cons, err := h.store.Consultation(ctx, idea.ConsultationID)
	if err != nil {
		return nil, nil, err
	}
	return idea, cons, nil
}
