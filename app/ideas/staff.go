package ideas

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// Staff pages for consultations: the list, a form for a new one, a
// consultation's overview (figures and every idea by supports, whatever its
// moderation state) and its settings. The form works without JavaScript:
// texts per language, categories as a repeated group of fields (a key and a
// label per language; the key is made from the Danish label when left
// empty), dates in the municipality's time zone.

// StaffPage is how many ideas the overview shows per page.
const StaffPage = 50

// OpenConsultations lists the consultations open now, the first to close
// first.
func (s *Store) OpenConsultations(ctx context.Context) ([]models.Consultation, error) {
	now := s.now()
	var out []models.Consultation
	err := s.db.WithContext(ctx).Where("opens_at <= ? AND closes_at > ?", now, now).Order("closes_at, id").Find(&out).Error
	return out, err
}

// StaffIdeas is a page of a consultation's ideas in every moderation state,
// the most supported first, and whether more follow.
func (s *Store) StaffIdeas(ctx context.Context, consultationID string, offset, limit int) ([]models.Idea, bool, error) {
	var out []models.Idea
	err := s.db.WithContext(ctx).Select("id", "consultation_id", "display_name", "title", "category", "place_label", "visibility",
		"rule_key", "status", "supports", "comments", "share_clicks", "created_at").
		Where("consultation_id = ?", consultationID).Order("supports DESC, id").Offset(offset).Limit(limit + 1).Find(&out).Error
	if err != nil {
		return nil, false, err
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// Waiting counts a consultation's ideas and comments that wait for a
// moderator.
func (s *Store) Waiting(ctx context.Context, consultationID string) (ideas, comments int64, err error) {
	db := s.db.WithContext(ctx)
	if err = db.Model(&models.Idea{}).Where("consultation_id = ? AND visibility = ?", consultationID, models.PostPending).Count(&ideas).Error; err != nil {
		return
	}
	err = db.Model(&models.IdeaComment{}).Where("consultation_id = ? AND visibility = ?", consultationID, models.PostPending).Count(&comments).Error
	return
}

// staffRow is a consultation in the staff list.
type staffRow struct {
	C      models.Consultation
	Title  string
	Phase  string
	Counts *Counts
}

// StaffList lists every consultation with its phase and figures.
func (h *Handlers) StaffList(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cs, err := h.store.Consultations(ctx)
	if err != nil {
		return err
	}
	lang, now := page.L(c).Lang, h.store.Now()
	rows := make([]staffRow, len(cs))
	for i := range cs {
		n, err := h.store.Stats(ctx, &cs[i])
		if err != nil {
			return err
		}
		rows[i] = staffRow{C: cs[i], Title: cs[i].Title.In(lang), Phase: cs[i].Phase(now), Counts: n}
	}
	return h.render.Render(c, fiber.StatusOK, "ideas/staff_list", fiber.Map{"Rows": rows})
}

// categoryRows is how many category rows the form shows: those given and
// three empty ones, at least five, at most MaxCategories.
func categoryRows(given int) int {
	return min(MaxCategories, max(5, given+3))
}

// catField names a field of category row i ("key" or a language).
func catField(i int, what string) string { return "cat_" + strconv.Itoa(i) + "_" + what }

// StaffNew is the form for a new consultation: open from the next full
// hour for six weeks, moderated after publication, open to everyone.
func (h *Handlers) StaffNew(c *fiber.Ctx) error {
	l := page.L(c)
	start := h.store.Now().In(h.zone).Truncate(time.Hour).Add(time.Hour)
	form := url.Values{"opens_at": {l.Input(start)}, "closes_at": {l.Input(start.Add(6 * 7 * 24 * time.Hour))},
		"moderation": {models.ModerationPost}, "anonymous": {"yes"}}
	return h.staffEdit(c, fiber.StatusOK, nil, form, categoryRows(0), nil)
}

// StaffCreate adds a consultation from the form.
func (h *Handlers) StaffCreate(c *fiber.Ctx) error {
	form := page.Form(c)
	in, bad := h.consultationInput(form)
	var createdBy *string
	if a := page.Account(c); a != nil {
		createdBy = &a.ID
	}
	cons, err := h.store.CreateConsultation(c.UserContext(), in, createdBy)
	if errs, err := h.formErrors(c, err, bad); err != nil {
		return err
	} else if errs != nil {
		return h.staffEdit(c, fiber.StatusUnprocessableEntity, nil, form, max(postedRows(form), categoryRows(0)), errs)
	}
	page.Sess(c).Flash("ideas_staff.created")
	return c.Redirect("/staff/consultations/"+cons.ID, fiber.StatusSeeOther)
}

// StaffEdit is the settings form of a consultation.
func (h *Handlers) StaffEdit(c *fiber.Ctx) error {
	cons, err := h.store.Consultation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	form := h.formFrom(c, cons)
	return h.staffEdit(c, fiber.StatusOK, cons, form, categoryRows(len(cons.Categories)), nil)
}

// StaffSave saves the settings.
func (h *Handlers) StaffSave(c *fiber.Ctx) error {
	cons, err := h.store.Consultation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	form := page.Form(c)
	in, bad := h.consultationInput(form)
	err = h.store.UpdateConsultation(c.UserContext(), cons.ID, in)
	if errs, err := h.formErrors(c, err, bad); err != nil {
		return err
	} else if errs != nil {
		return h.staffEdit(c, fiber.StatusUnprocessableEntity, cons, form, max(postedRows(form), categoryRows(0)), errs)
	}
	page.Sess(c).Flash("ideas_staff.saved")
	return c.Redirect("/staff/consultations/"+cons.ID, fiber.StatusSeeOther)
}

func (h *Handlers) staffEdit(c *fiber.Ctx, status int, cons *models.Consultation, form url.Values, rows int, errs map[string]string) error {
	data := fiber.Map{"Form": form, "Errors": errs, "Languages": config.Languages, "Rows": make([]struct{}, rows), "Zone": h.zone.String()}
	if cons != nil {
		data["Cons"], data["Title"] = cons, cons.Title.In(page.L(c).Lang)
	}
	return h.render.Render(c, status, "ideas/staff_edit", data)
}

// localTime parses an <input type="datetime-local"> value in the
// municipality's zone; ok is false for text that is not a date and time.
func (h *Handlers) localTime(s string) (t *time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if v, err := time.ParseInLocation(layout, s, h.zone); err == nil {
			v = v.UTC()
			return &v, true
		}
	}
	return nil, false
}

// consultationInput reads the form; bad names the date fields whose text
// is not a date.
func (h *Handlers) consultationInput(form url.Values) (ConsultationInput, []string) {
	langs := config.Languages
	in := ConsultationInput{Title: page.TextFrom(form, "title", "_", langs), Description: page.TextFrom(form, "description", "_", langs),
		Background: page.TextFrom(form, "background", "_", langs), Moderation: form.Get("moderation"), Categories: models.Categories{}}
	var bad []string
	var ok bool
	if in.OpensAt, ok = h.localTime(form.Get("opens_at")); !ok {
		bad = append(bad, "opens_at")
	}
	if in.ClosesAt, ok = h.localTime(form.Get("closes_at")); !ok {
		bad = append(bad, "closes_at")
	}
	switch form.Get("anonymous") {
	case "yes":
		in.Anonymous = ptr(true)
	case "no":
		in.Anonymous = ptr(false)
	}
	for i := range postedRows(form) {
		key := strings.ToLower(strings.TrimSpace(form.Get(catField(i, "key"))))
		label := page.TextFrom(form, "cat_"+strconv.Itoa(i), "_", langs)
		if key == "" && len(label) == 0 {
			continue // an empty row, or one emptied to remove the category
		}
		in.Categories = append(in.Categories, models.Category{Key: key, Label: label})
	}
	return in, bad
}

func ptr[T any](v T) *T { return &v }

// postedRows is how many category rows the posted form had.
func postedRows(form url.Values) int {
	n := 0
	for k := range form {
		if rest, ok := strings.CutPrefix(k, "cat_"); ok {
			if i, _, ok := strings.Cut(rest, "_"); ok {
				if v, err := strconv.Atoi(i); err == nil && v >= 0 && v < 4*MaxCategories {
					n = max(n, v+1)
				}
			}
		}
	}
	return n
}

// formErrors turns the store's answer into messages by field (nil: saved),
// with unreadable dates named as such.
func (h *Handlers) formErrors(c *fiber.Ctx, err error, bad []string) (map[string]string, error) {
	if err == nil && len(bad) == 0 {
		return nil, nil
	}
	errs := map[string]string{}
	if err != nil {
		var ferr error
		if errs, ferr = page.FieldErrors(c, err, "_"); ferr != nil {
			return nil, ferr
		}
	}
	for _, f := range bad {
		errs[f] = page.L(c).T("ideas_staff.date_invalid")
	}
	return errs, nil
}

// formFrom fills the settings form from a consultation.
func (h *Handlers) formFrom(c *fiber.Ctx, cons *models.Consultation) url.Values {
	l := page.L(c)
	f := url.Values{"opens_at": {l.Input(cons.OpensAt)}, "closes_at": {l.Input(cons.ClosesAt)}, "moderation": {cons.Moderation}, "anonymous": {"no"}}
	if cons.Anonymous {
		f.Set("anonymous", "yes")
	}
	for _, lang := range config.Languages {
		f.Set("title_"+lang, cons.Title[lang])
		f.Set("description_"+lang, cons.Description[lang])
		f.Set("background_"+lang, cons.Background[lang])
	}
	for i, cat := range cons.Categories {
		f.Set(catField(i, "key"), cat.Key)
		for _, lang := range config.Languages {
			f.Set(catField(i, lang), cat.Label[lang])
		}
	}
	return f
}

// staffIdea is an idea in the overview.
type staffIdea struct {
	models.Idea
	Rank          int
	CategoryLabel string
}

// statusCount is how many published ideas have a status.
type statusCount struct {
	Status string
	N      int64
}

// StaffShow is a consultation's overview: phase, figures, what waits for a
// moderator, and a page of every idea by supports with its status and
// moderation state.
func (h *Handlers) StaffShow(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cons, err := h.store.Consultation(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	n, err := h.store.Stats(ctx, cons)
	if err != nil {
		return err
	}
	waitIdeas, waitComments, err := h.store.Waiting(ctx, cons.ID)
	if err != nil {
		return err
	}
	pageNo, _ := strconv.Atoi(c.Query("page"))
	pageNo = max(1, min(pageNo, 100000))
	list, more, err := h.store.StaffIdeas(ctx, cons.ID, (pageNo-1)*StaffPage, StaffPage)
	if err != nil {
		return err
	}
	lang := page.L(c).Lang
	ideas := make([]staffIdea, len(list))
	for i, idea := range list {
		ideas[i] = staffIdea{Idea: idea, Rank: (pageNo-1)*StaffPage + i + 1, CategoryLabel: cons.Categories.Label(idea.Category, lang)}
	}
	statuses := []statusCount{{Status: "none", N: n.ByStatus[models.IdeaNoStatus]}}
	for _, st := range models.IdeaStatuses {
		statuses = append(statuses, statusCount{Status: st, N: n.ByStatus[st]})
	}
	data := fiber.Map{"Cons": cons, "Title": cons.Title.In(lang), "Phase": cons.Phase(h.store.Now()), "Counts": n,
		"Statuses": statuses, "WaitingIdeas": waitIdeas, "WaitingComments": waitComments, "Ideas": ideas,
		"Page": pageNo, "URL": h.baseURL + "/consultations/" + cons.ID}
	if pageNo > 1 {
		data["PrevPage"] = pageNo - 1
	}
	if more {
		data["NextPage"] = pageNo + 1
	}
	return h.render.Render(c, fiber.StatusOK, "ideas/staff_show", data)
}
