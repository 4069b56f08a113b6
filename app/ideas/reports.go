package ideas

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// QuestionTarget resolves a town hall question that a citizen reports: the
// moderation scope of its town hall and the reporter's participant key
// there (the town hall package provides it; a question citizens cannot see
// is not found).
type QuestionTarget func(c *fiber.Ctx, questionID string) (scope, key string, err error)

// Reports takes citizens' reports of any citizen text (ideas, comments,
// town hall questions) to the moderators of its scope.
type Reports struct {
	h         *Handlers
	questions QuestionTarget
}

// Reports returns the report handlers; questions may be nil (then
// questions cannot be reported).
func (h *Handlers) Reports(questions QuestionTarget) *Reports {
	return &Reports{h: h, questions: questions}
}

type reportInput struct {
	TargetType string `json:"target_type"`
	TargetID   string `json:"target_id"`
	Reason     string `json:"reason"`
}

// take checks and records one report; created is false when the
// participant had reported the post already.
func (r *Reports) take(c *fiber.Ctx, in reportInput) (id string, created bool, err error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if err := moderation.CheckReport(in.TargetType, in.Reason); err != nil {
		return "", false, err
	}
	scope, key, err := r.target(c, in.TargetType, in.TargetID)
	if err != nil {
		return "", false, err
	}
	return r.h.mod.Report(c.UserContext(), scope, in.TargetType, in.TargetID, key, in.Reason)
}

// target finds the scope of a visible post and the reporter's key in it;
// each report costs one action from the client address's allowance.
func (r *Reports) target(c *fiber.Ctx, targetType, targetID string) (scope, key string, err error) {
	ctx := c.UserContext()
	var ideaID string
	switch targetType {
	case models.TargetQuestion:
		if r.questions == nil || targetID == "" {
			return "", "", apperr.ErrNotFound
		}
		if err := r.h.throttle(c, 1); err != nil {
			return "", "", err
		}
		return r.questions(c, targetID)
	case models.TargetComment:
		cm, err := r.h.store.CommentByID(ctx, targetID)
		if err != nil {
			return "", "", err
		}
		if !Published(cm.Visibility) {
			return "", "", apperr.ErrNotFound
		}
		ideaID = cm.IdeaID
	case models.TargetIdea:
		ideaID = targetID
	default:
		return "", "", apperr.Invalid("target_type", "validation.choice_invalid")
	}
	idea, err := r.h.store.Idea(ctx, ideaID)
	if err != nil {
		return "", "", err
	}
	if !Published(idea.Visibility) {
		return "", "", apperr.ErrNotFound
	}
	cons, err := r.h.store.Consultation(ctx, idea.ConsultationID)
	if err != nil {
		return "", "", err
	}
	p, err := r.h.participant(c, cons) // takes from the allowance
	if err != nil {
		return "", "", err
	}
	return Scope(cons.ID), p.Key, nil
}

// Form takes a report from the "report-form" block and goes back to the
// page it came from with a message.
func (r *Reports) Form(c *fiber.Ctx) error {
	form := page.Form(c)
	in := reportInput{TargetType: form.Get("target_type"), TargetID: form.Get("target_id"), Reason: form.Get("reason")}
	fallback := "/"
	switch in.TargetType {
	case models.TargetIdea:
		fallback = "/ideas/" + in.TargetID
	case models.TargetComment:
		fallback = "/consultations"
	}
	to := back(c, fallback)
	_, created, err := r.take(c, in)
	var v *apperr.Validation
	switch {
	case errors.As(err, &v):
		// The block's textarea is required and bounded, so this is rare:
		// say what was wrong on the page the report came from.
		page.Sess(c).Flash("ideas_moderation.report_invalid")
	case err != nil:
		return err
	case created:
		page.Sess(c).Flash("ideas_moderation.report_thanks")
	default:
		page.Sess(c).Flash("ideas_moderation.report_already")
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// API takes a report: 201 {id}, or 200 {id} when the caller had reported
// the post already.
func (r *Reports) API(c *fiber.Ctx) error {
	var in reportInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	id, created, err := r.take(c, in)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(fiber.Map{"id": id, "created": created})
}
