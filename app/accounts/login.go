package accounts

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/web/page"
)

// LoginForm shows the login page, or sends a signed-in person on.
func (h *Handlers) LoginForm(c *fiber.Ctx) error {
	if page.Account(c) != nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	return h.render.Render(c, fiber.StatusOK, "auth/login", fiber.Map{"Next": safeNext(c.Query("next"))})
}

// Login checks the credentials and starts a signed-in session under a new id.
func (h *Handlers) Login(c *fiber.Ctx) error {
	email, next := c.FormValue("email"), safeNext(c.FormValue("next"))
	a, err := h.store.Authenticate(c.UserContext(), email, c.FormValue("password"), page.ClientIP(c))
	if err != nil {
		status, msg := fiber.StatusUnauthorized, "auth.bad_credentials"
		switch {
		case errors.Is(err, apperr.ErrRateLimited):
			status, msg = fiber.StatusTooManyRequests, "auth.locked"
		case !errors.Is(err, auth.ErrBadCredentials):
			return err
		}
		return h.render.Render(c, status, "auth/login", fiber.Map{"Next": next, "Email": email, "Error": page.L(c).T(msg)})
	}
	h.signIn(page.Sess(c), a)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// Logout ends the signed-in session on the server.
func (h *Handlers) Logout(c *fiber.Ctx) error {
	sess := page.Sess(c)
	h.signOut(sess)
	sess.Flash("auth.signed_out")
	return c.Redirect("/", fiber.StatusSeeOther)
}
