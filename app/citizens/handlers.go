package citizens

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// Handlers serves the sign-in pages, the citizen's own pages and the API.
type Handlers struct {
	store   *Store
	render  *page.Renderer
	signIn  func(*page.Session, *models.Citizen)
	signOut func(*page.Session)
}

// NewHandlers returns the handlers; signIn and signOut bind a citizen to
// the session or unbind them (the web package owns the session rules).
func NewHandlers(store *Store, render *page.Renderer, signIn func(*page.Session, *models.Citizen), signOut func(*page.Session)) *Handlers {
	return &Handlers{store: store, render: render, signIn: signIn, signOut: signOut}
}

// orMe is where to go after signing in.
func orMe(next string) string {
	if next == "" {
		return "/me"
	}
	return next
}

// SignInForm asks for the email address to mail a link to.
func (h *Handlers) SignInForm(c *fiber.Ctx) error {
	next := LocalPath(c.Query("next"))
	if page.Citizen(c) != nil {
		return c.Redirect(orMe(next), fiber.StatusSeeOther)
	}
	return h.renderSignIn(c, fiber.StatusOK, "", next, nil)
}

func (h *Handlers) renderSignIn(c *fiber.Ctx, status int, email, next string, errs map[string]string) error {
	return h.render.Render(c, status, "citizens/signin", fiber.Map{"Email": email, "Next": next, "Errors": errs, "Staff": page.Account(c) != nil})
}

// RequestLink mails a sign-in link. Every valid address gets the same
// answer, known or not.
func (h *Handlers) RequestLink(c *fiber.Ctx) error {
	form := page.Form(c)
	email, next := form.Get("email"), LocalPath(form.Get("next"))
	err := h.store.RequestSignIn(c.UserContext(), email, page.L(c).Lang, next, page.ClientIP(c))
	if err == nil {
		return c.Redirect("/signin/sent", fiber.StatusSeeOther)
	}
	var lim *apperr.Limited
	if errors.As(err, &lim) {
		return h.renderSignIn(c, fiber.StatusTooManyRequests, email, next, map[string]string{"form": page.L(c).T(lim.MessageID)})
	}
	errs, err := page.FieldErrors(c, err, "-")
	if err != nil {
		return err
	}
	return h.renderSignIn(c, fiber.StatusUnprocessableEntity, email, next, errs)
}

// Sent tells the visitor to look for the mail.
func (h *Handlers) Sent(c *fiber.Ctx) error {
	return h.render.Render(c, fiber.StatusOK, "citizens/sent", nil)
}

// LinkPage is where the mailed link leads: a page with one button. Only
// the button's POST uses the link, so that mail scanners that open links
// to check them do not use it up.
func (h *Handlers) LinkPage(c *fiber.Ctx) error {
	token := utils.CopyString(c.Params("token"))
	if err := h.store.Check(c.UserContext(), token); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.render.Render(c, fiber.StatusOK, "citizens/confirm", fiber.Map{"Action": "/signin/" + token, "Staff": page.Account(c) != nil})
}

// UseLink signs the citizen of the link in, under a new session id, and
// sends them on.
func (h *Handlers) UseLink(c *fiber.Ctx) error {
	cit, next, err := h.store.Consume(c.UserContext(), utils.CopyString(c.Params("token")))
	if err != nil {
		return err
	}
	sess := page.Sess(c)
	h.signIn(sess, cit)
	sess.Flash("citizen.signed_in")
	return c.Redirect(orMe(next), fiber.StatusSeeOther)
}

// SignOut ends the citizen's session on the server.
func (h *Handlers) SignOut(c *fiber.Ctx) error {
	sess := page.Sess(c)
	if page.Citizen(c) != nil {
		h.signOut(sess)
		sess.Flash("citizen.signed_out")
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

// Me is the citizen's own page: name, language, mail, data, deletion.
func (h *Handlers) Me(c *fiber.Ctx) error {
	cit := page.Citizen(c)
	lang := cit.Language
	if lang == "" {
		lang = page.L(c).Lang
	}
	return h.renderMe(c, fiber.StatusOK, cit.DisplayName, lang, cit.NotifyByEmail, nil)
}

func (h *Handlers) renderMe(c *fiber.Ctx, status int, name, lang string, notify bool, errs map[string]string) error {
	return h.render.Render(c, status, "citizens/me", fiber.Map{
		"Me": page.Citizen(c), "DisplayName": name, "Language": lang, "Languages": config.Languages, "Notify": notify,
		"MaxName": MaxDisplayName, "Errors": errs,
	})
}

// SaveMe saves the citizen's name, language and mail preference.
func (h *Handlers) SaveMe(c *fiber.Ctx) error {
	form := page.Form(c)
	name, lang, notify := form.Get("display_name"), form.Get("language"), form.Get("notify_by_email") == "yes"
	if _, err := h.store.Update(c.UserContext(), page.Citizen(c).ID, name, lang, notify); err != nil {
		errs, err := page.FieldErrors(c, err, "-")
		if err != nil {
			return err
		}
		return h.renderMe(c, fiber.StatusUnprocessableEntity, name, lang, notify, errs)
	}
	page.Sess(c).Flash("citizen.saved")
	return c.Redirect("/me?lang="+url.QueryEscape(lang), fiber.StatusSeeOther)
}

// Data downloads what the platform keeps about the citizen, as JSON.
func (h *Handlers) Data(c *fiber.Ctx) error {
	d, err := h.store.Export(c.UserContext(), page.Citizen(c).ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="inspraak-account.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(d)
}

// DeleteForm asks the citizen to confirm the deletion, and whether their
// posts go too: it cannot be undone, so it takes a second, deliberate step.
func (h *Handlers) DeleteForm(c *fiber.Ctx) error {
	return h.render.Render(c, fiber.StatusOK, "citizens/delete", fiber.Map{"Me": page.Citizen(c)})
}

// Delete deletes the account (after DeleteForm) and signs out.
func (h *Handlers) Delete(c *fiber.Ctx) error {
	if err := h.store.Delete(c.UserContext(), page.Citizen(c).ID, c.FormValue("delete_posts") == "yes"); err != nil {
		return err
	}
	sess := page.Sess(c)
	h.signOut(sess)
	sess.Flash("citizen.deleted")
	return c.Redirect("/", fiber.StatusSeeOther)
}

// APIMe returns the signed-in citizen (401 for anyone else).
func (h *Handlers) APIMe(c *fiber.Ctx) error {
	cit := page.Citizen(c)
	if cit == nil {
		return apperr.ErrUnauthorized
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ToJSON(cit))
}
