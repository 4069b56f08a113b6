package moderation

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// Handlers serves the house rules pages and API.
type Handlers struct {
	store  *Store
	render *page.Renderer
}

// NewHandlers returns the handlers.
func NewHandlers(store *Store, render *page.Renderer) *Handlers {
	return &Handlers{store: store, render: render}
}

// RuleView is a rule in the reader's language.
type RuleView struct {
	Key, Title, Body string
	Rule             models.HouseRule
}

// Views puts rules into a language.
func Views(rules []models.HouseRule, lang string) []RuleView {
	out := make([]RuleView, len(rules))
	for i, r := range rules {
		out[i] = RuleView{Key: r.Key, Title: r.Title.In(lang), Body: r.Body.In(lang), Rule: r}
	}
	return out
}

// Public is the published house rules page.
func (h *Handlers) Public(c *fiber.Ctx) error {
	rules, err := h.store.Rules(c.UserContext())
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "moderation/rules", fiber.Map{"Rules": Views(rules, page.L(c).Lang)})
}

// APIRules lists the house rules: {rules:[{key, title, body}]}.
func (h *Handlers) APIRules(c *fiber.Ctx) error {
	rules, err := h.store.Rules(c.UserContext())
	if err != nil {
		return err
	}
	type ruleJSON struct {
		Key   string      `json:"key"`
		Title models.Text `json:"title"`
		Body  models.Text `json:"body"`
	}
	out := make([]ruleJSON, len(rules))
	for i, r := range rules {
		out[i] = ruleJSON{Key: r.Key, Title: r.Title, Body: r.Body}
	}
	return c.JSON(fiber.Map{"rules": out})
}

// Edit is the staff page that edits the rules.
func (h *Handlers) Edit(c *fiber.Ctx) error { return h.edit(c, fiber.StatusOK, nil, nil) }

func (h *Handlers) edit(c *fiber.Ctx, status int, form url.Values, errs map[string]string) error {
	rules, err := h.store.Rules(c.UserContext())
	if err != nil {
		return err
	}
	if form == nil {
		form = url.Values{"position": {strconv.Itoa(len(rules) + 1)}}
	}
	return h.render.Render(c, status, "moderation/edit", fiber.Map{"Rules": Views(rules, page.L(c).Lang), "Form": form, "Languages": config.Languages, "Errors": errs})
}

// Save adds or changes a rule from the form.
func (h *Handlers) Save(c *fiber.Ctx) error {
	form := page.Form(c)
	pos, _ := strconv.Atoi(form.Get("position"))
	var by *string
	if a := page.Account(c); a != nil {
		by = &a.ID
	}
	err := h.store.SaveRule(c.UserContext(), RuleInput{Key: form.Get("key"), Position: pos, Title: page.TextFrom(form, "title", "_", config.Languages), Body: page.TextFrom(form, "body", "_", config.Languages)}, by)
	var v *apperr.Validation
	if errors.As(err, &v) {
		errs := map[string]string{}
		for f, id := range v.Fields {
			errs[strings.ReplaceAll(f, ".", "_")] = page.L(c).T(id)
		}
		return h.edit(c, fiber.StatusUnprocessableEntity, form, errs)
	}
	if err != nil {
		return err
	}
	page.Sess(c).Flash("moderation.rule_saved")
	return c.Redirect("/staff/house-rules", fiber.StatusSeeOther)
}

// Delete removes a rule.
func (h *Handlers) Delete(c *fiber.Ctx) error {
	if err := h.store.DeleteRule(c.UserContext(), c.Params("key")); err != nil {
		return err
	}
	page.Sess(c).Flash("moderation.rule_deleted")
	return c.Redirect("/staff/house-rules", fiber.StatusSeeOther)
}
