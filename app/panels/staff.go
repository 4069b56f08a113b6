package panels

import (
	"bytes"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

func accountID(c *fiber.Ctx) *string {
	if a := page.Account(c); a != nil {
		id := a.ID
		return &id
	}
	return nil
}

// List shows the panels and a form for a new one.
func (h *Handlers) List(c *fiber.Ctx) error {
	return h.renderList(c, fiber.StatusOK, url.Values{}, nil)
}

func (h *Handlers) renderList(c *fiber.Ctx, status int, form url.Values, errs map[string]string) error {
	list, err := h.store.List(c.UserContext())
	if err != nil {
		return err
	}
	return h.render.Render(c, status, "staff/panels/list", fiber.Map{"Panels": list, "Form": form, "Languages": config.Languages, "Errors": errs})
}

// Create makes a panel from the form (fields are added on its page).
func (h *Handlers) Create(c *fiber.Ctx) error {
	form := page.Form(c)
	p, err := h.store.Create(c.UserContext(), PanelInput{Name: page.TextFrom(form, "name", "_", config.Languages), Description: page.TextFrom(form, "description", "_", config.Languages)}, accountID(c))
	if err != nil {
		errs, err := page.FieldErrors(c, err, "-")
		if err != nil {
			return err
		}
		return h.renderList(c, fiber.StatusUnprocessableEntity, form, errs)
	}
	page.Sess(c).Flash("panels.created")
	return c.Redirect("/staff/panels/"+p.ID, fiber.StatusSeeOther)
}

// Bar is one bar of the composition chart, in SVG units (0-200).
type Bar struct {
	ChoiceShare
	Label      string
	Width      int
	Target     int
	TargetText string
}

// Show is the staff page of a panel.
func (h *Handlers) Show(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, nil, nil, nil)
}

func (h *Handlers) show(c *fiber.Ctx, status int, form url.Values, errs map[string]string, report *ImportReport) error {
	p, fs, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	st, err := h.store.Stats(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	l := page.L(c).Lang
	type fieldChart struct {
		Key, Label string
		Answered   int64
		HasTargets bool
		Bars       []Bar
	}
	var charts []fieldChart
	labels := map[string]string{}
	for _, f := range st.Composition {
		fc := fieldChart{Key: f.Key, Label: f.Label.In(l), Answered: f.Answered}
		for _, ch := range f.Choices {
			b := Bar{ChoiceShare: ch, Label: ch.Label.In(l), Width: int(ch.Percent * 2), Target: -1}
			if ch.Target != nil {
				b.Target, fc.HasTargets, b.TargetText = int(*ch.Target*2), true, page.L(c).Number(*ch.Target)+" %"
			}
			fc.Bars = append(fc.Bars, b)
			labels[f.Key+"\x00"+ch.Key] = ch.Label.In(l)
		}
		charts = append(charts, fc)
	}
	fieldLabels := map[string]string{}
	type choiceLine struct{ Key, Label, Target string }
	type fieldLine struct {
		Key, Label string
		Choices    []choiceLine
	}
	var defined []fieldLine
	for _, f := range fs {
		fieldLabels[f.Key] = f.Label.In(l)
		fl := fieldLine{Key: f.Key, Label: f.Label.In(l)}
		for _, ch := range f.Choices {
			cl := choiceLine{Key: ch.Key, Label: ch.Label.In(l)}
			if ch.Target != nil {
				cl.Target = page.L(c).Number(*ch.Target) + " %"
			}
			fl.Choices = append(fl.Choices, cl)
		}
		defined = append(defined, fl)
	}
	type stratumView struct {
		Stratum
		FieldLabel, ChoiceLabel string
	}
	type rateView struct {
		SurveyRate
		TitleText string
		Strata    []stratumView
	}
	var rates []rateView
	for _, r := range st.Surveys {
		rv := rateView{SurveyRate: r, TitleText: r.Title.In(l)}
		for _, x := range r.Strata {
			rv.Strata = append(rv.Strata, stratumView{Stratum: x, FieldLabel: fieldLabels[x.Field], ChoiceLabel: labels[x.Field+"\x00"+x.Choice]})
		}
		rates = append(rates, rv)
	}
	open, err := h.surveys.List(c.UserContext())
	if err != nil {
		return err
	}
	var openSurveys []fiber.Map
	for _, sv := range open {
		if sv.Status == models.SurveyOpen {
			openSurveys = append(openSurveys, fiber.Map{"ID": sv.ID, "Title": sv.Title.In(l)})
		}
	}
	if form == nil {
		form = url.Values{"after_days": {strconv.Itoa(DefaultReminders.AfterDays)}, "max_reminders": {strconv.Itoa(DefaultReminders.Max)}}
	}
	var reportErrors []fiber.Map
	if report != nil {
		for _, e := range report.Errors {
			reportErrors = append(reportErrors, fiber.Map{"Line": e.Line, "Column": e.Column, "Message": page.L(c).T(e.MessageID)})
		}
	}
	return h.render.Render(c, status, "staff/panels/show", fiber.Map{
		"Panel": p, "Name": p.Name.In(l), "Description": p.Description.In(l), "Fields": fieldViews(fs, l, nil), "RawFields": defined,
		"Stats": st, "Charts": charts, "Rates": rates, "OpenSurveys": openSurveys, "Form": form, "Errors": errs,
		"JoinURL": h.baseURL + "/panels/" + p.ID + "/join", "Report": report, "ReportErrors": reportErrors, "Languages": config.Languages,
	})
}

// parseChoices reads the choices box: one choice per line, "key; Danish;
// Dutch; English; target %" (labels and target optional).
func parseChoices(s string) ([]Choice, error) {
	var out []Choice
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, ";")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		ch := Choice{Key: parts[0], Label: models.Text{}}
		for i, l := range config.Languages {
			if len(parts) > i+1 && parts[i+1] != "" {
				ch.Label[l] = parts[i+1]
			}
		}
		if len(parts) > 4 && parts[4] != "" {
			t, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.ReplaceAll(parts[4], ",", "."), "%")), 64)
			if err != nil || math.IsNaN(t) || math.IsInf(t, 0) {
				return nil, apperr.Invalid("choices", "panels.target_invalid")
			}
			ch.Target = &t
		}
		out = append(out, ch)
	}
	return out, nil
}

// fieldFormErrors points each error of the profile-field form at a control
// of that form (a choice's error at the answers box, a label's at the
// Danish label), so the links of the error summary lead somewhere.
func fieldFormErrors(errs map[string]string) map[string]string {
	out := make(map[string]string, len(errs))
	for k, msg := range errs {
		switch {
		case strings.HasPrefix(k, "choices"):
			k = "choices"
		case k == "label":
			k = "label_da"
		}
		if _, ok := out[k]; !ok {
			out[k] = msg
		}
	}
	return out
}

// SaveField adds or replaces a profile field from the form.
func (h *Handlers) SaveField(c *fiber.Ctx) error {
	form := page.Form(c)
	choices, err := parseChoices(form.Get("choices"))
	if err == nil {
		err = h.store.SaveField(c.UserContext(), c.Params("id"), Field{Key: strings.TrimSpace(form.Get("key")), Label: page.TextFrom(form, "label", "_", config.Languages), Choices: choices})
	}
	if err != nil {
		errs, err := page.FieldErrors(c, err, "-")
		if err != nil {
			return err
		}
		return h.show(c, fiber.StatusUnprocessableEntity, form, fieldFormErrors(errs), nil)
	}
	page.Sess(c).Flash("panels.field_saved")
	return c.Redirect("/staff/panels/"+c.Params("id"), fiber.StatusSeeOther)
}

// Invite invites the panel or a sample to a survey.
func (h *Handlers) Invite(c *fiber.Ctx) error {
	form := page.Form(c)
	num := func(k string) int { n, _ := strconv.Atoi(strings.TrimSpace(form.Get(k))); return n }
	in := InviteInput{SurveyID: form.Get("survey_id"), Sample: Sample{Size: num("size"), StratifyBy: form.Get("stratify_by")},
		Reminders: &Reminders{AfterDays: num("after_days"), Max: num("max_reminders")}}
	if form.Get("sample") == "all" {
		in.Sample = Sample{}
	}
	n, err := h.store.Invite(c.UserContext(), c.Params("id"), in, accountID(c))
	if err != nil {
		errs, err := page.FieldErrors(c, err, "-")
		if err != nil {
			var cf *apperr.Conflict
			if !asConflict(err, &cf) {
				return err
			}
			errs = map[string]string{"form": page.L(c).T(cf.MessageID)}
		}
		return h.show(c, fiber.StatusUnprocessableEntity, form, errs, nil)
	}
	if in.Sample.Size > 0 && n < in.Sample.Size {
		page.Sess(c).Flash("panels.invited_short")
	} else {
		page.Sess(c).Flash("panels.invited_flash")
	}
	return c.Redirect("/staff/panels/"+c.Params("id"), fiber.StatusSeeOther)
}

// Import adds members from an uploaded CSV file and shows the report.
func (h *Handlers) Import(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return h.show(c, fiber.StatusUnprocessableEntity, nil, map[string]string{"file": page.L(c).T("panels.csv_empty")}, nil)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := h.store.Import(c.UserContext(), c.Params("id"), f, page.L(c).Lang)
	if err != nil {
		errs, err := page.FieldErrors(c, err, "-")
		if err != nil {
			return err
		}
		return h.show(c, fiber.StatusUnprocessableEntity, nil, errs, nil)
	}
	status := fiber.StatusOK
	if len(rep.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	return h.show(c, status, nil, nil, rep)
}

// Export downloads the members as CSV.
func (h *Handlers) Export(c *fiber.Ctx) error {
	var buf bytes.Buffer
	if err := h.store.Export(c.UserContext(), c.Params("id"), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="panel-members.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}
