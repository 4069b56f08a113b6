package surveys

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// The builder: staff design questionnaires with plain forms.

func (h *Handlers) staffSurvey(c *fiber.Ctx) (*models.Survey, Definition, error) {
	sv, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, Definition{}, err
	}
	d, err := Parse(sv.Definition)
	return sv, d, err
}

// localizeErrors turns a validation error into messages by field, with
// the "questions.<key>." or "sections.<key>." prefix removed.
func localizeErrors(c *fiber.Ctx, err error) (map[string]string, error) {
	var v *apperr.Validation
	if !errors.As(err, &v) {
		return nil, err
	}
	out := map[string]string{}
	for f, id := range v.Fields {
		parts := strings.SplitN(f, ".", 3)
		if len(parts) == 3 && (parts[0] == "questions" || parts[0] == "sections") {
			f = parts[2]
		} else if len(parts) == 2 && parts[0] == "sections" {
			f = "section"
		}
		if f == "" {
			f = "form"
		}
		out[f] = page.L(c).T(id)
	}
	return out, nil
}

// List shows every survey with its status and responses.
func (h *Handlers) List(c *fiber.Ctx) error {
	list, err := h.store.List(c.UserContext())
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "staff/surveys/list", fiber.Map{"Surveys": list, "Templates": Templates(), "Now": h.now()})
}

// NewForm shows the settings form for a new survey.
func (h *Handlers) NewForm(c *fiber.Ctx) error {
	return h.render.Render(c, fiber.StatusOK, "staff/surveys/new", fiber.Map{
		"Values": settingsValues(&models.Survey{Languages: "da,nl,en", Anonymous: true}), "AllLangs": []string{"da", "nl", "en"},
	})
}

// settingsValues prepares a survey's settings for the form.
func settingsValues(sv *models.Survey) fiber.Map {
	langs := map[string]bool{}
	for _, l := range Languages(sv) {
		langs[l] = true
	}
	return fiber.Map{"Title": sv.Title, "Description": sv.Description, "Thanks": sv.Thanks, "Langs": langs,
		"Anonymous": sv.Anonymous, "AllowMultiple": sv.AllowMultiple, "PublishResults": sv.PublishResults,
		"OpensAt": sv.OpensAt, "ClosesAt": sv.ClosesAt}
}

// Create stores a new draft survey from the settings form.
func (h *Handlers) Create(c *fiber.Ctx) error {
	form := page.Form(c)
	m, err := metaFrom(form, h.zone)
	if err == nil {
		var sv *models.Survey
		sv, err = h.store.Create(c.UserContext(), m, Definition{}, "", accountID(c))
		if err == nil {
			page.Sess(c).Flash("survey.created")
			return c.Redirect("/staff/surveys/"+sv.ID, fiber.StatusSeeOther)
		}
	}
	errs, err := localizeErrors(c, err)
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusUnprocessableEntity, "staff/surveys/new", fiber.Map{
		"Values": settingsFromForm(form), "AllLangs": []string{"da", "nl", "en"}, "Errors": errs,
	})
}

func settingsFromForm(form url.Values) fiber.Map {
	langs := map[string]bool{}
	for _, l := range form["languages"] {
		langs[l] = true
	}
	all := []string{"da", "nl", "en"}
	return fiber.Map{"Title": page.TextFrom(form, "title", ".", all), "Description": page.TextFrom(form, "description", ".", all), "Thanks": page.TextFrom(form, "thanks", ".", all),
		"Langs": langs, "Anonymous": form.Get("anonymous") == "on", "AllowMultiple": form.Get("allow_multiple") == "on",
		"PublishResults": form.Get("publish_results") == "on", "OpensAtRaw": form.Get("opens_at"), "ClosesAtRaw": form.Get("closes_at")}
}

// FromTemplate creates a draft survey from a built-in questionnaire.
func (h *Handlers) FromTemplate(c *fiber.Ctx) error {
	sv, err := h.store.CreateFromTemplate(c.UserContext(), c.Params("key"), accountID(c))
	if err != nil {
		return err
	}
	page.Sess(c).Flash("survey.created")
	return c.Redirect("/staff/surveys/"+sv.ID, fiber.StatusSeeOther)
}

// Show is the builder's overview of one survey.
func (h *Handlers) Show(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, nil, nil)
}

func (h *Handlers) show(c *fiber.Ctx, status int, errs map[string]string, values fiber.Map) error {
	sv, d, err := h.staffSurvey(c)
	if err != nil {
		return err
	}
	n, err := h.store.ResponseCount(c.UserContext(), sv.ID)
	if err != nil {
		return err
	}
	lang, main := contentLang(c, sv)
	type qrow struct {
		Key, Type, Text, Cond string
		Required              bool
		First, Last           bool
	}
	type srow struct {
		Key, Title, Cond string
		Index            int
		Questions        []qrow
		First, Last      bool
	}
	var secs []srow
	all := d.Questions()
	for i, s := range d.Sections {
		r := srow{Key: s.Key, Title: s.Title.In(lang, main), Index: i + 1, First: i == 0, Last: i == len(d.Sections)-1, Cond: condText(d, s.ShowIf, lang, main)}
		for _, q := range s.Questions {
			r.Questions = append(r.Questions, qrow{Key: q.Key, Type: q.Type, Text: q.Text.In(lang, main), Required: q.Required,
				Cond: condText(d, q.ShowIf, lang, main), First: q.Key == all[0].Key, Last: q.Key == all[len(all)-1].Key})
		}
		secs = append(secs, r)
	}
	if values == nil {
		values = settingsValues(sv)
	}
	channels, err := h.store.ByChannel(c.UserContext(), sv.ID)
	if err != nil {
		return err
	}
	return h.render.Render(c, status, "staff/surveys/show", fiber.Map{
		"Survey": sv, "Title": sv.Title.In(lang, main), "Sections": secs, "Responses": n, "Missing": Missing(sv, d),
		"Accepting": Accepting(sv, h.now()), "Values": values, "AllLangs": []string{"da", "nl", "en"}, "Errors": errs,
		"Types": Types, "Dist": h.distribution(c, sv), "SurveyLangs": Languages(sv), "ByChannel": channels,
	})
}

func condText(d Definition, c *Condition, lang, main string) string {
	if c == nil {
		return ""
	}
	q, ok := d.Question(c.Question)
	if !ok {
		return ""
	}
	var names []string
	for _, k := range c.AnyOf {
		for _, o := range q.Options {
			if o.Key == k {
				names = append(names, o.Text.In(lang, main))
			}
		}
	}
	return q.Text.In(lang, main) + ": " + strings.Join(names, ", ")
}

// SaveSettings updates titles, languages, anonymity and schedule.
func (h *Handlers) SaveSettings(c *fiber.Ctx) error {
	form := page.Form(c)
	m, err := metaFrom(form, h.zone)
	if err == nil {
		err = h.store.UpdateMeta(c.UserContext(), c.Params("id"), m)
	}
	if err != nil {
		errs, err := localizeErrors(c, err)
		if err != nil {
			return err
		}
		return h.show(c, fiber.StatusUnprocessableEntity, errs, settingsFromForm(form))
	}
	page.Sess(c).Flash("account.saved")
	return c.Redirect("/staff/surveys/"+c.Params("id"), fiber.StatusSeeOther)
}

// Open and Close change the status from the builder.
func (h *Handlers) Open(c *fiber.Ctx) error {
	return h.setStatus(c, models.SurveyOpen, "survey.opened")
}
func (h *Handlers) Close(c *fiber.Ctx) error {
	return h.setStatus(c, models.SurveyClosed, "survey.closed_now")
}

func (h *Handlers) setStatus(c *fiber.Ctx, status, flash string) error {
	_, err := h.store.SetStatus(c.UserContext(), c.Params("id"), status)
	var cf *apperr.Conflict
	if errors.As(err, &cf) {
		return h.show(c, fiber.StatusConflict, map[string]string{"form": page.L(c).T(cf.MessageID)}, nil)
	}
	if err != nil {
		return err
	}
	page.Sess(c).Flash(flash)
	return c.Redirect("/staff/surveys/"+c.Params("id"), fiber.StatusSeeOther)
}

// edit applies a definition change and goes back to the overview, or
// shows why it was refused.
func (h *Handlers) edit(c *fiber.Ctx, change func(Definition) (Definition, error), anchor string) error {
	sv, d, err := h.staffSurvey(c)
	if err != nil {
		return err
	}
	next, err := change(d)
	if err == nil {
		err = h.store.UpdateDefinition(c.UserContext(), sv.ID, next)
	}
	var cf *apperr.Conflict
	var v *apperr.Validation
	switch {
	case errors.As(err, &cf):
		return h.show(c, fiber.StatusConflict, map[string]string{"form": page.L(c).T(cf.MessageID)}, nil)
	case errors.As(err, &v):
		errs, _ := localizeErrors(c, err)
		return h.show(c, fiber.StatusUnprocessableEntity, errs, nil)
	case err != nil:
		return err
	}
	return c.Redirect("/staff/surveys/"+sv.ID+anchor, fiber.StatusSeeOther)
}

// MoveQuestion, DuplicateQuestion and DeleteQuestion are the list's buttons.
func (h *Handlers) MoveQuestion(c *fiber.Ctx) error {
	key, up := c.Params("key"), c.FormValue("dir") == "up"
	return h.edit(c, func(d Definition) (Definition, error) { return d.MoveQuestion(key, up) }, "#q-"+key)
}

func (h *Handlers) DuplicateQuestion(c *fiber.Ctx) error {
	key := c.Params("key")
	return h.edit(c, func(d Definition) (Definition, error) { out, _, err := d.DuplicateQuestion(key); return out, err }, "#q-"+key)
}

func (h *Handlers) DeleteQuestion(c *fiber.Ctx) error {
	key := c.Params("key")
	return h.edit(c, func(d Definition) (Definition, error) { return d.DeleteQuestion(key) }, "#questions")
}

// AddSection, MoveSection and DeleteSection manage pages.
func (h *Handlers) AddSection(c *fiber.Ctx) error {
	return h.edit(c, func(d Definition) (Definition, error) { out, _ := d.AddSection(); return out, nil }, "#questions")
}

func (h *Handlers) MoveSection(c *fiber.Ctx) error {
	key, up := c.Params("key"), c.FormValue("dir") == "up"
	return h.edit(c, func(d Definition) (Definition, error) { return d.MoveSection(key, up) }, "#section-"+key)
}

func (h *Handlers) DeleteSection(c *fiber.Ctx) error {
	key := c.Params("key")
	return h.edit(c, func(d Definition) (Definition, error) { return d.DeleteSection(key) }, "#questions")
}

// QuestionForm shows the form for a new (?section=&type=) or existing question.
func (h *Handlers) QuestionForm(c *fiber.Ctx) error {
	sv, d, err := h.staffSurvey(c)
	if err != nil {
		return err
	}
	key := c.Params("key")
	var q Question
	section := c.Query("section")
	if key != "" {
		var ok bool
		if q, ok = d.Question(key); !ok {
			return apperr.ErrNotFound
		}
	} else {
		q = Question{Key: d.NextKey("q"), Type: c.Query("type", Single)}
		if q.Type == Scale {
			q.Scale = &ScaleSpec{Min: 1, Max: 5}
		}
		if d.sectionIndex(section) < 0 && len(d.Sections) > 0 {
			section = d.Sections[len(d.Sections)-1].Key
		}
	}
	return h.questionPage(c, fiber.StatusOK, sv, d, key, section, q, nil)
}

func (h *Handlers) questionPage(c *fiber.Ctx, status int, sv *models.Survey, d Definition, key, section string, q Question, errs map[string]string) error {
	lang, main := contentLang(c, sv)
	conds := conditionChoices(d.earlierChoices(key, section), q.Key, q.ShowIf, lang, main)
	// Three blank rows to add options without JavaScript.
	opts := append(append([]Option(nil), q.Options...), Option{}, Option{}, Option{})
	rows := append(append([]Option(nil), q.Rows...), Option{}, Option{})
	action := "/staff/surveys/" + sv.ID + "/questions"
	if key != "" {
		action += "/" + key
	}
	n, err := h.store.ResponseCount(c.UserContext(), sv.ID)
	if err != nil {
		return err
	}
	return h.render.Render(c, status, "staff/surveys/question", fiber.Map{
		"Survey": sv, "Title": sv.Title.In(lang, main), "Q": q, "IsNew": key == "", "Section": section, "SurveyLangs": Languages(sv),
		"Types": Types, "Options": opts, "Rows": rows, "Conds": conds, "Errors": errs, "Action": action, "Locked": n > 0,
	})
}

// SaveQuestion creates or updates a question from its form.
func (h *Handlers) SaveQuestion(c *fiber.Ctx) error {
	sv, d, err := h.staffSurvey(c)
	if err != nil {
		return err
	}
	key := c.Params("key")
	form := page.Form(c)
	q, err := questionFrom(form, Languages(sv))
	section := form.Get("section")
	if key != "" {
		q.Key = key // keys never change: answers and conditions refer to them
		if prev, ok := d.Question(key); ok {
			keepOtherLanguages(&prev, &q, Languages(sv))
		}
	}
	if err == nil {
		var next Definition
		next, err = d.PutQuestion(section, key, q)
		if err == nil {
			err = h.store.UpdateDefinition(c.UserContext(), sv.ID, next)
		}
	}
	var cf *apperr.Conflict
	if errors.As(err, &cf) {
		return h.questionPage(c, fiber.StatusConflict, sv, d, key, section, q, map[string]string{"form": page.L(c).T(cf.MessageID)})
	}
	if err != nil {
		errs, err := localizeErrors(c, err)
		if err != nil {
			return err
		}
		return h.questionPage(c, fiber.StatusUnprocessableEntity, sv, d, key, section, q, errs)
	}
	page.Sess(c).Flash("survey.question_saved")
	return c.Redirect("/staff/surveys/"+sv.ID+"#q-"+q.Key, fiber.StatusSeeOther)
}

// SectionForm edits a page's title and condition.
func (h *Handlers) SectionForm(c *fiber.Ctx) error {
	sv, d, err := h.staffSurvey(c)
	if err != nil {
		return err
	}
	i := d.sectionIndex(c.Params("key"))
	if i < 0 {
		return apperr.ErrNotFound
	}
	return h.sectionPage(c, fiber.StatusOK, sv, d, d.Sections[i], nil)
}

func (h *Handlers) sectionPage(c *fiber.Ctx, status int, sv *models.Survey, d Definition, s Section, errs map[string]string) error {
	lang, main := contentLang(c, sv)
	conds := conditionChoices(d.earlierChoices("", s.Key), "", s.ShowIf, lang, main)
	return h.render.Render(c, status, "staff/surveys/section", fiber.Map{
		"Survey": sv, "Title": sv.Title.In(lang, main), "S": s, "SurveyLangs": Languages(sv), "Conds": conds, "Errors": errs,
	})
}

// SaveSection stores a page's title and condition.
func (h *Handlers) SaveSection(c *fiber.Ctx) error {
	sv, d, err := h.staffSurvey(c)
	if err != nil {
		return err
	}
	key := c.Params("key")
	s := sectionFrom(page.Form(c), Languages(sv))
	next, err := d.PutSection(key, s)
	if err == nil {
		err = h.store.UpdateDefinition(c.UserContext(), sv.ID, next)
	}
	if err != nil {
		errs, err := localizeErrors(c, err)
		if err != nil {
			return err
		}
		s.Key = key
		return h.sectionPage(c, fiber.StatusUnprocessableEntity, sv, d, s, errs)
	}
	return c.Redirect("/staff/surveys/"+sv.ID+"#section-"+key, fiber.StatusSeeOther)
}

// Preview shows the questionnaire as a citizen sees it, in ?lang=, with
// every page on one screen and nothing to submit.
func (h *Handlers) Preview(c *fiber.Ctx) error {
	sv, d, err := h.staffSurvey(c)
	if err != nil {
		return err
	}
	lang, main := contentLang(c, sv)
	l := page.L(c)
	type pv struct {
		Title     string
		Cond      string
		Questions []QuestionView
	}
	var pages []pv
	for _, s := range d.Sections {
		p := pv{Title: s.Title.In(lang, main), Cond: condText(d, s.ShowIf, lang, main)}
		for _, q := range s.Questions {
			p.Questions = append(p.Questions, view(q, Answers{}, lang, main, l, nil, d, false))
		}
		pages = append(pages, p)
	}
	return h.render.Render(c, fiber.StatusOK, "staff/surveys/preview", fiber.Map{
		"Survey": sv, "Title": sv.Title.In(lang, main), "Description": sv.Description.In(lang, main), "Pages": pages, "SurveyLangs": Languages(sv),
	})
}

// condChoice is one answer a condition can pick; condQuestion groups them.
type condChoice struct {
	Value, Text string
	Checked     bool
}

type condQuestion struct {
	Text    string
	Options []condChoice
}

// conditionChoices offers the answers of earlier questions (except self)
// that a question's or page's condition can pick, ticking current's.
func conditionChoices(earlier []Question, self string, current *Condition, lang, main string) []condQuestion {
	var out []condQuestion
	for _, e := range earlier {
		if e.Key == self {
			continue
		}
		cq := condQuestion{Text: e.Text.In(lang, main)}
		for _, o := range e.Options {
			checked := false
			if current != nil && current.Question == e.Key {
				for _, k := range current.AnyOf {
					checked = checked || k == o.Key
				}
			}
			cq.Options = append(cq.Options, condChoice{Value: e.Key + ":" + o.Key, Text: o.Text.In(lang, main), Checked: checked})
		}
		out = append(out, cq)
	}
	return out
}
