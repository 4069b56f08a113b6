package panels

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// Handlers serves the panel pages and API.
type Handlers struct {
	store   *Store
	surveys *surveys.Store
	render  *page.Renderer
	baseURL string
}

// NewHandlers returns the panel handlers.
func NewHandlers(store *Store, sv *surveys.Store, render *page.Renderer, baseURL string) *Handlers {
	return &Handlers{store: store, surveys: sv, render: render, baseURL: baseURL}
}

// FieldView is a profile field in the reader's language.
type FieldView struct {
	Key     string
	Label   string
	Choices []ChoiceView
	Value   string
}

// ChoiceView is a choice in the reader's language.
type ChoiceView struct {
	Key, Label string
}

func fieldViews(fs []Field, lang string, values map[string]string) []FieldView {
	out := make([]FieldView, 0, len(fs))
	for _, f := range fs {
		fv := FieldView{Key: f.Key, Label: f.Label.In(lang), Value: values[f.Key]}
		for _, c := range f.Choices {
			fv.Choices = append(fv.Choices, ChoiceView{Key: c.Key, Label: c.Label.In(lang)})
		}
		out = append(out, fv)
	}
	return out
}

func profileFrom(form url.Values, fs []Field) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		out[f.Key] = form.Get("profile." + f.Key)
	}
	return out
}

// JoinForm is the public sign-up page.
func (h *Handlers) JoinForm(c *fiber.Ctx) error {
	p, fs, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.renderJoin(c, fiber.StatusOK, p, fs, url.Values{"language": {page.L(c).Lang}}, nil)
}

func (h *Handlers) renderJoin(c *fiber.Ctx, status int, p *models.Panel, fs []Field, form url.Values, errs map[string]string) error {
	l := page.L(c).Lang
	return h.render.Render(c, status, "panels/join", fiber.Map{
		"Panel": p, "Name": p.Name.In(l), "Description": p.Description.In(l), "Fields": fieldViews(fs, l, profileFrom(form, fs)),
		"Email": form.Get("email"), "Language": form.Get("language"), "Languages": config.Languages, "Consent": form.Get("consent") == "yes", "Errors": errs,
	})
}

// Join takes a sign-up from the form; whether the address was known or
// not, the visitor sees the same page.
func (h *Handlers) Join(c *fiber.Ctx) error {
	p, fs, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	form := page.Form(c)
	err = h.store.Join(c.UserContext(), p.ID, SignUp{Email: form.Get("email"), Language: form.Get("language"), Profile: profileFrom(form, fs), Consent: form.Get("consent") == "yes"}, page.ClientIP(c))
	if err == nil {
		return c.Redirect("/panels/"+p.ID+"/join/sent", fiber.StatusSeeOther)
	}
	errs, err := page.FieldErrors(c, err, "-")
	if err != nil {
		return err
	}
	return h.renderJoin(c, fiber.StatusUnprocessableEntity, p, fs, form, errs)
}

// JoinSent tells the visitor to look for the mail.
func (h *Handlers) JoinSent(c *fiber.Ctx) error {
	p, _, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "panels/join_sent", fiber.Map{"Panel": p, "Name": p.Name.In(page.L(c).Lang)})
}

// member loads the member of the link in the URL. Unknown links are
// ErrLinkInvalid, expired confirmation links a Gone error that offers to
// sign up again (the web package turns them into pages).
func (h *Handlers) member(c *fiber.Ctx) (*Member, bool, error) {
	m, err := h.store.MemberByToken(c.UserContext(), utils.CopyString(c.Params("token")), page.ClientIP(c))
	if err != nil {
		return nil, false, err
	}
	if h.store.Expired(m) {
		return nil, false, expired(m.PanelID)
	}
	return m, true, nil
}

// Member is the personal page: confirm a sign-up, or manage the profile
// and leave.
func (h *Handlers) Member(c *fiber.Ctx) error {
	m, ok, err := h.member(c)
	if !ok {
		return err
	}
	return h.renderMember(c, fiber.StatusOK, m, nil, nil)
}

func (h *Handlers) renderMember(c *fiber.Ctx, status int, m *Member, form url.Values, errs map[string]string) error {
	l := page.L(c).Lang
	values, lang := m.Profile, m.Language
	if form != nil {
		values, lang = profileFrom(form, m.Fields), form.Get("language")
	}
	tmpl := "panels/member"
	if m.Status == models.MemberPending {
		tmpl = "panels/confirm"
	}
	return h.render.Render(c, status, tmpl, fiber.Map{
		"Member": m, "Name": m.Panel.Name.In(l), "Fields": fieldViews(m.Fields, l, values), "Language": lang, "Languages": config.Languages,
		"Action": "/panels/member/" + utils.CopyString(c.Params("token")), "Errors": errs,
	})
}

// Confirm activates a sign-up (double opt-in).
func (h *Handlers) Confirm(c *fiber.Ctx) error {
	token := utils.CopyString(c.Params("token"))
	if _, err := h.store.Confirm(c.UserContext(), token, page.ClientIP(c)); err != nil {
		return err
	}
	page.Sess(c).Flash("panels.confirmed")
	return c.Redirect("/panels/member/"+token, fiber.StatusSeeOther)
}

// SaveProfile updates a member's language and profile.
func (h *Handlers) SaveProfile(c *fiber.Ctx) error {
	m, ok, err := h.member(c)
	if !ok {
		return err
	}
	if m.Status != models.MemberActive {
		return h.renderMember(c, fiber.StatusConflict, m, nil, nil)
	}
	form := page.Form(c)
	if err := h.store.UpdateProfile(c.UserContext(), m, form.Get("language"), profileFrom(form, m.Fields)); err != nil {
		errs, err := page.FieldErrors(c, err, "-")
		if err != nil {
			return err
		}
		return h.renderMember(c, fiber.StatusUnprocessableEntity, m, form, errs)
	}
	page.Sess(c).Flash("panels.profile_saved")
	return c.Redirect("/panels/member/"+utils.CopyString(c.Params("token"))+"?lang="+url.QueryEscape(form.Get("language")), fiber.StatusSeeOther)
}

// LeaveForm asks the member to confirm that they want to leave: leaving
// cannot be undone, so it takes a second, deliberate step.
func (h *Handlers) LeaveForm(c *fiber.Ctx) error {
	m, ok, err := h.member(c)
	if !ok {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "panels/leave", fiber.Map{
		"Member": m, "Name": m.Panel.Name.In(page.L(c).Lang), "Action": "/panels/member/" + utils.CopyString(c.Params("token")),
	})
}

// Data downloads what the panel keeps about the member, as JSON.
func (h *Handlers) Data(c *fiber.Ctx) error {
	m, ok, err := h.member(c)
	if !ok {
		return err
	}
	d, err := h.store.MemberData(c.UserContext(), m, page.L(c).Lang)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="panel-membership.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(d)
}

// Leave deletes the member (after LeaveForm).
func (h *Handlers) Leave(c *fiber.Ctx) error {
	m, ok, err := h.member(c)
	if !ok {
		return err
	}
	if err := h.store.Leave(c.UserContext(), m); err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "panels/left", fiber.Map{"Name": m.Panel.Name.In(page.L(c).Lang)})
}

// Invitation follows a personal invitation link: the token waits in the
// visitor's session for the response, and the survey starts.
func (h *Handlers) Invitation(c *fiber.Ctx) error {
	token := utils.CopyString(c.Params("token"))
	inv, err := h.store.Check(c.UserContext(), token, page.ClientIP(c))
	var v *apperr.Validation
	if errors.As(err, &v) {
		return &apperr.Missing{MessageID: "survey.token_invalid"} // a link, not a form: not found
	}
	if err != nil {
		return err
	}
	page.Sess(c).Set(surveys.InvitationKey(inv.SurveyID), token)
	return c.Redirect("/surveys/"+inv.SurveyID+"?channel=panel", fiber.StatusSeeOther)
}
