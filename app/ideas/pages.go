package ideas

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// ConsultationCard is a consultation in a list.
type ConsultationCard struct {
	C     models.Consultation
	Title string
	Phase string
}

// Cards puts consultations into a language.
func (h *Handlers) Cards(cs []models.Consultation, lang string) []ConsultationCard {
	out := make([]ConsultationCard, len(cs))
	for i, c := range cs {
		out[i] = ConsultationCard{C: c, Title: c.Title.In(lang), Phase: c.Phase(h.store.Now())}
	}
	return out
}

// Index lists the consultations.
func (h *Handlers) Index(c *fiber.Ctx) error {
	cs, err := h.store.Consultations(c.UserContext())
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "ideas/index", fiber.Map{"Consultations": h.Cards(cs, page.L(c).Lang)})
}

// CategoryOption is a category in the citizen's language.
type CategoryOption struct{ Key, Label string }

func categories(cons *models.Consultation, lang string) []CategoryOption {
	out := make([]CategoryOption, len(cons.Categories))
	for i, k := range cons.Categories {
		out[i] = CategoryOption{Key: k.Key, Label: k.Label.In(lang)}
	}
	return out
}

// IdeaCard is an idea in a list.
type IdeaCard struct {
	models.Idea
	CategoryLabel string
	Supported     bool
}

func (h *Handlers) consultationData(c *fiber.Ctx, cons *models.Consultation) (fiber.Map, error) {
	l := page.L(c)
	data := fiber.Map{
		"Cons": cons, "Title": cons.Title.In(l.Lang), "Intro": cons.Description.In(l.Lang),
		"Background": cons.Background.In(l.Lang), "Phase": cons.Phase(h.store.Now()),
		"Categories": categories(cons, l.Lang), "Statuses": models.IdeaStatuses,
		// MustSignIn: the visitor has to sign in before they post or support.
		"MustSignIn": !cons.Anonymous && page.Citizen(c) == nil && page.Account(c) == nil,
	}
	if err := h.visitorData(c, cons, data); err != nil {
		return nil, err
	}
	return data, nil
}

// Show is a consultation's page: its introduction and its ideas, sorted,
// filtered and searched by a plain GET form, a page at a time.
func (h *Handlers) Show(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cons, err := h.store.Consultation(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	q := ListQuery{Sort: c.Query("sort"), Status: c.Query("status"), Category: c.Query("category"),
		Search: c.Query("q"), Cursor: c.Query("after")}
	list, err := h.store.List(ctx, cons, q)
	if err != nil {
		return err
	}
	stats, err := h.store.Stats(ctx, cons)
	if err != nil {
		return err
	}
	data, err := h.consultationData(c, cons)
	if err != nil {
		return err
	}
	l := page.L(c)
	key := h.knownKey(c, cons)
	cards, err := h.cards(c, cons, key, list.Ideas)
	if err != nil {
		return err
	}
	data["Ideas"], data["Stats"], data["Query"] = cards, stats, q
	if list.Next != "" {
		v := url.Values{}
		for k, s := range map[string]string{"sort": q.Sort, "status": q.Status, "category": q.Category, "q": q.Search, "after": list.Next} {
			if s != "" {
				v.Set(k, s)
			}
		}
		data["NextURL"] = "/consultations/" + cons.ID + "?" + v.Encode() + "#ideas"
	}
	data["Paged"] = q.Cursor != ""
	data["Back"] = c.OriginalURL()
	h.shareData(c, "/consultations/"+cons.ID, cons.Title.In(l.Lang), cons.Description.In(l.Lang), data)
	return h.render.Render(c, fiber.StatusOK, "ideas/consultation", data)
}

func (h *Handlers) cards(c *fiber.Ctx, cons *models.Consultation, key string, ideas []models.Idea) ([]IdeaCard, error) {
	ids := make([]string, len(ideas))
	for i, x := range ideas {
		ids[i] = x.ID
	}
	supported, err := h.store.SupportedBy(c.UserContext(), key, ids)
	if err != nil {
		return nil, err
	}
	lang := page.L(c).Lang
	out := make([]IdeaCard, len(ideas))
	for i, x := range ideas {
		out[i] = IdeaCard{Idea: x, CategoryLabel: cons.Categories.Label(x.Category, lang), Supported: supported[x.ID]}
	}
	return out, nil
}

// NewIdea is the form for a new idea.
func (h *Handlers) NewIdea(c *fiber.Ctx) error {
	cons, err := h.store.Consultation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.ideaForm(c, cons, fiber.StatusOK, url.Values{}, nil)
}

func (h *Handlers) ideaForm(c *fiber.Ctx, cons *models.Consultation, status int, form url.Values, errs map[string]string) error {
	data, err := h.consultationData(c, cons)
	if err != nil {
		return err
	}
	data["Form"], data["Errors"] = form, errs
	data["MaxTitle"], data["MaxBody"], data["MaxName"], data["MaxPlace"] = MaxTitle, MaxBody, MaxDisplayName, MaxPlace
	data["Citizen"] = page.Citizen(c)
	return h.render.Render(c, status, "ideas/new", data)
}

// parseCoordinate reads an optional decimal degree ("55,68" too).
func parseCoordinate(s string) (*float64, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	if s == "" {
		return nil, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, false
	}
	return &f, true
}

// ideaInput reads an idea from the form. Coordinates that are not numbers
// are reported together with whatever else is wrong with the idea.
func ideaInput(form url.Values, lang string, cons *models.Consultation) (IdeaInput, error) {
	in := IdeaInput{Title: form.Get("title"), Body: form.Get("body"), Category: form.Get("category"),
		DisplayName: form.Get("display_name"), Language: lang}
	lat, okLat := parseCoordinate(form.Get("lat"))
	lng, okLng := parseCoordinate(form.Get("lng"))
	if label := form.Get("place"); label != "" || lat != nil || lng != nil {
		in.Location = &Location{Label: label, Lat: lat, Lng: lng}
	}
	if okLat && okLng {
		return in, nil
	}
	v := &apperr.Validation{}
	if !okLat {
		v.Add("lat", "ideas.latitude_invalid")
	}
	if !okLng {
		v.Add("lng", "ideas.longitude_invalid")
	}
	if other, ok := in.validate(cons).(*apperr.Validation); ok {
		for f, id := range other.Fields {
			v.Add(formField.Replace(f), id)
		}
	}
	return in, v
}

// formField maps the store's field names to the form's.
var formField = strings.NewReplacer("location.label", "place", "location.lat", "lat", "location.lng", "lng", "location", "lat")

// Submit takes a new idea from the form.
func (h *Handlers) Submit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cons, err := h.store.Consultation(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	form := page.Form(c)
	in, err := ideaInput(form, page.L(c).Lang, cons)
	var p Participant
	if err == nil {
		p, err = h.participant(c, cons)
	}
	var idea *models.Idea
	if err == nil {
		err = h.post(c, cons.ID, p, true, func() (err error) {
			idea, err = h.store.Submit(ctx, cons, p, in)
			return err
		})
	}
	if err == nil {
		if Published(idea.Visibility) {
			page.Sess(c).Flash("ideas.submitted")
		} else {
			page.Sess(c).Flash("ideas.submitted_pending")
		}
		return c.Redirect("/ideas/"+idea.ID, fiber.StatusSeeOther)
	}
	return &apperr.OnPage{Err: err, Show: func(status int, messageID string) error {
		errs, lerr := page.FieldErrors(c, err, "_")
		if lerr != nil {
			errs = map[string]string{"form": page.L(c).T(messageID)}
		}
		for k, v := range errs {
			if f := formField.Replace(k); f != k {
				delete(errs, k)
				errs[f] = v
			}
		}
		return h.ideaForm(c, cons, status, form, errs)
	}}
}

// ShowIdea is an idea's page: the idea, its supports, the city's status and
// explanation, and the comments. A hidden idea shows that a moderator hid
// it and under which rule; a pending or rejected one is shown only to its
// author (with the reason), to others it does not exist.
func (h *Handlers) ShowIdea(c *fiber.Ctx) error {
	return h.showIdea(c, fiber.StatusOK, nil, nil)
}

func (h *Handlers) showIdea(c *fiber.Ctx, status int, form url.Values, errs map[string]string) error {
	ctx := c.UserContext()
	idea, cons, err := h.ideaAndConsultation(c, "id")
	if err != nil {
		return err
	}
	v := h.viewer(c, cons)
	key := v.Key
	mine := v.Owns(idea.Participant, idea.CitizenID)
	if !mine && (idea.Visibility == models.PostPending || idea.Visibility == models.PostRejected) {
		return apperr.ErrNotFound
	}
	data, err := h.consultationData(c, cons)
	if err != nil {
		return err
	}
	l := page.L(c)
	rules, err := h.ruleTitles(c, l)
	if err != nil {
		return err
	}
	data["Idea"], data["Mine"], data["Rules"] = idea, mine, rules
	data["CategoryLabel"] = cons.Categories.Label(idea.Category, l.Lang)
	data["Explanation"] = idea.Explanation.In(l.Lang)
	data["Form"], data["Errors"] = form, errs
	if form == nil {
		data["Form"] = url.Values{}
	}
	data["MaxComment"], data["MaxName"] = MaxComment, MaxDisplayName
	data["Citizen"] = page.Citizen(c) // whose profile name the forms pre-fill
	if Published(idea.Visibility) {
		supported, err := h.store.SupportedBy(ctx, key, []string{idea.ID})
		if err != nil {
			return err
		}
		data["Supported"] = supported[idea.ID]
		thread, err := h.store.Thread(ctx, idea.ID, v)
		if err != nil {
			return err
		}
		data["Thread"] = thread
		if err := h.feedbackData(c, idea, data); err != nil {
			return err
		}
		h.shareData(c, "/ideas/"+idea.ID, idea.Title, idea.Body, data)
	}
	return h.render.Render(c, status, "ideas/idea", data)
}

// ruleTitles maps the house rules' keys to their titles in l's language.
func (h *Handlers) ruleTitles(c *fiber.Ctx, l *i18n.L) (map[string]string, error) {
	rules, err := h.mod.Rules(c.UserContext())
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rules))
	for _, r := range rules {
		out[r.Key] = r.Title.In(l.Lang)
	}
	return out, nil
}

// back is a local path to return to from a form (the list the visitor came
// from), else fallback.
func back(c *fiber.Ctx, fallback string) string {
	b := c.FormValue("back")
	if strings.HasPrefix(b, "/") && !strings.HasPrefix(b, "//") && !strings.ContainsAny(b, "\\\r\n") {
		return b
	}
	return fallback
}

// SupportForm supports an idea (withdraw=1: withdraws) from a page.
func (h *Handlers) SupportForm(c *fiber.Ctx) error {
	idea, cons, err := h.ideaAndConsultation(c, "id")
	if err != nil {
		return err
	}
	p, err := h.participant(c, cons)
	if err != nil {
		return err
	}
	if c.FormValue("withdraw") == "1" {
		_, err = h.store.Unsupport(c.UserContext(), cons, idea.ID, p)
	} else {
		_, err = h.store.Support(c.UserContext(), cons, idea.ID, p)
	}
	if err != nil {
		return err
	}
	return c.Redirect(back(c, "/ideas/"+idea.ID)+"#idea-"+idea.ID, fiber.StatusSeeOther)
}

// CommentForm takes a comment or a reply from the idea's page.
func (h *Handlers) CommentForm(c *fiber.Ctx) error {
	idea, cons, err := h.ideaAndConsultation(c, "id")
	if err != nil {
		return err
	}
	form := page.Form(c)
	in := CommentInput{Body: form.Get("body"), DisplayName: form.Get("display_name")}
	if parent := form.Get("parent_id"); parent != "" {
		in.ParentID = &parent
	}
	p, err := h.participant(c, cons)
	var cm *models.IdeaComment
	if err == nil {
		err = h.post(c, cons.ID, p, false, func() (err error) {
			cm, err = h.store.Comment(c.UserContext(), cons, idea.ID, p, in)
			return err
		})
	}
	if err == nil {
		if Published(cm.Visibility) {
			page.Sess(c).Flash("ideas.commented")
		} else {
			page.Sess(c).Flash("ideas.commented_pending")
		}
		return c.Redirect("/ideas/"+idea.ID+"#c-"+cm.ID, fiber.StatusSeeOther)
	}
	if errors.Is(err, apperr.ErrNotFound) {
		return err // a hidden idea takes no comments: 404, not the form again
	}
	return &apperr.OnPage{Err: err, Show: func(status int, messageID string) error {
		errs, lerr := page.FieldErrors(c, err, "_")
		if lerr != nil {
			errs = map[string]string{"form": page.L(c).T(messageID)}
		}
		return h.showIdea(c, status, form, errs)
	}}
}
