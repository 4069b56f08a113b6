package accounts

import (
	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// List shows every account.
func (h *Handlers) List(c *fiber.Ctx) error {
	as, err := h.store.Accounts(c.UserContext())
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "admin/accounts", fiber.Map{"Accounts": as})
}

// NewForm shows the empty account form.
func (h *Handlers) NewForm(c *fiber.Ctx) error {
	return h.form(c, fiber.StatusOK, nil, formValues(c, true), nil)
}

func formValues(c *fiber.Ctx, fresh bool) auth.AccountInput {
	if fresh {
		return auth.AccountInput{Role: string(models.RoleStaff), Active: true}
	}
	return auth.AccountInput{
		Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role"),
		Password: c.FormValue("password"), Language: c.FormValue("language"), Active: c.FormValue("active") == "on",
	}
}

func (h *Handlers) form(c *fiber.Ctx, status int, acc *models.Account, in auth.AccountInput, errs map[string]string) error {
	data := fiber.Map{"Edit": acc, "Values": in, "Errors": errs, "Roles": models.Roles}
	if acc != nil {
		tokens, err := h.store.Tokens(c.UserContext(), acc.ID)
		if err != nil {
			return err
		}
		data["Tokens"] = tokens
		data["TokenAction"] = "/admin/accounts/" + acc.ID + "/tokens"
	}
	if v := c.Locals("newToken"); v != nil {
		data["NewToken"] = v
	}
	return h.render.Render(c, status, "admin/account_form", data)
}

// Create adds an account.
func (h *Handlers) Create(c *fiber.Ctx) error {
	in := formValues(c, false)
	in.Active = true
	a, err := h.store.CreateAccount(c.UserContext(), in)
	if err != nil {
		fe, err := fieldErrors(c, err)
		if err != nil {
			return err
		}
		in.Password = ""
		return h.form(c, fiber.StatusUnprocessableEntity, nil, in, fe)
	}
	page.Sess(c).Flash("account.created")
	return c.Redirect("/admin/accounts/"+a.ID, fiber.StatusSeeOther)
}

// EditForm shows an account with its tokens.
func (h *Handlers) EditForm(c *fiber.Ctx) error {
	a, err := h.store.Account(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.form(c, fiber.StatusOK, a, auth.AccountInput{Email: a.Email, Name: a.Name, Role: string(a.Role), Language: a.Language, Active: a.Active}, nil)
}

// Update saves an account; an admin cannot lock themself out.
func (h *Handlers) Update(c *fiber.Ctx) error {
	a, err := h.store.Account(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	in := formValues(c, false)
	if a.ID == page.Account(c).ID && (!in.Active || in.Role != string(models.RoleAdmin)) {
		err = apperr.Invalid("role", "account.cannot_demote_self")
	} else {
		_, err = h.store.UpdateAccount(c.UserContext(), a.ID, in)
	}
	if err != nil {
		fe, err := fieldErrors(c, err)
		if err != nil {
			return err
		}
		in.Password = ""
		return h.form(c, fiber.StatusUnprocessableEntity, a, in, fe)
	}
	page.Sess(c).Flash("account.saved")
	return c.Redirect("/admin/accounts/"+a.ID, fiber.StatusSeeOther)
}

// CreateToken makes an API token for an account and shows it once.
func (h *Handlers) CreateToken(c *fiber.Ctx) error {
	a, err := h.store.Account(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	plain, _, err := h.store.CreateToken(c.UserContext(), a.ID, c.FormValue("name"))
	in := auth.AccountInput{Email: a.Email, Name: a.Name, Role: string(a.Role), Language: a.Language, Active: a.Active}
	if err != nil {
		fe, err := fieldErrors(c, err)
		if err != nil {
			return err
		}
		return h.form(c, fiber.StatusUnprocessableEntity, a, in, fe)
	}
	c.Locals("newToken", plain)
	return h.form(c, fiber.StatusCreated, a, in, nil)
}

// RevokeToken ends a token of the account in the URL.
func (h *Handlers) RevokeToken(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := h.store.RevokeToken(c.UserContext(), id, c.Params("token")); err != nil {
		return err
	}
	page.Sess(c).Flash("token.revoked")
	return c.Redirect("/admin/accounts/"+id, fiber.StatusSeeOther)
}
