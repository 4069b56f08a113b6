package accounts

import (
	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/web/page"
)

// AccountPage shows one's own details, the password form and API tokens.
func (h *Handlers) AccountPage(c *fiber.Ctx) error {
	return h.showAccount(c, fiber.StatusOK, fiber.Map{})
}

func (h *Handlers) showAccount(c *fiber.Ctx, status int, data fiber.Map) error {
	tokens, err := h.store.Tokens(c.UserContext(), page.Account(c).ID)
	if err != nil {
		return err
	}
	data["Tokens"] = tokens
	data["TokenAction"] = "/account/tokens"
	return h.render.Render(c, status, "account/show", data)
}

// ChangePassword sets a new password and ends the account's other sessions.
func (h *Handlers) ChangePassword(c *fiber.Ctx) error {
	a := page.Account(c)
	err := h.store.ChangePassword(c.UserContext(), a.ID, c.FormValue("current_password"), c.FormValue("new_password"), page.Sess(c).Gorilla().ID)
	if err != nil {
		fe, err := fieldErrors(c, err)
		if err != nil {
			return err
		}
		return h.showAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{"Errors": fe})
	}
	page.Sess(c).Flash("account.password_changed")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

// CreateOwnToken makes an API token and shows it once.
func (h *Handlers) CreateOwnToken(c *fiber.Ctx) error {
	plain, _, err := h.store.CreateToken(c.UserContext(), page.Account(c).ID, c.FormValue("name"))
	if err != nil {
		fe, err := fieldErrors(c, err)
		if err != nil {
			return err
		}
		return h.showAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{"Errors": fe})
	}
	return h.showAccount(c, fiber.StatusCreated, fiber.Map{"NewToken": plain})
}

// RevokeOwnToken ends one of one's own tokens; another's is not found.
func (h *Handlers) RevokeOwnToken(c *fiber.Ctx) error {
	if err := h.store.RevokeToken(c.UserContext(), page.Account(c).ID, c.Params("token")); err != nil {
		return err
	}
	page.Sess(c).Flash("token.revoked")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

// meJSON is the API's view of an account.
type meJSON struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Language string `json:"language"`
}

// Me returns the caller's account.
func (h *Handlers) Me(c *fiber.Ctx) error {
	a := page.Account(c)
	return c.JSON(meJSON{ID: a.ID, Email: a.Email, Name: a.Name, Role: string(a.Role), Language: a.Language})
}
