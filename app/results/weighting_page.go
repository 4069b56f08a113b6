package results

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// candidate is a variable staff may weight by, as shown on the form.
type candidate struct {
	ID         string // "question:gender", the form's name for it
	Kind, Key  string
	Label      string
	Used       bool
	FromPanel  bool // the shares shown are the panel's target margins
	Categories []categoryRow
	Error      string
}

// categoryRow is one category: the share staff entered and, once the
// weights exist, the sample's share before and after weighting.
type categoryRow struct {
	Key, Label, Field string
	Value             string // the entered population share, as typed
	Sample, Weighted  *float64
}

// candidates lists single-choice questions and profile fields, filled with
// the current weighting (or the form's input).
func (h *Handlers) candidates(c *fiber.Ctx, sv *models.Survey, def surveys.Definition, w *Weighting, form map[string]string) ([]candidate, error) {
	l := page.L(c)
	lang, main := l.Lang, firstLang(sv)
	used := map[string]Variable{}
	if w != nil {
		for _, v := range w.Variables {
			used[v.Kind+":"+v.Key] = v
		}
	}
	fill := func(cd *candidate) {
		v, ok := used[cd.ID]
		cd.Used = ok
		if form != nil {
			cd.Used = form["use:"+cd.ID] != ""
		}
		for i := range cd.Categories {
			cat := &cd.Categories[i]
			cat.Field = "share:" + cd.ID + ":" + cat.Key
			switch {
			case form != nil:
				cat.Value = form[cat.Field]
			case ok:
				if s, has := v.Shares[cat.Key]; has {
					cat.Value = strconv.FormatFloat(s, 'f', -1, 64)
				}
			}
		}
	}
	var out []candidate
	for _, q := range def.Questions() {
		if q.Type != surveys.Single {
			continue
		}
		cd := candidate{ID: KindQuestion + ":" + q.Key, Kind: KindQuestion, Key: q.Key, Label: q.Text.In(lang, main)}
		for _, o := range q.Options {
			cd.Categories = append(cd.Categories, categoryRow{Key: o.Key, Label: o.Text.In(lang, main)})
		}
		fill(&cd)
		out = append(out, cd)
	}
	profile, err := h.store.ProfileValues(c.UserContext(), sv.ID)
	if err != nil {
		return nil, err
	}
	fieldLabel, valueLabel, err := h.profileLabels(c.UserContext(), sv.ID, lang)
	if err != nil {
		return nil, err
	}
	var targets map[string]map[string]float64
	if h.profile != nil {
		if targets, err = h.profile.ProfileTargets(c.UserContext(), sv.ID); err != nil {
			return nil, err
		}
	}
	for _, field := range sortedKeys(profile) {
		cd := candidate{ID: KindProfile + ":" + field, Kind: KindProfile, Key: field, Label: l.T("results.profile_field", "Field", fieldLabel(field))}
		for _, v := range sortedKeys(profile[field]) {
			cd.Categories = append(cd.Categories, categoryRow{Key: v, Label: valueLabel(field, v)})
		}
		fill(&cd)
		// Not weighted by this field yet: offer the panel's targets.
		if !cd.Used && form == nil && len(targets[field]) > 0 {
			cd.FromPanel = true
			for i := range cd.Categories {
				if t, ok := targets[field][cd.Categories[i].Key]; ok {
					cd.Categories[i].Value = strconv.FormatFloat(t, 'f', -1, 64)
				}
			}
		}
		out = append(out, cd)
	}
	return out, nil
}

// compare fills each used variable's categories with the sample's share
// before and after weighting.
func compare(cands []candidate, wr *Weigher) {
	if wr == nil {
		return
	}
	for j, v := range wr.Variables {
		n, wsum := map[string]float64{}, map[string]float64{}
		var tn, tw float64
		for i, cell := range wr.Cells {
			if _, targeted := v.Shares[cell.Cats[j]]; !targeted {
				continue
			}
			n[cell.Cats[j]] += cell.N
			wsum[cell.Cats[j]] += cell.N * wr.Result.Weights[i]
			tn += cell.N
			tw += cell.N * wr.Result.Weights[i]
		}
		for ci := range cands {
			if cands[ci].ID != v.Kind+":"+v.Key {
				continue
			}
			for k := range cands[ci].Categories {
				cat := &cands[ci].Categories[k]
				if tn > 0 {
					cat.Sample, cat.Weighted = ptr(100*n[cat.Key]/tn), ptr(100*wsum[cat.Key]/tw)
				}
			}
		}
	}
}

// WeightingForm shows the population margins form and, when weights
// exist, how they came out.
func (h *Handlers) WeightingForm(c *fiber.Ctx) error {
	sv, def, err := h.load(c)
	if err != nil {
		return err
	}
	w, err := h.store.Weighting(c.UserContext(), sv.ID)
	if err != nil {
		return err
	}
	return h.renderWeighting(c, fiber.StatusOK, sv, def, w, nil, nil)
}

func (h *Handlers) renderWeighting(c *fiber.Ctx, status int, sv *models.Survey, def surveys.Definition, w *Weighting, form map[string]string, errs map[string]string) error {
	cands, err := h.candidates(c, sv, def, w, form)
	if err != nil {
		return err
	}
	var wr *Weigher
	if w != nil && form == nil {
		if wr, err = h.store.Weigher(c.UserContext(), sv); err != nil {
			return err
		}
		compare(cands, wr)
	}
	l := page.L(c)
	for i := range cands {
		if id, ok := errs["variables."+cands[i].Key]; ok {
			cands[i].Error = l.T(id)
		}
		for _, cat := range cands[i].Categories {
			if id, ok := errs["variables."+cands[i].Key+"."+cat.Key]; ok && cands[i].Error == "" {
				cands[i].Error = l.T(id)
			}
		}
	}
	capValue := strconv.Itoa(DefaultCap)
	source := ""
	if w != nil {
		capValue, source = strconv.FormatFloat(w.Cap, 'f', -1, 64), w.Source
	}
	if form != nil {
		capValue, source = form["cap"], form["source"]
	}
	data := fiber.Map{"Survey": sv, "Title": sv.Title.In(l.Lang, firstLang(sv)), "Candidates": cands, "Weighting": w, "Cap": capValue, "Source": source}
	if wr != nil {
		data["Result"] = wr.json(l)
	}
	if len(errs) > 0 {
		m := map[string]string{}
		for f, id := range errs {
			m[f] = l.T(id)
		}
		data["Errors"] = m
	}
	return h.render.Render(c, status, "staff/results/weighting", data)
}

// SaveWeightingForm stores the margins entered on the form.
func (h *Handlers) SaveWeightingForm(c *fiber.Ctx) error {
	sv, def, err := h.load(c)
	if err != nil {
		return err
	}
	form := map[string]string{}
	c.Context().PostArgs().VisitAll(func(k, v []byte) { form[string(k)] = strings.TrimSpace(string(v)) })
	w := Weighting{Source: form["source"]}
	v := &apperr.Validation{}
	capAt, err := strconv.ParseFloat(strings.ReplaceAll(form["cap"], ",", "."), 64)
	if err != nil {
		v.Add("cap", "results.weighting_bad_cap")
	}
	w.Cap = capAt
	cands, err := h.candidates(c, sv, def, nil, form)
	if err != nil {
		return err
	}
	for _, cd := range cands {
		if !cd.Used {
			continue
		}
		va := Variable{Kind: cd.Kind, Key: cd.Key, Shares: map[string]float64{}}
		for _, cat := range cd.Categories {
			if cat.Value == "" {
				continue // no share: this category is not weighted
			}
			s, err := strconv.ParseFloat(strings.ReplaceAll(cat.Value, ",", "."), 64)
			if err != nil {
				v.Add("variables."+cd.Key+"."+cat.Key, "results.weighting_bad_share")
				continue
			}
			va.Shares[cat.Key] = s
		}
		w.Variables = append(w.Variables, va)
	}
	if err := v.Err(); err == nil {
		a := page.Account(c)
		err = h.store.SaveWeighting(c.UserContext(), sv, w, &a.ID)
		if err == nil {
			page.Sess(c).Flash("results.weighting_saved")
			return c.Redirect("/staff/surveys/"+sv.ID+"/weighting", fiber.StatusSeeOther)
		}
		var verr *apperr.Validation
		if !apperrAs(err, &verr) {
			return err
		}
		v = verr
	}
	return h.renderWeighting(c, fiber.StatusUnprocessableEntity, sv, def, &w, form, v.Fields)
}

// DeleteWeightingForm removes the weighting.
func (h *Handlers) DeleteWeightingForm(c *fiber.Ctx) error {
	if err := h.store.DeleteWeighting(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	page.Sess(c).Flash("results.weighting_deleted")
	return c.Redirect("/staff/surveys/"+c.Params("id")+"/weighting", fiber.StatusSeeOther)
}
