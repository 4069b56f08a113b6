package citizens

import (
	"errors"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// FreshSignIn is how recent the session's sign-in must be to download the
// citizen's data or delete the account: a session left open on a shared
// computer, or a stolen cookie, does not reach them.
const FreshSignIn = time.Hour

// ErrSignInAgain refuses the download or the deletion (403) to a session
// that signed in longer than FreshSignIn ago.
var ErrSignInAgain = &apperr.Refused{MessageID: "citizen.fresh_required"}

// Handlers serves the sign-in pages, the citizen's own pages and the API.
type Handlers struct {
	store   *Store
	render  *page.Renderer
	signIn  func(*page.Session, *models.Citizen)
	signOut func(*page.Session)
	forget  func(*fiber.Ctx)
}

// NewHandlers returns the handlers; signIn and signOut bind a citizen to
// the session or unbind them (the web package owns the session rules).
func NewHandlers(store *Store, render *page.Renderer, signIn func(*page.Session, *models.Citizen), signOut func(*page.Session)) *Handlers {
	return &Handlers{store: store, render: render, signIn: signIn, signOut: signOut, forget: func(*fiber.Ctx) {}}
}

// WithForgetCaller sets what else to forget of the request's caller when
// a citizen deletes their account (the web package's stored API answers).
func (h *Handlers) WithForgetCaller(f func(*fiber.Ctx)) *Handlers {
	h.forget = f
	return h
}

// fresh tells whether the session signed in within FreshSignIn.
func (h *Handlers) fresh(c *fiber.Ctx) bool {
	s := page.Sess(c)
	if s == nil {
		return false
	}
	at := s.Int64(auth.KeyAuthAt)
	return at > 0 && h.store.now().Sub(time.Unix(at, 0)) <= FreshSignIn
}

// signInAgain asks for a fresh sign-in link before the download or the
// deletion; next is where the link leads.
func (h *Handlers) signInAgain(c *fiber.Ctx, next string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.render.Render(c, fiber.StatusForbidden, "citizens/fresh", fiber.Map{"Me": page.Citizen(c), "Next": next})
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
	email, err := h.store.LinkEmail(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	// The page names (masked) the address the link signs in: a link that
	// someone forwarded to sign the visitor in to their account shows an
	// address that is not the visitor's.
	return h.render.Render(c, fiber.StatusOK, "citizens/confirm", fiber.Map{"Action": "/signin/" + token, "Staff": page.Account(c) != nil,
		"Masked": MaskEmail(email)})
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

// Data downloads what the platform keeps about the citizen, as JSON (after
// a recent sign-in).
func (h *Handlers) Data(c *fiber.Ctx) error {
	if !h.fresh(c) {
		return h.signInAgain(c, "/me")
	}
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
	if !h.fresh(c) {
		return h.signInAgain(c, "/me/delete")
	}
	return h.render.Render(c, fiber.StatusOK, "citizens/delete", fiber.Map{"Me": page.Citizen(c)})
}

// Delete deletes the account (after DeleteForm, and a recent sign-in) and
// signs out.
func (h *Handlers) Delete(c *fiber.Ctx) error {
	if !h.fresh(c) {
		return h.signInAgain(c, "/me/delete")
	}
	if err := h.store.Delete(c.UserContext(), page.Citizen(c).ID, c.FormValue("delete_posts") == "yes"); err != nil {
		return err
	}
	h.forget(c)
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

// APISignIn mails a sign-in link: {email, next?} -> 202, the same answer
// for every valid address, known or not; 429 past the limits.
func (h *Handlers) APISignIn(c *fiber.Ctx) error {
	var in struct {
		Email string `json:"email"`
		Next  string `json:"next"`
	}
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	if err := h.store.RequestSignIn(c.UserContext(), in.Email, page.L(c).Lang, in.Next, page.ClientIP(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "sent"})
}

// APIUpdateMe changes the signed-in citizen's display_name, language and
// notify_by_email (each optional) and returns the citizen.
func (h *Handlers) APIUpdateMe(c *fiber.Ctx) error {
	var ch Changes
	if err := page.BindJSON(c, &ch); err != nil {
		return err
	}
	cit, err := h.store.Patch(c.UserContext(), page.Citizen(c).ID, ch)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ToJSON(cit))
}

// APIData returns what the platform keeps about the signed-in citizen
// (after a recent sign-in, else 403).
func (h *Handlers) APIData(c *fiber.Ctx) error {
	if !h.fresh(c) {
		return ErrSignInAgain
	}
	d, err := h.store.Export(c.UserContext(), page.Citizen(c).ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(d)
}

// APIDelete deletes the signed-in citizen's account (after a recent
// sign-in, else 403): {delete_posts: bool}, required -> 204, signed out.
func (h *Handlers) APIDelete(c *fiber.Ctx) error {
	if !h.fresh(c) {
		return ErrSignInAgain
	}
	var in struct {
		DeletePosts *bool `json:"delete_posts"`
	}
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	if in.DeletePosts == nil {
		return apperr.Invalid("delete_posts", "validation.required")
	}
	if err := h.store.Delete(c.UserContext(), page.Citizen(c).ID, *in.DeletePosts); err != nil {
		return err
	}
	h.forget(c)
	h.signOut(page.Sess(c))
	return c.SendStatus(fiber.StatusNoContent)
}
