package policy

import (
	"bytes"
	"errors"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// The measuring side for staff: how each promise of the published
// policies was kept month by month, the cases now overdue, and the
// figures staff record for channels outside the platform (form, JSON API
// or CSV).

// ChartMonths is how many months the staff chart covers.
const ChartMonths = 12

// DefaultTargetShare is the share of cases (percent) that should be
// answered within the promise, drawn as the target mark; staff may pick
// another on the page (?share=).
const DefaultTargetShare = 90

type measureMonthView struct {
	Label, Cases, Within, Share, Median, Overdue string
	Bar                                          float64 // 0..100
	HasShare                                     bool
}

type measureChannelView struct {
	Channel, Name, Promise, Source, Level string
	Platform                              bool
	Months                                []measureMonthView
}

type measureOverdueView struct {
	Channel, Label, Link, Deadline, Late string
}

type measureRowView struct {
	Channel, Period, Median, Share, Cases, Source, Note, Recorded string
}

// measureLabel names a channel in l's language.
func measureLabel(l *i18n.L, channel string, names map[string]models.Text) string {
	if n := names[channel].In(l.Lang); n != "" {
		return n
	}
	if Custom(channel) {
		return strings.TrimPrefix(channel, "custom-")
	}
	return l.TOr("policy.channel_"+channel, channel)
}

// recordable are the channels figures may be recorded for: the built-in
// channels not measured on the platform and the custom channels of the
// published policies.
func (h *Handlers) recordable(promised []SnapshotDecision) []string {
	var out []string
	for _, ch := range Channels {
		if !h.store.Platform(ch) {
			out = append(out, ch)
		}
	}
	for _, d := range promised {
		if Custom(d.Channel) {
			out = append(out, d.Channel)
		}
	}
	return out
}

// Measurements is GET /staff/measurements; ?import=too_large says that a
// file was refused as too large (the server refuses it before any handler
// reads it, then sends the browser here: see ImportTooLargePath).
func (h *Handlers) Measurements(c *fiber.Ctx) error {
	var csvErrs []string
	if c.Query("import") == "too_large" {
		csvErrs = []string{page.L(c).T("policy_public.csv_too_large")}
	}
	return h.measurementsPage(c, fiber.StatusOK, url.Values{}, nil, csvErrs)
}

// ImportTooLargePath is where the browser is sent back to when a CSV file
// is larger than a request may be.
const ImportTooLargePath = "/staff/measurements?import=too_large"

func (h *Handlers) measurementsPage(c *fiber.Ctx, status int, form url.Values, errs map[string]string, csvErrs []string) error {
	ctx := c.UserContext()
	l := page.L(c)
	share := float64(DefaultTargetShare)
	if v := c.Query("share"); v != "" {
		x, ok := parseDecimal(v)
		if !ok || x < 0 || x > 100 {
			return apperr.Query(apperr.Invalid("share", "policy_public.pct_invalid"))
		}
		share = x
	}
	promised, err := h.store.Promised(ctx)
	if err != nil {
		return err
	}
	cal, err := h.store.Calendar(ctx)
	if err != nil {
		return err
	}
	names := map[string]models.Text{}
	for _, d := range promised {
		names[d.Channel] = d.ChannelName
	}
	var channels []measureChannelView
	for _, d := range promised {
		months, err := h.store.Compliance(ctx, d.Channel, d.Promise(), ChartMonths)
		if err != nil {
			return err
		}
		v := measureChannelView{Channel: d.Channel, Name: measureLabel(l, d.Channel, names), Promise: PromiseText(l, d.Promise()), Platform: h.store.Platform(d.Channel)}
		if v.Platform {
			v.Source = l.T("policy_public.source_platform")
		} else {
			v.Source = l.T("policy_public.source_recorded")
		}
		for _, m := range months {
			mv := measureMonthView{Label: l.T("month."+strconv.Itoa(int(m.Start.Month()))) + " " + strconv.Itoa(m.Start.Year()),
				Cases: l.Number(m.Cases), Within: "–", Share: "–", Median: "–", Overdue: "–"}
			if v.Platform {
				mv.Within, mv.Overdue = l.Number(m.Within), l.Number(m.Overdue)
			}
			if m.WithinPct != nil {
				mv.Share, mv.Bar, mv.HasShare = l.Percent(*m.WithinPct), math.Max(0, math.Min(100, *m.WithinPct)), true
			}
			if m.MedianHours != nil {
				mv.Median = l.Number(*m.MedianHours)
			}
			v.Months = append(v.Months, mv)
		}
		channels = append(channels, v)
	}
	overdue, err := h.store.Overdue(ctx, promised)
	if err != nil {
		return err
	}
	var late []measureOverdueView
	for _, o := range overdue {
		late = append(late, measureOverdueView{Channel: measureLabel(l, o.Channel, names), Label: o.Label, Link: o.Link,
			Deadline: l.DateTime(o.Deadline), Late: l.T("policy_public.hours_late", "Hours", l.Number(o.HoursLate))})
	}
	rows, err := h.store.Measurements(ctx, "")
	if err != nil {
		return err
	}
	if len(rows) > 100 {
		rows = rows[:100]
	}
	var recorded []measureRowView
	for _, r := range rows {
		rv := measureRowView{Channel: measureLabel(l, r.Channel, names), Period: r.PeriodFrom + " – " + r.PeriodTo,
			Median: l.Number(r.MedianHours), Share: "–", Cases: l.Number(r.Cases), Source: l.T("policy_public.recorded_by_" + r.Source),
			Note: r.Note, Recorded: l.DateTime(r.CreatedAt)}
		if r.WithinTargetPct != nil {
			rv.Share = l.Percent(*r.WithinTargetPct)
		}
		recorded = append(recorded, rv)
	}
	type choice struct{ Key, Label string }
	var options []choice
	for _, ch := range h.recordable(promised) {
		options = append(options, choice{ch, measureLabel(l, ch, names)})
	}
	return h.render.Render(c, status, "policy/measurements", fiber.Map{
		"Channels": channels, "Overdue": late, "Recorded": recorded, "Options": options, "Form": form, "Errors": errs,
		"CSVErrors": csvErrs, "ShareText": l.Percent(share), "ShareInput": strconv.FormatFloat(share, 'f', -1, 64),
		"Mark": math.Max(0, math.Min(99, share-0.5)), "Columns": strings.Join(CSVColumns, ","),
		"DayHours": pubNumber(l, cal.DayHours()),
	})
}

// measurementForm reads the recording form; numbers take a decimal comma.
func measurementForm(form url.Values) (MeasurementInput, *apperr.Validation) {
	v := &apperr.Validation{}
	in := MeasurementInput{Channel: form.Get("channel"), PeriodFrom: form.Get("period_from"), PeriodTo: form.Get("period_to"), Note: form.Get("note")}
	if x, ok := parseDecimal(form.Get("median_hours")); ok {
		in.MedianHours = x
	} else {
		v.Add("median_hours", "validation.number_invalid")
	}
	if s := strings.TrimSpace(form.Get("within_target_pct")); s != "" {
		if x, ok := parseDecimal(s); ok {
			in.WithinTargetPct = &x
		} else {
			v.Add("within_target_pct", "validation.number_invalid")
		}
	}
	if s := strings.TrimSpace(form.Get("cases")); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			in.Cases = n
		} else {
			v.Add("cases", "validation.number_invalid")
		}
	}
	return in, v
}

// recorder is the signed-in account's id, if any.
func recorder(c *fiber.Ctx) *string {
	if a := page.Account(c); a != nil {
		id := a.ID
		return &id
	}
	return nil
}

// RecordMeasurement is POST /staff/measurements.
func (h *Handlers) RecordMeasurement(c *fiber.Ctx) error {
	form := page.Form(c)
	in, v := measurementForm(form)
	err := v.Err()
	if err == nil {
		_, err = h.store.Record(c.UserContext(), in, RecordedByForm, recorder(c))
	} else if sv := h.store.validateMeasurement(&in); sv != nil {
		for f, id := range sv.Fields {
			v.Add(f, id)
		}
	}
	if err != nil {
		errs, ferr := page.FieldErrors(c, err, "_")
		if ferr != nil {
			return ferr
		}
		return h.measurementsPage(c, fiber.StatusUnprocessableEntity, form, errs, nil)
	}
	page.Sess(c).Flash("policy_public.recorded")
	return c.Redirect("/staff/measurements", fiber.StatusSeeOther)
}

// csvProblems lists an import's problems line by line, in order.
func csvProblems(l *i18n.L, err error) ([]string, error) {
	var v *apperr.Validation
	if !errors.As(err, &v) {
		return nil, err
	}
	type problem struct {
		line int
		text string
	}
	var ps []problem
	for f, id := range v.Fields {
		if n, ok := strings.CutPrefix(f, "line "); ok {
			line, _ := strconv.Atoi(n)
			ps = append(ps, problem{line, l.T("policy_public.csv_line", "Line", line, "Problem", l.T(id))})
		} else {
			ps = append(ps, problem{0, l.T(id)})
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].line < ps[j].line })
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.text
	}
	return out, nil
}

// ImportMeasurements is POST /staff/measurements/import (multipart, "file").
func (h *Handlers) ImportMeasurements(c *fiber.Ctx) error {
	l := page.L(c)
	fh, err := c.FormFile("file")
	if err != nil {
		return h.measurementsPage(c, fiber.StatusUnprocessableEntity, url.Values{}, nil, []string{l.T("policy_public.csv_empty")})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := h.store.ImportCSV(c.UserContext(), f, recorder(c))
	if err != nil {
		problems, perr := csvProblems(l, err)
		if perr != nil {
			return perr
		}
		return h.measurementsPage(c, fiber.StatusUnprocessableEntity, url.Values{}, nil, problems)
	}
	_ = n
	page.Sess(c).Flash("policy_public.imported")
	return c.Redirect("/staff/measurements", fiber.StatusSeeOther)
}

// The JSON API.

type measurementJSON struct {
	ID              string    `json:"id"`
	Channel         string    `json:"channel"`
	PeriodFrom      string    `json:"period_from"`
	PeriodTo        string    `json:"period_to"`
	MedianHours     float64   `json:"median_hours"`
	WithinTargetPct *float64  `json:"within_target_pct"`
	Cases           int       `json:"cases"`
	Source          string    `json:"source"`
	Note            string    `json:"note"`
	CreatedAt       time.Time `json:"created_at"`
}

func measurementOut(m *models.ChannelMeasurement) measurementJSON {
	return measurementJSON{ID: m.ID, Channel: m.Channel, PeriodFrom: m.PeriodFrom, PeriodTo: m.PeriodTo, MedianHours: m.MedianHours,
		WithinTargetPct: m.WithinTargetPct, Cases: m.Cases, Source: m.Source, Note: m.Note, CreatedAt: m.CreatedAt.UTC()}
}

// APIRecordMeasurement is POST /api/v1/measurements: {channel,
// period_from, period_to, median_hours, within_target_pct?, cases?, note?}
// -> 201; a figure for the same channel and period replaces the first.
func (h *Handlers) APIRecordMeasurement(c *fiber.Ctx) error {
	var in MeasurementInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	m, err := h.store.Record(c.UserContext(), in, RecordedByAPI, recorder(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(measurementOut(m))
}

// APIImportMeasurements is POST /api/v1/measurements/import with a
// text/csv body -> {imported}; 422 with a field per wrong line ("line 3")
// and nothing stored when any line is wrong.
func (h *Handlers) APIImportMeasurements(c *fiber.Ctx) error {
	n, err := h.store.ImportCSV(c.UserContext(), bytes.NewReader(c.Body()), recorder(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"imported": n})
}

// APIMeasurements is GET /api/v1/measurements?channel=.
func (h *Handlers) APIMeasurements(c *fiber.Ctx) error {
	ch := c.Query("channel")
	if ch != "" && !KnownChannel(ch) {
		return apperr.Query(apperr.Invalid("channel", "policy.channel_invalid"))
	}
	rows, err := h.store.Measurements(c.UserContext(), ch)
	if err != nil {
		return err
	}
	out := make([]measurementJSON, len(rows))
	for i := range rows {
		out[i] = measurementOut(&rows[i])
	}
	return c.JSON(fiber.Map{"measurements": out})
}

type complianceDecisionJSON struct {
	Channel             string   `json:"channel"`
	ResponseTargetHours float64  `json:"response_target_hours"`
	ResponseTargetUnit  string   `json:"response_target_unit"`
	ResponseTargetDays  *float64 `json:"response_target_days,omitempty"`
	Source              string   `json:"source"`
	Months              []Month  `json:"months"`
}

// APICompliance is GET /api/v1/policies/{id}/compliance?months=: per
// promise of the latest published version, how it was kept month by month
// (public once published, 404 before).
func (h *Handlers) APICompliance(c *fiber.Ctx) error {
	months := ChartMonths
	if v := c.Query("months"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxMonths {
			return apperr.Query(apperr.Invalid("months", "policy_public.months_invalid"))
		}
		months = n
	}
	ctx := c.UserContext()
	p, err := h.store.Policy(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if p.Version == 0 {
		return apperr.ErrNotFound
	}
	snap, err := h.store.Version(ctx, p.ID, 0)
	if err != nil {
		return err
	}
	cal, err := h.store.Calendar(ctx)
	if err != nil {
		return err
	}
	out := []complianceDecisionJSON{}
	for _, d := range snap.Decisions {
		pr := d.Promise()
		if !pr.Set() || d.Handling == models.HandlingRouted {
			continue
		}
		ms, err := h.store.Compliance(ctx, d.Channel, pr, months)
		if err != nil {
			return err
		}
		src := SourceRecorded
		if h.store.Platform(d.Channel) {
			src = SourcePlatform
		}
		for i := range ms {
			ms[i].WithinPct, ms[i].MedianHours = pubRoundp(ms[i].WithinPct), pubRoundp(ms[i].MedianHours)
		}
		cd := complianceDecisionJSON{Channel: d.Channel, ResponseTargetHours: pr.HoursOn(cal), ResponseTargetUnit: pr.Unit, Source: src, Months: ms}
		if pr.Days() {
			cd.ResponseTargetDays = &pr.Value
		}
		out = append(out, cd)
	}
	return c.JSON(fiber.Map{"id": p.ID, "version": snap.Version, "decisions": out})
}
