package panels

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/web/page"
)

func asConflict(err error, cf **apperr.Conflict) bool { return errors.As(err, cf) }

// APICreate makes a panel with its profile fields.
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	var in PanelInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	p, err := h.store.Create(c.UserContext(), in, accountID(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": p.ID, "join_url": h.baseURL + "/panels/" + p.ID + "/join"})
}

// APIJoin is the public sign-up: 202 whether or not the address is known.
func (h *Handlers) APIJoin(c *fiber.Ctx) error {
	var in SignUp
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	if err := h.store.Join(c.UserContext(), c.Params("id"), in, page.ClientIP(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "confirmation_sent", "message": page.L(c).T("panels.join_sent_text")})
}

// APIInvite invites the panel, or a sample, to a survey.
func (h *Handlers) APIInvite(c *fiber.Ctx) error {
	var in InviteInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	n, err := h.store.Invite(c.UserContext(), c.Params("id"), in, accountID(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"invited": n})
}

// APIStats returns members by profile field and response rates.
func (h *Handlers) APIStats(c *fiber.Ctx) error {
	st, err := h.store.Stats(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(st)
}
