package ideas

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

type categoryJSON struct {
	Key   string      `json:"key"`
	Label models.Text `json:"label"`
}

type statsJSON struct {
	Ideas       int64 `json:"ideas"`
	Supports    int64 `json:"supports"`
	Comments    int64 `json:"comments"`
	ShareClicks int64 `json:"share_clicks"`
}

type consultationJSON struct {
	ID          string         `json:"id"`
	URL         string         `json:"url"`
	Title       models.Text    `json:"title"`
	Description models.Text    `json:"description"`
	Background  models.Text    `json:"background"`
	Categories  []categoryJSON `json:"categories"`
	OpensAt     time.Time      `json:"opens_at"`
	ClosesAt    time.Time      `json:"closes_at"`
	Phase       string         `json:"phase"`
	Moderation  string         `json:"moderation"`
	Anonymous   bool           `json:"anonymous"`
	Stats       *statsJSON     `json:"stats,omitempty"`
}

func (h *Handlers) consultationJSON(c *models.Consultation, st *Counts) consultationJSON {
	out := consultationJSON{ID: c.ID, URL: h.baseURL + "/consultations/" + c.ID, Title: c.Title, Description: c.Description,
		Background: c.Background, Categories: []categoryJSON{}, OpensAt: c.OpensAt, ClosesAt: c.ClosesAt,
		Phase: c.Phase(h.store.Now()), Moderation: c.Moderation, Anonymous: c.Anonymous}
	for _, k := range c.Categories {
		out.Categories = append(out.Categories, categoryJSON{Key: k.Key, Label: k.Label})
	}
	if st != nil {
		out.Stats = &statsJSON{Ideas: st.Ideas, Supports: st.Supports, Comments: st.Comments, ShareClicks: st.ShareClicks}
	}
	return out
}

type locationJSON struct {
	Lat   *float64 `json:"lat"`
	Lng   *float64 `json:"lng"`
	Label string   `json:"label"`
}

type ideaJSON struct {
	ID             string        `json:"id"`
	URL            string        `json:"url"`
	ConsultationID string        `json:"consultation_id"`
	Title          string        `json:"title"`
	Body           string        `json:"body"`
	Category       string        `json:"category"`
	DisplayName    string        `json:"display_name"`
	Location       *locationJSON `json:"location"`
	Status         string        `json:"status"`
	Explanation    models.Text   `json:"explanation"`
	Supports       int           `json:"supports"`
	Comments       int           `json:"comments"`
	ShareClicks    int           `json:"share_clicks"`
	Visibility     string        `json:"visibility"`
	CreatedAt      time.Time     `json:"created_at"`
}

func (h *Handlers) ideaJSON(i *models.Idea) ideaJSON {
	out := ideaJSON{ID: i.ID, URL: h.baseURL + "/ideas/" + i.ID, ConsultationID: i.ConsultationID, Title: i.Title, Body: i.Body,
		Category: i.Category, DisplayName: i.DisplayName, Status: i.Status, Explanation: i.Explanation,
		Supports: i.Supports, Comments: i.Comments, ShareClicks: i.ShareClicks, Visibility: i.Visibility, CreatedAt: i.CreatedAt}
	if out.Explanation == nil {
		out.Explanation = models.Text{}
	}
	if i.PlaceLabel != "" || i.Lat != nil {
		out.Location = &locationJSON{Lat: i.Lat, Lng: i.Lng, Label: i.PlaceLabel}
	}
	return out
}

// APIList lists the consultations.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	cs, err := h.store.Consultations(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]consultationJSON, len(cs))
	for i := range cs {
		out[i] = h.consultationJSON(&cs[i], nil)
	}
	return c.JSON(fiber.Map{"consultations": out})
}

// APICreate opens a consultation (staff).
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	var in ConsultationInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	var by *string
	if a := page.Account(c); a != nil {
		by = &a.ID
	}
	cons, err := h.store.CreateConsultation(c.UserContext(), in, by)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(h.consultationJSON(cons, nil))
}

// APIUpdate changes a consultation (staff); the body is the whole consultation.
func (h *Handlers) APIUpdate(c *fiber.Ctx) error {
	var in ConsultationInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	if err := h.store.UpdateConsultation(c.UserContext(), c.Params("id"), in); err != nil {
		return err
	}
	return h.APIGet(c)
}

// APIGet is a consultation with its figures.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	cons, err := h.store.Consultation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	st, err := h.store.Stats(c.UserContext(), cons)
	if err != nil {
		return err
	}
	return c.JSON(h.consultationJSON(cons, st))
}

// APIIdeas is a page of a consultation's published ideas:
// ?sort=supports|new|comments&status=&category=&q=&limit=&cursor=.
func (h *Handlers) APIIdeas(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cons, err := h.store.Consultation(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	q := ListQuery{Sort: c.Query("sort"), Status: c.Query("status"), Category: c.Query("category"),
		Search: c.Query("q"), Cursor: c.Query("cursor")}
	if s := c.Query("limit"); s != "" {
		if q.Limit = c.QueryInt("limit", -1); q.Limit == 0 {
			q.Limit = -1
		}
	}
	list, err := h.store.List(ctx, cons, q)
	if err != nil {
		return err
	}
	out := make([]ideaJSON, len(list.Ideas))
	for i := range list.Ideas {
		out[i] = h.ideaJSON(&list.Ideas[i])
	}
	var next *string
	if list.Next != "" {
		next = &list.Next
	}
	return c.JSON(fiber.Map{"ideas": out, "next": next})
}

// APISubmit takes a citizen's idea.
func (h *Handlers) APISubmit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cons, err := h.store.Consultation(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	var in IdeaInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	in.Language = page.L(c).Lang
	p, err := h.participant(c, cons)
	if err != nil {
		return err
	}
	var idea *models.Idea
	if err := h.post(c, cons.ID, p, true, func() (err error) {
		idea, err = h.store.Submit(ctx, cons, p, in)
		return err
	}); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(h.ideaJSON(idea))
}

// visibleTo reads the idea named in the URL as the caller may see it: a
// hidden idea as its id, visibility and rule only; a pending or rejected
// one only for its author.
func (h *Handlers) visibleTo(c *fiber.Ctx) (*models.Idea, *models.Consultation, bool, error) {
	idea, cons, err := h.ideaAndConsultation(c, "id")
	if err != nil {
		return nil, nil, false, err
	}
	mine := idea.Participant == h.knownKey(c, cons)
	if !Published(idea.Visibility) && idea.Visibility != models.PostHidden && !mine {
		return nil, nil, false, apperr.ErrNotFound
	}
	return idea, cons, mine, nil
}

// APIIdea is one idea.
func (h *Handlers) APIIdea(c *fiber.Ctx) error {
	idea, _, mine, err := h.visibleTo(c)
	if err != nil {
		return err
	}
	if idea.Visibility == models.PostHidden && !mine {
		return c.JSON(fiber.Map{"id": idea.ID, "visibility": idea.Visibility, "rule": idea.RuleKey})
	}
	return c.JSON(h.ideaJSON(idea))
}

// APISupport supports an idea once per participant.
func (h *Handlers) APISupport(c *fiber.Ctx) error { return h.apiSupport(c, true) }

// APIUnsupport withdraws the participant's support.
func (h *Handlers) APIUnsupport(c *fiber.Ctx) error { return h.apiSupport(c, false) }

func (h *Handlers) apiSupport(c *fiber.Ctx, on bool) error {
	idea, cons, err := h.ideaAndConsultation(c, "id")
	if err != nil {
		return err
	}
	p, err := h.participant(c, cons)
	if err != nil {
		return err
	}
	var n int
	if on {
		n, err = h.store.Support(c.UserContext(), cons, idea.ID, p)
	} else {
		n, err = h.store.Unsupport(c.UserContext(), cons, idea.ID, p)
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"supports": n, "supported": on})
}

type commentJSON struct {
	ID          string        `json:"id"`
	ParentID    *string       `json:"parent_id"`
	DisplayName string        `json:"display_name,omitempty"`
	Body        string        `json:"body,omitempty"`
	Visibility  string        `json:"visibility"`
	Rule        string        `json:"rule,omitempty"`
	Note        string        `json:"note,omitempty"`
	Mine        bool          `json:"mine,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	Replies     []commentJSON `json:"replies,omitempty"`
}

// toCommentJSON is a comment as its reader may see it: a hidden one of
// someone else as its house rule only; their own (mine) in full, with the
// rule and the moderator's note when it was hidden or rejected.
func toCommentJSON(cm *models.IdeaComment, mine bool) commentJSON {
	out := commentJSON{ID: cm.ID, ParentID: cm.ParentID, Visibility: cm.Visibility, CreatedAt: cm.CreatedAt, Mine: mine}
	if cm.Visibility == models.PostHidden || cm.Visibility == models.PostRejected {
		out.Rule = cm.RuleKey
	}
	if mine || cm.Visibility != models.PostHidden {
		out.DisplayName, out.Body = cm.DisplayName, cm.Body
	}
	if mine {
		out.Note = cm.ModNote
	}
	return out
}

// APIComments is an idea's thread: top-level comments with their replies;
// hidden ones name the house rule instead of their text, except to their
// author, who also sees their own waiting and rejected comments.
func (h *Handlers) APIComments(c *fiber.Ctx) error {
	idea, cons, err := h.ideaAndConsultation(c, "id")
	if err != nil {
		return err
	}
	if !Published(idea.Visibility) {
		return apperr.ErrNotFound
	}
	thread, err := h.store.Thread(c.UserContext(), idea.ID, h.viewer(c, cons))
	if err != nil {
		return err
	}
	out := make([]commentJSON, len(thread))
	for i := range thread {
		out[i] = toCommentJSON(&thread[i].IdeaComment, thread[i].Mine)
		for j := range thread[i].Replies {
			out[i].Replies = append(out[i].Replies, toCommentJSON(&thread[i].Replies[j].IdeaComment, thread[i].Replies[j].Mine))
		}
	}
	return c.JSON(fiber.Map{"comments": out})
}

// APIComment takes a comment (or, with parent_id, a reply).
func (h *Handlers) APIComment(c *fiber.Ctx) error {
	idea, cons, err := h.ideaAndConsultation(c, "id")
	if err != nil {
		return err
	}
	var in CommentInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	p, err := h.participant(c, cons)
	if err != nil {
		return err
	}
	var cm *models.IdeaComment
	if err := h.post(c, cons.ID, p, false, func() (err error) {
		cm, err = h.store.Comment(c.UserContext(), cons, idea.ID, p, in)
		return err
	}); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toCommentJSON(cm, true))
}
