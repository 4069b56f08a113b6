package surveys

import (
	"context"
	"errors"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/inspraak/inspraak/app/apperr"
	sharing "github.com/inspraak/inspraak/app/share"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// contentLang is the language survey content is shown in: the visitor's
// if the survey has it, else the survey's main language.
func contentLang(c *fiber.Ctx, sv *models.Survey) (lang, main string) {
	langs := Languages(sv)
	if len(langs) > 0 {
		main = langs[0]
	}
	l := page.L(c).Lang
	for _, x := range langs {
		if x == l {
			return l, main
		}
	}
	return main, main
}

// public loads a survey citizens may see (not a draft).
func (h *Handlers) public(c *fiber.Ctx) (*models.Survey, Definition, error) {
	sv, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, Definition{}, err
	}
	if sv.Status == models.SurveyDraft {
		return nil, Definition{}, apperr.ErrNotFound
	}
	d, err := h.store.Definition(sv)
	return sv, d, err
}

func draftKey(surveyID string) string { return "draft." + surveyID }

// unavailable renders the friendly page for a closed, not yet open or
// already answered survey.
func (h *Handlers) unavailable(c *fiber.Ctx, sv *models.Survey, status int, reason string) error {
	lang, main := contentLang(c, sv)
	data := fiber.Map{"Title": sv.Title.In(lang, main), "Reason": page.L(c).T(reason), "SurveyID": sv.ID, "ContentLang": lang}
	if sv.OpensAt != nil && sv.OpensAt.After(h.now()) {
		data["Reason"] = page.L(c).T("survey.opens_on", "Date", page.L(c).DateTime(*sv.OpensAt))
	}
	return h.render.Render(c, status, "surveys/unavailable", data)
}

// gate says why the visitor cannot answer now, or "".
func (h *Handlers) gate(c *fiber.Ctx, sv *models.Survey) (int, string, error) {
	if !Accepting(sv, h.now()) {
		return fiber.StatusConflict, "survey.closed", nil
	}
	if !sv.AllowMultiple {
		done, err := h.store.HasAnswered(c.UserContext(), sv.ID, page.Participant(c))
		if err != nil {
			return 0, "", err
		}
		if done {
			return fiber.StatusConflict, "survey.already_answered", nil
		}
	}
	return 0, "", nil
}

// answerable loads a public survey the visitor may answer now. When they
// may not, it renders the friendly page itself and returns ok = false.
func (h *Handlers) answerable(c *fiber.Ctx) (sv *models.Survey, d Definition, ok bool, err error) {
	if sv, d, err = h.public(c); err != nil {
		return nil, d, false, err
	}
	status, reason, err := h.gate(c, sv)
	if err != nil {
		return nil, d, false, err
	}
	if reason != "" {
		return nil, d, false, h.unavailable(c, sv, status, reason)
	}
	return sv, d, true, nil
}

// Intro is the survey's public page: what it is about, how long, and a start.
func (h *Handlers) Intro(c *fiber.Ctx) error {
	sv, d, ok, err := h.answerable(c)
	if !ok {
		return err
	}
	lang, main := contentLang(c, sv)
	channel := Channel(c.Query("channel", "web"))
	return h.render.Render(c, fiber.StatusOK, "surveys/intro", fiber.Map{
		"Survey": sv, "Title": sv.Title.In(lang, main), "Description": sv.Description.In(lang, main), "ContentLang": lang,
		"Questions": len(d.Questions()), "Pages": len(d.Sections), "Channel": channel,
		"StartURL": "/surveys/" + sv.ID + "/s/1?channel=" + url.QueryEscape(channel),
		"OG":       h.openGraph(c, sv, lang, main), "Share": sharing.Links(h.publicURL(sv), sv.Title.In(lang, main)), "ShareURL": sharing.WithChannel(h.publicURL(sv), sharing.ChannelLink),
	})
}

// draft returns the visitor's draft of the survey and its token (new if none).
func (h *Handlers) draft(c *fiber.Ctx, sv *models.Survey) (string, *Draft, error) {
	sess := page.Sess(c)
	token := sess.String(draftKey(sv.ID))
	if token != "" {
		d, err := h.store.LoadDraft(c.UserContext(), token, sv.ID)
		if err == nil {
			return token, d, nil
		}
		if !errors.Is(err, apperr.ErrNotFound) {
			return "", nil, err
		}
	}
	return "", &Draft{Answers: Answers{}, Channel: Channel(c.Query("channel", "web"))}, nil
}

// nextVisible returns the 0-based index of the first visible section at or
// after from (or len(sections) when none is left); prevVisible before from.
func nextVisible(d Definition, a Answers, from int) int {
	secs, _ := d.Visible(a)
	for i := max(from, 0); i < len(d.Sections); i++ {
		if secs[d.Sections[i].Key] {
			return i
		}
	}
	return len(d.Sections)
}

func prevVisible(d Definition, a Answers, from int) int {
	secs, _ := d.Visible(a)
	for i := min(from, len(d.Sections)-1); i >= 0; i-- {
		if secs[d.Sections[i].Key] {
			return i
		}
	}
	return 0
}

// mayFollow tells whether a page after i is shown or may still be (its
// condition is on a question not answered yet).
func mayFollow(d Definition, a Answers, i int) bool {
	secs, _ := d.Visible(a)
	for _, s := range d.Sections[i+1:] {
		if secs[s.Key] || (s.ShowIf != nil && !answered(a[s.ShowIf.Question])) {
			return true
		}
	}
	return false
}

func sectionIndex(c *fiber.Ctx, d Definition) (int, error) {
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 || n > len(d.Sections) {
		return 0, apperr.ErrNotFound
	}
	return n - 1, nil
}

// pageState gathers what both page handlers need: the survey the visitor
// may answer, the page index from the URL, and the visitor's draft.
func (h *Handlers) pageState(c *fiber.Ctx) (sv *models.Survey, d Definition, i int, token string, dr *Draft, ok bool, err error) {
	if sv, d, ok, err = h.answerable(c); !ok {
		return
	}
	if i, err = sectionIndex(c, d); err != nil {
		return sv, d, 0, "", nil, false, err
	}
	if token, dr, err = h.draft(c, sv); err != nil {
		return sv, d, 0, "", nil, false, err
	}
	return sv, d, i, token, dr, true, nil
}

// Section shows one page of the questionnaire with the answers so far.
func (h *Handlers) Section(c *fiber.Ctx) error {
	sv, d, i, _, dr, ok, err := h.pageState(c)
	if !ok {
		return err
	}
	if v := nextVisible(d, dr.Answers, i); v != i {
		if v >= len(d.Sections) {
			v = prevVisible(d, dr.Answers, i)
		}
		return c.Redirect("/surveys/"+sv.ID+"/s/"+strconv.Itoa(v+1), fiber.StatusSeeOther)
	}
	return h.renderSection(c, fiber.StatusOK, sv, d, i, dr, nil)
}

func (h *Handlers) renderSection(c *fiber.Ctx, status int, sv *models.Survey, d Definition, i int, dr *Draft, errs map[string]string) error {
	lang, main := contentLang(c, sv)
	l := page.L(c)
	sec := d.Sections[i]
	_, visible := d.Visible(dr.Answers)
	var qs []QuestionView
	for _, q := range sec.Questions {
		// A question whose condition is on this same page is shown with a
		// hint (and hidden by the script); one whose condition lies on an
		// earlier page is simply left out when not met.
		samePage := false
		if q.ShowIf != nil {
			for _, o := range sec.Questions {
				samePage = samePage || o.Key == q.ShowIf.Question
			}
		}
		if visible[q.Key] || samePage {
			qs = append(qs, view(q, dr.Answers, lang, main, l, errs, d, samePage))
		}
	}
	// Progress counts pages still possible: a page whose condition is on a
	// question not yet answered may still come.
	secs, _ := d.Visible(dr.Answers)
	pos, total := 0, 0
	for j, s := range d.Sections {
		undecided := s.ShowIf != nil && !answered(dr.Answers[s.ShowIf.Question])
		if secs[s.Key] || j == i || (undecided && j > i) {
			total++
			if j <= i {
				pos++
			}
		}
	}
	errList := make([]fiber.Map, 0, len(errs))
	for _, q := range qs {
		if q.Error != "" {
			errList = append(errList, fiber.Map{"Key": q.Key, "Text": q.Text, "Error": q.Error})
		}
		if q.OtherError != "" {
			errList = append(errList, fiber.Map{"Key": q.Key, "Text": q.Text, "Error": q.OtherError})
		}
	}
	return h.render.Render(c, status, "surveys/section", fiber.Map{
		"Survey": sv, "Title": sv.Title.In(lang, main), "SectionTitle": sec.Title.In(lang, main), "ContentLang": lang,
		"Questions": qs, "Index": i + 1, "Position": pos, "Total": total, "IsFirst": i == 0, // the first page has no condition (nothing comes before it)
		"IsLast": !mayFollow(d, dr.Answers, i), "Channel": dr.Channel, "ErrorList": errList,
		"Action": "/surveys/" + sv.ID + "/s/" + strconv.Itoa(i+1),
	})
}

// SectionPost saves a page's answers and moves back, forward or to submission.
func (h *Handlers) SectionPost(c *fiber.Ctx) error {
	sv, d, i, token, dr, ok, err := h.pageState(c)
	if !ok {
		return err
	}
	form := page.Form(c)
	if ch := form.Get("channel"); ch != "" && len(dr.Answers) == 0 {
		dr.Channel = Channel(ch)
	}
	dr.Answers = d.Prune(Merge(dr.Answers, FromForm(d.Sections[i], form), d.Sections[i]))
	action := form.Get("action")
	if token == "" {
		token = NewDraftToken()
		page.Sess(c).Set(draftKey(sv.ID), token)
	}
	save := func(section int) error {
		dr.Section = section
		return h.store.SaveDraft(c.UserContext(), token, sv.ID, *dr)
	}
	base := "/surveys/" + sv.ID
	switch action {
	case "back":
		prev := prevVisible(d, dr.Answers, i-1)
		if err := save(prev); err != nil {
			return err
		}
		return c.Redirect(base+"/s/"+strconv.Itoa(prev+1), fiber.StatusSeeOther)
	case "save":
		if err := save(i); err != nil {
			return err
		}
		return c.Redirect(base+"/saved", fiber.StatusSeeOther)
	}
	if err := d.CheckSection(i, dr.Answers); err != nil {
		var v *apperr.Validation
		if !errors.As(err, &v) {
			return err
		}
		if serr := save(i); serr != nil {
			return serr
		}
		return h.renderSection(c, fiber.StatusUnprocessableEntity, sv, d, i, dr, v.Fields)
	}
	next := nextVisible(d, dr.Answers, i+1)
	if next < len(d.Sections) {
		if err := save(next); err != nil {
			return err
		}
		return c.Redirect(base+"/s/"+strconv.Itoa(next+1), fiber.StatusSeeOther)
	}
	if err := save(i); err != nil {
		return err
	}
	claimed, err := h.store.ClaimDraft(c.UserContext(), token)
	if err != nil {
		return err
	}
	if !claimed {
		return c.Redirect(base+"/thanks", fiber.StatusSeeOther) // a double click: the first one is being stored
	}
	invite := page.Sess(c).String(InvitationKey(sv.ID))
	_, err = h.submit(c.UserContext(), sv, Submission{Answers: dr.Answers, Participant: page.Participant(c), Channel: dr.Channel}, invite, page.ClientIP(c))
	if err != nil {
		if rerr := h.store.ReleaseDraft(context.WithoutCancel(c.UserContext()), token, i); rerr != nil {
			return rerr
		}
	}
	var v *apperr.Validation
	var cf *apperr.Conflict
	switch {
	case errors.As(err, &v) && v.Fields["token"] != "":
		return h.unavailable(c, sv, fiber.StatusUnprocessableEntity, v.Fields["token"])
	case errors.As(err, &v):
		// An earlier page no longer validates (e.g. the survey changed): go there.
		for j, s := range d.Sections {
			if d.CheckSection(j, dr.Answers) != nil {
				if serr := save(j); serr != nil {
					return serr
				}
				return h.renderSection(c, fiber.StatusUnprocessableEntity, sv, d, j, dr, v.Fields)
			}
			_ = s
		}
		return err
	case errors.As(err, &cf):
		return h.unavailable(c, sv, fiber.StatusConflict, cf.MessageID)
	case err != nil:
		return err
	}
	if err := h.store.FinishDraft(c.UserContext(), token); err != nil {
		return err
	}
	page.Sess(c).Delete(draftKey(sv.ID), InvitationKey(sv.ID))
	return c.Redirect(base+"/thanks", fiber.StatusSeeOther)
}

// Saved shows the personal resume link after "save and continue later".
func (h *Handlers) Saved(c *fiber.Ctx) error {
	sv, _, err := h.public(c)
	if err != nil {
		return err
	}
	token := page.Sess(c).String(draftKey(sv.ID))
	if token == "" {
		return c.Redirect("/surveys/"+sv.ID, fiber.StatusSeeOther)
	}
	lang, main := contentLang(c, sv)
	return h.render.Render(c, fiber.StatusOK, "surveys/saved", fiber.Map{
		"Title": sv.Title.In(lang, main), "ResumeURL": h.baseURL + "/surveys/" + sv.ID + "/resume/" + token, "SurveyID": sv.ID,
	})
}

// Resume picks up a draft from its personal link, on any device.
func (h *Handlers) Resume(c *fiber.Ctx) error {
	sv, _, err := h.public(c)
	if err != nil {
		return err
	}
	token := utils.CopyString(c.Params("token"))
	dr, err := h.store.LoadDraft(c.UserContext(), token, sv.ID)
	if err != nil {
		return err
	}
	page.Sess(c).Set(draftKey(sv.ID), token)
	return c.Redirect("/surveys/"+sv.ID+"/s/"+strconv.Itoa(dr.Section+1), fiber.StatusSeeOther)
}

// Thanks is shown after submission.
func (h *Handlers) Thanks(c *fiber.Ctx) error {
	sv, _, err := h.public(c)
	if err != nil {
		return err
	}
	lang, main := contentLang(c, sv)
	return h.render.Render(c, fiber.StatusOK, "surveys/thanks", fiber.Map{
		"Title": sv.Title.In(lang, main), "Thanks": sv.Thanks.In(lang, main), "Survey": sv, "ContentLang": lang,
	})
}
