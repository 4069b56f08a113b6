package townhall

import (
	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
)

// ReportTarget is what a citizen's report of a question needs from the
// town halls (app/ideas takes the reports): the moderation scope of the
// question's town hall and the reporter's participant key there. A
// question citizens cannot see is not found.
func (h *Handlers) ReportTarget(c *fiber.Ctx, questionID string) (scope, key string, err error) {
	ctx := c.UserContext()
	q, err := h.store.Question(ctx, questionID)
	if err != nil {
		return "", "", err
	}
	if !Visible(q) {
		return "", "", apperr.ErrNotFound
	}
	th, err := h.store.Get(ctx, q.TownHallID)
	if err != nil {
		return "", "", err
	}
	p, err := h.participant(c, th)
	if err != nil {
		return "", "", err
	}
	return Scope(th.ID), p.Key, nil
}
