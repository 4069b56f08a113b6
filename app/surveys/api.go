package surveys

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// surveyInput is the API's body for creating a survey. Questions may come
// flat (one page) or in sections.
type surveyInput struct {
	Title          models.Text `json:"title"`
	Description    models.Text `json:"description"`
	Thanks         models.Text `json:"thanks"`
	Languages      []string    `json:"languages"`
	Anonymous      bool        `json:"anonymous"`
	AllowMultiple  bool        `json:"allow_multiple"`
	PublishResults bool        `json:"publish_results"`
	OpensAt        *time.Time  `json:"opens_at"`
	ClosesAt       *time.Time  `json:"closes_at"`
	Questions      []Question  `json:"questions"`
	Sections       []Section   `json:"sections"`
}

func (in surveyInput) split() (Meta, Definition) {
	m := Meta{Title: in.Title, Description: in.Description, Thanks: in.Thanks, Languages: in.Languages,
		Anonymous: in.Anonymous, AllowMultiple: in.AllowMultiple, PublishResults: in.PublishResults, OpensAt: in.OpensAt, ClosesAt: in.ClosesAt}
	d := Definition{Sections: in.Sections}
	if len(in.Questions) > 0 {
		d.Sections = append([]Section{{Key: "main", Questions: in.Questions}}, d.Sections...)
	}
	return m, d
}

// surveyJSON is the API's view of a survey: what was put in, and more.
type surveyJSON struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Accepting bool   `json:"accepting_responses"`
	surveyInput
	URL       string    `json:"url"`
	Responses *int64    `json:"responses,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (h *Handlers) toJSON(sv *models.Survey, responses *int64) (surveyJSON, error) {
	d, err := Parse(sv.Definition)
	if err != nil {
		return surveyJSON{}, err
	}
	return surveyJSON{
		ID: sv.ID, Status: sv.Status, Accepting: Accepting(sv, h.now()),
		surveyInput: surveyInput{Title: sv.Title, Description: sv.Description, Thanks: sv.Thanks, Languages: Languages(sv),
			Anonymous: sv.Anonymous, AllowMultiple: sv.AllowMultiple, PublishResults: sv.PublishResults,
			OpensAt: sv.OpensAt, ClosesAt: sv.ClosesAt, Questions: d.Questions(), Sections: d.Sections},
		URL: h.baseURL + "/surveys/" + sv.ID, Responses: responses, CreatedAt: sv.CreatedAt, UpdatedAt: sv.UpdatedAt,
	}, nil
}

func (h *Handlers) respond(c *fiber.Ctx, status int, sv *models.Survey) error {
	var count *int64
	if isStaff(page.Account(c)) {
		n, err := h.store.ResponseCount(c.UserContext(), sv.ID)
		if err != nil {
			return err
		}
		count = &n
	}
	out, err := h.toJSON(sv, count)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(out)
}

func isStaff(a *models.Account) bool {
	return a != nil && (a.Role == models.RoleStaff || a.Role == models.RoleAdmin)
}

func accountID(c *fiber.Ctx) *string {
	if a := page.Account(c); a != nil {
		id := a.ID
		return &id
	}
	return nil
}

// APICreate makes a draft survey.
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	var in surveyInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	m, d := in.split()
	sv, err := h.store.Create(c.UserContext(), m, d, "", accountID(c))
	if err != nil {
		return err
	}
	return h.respond(c, fiber.StatusCreated, sv)
}

// APIGet returns a survey: to anyone once opened, to staff always.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	sv, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if sv.Status == models.SurveyDraft && !isStaff(page.Account(c)) {
		return apperr.ErrNotFound
	}
	return h.respond(c, fiber.StatusOK, sv)
}

// APIOpen and APIClose change the status.
func (h *Handlers) APIOpen(c *fiber.Ctx) error  { return h.apiStatus(c, models.SurveyOpen) }
func (h *Handlers) APIClose(c *fiber.Ctx) error { return h.apiStatus(c, models.SurveyClosed) }

func (h *Handlers) apiStatus(c *fiber.Ctx, status string) error {
	sv, err := h.store.SetStatus(c.UserContext(), c.Params("id"), status)
	if err != nil {
		return err
	}
	return h.respond(c, fiber.StatusOK, sv)
}

// APIRespond stores a citizen's response.
func (h *Handlers) APIRespond(c *fiber.Ctx) error {
	var in struct {
		Answers Answers `json:"answers"`
		Token   string  `json:"token"`
		Channel string  `json:"channel"`
	}
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	if in.Answers == nil {
		in.Answers = Answers{}
	}
	sv, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if sv.Status == models.SurveyDraft {
		return apperr.ErrNotFound
	}
	channel := in.Channel
	if channel == "" {
		channel = c.Query("channel")
	}
	// A token is a panel invitation: used once, and the response gets the
	// member's profile values (never the member).
	id, err := h.submit(c.UserContext(), sv, Submission{Answers: in.Answers, Participant: participant(c), Channel: channel}, in.Token, page.ClientIP(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": id})
}

// participant is whom one-response-per-participant counts: the session's
// anonymous participant, or the account of a token caller.
func participant(c *fiber.Ctx) string {
	if page.ViaToken(c) {
		return "account:" + page.Account(c).ID
	}
	return page.Participant(c)
}

// APITemplates lists the built-in questionnaires.
func (h *Handlers) APITemplates(c *fiber.Ctx) error {
	out := []fiber.Map{}
	for _, t := range Templates() {
		out = append(out, fiber.Map{"key": t.Key, "title": t.Meta.Title, "description": t.Meta.Description, "questions": len(t.Definition.Questions())})
	}
	return c.JSON(fiber.Map{"templates": out})
}

// APIFromTemplate creates a draft survey from a template.
func (h *Handlers) APIFromTemplate(c *fiber.Ctx) error {
	sv, err := h.store.CreateFromTemplate(c.UserContext(), c.Params("key"), accountID(c))
	if err != nil {
		return err
	}
	return h.respond(c, fiber.StatusCreated, sv)
}
