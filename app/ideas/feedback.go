package ideas

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// Feedback is a consultation's "you said, we did": how many published
// ideas have each status, and the ideas that have one.
type Feedback struct {
	// Counts has every status of models.IdeaStatuses and StatusNone.
	Counts map[string]int64
	// Ideas are the published ideas with a status, in the order of
	// models.IdeaStatuses, the most supported first within a status.
	Ideas []models.Idea
}

// Feedback reads c's "you said, we did".
func (s *Store) Feedback(ctx context.Context, c *models.Consultation) (*Feedback, error) {
	stats, err := s.Stats(ctx, c)
	if err != nil {
		return nil, err
	}
	out := &Feedback{Counts: map[string]int64{StatusNone: stats.ByStatus[""]}}
	for _, st := range models.IdeaStatuses {
		out.Counts[st] = stats.ByStatus[st]
	}
	var rows []models.Idea
	if err := s.db.WithContext(ctx).Where("consultation_id = ? AND visibility = ? AND status <> ''", c.ID, models.PostPublished).
		Order("supports DESC, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, st := range models.IdeaStatuses {
		for _, r := range rows {
			if r.Status == st {
				out.Ideas = append(out.Ideas, r)
			}
		}
	}
	return out, nil
}

// StatusCount is how many ideas have one status.
type StatusCount struct {
	Status string
	N      int64
}

// FeedbackIdea is an idea on the "you said, we did" page, in the reader's
// language.
type FeedbackIdea struct {
	ID          string
	Title       string
	Explanation string
	Supports    int
	Date        string
}

// FeedbackGroup is the ideas of one status.
type FeedbackGroup struct {
	Status string
	Ideas  []FeedbackIdea
}

// FeedbackPage is the public "you said, we did" page of a consultation.
func (h *Handlers) FeedbackPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cons, err := h.store.Consultation(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	fb, err := h.store.Feedback(ctx, cons)
	if err != nil {
		return err
	}
	l := page.L(c)
	data := fiber.Map{"Cons": cons, "Title": cons.Title.In(l.Lang), "Phase": cons.Phase(h.store.Now())}
	var counts []StatusCount
	var total, given int64
	for _, st := range append(append([]string{}, models.IdeaStatuses...), StatusNone) {
		counts = append(counts, StatusCount{Status: st, N: fb.Counts[st]})
		total += fb.Counts[st]
		if st != StatusNone {
			given += fb.Counts[st]
		}
	}
	var groups []FeedbackGroup
	for _, i := range fb.Ideas {
		if len(groups) == 0 || groups[len(groups)-1].Status != i.Status {
			groups = append(groups, FeedbackGroup{Status: i.Status})
		}
		g := &groups[len(groups)-1]
		v := FeedbackIdea{ID: i.ID, Title: i.Title, Explanation: i.Explanation.In(l.Lang), Supports: i.Supports}
		if i.StatusAt != nil {
			v.Date = l.Date(*i.StatusAt)
		}
		g.Ideas = append(g.Ideas, v)
	}
	data["Counts"], data["Total"], data["Given"], data["Groups"] = counts, total, given, groups
	if err := h.visitorData(c, cons, data); err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "ideas/feedback", data)
}

// FeedbackIdeaJSON is an idea in the API's "you said, we did".
type FeedbackIdeaJSON struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Status      string      `json:"status"`
	Explanation models.Text `json:"explanation"`
	Supports    int         `json:"supports"`
	StatusAt    *time.Time  `json:"status_at"`
}

// APIFeedback is a consultation's "you said, we did":
// {counts:{status: n, none: n}, ideas:[{id, title, status, explanation, supports, status_at}]}.
func (h *Handlers) APIFeedback(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cons, err := h.store.Consultation(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	fb, err := h.store.Feedback(ctx, cons)
	if err != nil {
		return err
	}
	ideas := make([]FeedbackIdeaJSON, len(fb.Ideas))
	for i, x := range fb.Ideas {
		var at *time.Time
		if x.StatusAt != nil {
			t := x.StatusAt.UTC()
			at = &t
		}
		ideas[i] = FeedbackIdeaJSON{ID: x.ID, Title: x.Title, Status: x.Status, Explanation: x.Explanation, Supports: x.Supports, StatusAt: at}
	}
	return c.JSON(fiber.Map{"counts": fb.Counts, "ideas": ideas})
}

// FollowState is what the "idea-feedback" block offers about following.
type FollowState struct {
	// Citizen: a citizen is signed in; Following: they follow the idea.
	Citizen, Following bool
}

// feedbackData adds what the "idea-feedback" block shows about a published
// idea: "StatusHistory" (the statuses it was given, newest first, in the
// reader's language), "StatusExplanation" and "StatusDate" (the current
// one's), "Follow" (FollowState) and "CanSetStatus" (staff may give a
// status).
func (h *Handlers) feedbackData(c *fiber.Ctx, idea *models.Idea, data fiber.Map) error {
	ctx := c.UserContext()
	l := page.L(c)
	changes, err := h.store.StatusHistory(ctx, idea.ID)
	if err != nil {
		return err
	}
	data["StatusHistory"] = historyViews(changes, l)
	data["StatusExplanation"] = idea.Explanation.In(l.Lang)
	data["StatusDate"] = ""
	if idea.StatusAt != nil {
		data["StatusDate"] = l.Date(*idea.StatusAt)
	}
	follow := FollowState{}
	if cit := page.Citizen(c); cit != nil {
		follow.Citizen = true
		if follow.Following, err = h.store.Follows(ctx, cit.ID, idea.ID); err != nil {
			return err
		}
	}
	data["Follow"] = follow
	a := page.Account(c)
	data["CanSetStatus"] = a != nil && (a.Role == models.RoleStaff || a.Role == models.RoleAdmin)
	return nil
}
