package townhall

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

type answerJSON struct {
	ID         string    `json:"id"`
	Text       string    `json:"text"`
	Politician string    `json:"politician"`
	Role       string    `json:"role"`
	AnsweredAt time.Time `json:"answered_at"`
}

type questionJSON struct {
	ID          string       `json:"id"`
	Text        string       `json:"text"`
	DisplayName string       `json:"display_name"`
	Votes       int          `json:"votes"`
	Status      string       `json:"status"`
	CreatedAt   time.Time    `json:"created_at"`
	Answering   bool         `json:"answering,omitempty"`
	AssignedTo  *string      `json:"assigned_to,omitempty"`
	Answers     []answerJSON `json:"answers"`
}

func toQuestionJSON(l *i18n.L, q QuestionView, th *models.TownHall) questionJSON {
	st := q.Status
	if st == models.QuestionApproved && q.Answered() {
		st = "answered"
	}
	out := questionJSON{ID: q.ID, Text: q.Text, DisplayName: q.DisplayName, Votes: q.Votes, Status: st, CreatedAt: PublicTime(q.CreatedAt),
		Answering: th.AnsweringID != nil && *th.AnsweringID == q.ID, Answers: []answerJSON{}}
	for _, a := range q.Answers {
		out.Answers = append(out.Answers, answerJSON{ID: a.ID, Text: a.Text, Politician: a.Name, Role: roleOf(l, a.Title), AnsweredAt: a.CreatedAt})
	}
	return out
}

// APICreate schedules a town hall.
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	var in Input
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	th, err := h.store.Create(c.UserContext(), in, accountID(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": th.ID, "url": h.baseURL + "/townhalls/" + th.ID, "status": th.Phase(h.store.Now())})
}

// APIGet is the town hall with its visible questions, most votes first
// (?sort=new: newest first).
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	th, _, last, qs, pols, err := h.published(c)
	if err != nil {
		return err
	}
	l := page.L(c)
	out := make([]questionJSON, len(qs))
	for i, q := range qs {
		out[i] = toQuestionJSON(l, q, th)
	}
	type polJSON struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	ps := make([]polJSON, len(pols))
	for i, p := range pols {
		ps[i] = polJSON{Name: p.Name, Role: roleOf(l, p.Role)}
	}
	return c.JSON(fiber.Map{
		"id": th.ID, "title": th.Title, "description": th.Description, "starts_at": th.StartsAt, "ends_at": th.EndsAt,
		"status": th.Phase(h.store.Now()), "moderation": th.Moderation, "participation": th.Participation, "names": th.Names,
		"politicians": ps, "answering": th.AnsweringID, "last_event_id": last, "questions": out,
		"events_url": "/api/v1/townhalls/" + th.ID + "/events",
	})
}

// APIStats returns the town hall's figures.
func (h *Handlers) APIStats(c *fiber.Ctx) error {
	th, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	st, err := h.store.Stats(c.UserContext(), th.ID)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

// APIAsk takes a citizen's question.
func (h *Handlers) APIAsk(c *fiber.Ctx) error {
	ctx := c.UserContext()
	th, err := h.store.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	var in struct {
		Text        string `json:"text"`
		DisplayName string `json:"display_name"`
	}
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	if err := h.throttle(c, 1, "townhall.too_many_questions"); err != nil {
		return err
	}
	p, err := h.participant(c, th)
	if err != nil {
		return err
	}
	q, err := h.store.Ask(ctx, th, p, in.Text, in.DisplayName)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": q.ID, "status": q.Status})
}

func (h *Handlers) apiVote(c *fiber.Ctx, withdraw bool) error {
	ctx := c.UserContext()
	q, th, p, err := h.voter(c, c.Params("id"))
	if err != nil {
		return err
	}
	var n int
	if withdraw {
		n, err = h.store.Unvote(ctx, q, th, p)
	} else {
		n, err = h.store.Vote(ctx, q, th, p)
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"votes": n, "voted": !withdraw})
}

// APIVote votes once for a question.
func (h *Handlers) APIVote(c *fiber.Ctx) error { return h.apiVote(c, false) }

// APIUnvote withdraws the vote.
func (h *Handlers) APIUnvote(c *fiber.Ctx) error { return h.apiVote(c, true) }

// APIModerate applies a moderator's action.
func (h *Handlers) APIModerate(c *fiber.Ctx) error {
	var a Action
	if err := page.BindJSON(c, &a); err != nil {
		return err
	}
	q, err := h.store.Moderate(c.UserContext(), c.Params("id"), page.Account(c), a)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": q.ID, "status": q.Status, "votes": q.Votes, "merged_into": q.MergedInto, "assigned_to": q.AssignedTo})
}

// APIQueue lists a town hall's questions for moderators (?status=pending by default; "all").
func (h *Handlers) APIQueue(c *fiber.Ctx) error {
	ctx := c.UserContext()
	th, err := h.store.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	st := c.Query("status", models.QuestionPending)
	var statuses []string
	switch st {
	case "all":
	case models.QuestionPending, models.QuestionApproved, models.QuestionRejected, models.QuestionHidden, models.QuestionMerged:
		statuses = []string{st}
	default:
		return apperr.Query(apperr.Invalid("status", "validation.choice_invalid"))
	}
	qs, err := h.store.Questions(ctx, th.ID, SortNew, statuses...)
	if err != nil {
		return err
	}
	l := page.L(c)
	out := make([]questionJSON, len(qs))
	for i, q := range qs {
		out[i] = toQuestionJSON(l, q, th)
	}
	return c.JSON(fiber.Map{"questions": out})
}

// APIAnswer takes a politician's answer.
func (h *Handlers) APIAnswer(c *fiber.Ctx) error {
	var in struct {
		Text string `json:"text"`
	}
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	a, err := h.store.Answer(c.UserContext(), c.Params("id"), page.Account(c), in.Text)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(answerJSON{ID: a.ID, Text: a.Text, Politician: a.Name, Role: roleOf(page.L(c), a.Title), AnsweredAt: a.CreatedAt})
}

// APIAnswering marks the question as being answered now.
func (h *Handlers) APIAnswering(c *fiber.Ctx) error {
	if err := h.store.SetAnswering(c.UserContext(), "", c.Params("id"), page.Account(c)); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"answering": c.Params("id")})
}

func accountID(c *fiber.Ctx) *string {
	if a := page.Account(c); a != nil {
		id := a.ID
		return &id
	}
	return nil
}
