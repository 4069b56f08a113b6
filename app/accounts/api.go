package accounts

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// tokenJSON is the API's view of a token; Token is set only on creation.
type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Token      string     `json:"token,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func toTokenJSON(t models.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

// APITokens lists the caller's tokens.
func (h *Handlers) APITokens(c *fiber.Ctx) error {
	ts, err := h.store.Tokens(c.UserContext(), page.Account(c).ID)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, toTokenJSON(t))
	}
	return c.JSON(fiber.Map{"tokens": out})
}

// APICreateToken makes a token for the caller and returns it once.
func (h *Handlers) APICreateToken(c *fiber.Ctx) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	plain, t, err := h.store.CreateToken(c.UserContext(), page.Account(c).ID, in.Name)
	if err != nil {
		return err
	}
	out := toTokenJSON(*t)
	out.Token = plain
	return c.Status(fiber.StatusCreated).JSON(out)
}

// APIRevokeToken revokes one of the caller's tokens.
func (h *Handlers) APIRevokeToken(c *fiber.Ctx) error {
	if err := h.store.RevokeToken(c.UserContext(), page.Account(c).ID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
