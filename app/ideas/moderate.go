package ideas

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// ModCard is a consultation in the moderators' list, with its work waiting.
type ModCard struct {
	ConsultationCard
	Counts QueueCounts
}

// ModerateList lists the consultations with their posts waiting for
// approval and their reported posts.
func (h *Handlers) ModerateList(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cs, err := h.store.Consultations(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
	}
	counts, err := h.store.QueueCounts(ctx, ids)
	if err != nil {
		return err
	}
	cards := h.Cards(cs, page.L(c).Lang)
	out := make([]ModCard, len(cards))
	for i, card := range cards {
		out[i] = ModCard{ConsultationCard: card, Counts: counts[card.C.ID]}
	}
	return h.render.Render(c, fiber.StatusOK, "ideas/moderate_list", fiber.Map{"Consultations": out})
}

// Queue is the moderators' page of a consultation: posts waiting for
// approval, reported posts, posts removed lately, and the log.
func (h *Handlers) Queue(c *fiber.Ctx) error {
	return h.queuePage(c, fiber.StatusOK, c.Params("id"), nil)
}

func (h *Handlers) queuePage(c *fiber.Ctx, status int, consultationID string, errs map[string]string) error {
	ctx := c.UserContext()
	cons, err := h.store.Consultation(ctx, consultationID)
	if err != nil {
		return err
	}
	q, err := h.store.Queue(ctx, cons.ID)
	if err != nil {
		return err
	}
	rules, err := h.mod.Rules(ctx)
	if err != nil {
		return err
	}
	log, err := h.mod.Entries(ctx, Scope(cons.ID), 100)
	if err != nil {
		return err
	}
	l := page.L(c)
	views := moderation.Views(rules, l.Lang)
	return h.render.Render(c, status, "ideas/moderate", fiber.Map{
		"Cons": cons, "Title": cons.Title.In(l.Lang), "Phase": cons.Phase(h.store.Now()), "Queue": q,
		"Rules": views, "RuleTitles": moderation.RuleTitles(views), "Log": log, "Errors": errs,
	})
}

// ModerateIdeaForm applies an action to an idea from the moderators' page.
func (h *Handlers) ModerateIdeaForm(c *fiber.Ctx) error { return h.moderateForm(c, models.TargetIdea) }

// ModerateCommentForm applies an action to a comment from the moderators' page.
func (h *Handlers) ModerateCommentForm(c *fiber.Ctx) error {
	return h.moderateForm(c, models.TargetComment)
}

var moderatedMsg = map[string]string{
	ActApprove: "ideas_moderation.flash_approve", ActReject: "ideas_moderation.flash_reject",
	ActHide: "ideas_moderation.flash_hide", ActRestore: "ideas_moderation.flash_restore",
	ActBan: "ideas_moderation.flash_ban", ActDismiss: "ideas_moderation.flash_dismiss",
}

func (h *Handlers) moderateForm(c *fiber.Ctx, kind string) error {
	ctx := c.UserContext()
	form := page.Form(c)
	id := c.Params("id")
	var consID string
	if kind == models.TargetIdea {
		i, err := h.store.Idea(ctx, id)
		if err != nil {
			return err
		}
		id, consID = i.ID, i.ConsultationID
	} else {
		cm, err := h.store.CommentByID(ctx, id)
		if err != nil {
			return err
		}
		id, consID = cm.ID, cm.ConsultationID
	}
	act := form.Get("action")
	_, err := h.store.Moderate(ctx, kind, id, page.Account(c), Action{Action: act, Reason: form.Get("reason"), Note: form.Get("note")})
	if err != nil {
		// The queue again, each message next to the control it is about;
		// the status is app/web's choice.
		return &apperr.OnPage{Err: err, Show: func(status int, messageID string) error {
			l := page.L(c)
			errs := map[string]string{}
			var v *apperr.Validation
			if errors.As(err, &v) {
				for f, mid := range v.Fields {
					errs[controlID(act, f, id)] = l.T(mid)
				}
			} else {
				errs["form"] = l.T(messageID)
			}
			return h.queuePage(c, status, consID, errs)
		}}
	}
	page.Sess(c).Flash(moderatedMsg[act])
	return c.Redirect("/moderate/consultations/"+consID+"#queue", fiber.StatusSeeOther)
}

// controlID is the id of the control of a post's moderation form that a
// field's error is about ("form" when none): the template names them
// action-field-post id.
func controlID(action, field, id string) string {
	if (field == "reason" || field == "note") && (action == ActReject || action == ActHide || action == ActBan) {
		return action + "-" + field + "-" + id
	}
	return "form"
}

// moderatedJSON is a post after a moderator's action.
type moderatedJSON struct {
	ID         string `json:"id"`
	TargetType string `json:"target_type"`
	Visibility string `json:"visibility"`
	Reason     string `json:"reason,omitempty"`
	Note       string `json:"note,omitempty"`
}

func (h *Handlers) apiModerate(c *fiber.Ctx, kind string) error {
	var a Action
	if err := page.BindJSON(c, &a); err != nil {
		return err
	}
	m, err := h.store.Moderate(c.UserContext(), kind, c.Params("id"), page.Account(c), a)
	if err != nil {
		return err
	}
	return c.JSON(moderatedJSON{ID: m.ID, TargetType: m.Kind, Visibility: m.Visibility, Reason: m.RuleKey, Note: m.ModNote})
}

// APIModerateIdea applies a moderator's action to an idea.
func (h *Handlers) APIModerateIdea(c *fiber.Ctx) error { return h.apiModerate(c, models.TargetIdea) }

// APIModerateComment applies a moderator's action to a comment.
func (h *Handlers) APIModerateComment(c *fiber.Ctx) error {
	return h.apiModerate(c, models.TargetComment)
}

type reportsJSON struct {
	Count   int       `json:"count"`
	Reasons []string  `json:"reasons"`
	Latest  time.Time `json:"latest"`
}

type queueItemJSON struct {
	TargetType  string       `json:"target_type"`
	ID          string       `json:"id"`
	IdeaID      string       `json:"idea_id"`
	Title       string       `json:"title,omitempty"`
	IdeaTitle   string       `json:"idea_title,omitempty"`
	Body        string       `json:"body"`
	DisplayName string       `json:"display_name"`
	Visibility  string       `json:"visibility"`
	Reason      string       `json:"reason,omitempty"`
	Note        string       `json:"note,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Reports     *reportsJSON `json:"reports,omitempty"`
}

type logJSON struct {
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	Reason     string    `json:"reason,omitempty"`
	Note       string    `json:"note,omitempty"`
	Actor      string    `json:"actor"`
	CreatedAt  time.Time `json:"created_at"`
}

func queueJSON(items []QueueItem) []queueItemJSON {
	out := make([]queueItemJSON, len(items))
	for i, it := range items {
		out[i] = queueItemJSON{TargetType: it.Kind, ID: it.ID, IdeaID: it.IdeaID, Title: it.Title, IdeaTitle: it.IdeaTitle,
			Body: it.Body, DisplayName: it.DisplayName, Visibility: it.Visibility, Reason: it.RuleKey, Note: it.ModNote,
			CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
		if r := it.Reports; r != nil {
			out[i].Reports = &reportsJSON{Count: r.Count, Reasons: r.Reasons, Latest: r.Latest}
		}
	}
	return out
}

// APIQueue is a consultation's moderation queue: {pending, reported,
// removed, log}.
func (h *Handlers) APIQueue(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cons, err := h.store.Consultation(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	q, err := h.store.Queue(ctx, cons.ID)
	if err != nil {
		return err
	}
	entries, err := h.mod.Entries(ctx, Scope(cons.ID), 100)
	if err != nil {
		return err
	}
	log := make([]logJSON, len(entries))
	for i, e := range entries {
		log[i] = logJSON{Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, Reason: e.RuleKey, Note: e.Note,
			Actor: e.ActorName, CreatedAt: e.CreatedAt}
	}
	return c.JSON(fiber.Map{"pending": queueJSON(q.Pending), "reported": queueJSON(q.Reported),
		"removed": queueJSON(q.Removed), "log": log})
}
