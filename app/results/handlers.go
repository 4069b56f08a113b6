package results

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// load reads the survey named in the URL.
func (h *Handlers) load(c *fiber.Ctx) (*models.Survey, surveys.Definition, error) {
	sv, err := h.store.surveys.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, surveys.Definition{}, err
	}
	def, err := h.store.surveys.Definition(sv)
	return sv, def, err
}

// queryOf reads a results request's filter parameters.
func queryOf(c *fiber.Ctx) Query {
	q := Query{Channel: c.Query("channel"), From: c.Query("from"), To: c.Query("to"), Weighted: c.Query("weighted")}
	for _, s := range c.Context().QueryArgs().PeekMulti("segment") {
		q.Segments = append(q.Segments, string(s))
	}
	return q
}

// weighted reads ?weighted=: true, false or absent.
func weighted(q Query) (bool, error) {
	switch q.Weighted {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, apperr.Invalid("weighted", "results.bad_boolean")
}

// compute reads the filter from the URL and works out the results; bad
// filters answer 400 with the field named.
func (h *Handlers) compute(c *fiber.Ctx, sv *models.Survey, def surveys.Definition) (*Results, Query, error) {
	q := queryOf(c)
	w, err := weighted(q)
	if err != nil {
		return nil, q, apperr.Query(err)
	}
	f, err := h.store.ParseFilter(c.UserContext(), sv.ID, def, q)
	if err != nil {
		return nil, q, apperr.Query(err)
	}
	r, err := h.store.Compute(c.UserContext(), sv, f, w)
	return r, q, apperr.Query(err)
}

// encode writes q back as a query string (for links that keep the filter).
func (q Query) encode(extra ...string) string {
	v := url.Values{}
	for k, s := range map[string]string{"channel": q.Channel, "from": q.From, "to": q.To, "weighted": q.Weighted} {
		if s != "" {
			v.Set(k, s)
		}
	}
	for _, s := range q.Segments {
		if s != "" {
			v.Add("segment", s)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Choice is one entry of a filter's select list.
type Choice struct {
	Value, Label string
	Selected     bool
}

// ChoiceGroup is an optgroup: a question or profile field.
type ChoiceGroup struct {
	Label   string
	Choices []Choice
}

// segmentGroups lists what results can be cut by: every single-choice
// question's options and every profile value on the responses.
func (h *Handlers) segmentGroups(c *fiber.Ctx, sv *models.Survey, def surveys.Definition) ([]ChoiceGroup, error) {
	l := page.L(c)
	lang, main := l.Lang, firstLang(sv)
	var out []ChoiceGroup
	for _, q := range def.Questions() {
		if q.Type != surveys.Single {
			continue
		}
		g := ChoiceGroup{Label: q.Text.In(lang, main)}
		for _, k := range optionKeys(q) {
			label := l.T("results.other_option")
			for _, o := range q.Options {
				if o.Key == k {
					label = o.Text.In(lang, main)
				}
			}
			v := q.Key + ":" + k
			g.Choices = append(g.Choices, Choice{Value: v, Label: label})
		}
		out = append(out, g)
	}
	profile, err := h.store.ProfileValues(c.UserContext(), sv.ID)
	if err != nil {
		return nil, err
	}
	fieldLabel, valueLabel, err := h.profileLabels(c.UserContext(), sv.ID, lang)
	if err != nil {
		return nil, err
	}
	for _, field := range sortedKeys(profile) {
		g := ChoiceGroup{Label: l.T("results.profile_field", "Field", fieldLabel(field))}
		for _, value := range sortedKeys(profile[field]) {
			v := profilePrefix + field + ":" + value
			g.Choices = append(g.Choices, Choice{Value: v, Label: valueLabel(field, value)})
		}
		out = append(out, g)
	}
	return out, nil
}

func firstLang(sv *models.Survey) string {
	if l := surveys.Languages(sv); len(l) > 0 {
		return l[0]
	}
	return ""
}

// withSelected copies groups with the choice for segment selected (a bare
// "field:value" matches a profile choice too).
func withSelected(groups []ChoiceGroup, selected string) []ChoiceGroup {
	out := make([]ChoiceGroup, len(groups))
	for i, g := range groups {
		out[i] = ChoiceGroup{Label: g.Label, Choices: make([]Choice, len(g.Choices))}
		for j, ch := range g.Choices {
			ch.Selected = selected != "" && (ch.Value == selected || ch.Value == profilePrefix+selected)
			out[i].Choices[j] = ch
		}
	}
	return out
}

// pageData is what every results page shows about the survey and filter.
func (h *Handlers) pageData(c *fiber.Ctx, sv *models.Survey, def surveys.Definition, r *Results, q Query) (fiber.Map, error) {
	l := page.L(c)
	all, err := h.segmentGroups(c, sv, def)
	if err != nil {
		return nil, err
	}
	segs := append(append([]string{}, q.Segments...), "", "")
	groups := make([][]ChoiceGroup, 2)
	for i := range groups {
		groups[i] = withSelected(all, segs[i])
	}
	counts, err := h.store.surveys.ByChannel(c.UserContext(), sv.ID)
	if err != nil {
		return nil, err
	}
	var channels []Choice
	for _, cc := range counts {
		channels = append(channels, Choice{Value: cc.Channel, Label: l.TOr("channel."+cc.Channel, cc.Channel), Selected: cc.Channel == q.Channel})
	}
	weighting, err := h.store.Weighting(c.UserContext(), sv.ID)
	if err != nil {
		return nil, err
	}
	base := "/staff/surveys/" + sv.ID
	return fiber.Map{
		"Survey": sv, "Title": sv.Title.In(l.Lang, firstLang(sv)), "Results": r, "Views": r.Views(l, l.Lang), "Query": q,
		"SegmentGroups": groups, "Channels": channels, "HasWeighting": weighting != nil,
		"Filtered": !r.Filter.Empty(), "Updated": time.Now(), "Base": base,
		"ReportURL": base + "/report" + q.encode(), "CSVURL": base + "/export.csv", "XLSXURL": base + "/export.xlsx",
		"WeightedURL": base + "/results" + q.encode("weighted", "true"), "UnweightedURL": base + "/results" + q.encode("weighted", ""),
		"Q": q.encode(), "Staff": true,
	}, nil
}

// resultsPage loads the survey, computes its results for the URL's filter
// and gathers what every results page shows.
func (h *Handlers) resultsPage(c *fiber.Ctx) (*models.Survey, surveys.Definition, fiber.Map, error) {
	sv, def, err := h.load(c)
	if err != nil {
		return nil, def, nil, err
	}
	r, q, err := h.compute(c, sv, def)
	if err != nil {
		return nil, def, nil, err
	}
	data, err := h.pageData(c, sv, def, r, q)
	return sv, def, data, err
}

// Show is the staff results page: every question's figures, the filters,
// links to exports, the report, weighting and the cross-tab.
func (h *Handlers) Show(c *fiber.Ctx) error {
	sv, def, data, err := h.resultsPage(c)
	if err != nil {
		return err
	}
	var singles []Choice
	for _, qq := range def.Questions() {
		if qq.Type == surveys.Single {
			singles = append(singles, Choice{Value: qq.Key, Label: qq.Text.In(page.L(c).Lang, firstLang(sv))})
		}
	}
	if len(singles) >= 2 { // a cross-tab needs two questions
		data["Singles"] = singles
	}
	data["Live"] = sv.Status == models.SurveyOpen
	return h.render.Render(c, fiber.StatusOK, "staff/results/show", data)
}

// Report is a printable page of the key figures and charts.
func (h *Handlers) Report(c *fiber.Ctx) error {
	sv, _, data, err := h.resultsPage(c)
	if err != nil {
		return err
	}
	counts, err := h.store.surveys.ByChannel(c.UserContext(), sv.ID)
	if err != nil {
		return err
	}
	data["ByChannel"] = counts
	data["Period"], err = h.store.period(c.UserContext(), sv.ID)
	if err != nil {
		return err
	}
	data["Staff"] = false
	return h.render.Render(c, fiber.StatusOK, "staff/results/report", data)
}

// Texts lists one question's free-text answers with search and paging.
func (h *Handlers) Texts(c *fiber.Ctx) error {
	sv, def, err := h.load(c)
	if err != nil {
		return err
	}
	q := queryOf(c)
	f, err := h.store.ParseFilter(c.UserContext(), sv.ID, def, q)
	if err != nil {
		return apperr.Query(err)
	}
	n, err := strconv.Atoi(c.Query("page", "1"))
	if err != nil || n < 1 {
		return apperr.Query(apperr.Invalid("page", "results.bad_page"))
	}
	search := c.Query("q")
	tp, err := h.store.Texts(c.UserContext(), sv, f, c.Params("key"), search, n)
	if err != nil {
		return apperr.Query(err)
	}
	l := page.L(c)
	base := "/staff/surveys/" + sv.ID + "/results/texts/" + tp.Question.Key
	pageURL := func(p int) string { return base + q.encode("q", search, "page", strconv.Itoa(p)) }
	data := fiber.Map{"Survey": sv, "Title": sv.Title.In(l.Lang, firstLang(sv)), "Question": tp.Question.Text.In(l.Lang, firstLang(sv)),
		"Page": tp, "Start": (tp.Page-1)*TextsPerPage + 1, "Search": search, "Base": base, "Query": q, "BackURL": "/staff/surveys/" + sv.ID + "/results" + q.encode()}
	if tp.Page > 1 {
		data["PrevURL"] = pageURL(tp.Page - 1)
	}
	if tp.Page < tp.Pages {
		data["NextURL"] = pageURL(tp.Page + 1)
	}
	return h.render.Render(c, fiber.StatusOK, "staff/results/texts", data)
}

// CrossTab shows two single-choice questions against each other.
func (h *Handlers) CrossTab(c *fiber.Ctx) error {
	sv, def, err := h.load(c)
	if err != nil {
		return err
	}
	q := queryOf(c)
	w, err := weighted(q)
	if err != nil {
		return apperr.Query(err)
	}
	f, err := h.store.ParseFilter(c.UserContext(), sv.ID, def, q)
	if err != nil {
		return apperr.Query(err)
	}
	ct, err := h.store.CrossTab(c.UserContext(), sv, f, c.Query("rows"), c.Query("cols"), w)
	if err != nil {
		return apperr.Query(err)
	}
	l := page.L(c)
	lang, main := l.Lang, firstLang(sv)
	label := func(qq surveys.Question) func(string) string {
		return func(k string) string {
			for _, o := range qq.Options {
				if o.Key == k {
					return o.Text.In(lang, main)
				}
			}
			return l.T("results.other_option")
		}
	}
	rowLabel, colLabel := label(ct.Row), label(ct.Col)
	type cell struct {
		Share Estimate
		W     *Estimate
	}
	type row struct {
		Label string
		N     int64
		Cells []cell
	}
	var rows []row
	for _, rk := range ct.RowKeys {
		rr := row{Label: rowLabel(rk), N: ct.RowTotal[rk]}
		for _, ck := range ct.ColKeys {
			rr.Cells = append(rr.Cells, cell{Share: ct.Cells[rk][ck], W: ct.WCells[rk][ck]})
		}
		rows = append(rows, rr)
	}
	var cols []string
	var colN []int64
	for _, ck := range ct.ColKeys {
		cols = append(cols, colLabel(ck))
		colN = append(colN, ct.ColTotal[ck])
	}
	return h.render.Render(c, fiber.StatusOK, "staff/results/crosstab", fiber.Map{
		"Survey": sv, "Title": sv.Title.In(lang, main), "RowQuestion": ct.Row.Text.In(lang, main), "ColQuestion": ct.Col.Text.In(lang, main),
		"Cols": cols, "ColN": colN, "Rows": rows, "Total": ct.Total, "Weighted": ct.Weighted,
		"BackURL": "/staff/surveys/" + sv.ID + "/results" + q.encode(),
	})
}

// Publish publishes or withdraws the public results page.
func (h *Handlers) Publish(c *fiber.Ctx) error {
	publish := c.FormValue("publish") == "true"
	if err := h.store.surveys.SetPublishResults(c.UserContext(), c.Params("id"), publish); err != nil {
		return err
	}
	if publish {
		page.Sess(c).Flash("results.published")
	} else {
		page.Sess(c).Flash("results.unpublished")
	}
	return c.Redirect("/staff/surveys/"+c.Params("id")+"/results", fiber.StatusSeeOther)
}

// Public is the published results page, in the citizen's language. Free
// text is never shown there: citizens wrote it to the municipality, not
// to the public.
func (h *Handlers) Public(c *fiber.Ctx) error {
	sv, _, err := h.load(c)
	if err != nil {
		return err
	}
	if !sv.PublishResults || sv.Status == models.SurveyDraft {
		return apperr.ErrNotFound
	}
	w, err := h.store.Weighting(c.UserContext(), sv.ID)
	if err != nil {
		return err
	}
	r, err := h.store.Compute(c.UserContext(), sv, Filter{}, w != nil)
	if err != nil {
		return err
	}
	l := page.L(c)
	lang := l.Lang
	if !contains(surveys.Languages(sv), lang) {
		lang = firstLang(sv)
	}
	return h.render.Render(c, fiber.StatusOK, "surveys/results", fiber.Map{
		"Survey": sv, "Title": sv.Title.In(lang, firstLang(sv)), "ContentLang": lang, "Results": r, "Views": r.Views(l, lang),
		"Period": mustPeriod(h.store.period(c.UserContext(), sv.ID)),
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Period is the first and last day responses came in.
type Period struct{ First, Last time.Time }

func mustPeriod(p *Period, err error) *Period {
	if err != nil {
		return nil
	}
	return p
}

// period finds the first and last response date of a survey.
func (s *Store) period(ctx context.Context, surveyID string) (*Period, error) {
	var row struct{ First, Last string }
	err := s.db.WithContext(ctx).Raw("SELECT COALESCE(MIN(submitted_on), '') AS first, COALESCE(MAX(submitted_on), '') AS last FROM responses WHERE survey_id = ?", surveyID).Scan(&row).Error
	if err != nil || row.First == "" {
		return nil, err
	}
	first, err1 := time.Parse(time.DateOnly, row.First)
	last, err2 := time.Parse(time.DateOnly, row.Last)
	if err1 != nil || err2 != nil {
		return nil, nil
	}
	return &Period{First: first, Last: last}, nil
}

// Method explains the figures in plain words: bases, intervals, weights.
func (h *Handlers) Method(c *fiber.Ctx) error {
	return h.render.Render(c, fiber.StatusOK, "home/method", fiber.Map{})
}

func apperrAs(err error, v **apperr.Validation) bool { return errors.As(err, v) }
