package ideas

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// StatusChangeView is one status an idea was given, in a reader's language.
type StatusChangeView struct {
	Status      string
	Explanation string
	Date        string
	By          string
}

func historyViews(changes []models.IdeaStatusChange, l *i18n.L) []StatusChangeView {
	out := make([]StatusChangeView, len(changes))
	for i, ch := range changes {
		out[i] = StatusChangeView{Status: ch.Status, Explanation: ch.Explanation.In(l.Lang), Date: l.Date(ch.CreatedAt), By: ch.AccountName}
	}
	return out
}

// StaffStatus is the staff page of an idea: the idea, the statuses it was
// given and a form for a new status with its explanation per language.
func (h *Handlers) StaffStatus(c *fiber.Ctx) error {
	idea, err := h.store.Idea(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	form := url.Values{"status": {idea.Status}}
	for _, l := range config.Languages {
		form.Set("explanation_"+l, idea.Explanation[l])
	}
	return h.staffStatus(c, fiber.StatusOK, idea, form, nil)
}

func (h *Handlers) staffStatus(c *fiber.Ctx, status int, idea *models.Idea, form url.Values, errs map[string]string) error {
	ctx := c.UserContext()
	cons, err := h.store.Consultation(ctx, idea.ConsultationID)
	if err != nil {
		return err
	}
	changes, err := h.store.StatusHistory(ctx, idea.ID)
	if err != nil {
		return err
	}
	l := page.L(c)
	return h.render.Render(c, status, "ideas/staff_status", fiber.Map{
		"Idea": idea, "ConsultationTitle": cons.Title.In(l.Lang), "Published": Published(idea.Visibility),
		"History": historyViews(changes, l), "Statuses": models.IdeaStatuses, "Languages": config.Languages,
		"Form": form, "Errors": errs, "MaxExplanation": MaxExplanation,
	})
}

// StaffSetStatus saves the status form.
func (h *Handlers) StaffSetStatus(c *fiber.Ctx) error {
	ctx := c.UserContext()
	idea, err := h.store.Idea(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	form := page.Form(c)
	_, err = h.store.SetStatus(ctx, idea.ID, page.Account(c), form.Get("status"),
		page.TextFrom(form, "explanation", "_", config.Languages))
	if err != nil {
		errs, err := page.FieldErrors(c, err, "_")
		if err != nil {
			return err
		}
		return h.staffStatus(c, fiber.StatusUnprocessableEntity, idea, form, errs)
	}
	page.Sess(c).Flash("ideas_feedback.status_saved")
	return c.Redirect("/staff/ideas/"+idea.ID, fiber.StatusSeeOther)
}

// StatusInput is a status as the API takes it.
type StatusInput struct {
	Status      string      `json:"status"`
	Explanation models.Text `json:"explanation"`
}

// APISetStatus gives an idea a status: {status, explanation:{da, nl, en}}
// -> {id, status, explanation, status_at}.
func (h *Handlers) APISetStatus(c *fiber.Ctx) error {
	var in StatusInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	idea, err := h.store.SetStatus(c.UserContext(), c.Params("id"), page.Account(c), in.Status, in.Explanation)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": idea.ID, "status": idea.Status, "explanation": idea.Explanation, "status_at": idea.StatusAt.UTC()})
}
