package townhall

import (
	"errors"
	"net/url"
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// ModerateList lists the town halls to moderate.
func (h *Handlers) ModerateList(c *fiber.Ctx) error {
	ths, err := h.store.List(c.UserContext())
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "townhall/moderate_list", fiber.Map{"TownHalls": Cards(ths, page.L(c).Lang, h.store.Now())})
}

// Queue is the moderators' page of a town hall: pending questions first,
// then the published ones, then the log.
func (h *Handlers) Queue(c *fiber.Ctx) error { return h.queue(c, fiber.StatusOK, c.Params("id"), nil) }

func (h *Handlers) queue(c *fiber.Ctx, status int, thID string, errs map[string]string) error {
	ctx := c.UserContext()
	th, err := h.store.Get(ctx, thID)
	if err != nil {
		return err
	}
	l := page.L(c)
	pending, err := h.store.Questions(ctx, th.ID, SortNew, models.QuestionPending)
	if err != nil {
		return err
	}
	// Oldest first: the queue is worked from the top.
	sort.SliceStable(pending, func(i, j int) bool { return pending[i].CreatedAt.Before(pending[j].CreatedAt) })
	approved, err := h.store.Questions(ctx, th.ID, SortVotes, models.QuestionApproved)
	if err != nil {
		return err
	}
	removed, err := h.store.Questions(ctx, th.ID, SortNew, models.QuestionRejected, models.QuestionHidden, models.QuestionMerged)
	if err != nil {
		return err
	}
	rules, err := h.mod.Rules(ctx)
	if err != nil {
		return err
	}
	pols, err := h.store.Politicians(ctx, th.ID)
	if err != nil {
		return err
	}
	log, err := h.mod.Entries(ctx, Scope(th.ID), 100)
	if err != nil {
		return err
	}
	reports, err := h.mod.OpenReports(ctx, Scope(th.ID))
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, p := range pols {
		names[p.AccountID] = p.Name
	}
	ruleViews := moderation.Views(rules, l.Lang)
	byQuestion := moderation.ReportsByTarget(reports)
	var reported []QuestionView
	for _, q := range approved {
		if byQuestion[q.ID] != nil {
			reported = append(reported, q)
		}
	}
	return h.render.Render(c, status, "townhall/moderate", fiber.Map{
		"TH": th, "Title": th.Title.In(l.Lang), "Phase": th.Phase(h.store.Now()),
		"Pending": h.views(l, pending, nil, th), "Approved": h.views(l, approved, nil, th), "Removed": removed,
		"Reports": byQuestion, "Reported": reported,
		"Rules": ruleViews, "RuleTitles": moderation.RuleTitles(ruleViews), "Politicians": pols, "Names": names, "Log": log, "Errors": errs,
	})
}

// ModerateForm applies an action from the moderators' page.
func (h *Handlers) ModerateForm(c *fiber.Ctx) error {
	form := page.Form(c)
	q, err := h.store.Question(c.UserContext(), c.Params("qid"))
	if err != nil {
		return err
	}
	act := form.Get("action")
	_, err = h.store.Moderate(c.UserContext(), q.ID, page.Account(c), Action{Action: act, Reason: form.Get("reason"),
		Note: form.Get("note"), Into: form.Get("into"), Politician: form.Get("politician")})
	if err != nil {
		// The queue again, each message next to the control it is about
		// (ids as in the question's forms); the status is app/web's choice.
		return &apperr.OnPage{Err: err, Show: func(status int, messageID string) error {
			errs := map[string]string{}
			var v *apperr.Validation
			if errors.As(err, &v) {
				l := page.L(c)
				for f, id := range v.Fields {
					errs[controlID(act, f, q.ID)] = l.T(id)
				}
			} else {
				errs["form"] = page.L(c).T(messageID)
			}
			return h.queue(c, status, q.TownHallID, errs)
		}}
	}
	page.Sess(c).Flash(moderatedMsg[form.Get("action")])
	return c.Redirect("/moderate/townhalls/"+q.TownHallID+"#queue", fiber.StatusSeeOther)
}

// controlID is the id of the control of a question's moderation form that
// a field's error is about ("form" when none).
func controlID(action, field, qid string) string {
	switch field {
	case "reason":
		if action == ActBan {
			return "ban-" + qid
		}
		return "reason-" + qid
	case "note":
		if action == ActReject || action == ActHide {
			return "note-" + qid
		}
	case "into":
		return "into-" + qid
	case "politician":
		return "pol-" + qid
	}
	return "form"
}

// PoliticianList lists the politician's town halls.
func (h *Handlers) PoliticianList(c *fiber.Ctx) error {
	a := page.Account(c)
	var ths []models.TownHall
	var err error
	if a.IsAdmin() {
		ths, err = h.store.List(c.UserContext())
	} else {
		ths, err = h.store.ForPolitician(c.UserContext(), a.ID)
	}
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "townhall/politician_list", fiber.Map{"TownHalls": Cards(ths, page.L(c).Lang, h.store.Now())})
}

// Console is a politician's page of a town hall: the published questions,
// those assigned to them first, then by votes, each with an answer form.
func (h *Handlers) Console(c *fiber.Ctx) error {
	return h.console(c, fiber.StatusOK, "", nil, url.Values{})
}

func (h *Handlers) console(c *fiber.Ctx, status int, thID string, errs map[string]string, form url.Values) error {
	ctx := c.UserContext()
	if thID == "" {
		thID = c.Params("id")
	}
	th, err := h.store.Get(ctx, thID)
	if err != nil {
		return err
	}
	me := page.Account(c)
	if _, err := h.store.politician(ctx, h.store.db, th.ID, me.ID); err != nil {
		return err
	}
	l := page.L(c)
	qs, err := h.store.Questions(ctx, th.ID, SortVotes, models.QuestionApproved)
	if err != nil {
		return err
	}
	sort.SliceStable(qs, func(i, j int) bool {
		mi := qs[i].AssignedTo != nil && *qs[i].AssignedTo == me.ID
		mj := qs[j].AssignedTo != nil && *qs[j].AssignedTo == me.ID
		return mi && !mj
	})
	lastEvent, err := h.store.Hub().LastID(ctx, Stream(th.ID))
	if err != nil {
		return err
	}
	return h.render.Render(c, status, "townhall/console", fiber.Map{
		"TH": th, "Title": th.Title.In(l.Lang), "Phase": th.Phase(h.store.Now()), "Questions": h.views(l, qs, nil, th),
		"Me": me.ID, "Errors": errs, "Form": form, "LastEvent": lastEvent, "MaxAnswer": MaxAnswer,
	})
}

// AnswerForm posts a politician's answer.
func (h *Handlers) AnswerForm(c *fiber.Ctx) error {
	form := page.Form(c)
	q, err := h.store.Question(c.UserContext(), c.Params("qid"))
	if err != nil {
		return err
	}
	if _, err := h.store.Answer(c.UserContext(), q.ID, page.Account(c), form.Get("text")); err != nil {
		var v *apperr.Validation
		if !errors.As(err, &v) {
			return err
		}
		// The console again, with the typed answer and the message next to
		// it; the status is app/web's choice.
		return &apperr.OnPage{Err: err, Show: func(status int, _ string) error {
			errs, _ := page.FieldErrors(c, err, "_")
			form.Set("question", q.ID)
			return h.console(c, status, q.TownHallID, map[string]string{"text-" + q.ID: errs["text"]}, form)
		}}
	}
	page.Sess(c).Flash("townhall.answer_posted")
	return c.Redirect("/politician/townhalls/"+q.TownHallID+"#q-"+q.ID, fiber.StatusSeeOther)
}

// AnsweringForm marks (or with clear=1 unmarks) the question being answered now.
func (h *Handlers) AnsweringForm(c *fiber.Ctx) error {
	q, err := h.store.Question(c.UserContext(), c.Params("qid"))
	if err != nil {
		return err
	}
	qid := q.ID
	if c.FormValue("clear") == "1" {
		qid = ""
	}
	if err := h.store.SetAnswering(c.UserContext(), q.TownHallID, qid, page.Account(c)); err != nil {
		return err
	}
	return c.Redirect("/politician/townhalls/"+q.TownHallID+"#q-"+q.ID, fiber.StatusSeeOther)
}

var moderatedMsg = map[string]string{
	ActApprove: "townhall.moderated_approve", ActReject: "townhall.moderated_reject", ActHide: "townhall.moderated_hide",
	ActMerge: "townhall.moderated_merge", ActAssign: "townhall.moderated_assign", ActBan: "townhall.moderated_ban",
	ActDismiss: "ideas_moderation.flash_dismiss",
}
