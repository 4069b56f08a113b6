package policy

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/i18n"
	sharing "github.com/inspraak/inspraak/app/share"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// The public side of the channel policy: what citizens read at
// /policies/{id} ("how to reach us, for what, how fast"), each promise next
// to its measured service level and each decision next to the figures
// behind it, live. Only published versions are public: a policy that was
// never published is not found (staff read drafts on their own pages, and
// through the API with a staff token).

// LevelMonths is how many whole months before the current one the public
// service level covers; the current month so far counts too (see
// Store.ServiceLevel).
const LevelMonths = 3

// publicPolicy is a published version of a policy, resolved for one
// language: the page and the API are built from it.
type publicPolicy struct {
	Policy    *models.Policy
	Snap      *Snapshot
	Current   bool // the latest published version
	Versions  []models.PolicyVersion
	Calendar  Calendar
	LevelFrom time.Time // where the measured service levels start
	Lang      string
	Items     []publicDecision
}

type publicDecision struct {
	SnapshotDecision
	Name       string
	Evidence   []publicEvidence
	Level      *Level // nil: not measured (earlier versions, no promise)
	LevelError bool
}

type publicEvidence struct {
	SnapshotEvidence
	Label string
	Link  string
	// Figure is the figure shown: live for the current version, as
	// published for earlier ones (and when the source is gone or no
	// longer public, e.g. a survey whose results were withdrawn).
	Figure   Figure
	Live     bool
	Gone     bool
	Baseline float64 // the figure at publication of this version
}

// pubVersionParam reads ?version= (0: the latest).
func pubVersionParam(c *fiber.Ctx) (int, error) {
	v := c.Query("version")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, apperr.Query(apperr.Invalid("version", "policy_public.version_invalid"))
	}
	return n, nil
}

// loadPublic reads a published version of policy id and resolves it in lang.
func (h *Handlers) loadPublic(ctx context.Context, id string, n int, lang string) (*publicPolicy, error) {
	ctx = WithMemo(ctx) // a survey cited by several decisions is computed once
	p, err := h.store.Policy(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Version == 0 {
		return nil, apperr.ErrNotFound
	}
	snap, err := h.store.Version(ctx, id, n)
	if err != nil {
		return nil, err
	}
	vs, err := h.store.Versions(ctx, id)
	if err != nil {
		return nil, err
	}
	cal, err := h.store.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	pp := &publicPolicy{Policy: p, Snap: snap, Current: snap.Version == p.Version, Versions: vs, Calendar: cal, Lang: lang,
		LevelFrom: h.store.LevelFrom(LevelMonths)}
	for _, d := range snap.Decisions {
		item := publicDecision{SnapshotDecision: d, Name: d.ChannelName.In(lang)}
		if pr := d.Promise(); pp.Current && pr.Set() && d.Handling != models.HandlingRouted {
			lvl, err := h.store.ServiceLevel(ctx, d.Channel, pr, LevelMonths)
			if err != nil {
				return nil, err
			}
			item.Level = lvl
		}
		for _, e := range d.Evidence {
			pe := publicEvidence{SnapshotEvidence: e, Label: e.Label.In(lang), Baseline: e.Percent,
				Figure: Figure{Kind: e.Kind, Ref: e.Ref, Label: e.Label.In(lang), Percent: e.Percent, Low: e.Low, High: e.High, Base: e.Base}}
			if pp.Current {
				f, err := h.store.Figure(ctx, e.Kind, e.Ref, lang)
				switch {
				case errors.Is(err, apperr.ErrNotFound):
					pe.Gone = true
				case err != nil:
					return nil, err
				case f.NotPublic != "":
					// Withdrawn from the public: the figure as published,
					// without its distribution.
				default:
					pe.Figure, pe.Live, pe.Label, pe.Link = *f, true, f.Label, f.Link
				}
			}
			item.Evidence = append(item.Evidence, pe)
		}
		pp.Items = append(pp.Items, item)
	}
	return pp, nil
}

// pubChannelName is a decision's channel as citizens read it.
func pubChannelName(l *i18n.L, channel, custom string) string {
	if custom != "" {
		return custom
	}
	return l.TOr("policy.channel_"+channel, channel)
}

// pubNumber formats x without decimals when it has none.
func pubNumber(l *i18n.L, x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return l.Number(int64(x))
	}
	return l.Number(x)
}

// pubFigure is a figure with its margin and base, e.g. "61.2% (95%
// interval 58.1–64.2%, 1,104 respondents)".
func pubFigure(l *i18n.L, f Figure) string {
	switch f.Kind {
	case KindTownHall:
		return l.T("policy_public.figure_townhall", "Percent", l.Percent(f.Percent), "Base", pubNumber(l, f.Base))
	case KindConsultation:
		return l.T("policy_public.figure_consultation", "Percent", l.Percent(f.Percent), "Base", pubNumber(l, f.Base))
	}
	if f.Weighted {
		return l.T("policy_public.figure_weighted", "Percent", l.Percent(f.Percent), "Low", l.Number(f.Low), "High", l.Percent(f.High),
			"Base", l.Number(math.Round(f.Base)))
	}
	return l.T("policy_public.figure_survey", "Percent", l.Percent(f.Percent), "Low", l.Number(f.Low), "High", l.Percent(f.High),
		"Base", pubNumber(l, math.Round(f.Base)))
}

// pubWeekdays names the calendar's working days, Monday first: a range
// ("Monday to Friday") when they follow each other.
func pubWeekdays(l *i18n.L, c Calendar) string {
	var days []int
	for iso := 1; iso <= 7; iso++ {
		if c.Weekdays[iso%7] {
			days = append(days, iso)
		}
	}
	name := func(iso int) string { return l.T("policy_public.day_" + strconv.Itoa(iso)) }
	if n := len(days); n >= 3 && days[n-1]-days[0] == n-1 {
		return l.T("policy_public.days_range", "From", name(days[0]), "To", name(days[n-1]))
	}
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = name(d)
	}
	return strings.Join(names, ", ")
}

func pubClock(m int) string {
	return strconv.Itoa(m/60/10) + strconv.Itoa(m/60%10) + ":" + strconv.Itoa(m%60/10) + strconv.Itoa(m%10)
}

// pubPeriod is a policy's period in words.
func (h *Handlers) pubPeriod(l *i18n.L, from, to string) string {
	a, errA := time.ParseInLocation(time.DateOnly, from, h.zone)
	b, errB := time.ParseInLocation(time.DateOnly, to, h.zone)
	if errA != nil || errB != nil {
		return from + " – " + to
	}
	return l.T("policy_public.period", "From", l.Date(a.Add(12*time.Hour)), "To", l.Date(b.Add(12*time.Hour)))
}

// Views for the templates.

// pubText is staff-written text in the page's language or, when it is not
// written in it, in the first language that has it (Lang then names that
// language, for a lang attribute).
type pubText struct{ S, Lang string }

func pubIn(t models.Text, lang string) pubText {
	if v := t[lang]; v != "" {
		return pubText{S: v}
	}
	for _, l := range config.Languages {
		if v := t[l]; v != "" {
			return pubText{S: v, Lang: l}
		}
	}
	return pubText{}
}

type pubLevelView struct {
	Text  string // "87.5% answered within the promise, median 5.2 working hours (24 cases)"
	Empty bool
}

type pubStatView struct{ Label, Value string }

type pubEvidenceView struct {
	Label, Link, Figure string
	Live, Gone          bool
	Published           string // the figure at publication, when it differs
	Shares              []Share
	Stats               []pubStatView
}

type pubDecisionView struct {
	Channel, Handling, Owner string
	Name                     pubText
	Purposes                 []string
	Promise                  string
	RoutedTo, Hours, Tone    pubText
	Text                     pubText
	Level                    *pubLevelView
	Evidence                 []pubEvidenceView
}

type pubVersionView struct {
	Version   int
	Date, URL string
	Shown     bool
	Current   bool
}

func (h *Handlers) publicViews(l *i18n.L, pp *publicPolicy) []pubDecisionView {
	lang := l.Lang
	out := make([]pubDecisionView, 0, len(pp.Items))
	for _, it := range pp.Items {
		v := pubDecisionView{Channel: it.Channel, Name: pubIn(it.ChannelName, lang), Handling: it.Handling,
			RoutedTo: pubIn(it.RoutedTo, lang), Hours: pubIn(it.Hours, lang), Owner: it.Owner, Tone: pubIn(it.Tone, lang), Text: pubIn(it.Text, lang)}
		if v.Name.S == "" {
			v.Name = pubText{S: pubChannelName(l, it.Channel, "")}
		}
		for _, p := range it.Purposes {
			v.Purposes = append(v.Purposes, l.TOr("policy.purpose_"+p, p))
		}
		v.Promise = PromiseText(l, it.Promise())
		if lv := it.Level; lv != nil {
			v.Level = &pubLevelView{Empty: lv.Cases == 0}
			cases := l.Number(lv.Cases)
			switch {
			case lv.Cases == 0:
				v.Level.Text = l.T("policy_public.level_none", "From", l.Date(lv.From))
			case lv.WithinPct != nil && lv.MedianHours != nil:
				v.Level.Text = l.T("policy_public.level", "Cases", cases, "Percent", l.Percent(*lv.WithinPct), "Median", l.Number(*lv.MedianHours))
			case lv.WithinPct != nil:
				v.Level.Text = l.T("policy_public.level_no_median", "Cases", cases, "Percent", l.Percent(*lv.WithinPct))
			case lv.MedianHours != nil:
				v.Level.Text = l.T("policy_public.level_median_only", "Cases", cases, "Median", l.Number(*lv.MedianHours))
			default:
				v.Level.Text = l.T("policy_public.level_cases_only", "Cases", cases)
			}
		}
		for _, e := range it.Evidence {
			ev := pubEvidenceView{Label: e.Label, Link: e.Link, Figure: pubFigure(l, e.Figure), Live: e.Live, Gone: e.Gone}
			if e.Live && math.Abs(e.Figure.Percent-e.Baseline) >= 0.05 {
				ev.Published = l.Percent(e.Baseline)
			}
			if e.Live {
				ev.Shares = e.Figure.Shares
				for _, st := range e.Figure.Stats {
					ev.Stats = append(ev.Stats, pubStatView{Label: l.T(st.Key), Value: pubNumber(l, math.Round(st.Value))})
				}
			}
			v.Evidence = append(v.Evidence, ev)
		}
		out = append(out, v)
	}
	return out
}

// PublicList is GET /policies: the published channel policies, each as
// its latest published version says (never the draft).
func (h *Handlers) PublicList(c *fiber.Ctx) error {
	pols, err := h.store.PublishedVersions(c.UserContext())
	if err != nil {
		return err
	}
	l := page.L(c)
	type item struct {
		ID, Title, Period, Published string
		Version                      int
	}
	items := make([]item, 0, len(pols))
	for _, p := range pols {
		items = append(items, item{ID: p.ID, Title: pubIn(p.Snap.Title, l.Lang).S, Period: h.pubPeriod(l, p.Snap.PeriodFrom, p.Snap.PeriodTo),
			Version: p.Snap.Version, Published: l.Date(p.Snap.PublishedAt)})
	}
	return h.render.Render(c, fiber.StatusOK, "policy/public_list", fiber.Map{"Policies": items})
}

// PublicShow is GET /policies/{id}: the latest published version, or
// ?version=N, in the citizen's language.
func (h *Handlers) PublicShow(c *fiber.Ctx) error {
	n, err := pubVersionParam(c)
	if err != nil {
		return err
	}
	l := page.L(c)
	pp, err := h.loadPublic(c.UserContext(), c.Params("id"), n, l.Lang)
	if err != nil {
		return err
	}
	id := pp.Policy.ID
	title := pubIn(pp.Snap.Title, l.Lang)
	var versions []pubVersionView
	for _, v := range pp.Versions {
		url := "/policies/" + id
		if v.Version != pp.Policy.Version {
			url += "?version=" + strconv.Itoa(v.Version)
		}
		versions = append(versions, pubVersionView{Version: v.Version, Date: l.Date(v.PublishedAt), URL: url,
			Shown: v.Version == pp.Snap.Version, Current: v.Version == pp.Policy.Version})
	}
	intro := pubIn(pp.Snap.Intro, l.Lang)
	desc := strings.Join(strings.Fields(intro.S), " ")
	if r := []rune(desc); len(r) > 200 {
		desc = string(r[:199]) + "…"
	}
	cal := pp.Calendar
	return h.render.Render(c, fiber.StatusOK, "policy/public", fiber.Map{
		"ID": id, "Title": title, "Intro": intro, "Period": h.pubPeriod(l, pp.Snap.PeriodFrom, pp.Snap.PeriodTo),
		"Version": pp.Snap.Version, "Latest": pp.Policy.Version, "Current": pp.Current, "PublishedOn": l.Date(pp.Snap.PublishedAt),
		"Versions": versions, "Decisions": h.publicViews(l, pp), "LevelFrom": l.Date(pp.LevelFrom),
		"WorkingDays": pubWeekdays(l, cal), "Opens": pubClock(cal.Opens), "Closes": pubClock(cal.Closes),
		"DayHours": pubNumber(l, cal.DayHours()),
		"OG":       sharing.OG{Title: title.S, Description: desc, URL: h.baseURL + "/policies/" + id + "?lang=" + l.Lang, Locale: sharing.OGLocale(l.Lang)},
	})
}

// The public JSON API.

type publicShareJSON struct {
	Label   string  `json:"label"`
	Percent float64 `json:"percent"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
}

type publicEvidenceJSON struct {
	Kind     string   `json:"kind"`
	Ref      string   `json:"ref"`
	Label    string   `json:"label"`
	Link     string   `json:"link,omitempty"`
	Percent  float64  `json:"percent"`
	Low      float64  `json:"low"`
	High     float64  `json:"high"`
	Base     float64  `json:"base"`
	Weighted bool     `json:"weighted"`
	Baseline *float64 `json:"baseline"`
	Live     bool     `json:"live"`
	// Staff reading a draft: whether the live figure moved more than the
	// threshold from the published one, and why it is not public.
	Moved     *bool              `json:"moved,omitempty"`
	NotPublic string             `json:"not_public,omitempty"`
	Shares    []publicShareJSON  `json:"shares,omitempty"`
	Stats     map[string]float64 `json:"stats,omitempty"`
}

type publicLevelJSON struct {
	Months      int      `json:"months"`
	From        string   `json:"from"`
	WithinPct   *float64 `json:"within_target_pct"`
	MedianHours *float64 `json:"median_hours"`
	Cases       int      `json:"cases"`
}

type publicDecisionJSON struct {
	Channel             string               `json:"channel"`
	ChannelName         models.Text          `json:"channel_name"`
	ChannelLabel        string               `json:"channel_label"`
	Purposes            []string             `json:"purposes"`
	Handling            string               `json:"handling"`
	RoutedTo            models.Text          `json:"routed_to"`
	ResponseTargetHours *float64             `json:"response_target_hours"`
	ResponseTargetUnit  string               `json:"response_target_unit,omitempty"`
	ResponseTargetDays  *float64             `json:"response_target_days,omitempty"`
	Hours               models.Text          `json:"hours"`
	Owner               string               `json:"owner"`
	Tone                models.Text          `json:"tone"`
	Text                models.Text          `json:"text"`
	Evidence            []publicEvidenceJSON `json:"evidence"`
	ServiceLevel        *publicLevelJSON     `json:"service_level"`
}

type publicVersionJSON struct {
	Version     int       `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	URL         string    `json:"url"`
}

type publicPolicyJSON struct {
	ID          string               `json:"id"`
	Status      string               `json:"status"` // "published", or "draft" (staff)
	Version     int                  `json:"version"`
	Latest      int                  `json:"latest_version"`
	PublishedAt *time.Time           `json:"published_at"`
	Title       models.Text          `json:"title"`
	Intro       models.Text          `json:"intro"`
	Period      string               `json:"period"`
	URL         string               `json:"url"`
	Decisions   []publicDecisionJSON `json:"decisions,omitempty"`
	Versions    []publicVersionJSON  `json:"versions,omitempty"`
}

// pubRound rounds to two decimals for JSON.
func pubRound(x float64) float64 { return math.Round(x*100) / 100 }

func pubRoundp(x *float64) *float64 {
	if x == nil {
		return nil
	}
	v := pubRound(*x)
	return &v
}

// APIPublicList is GET /api/v1/policies: the published policies, each as
// its latest published version says.
func (h *Handlers) APIPublicList(c *fiber.Ctx) error {
	pols, err := h.store.PublishedVersions(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]publicPolicyJSON, 0, len(pols))
	for _, p := range pols {
		at := p.Snap.PublishedAt.UTC()
		out = append(out, publicPolicyJSON{ID: p.ID, Status: StatusPublished, Version: p.Snap.Version, Latest: p.Snap.Version, PublishedAt: &at,
			Title: orEmpty(p.Snap.Title), Intro: orEmpty(p.Snap.Intro), Period: p.Snap.PeriodFrom + "/" + p.Snap.PeriodTo, URL: h.baseURL + "/policies/" + p.ID})
	}
	return c.JSON(fiber.Map{"policies": out})
}

// What the API says a policy is.
const (
	StatusPublished = "published" // as published, or a draft without changes since
	StatusDraft     = "draft"     // never published, or changed since
)

// promiseJSON fills a decision's promise: as written, and in working hours
// (for a promise in days, what it comes to on the working day it was
// published with, or for a draft on today's).
func (d *publicDecisionJSON) promiseJSON(p Promise, hours float64) {
	if !p.Set() {
		return
	}
	if p.Days() {
		v := p.Value
		d.ResponseTargetDays = &v
	}
	d.ResponseTargetHours, d.ResponseTargetUnit = &hours, p.Unit
}

func levelJSON(lv *Level) *publicLevelJSON {
	if lv == nil {
		return nil
	}
	return &publicLevelJSON{Months: lv.Months, From: lv.From.Format(time.DateOnly), WithinPct: pubRoundp(lv.WithinPct),
		MedianHours: pubRoundp(lv.MedianHours), Cases: lv.Cases}
}

// figureJSON fills an evidence's figure.
func (ej *publicEvidenceJSON) figureJSON(f Figure) {
	ej.Percent, ej.Low, ej.High, ej.Base, ej.Weighted = pubRound(f.Percent), pubRound(f.Low), pubRound(f.High), pubRound(f.Base), f.Weighted
	for _, sh := range f.Shares {
		ej.Shares = append(ej.Shares, publicShareJSON{Label: sh.Label, Percent: pubRound(sh.Percent), Low: pubRound(sh.Low), High: pubRound(sh.High)})
	}
	if len(f.Stats) > 0 {
		ej.Stats = map[string]float64{}
		for _, st := range f.Stats {
			ej.Stats[strings.TrimPrefix(st.Key, "policy_public.stat_")] = pubRound(st.Value)
		}
	}
}

// staffCaller tells whether the caller may read drafts.
func staffCaller(c *fiber.Ctx) bool {
	a := page.Account(c)
	return a != nil && (a.Role == models.RoleStaff || a.Role == models.RoleAdmin)
}

// APIPublicGet is GET /api/v1/policies/{id}: a published version (the
// latest, or ?version=N) with its evidence's figures (live for the latest,
// as published for earlier ones) and the measured service level next to
// each promise; 404 while never published. Staff without ?version read
// the draft instead (see apiDraft).
func (h *Handlers) APIPublicGet(c *fiber.Ctx) error {
	n, err := pubVersionParam(c)
	if err != nil {
		return err
	}
	if n == 0 && staffCaller(c) {
		return h.apiDraft(c)
	}
	l := page.L(c)
	pp, err := h.loadPublic(c.UserContext(), c.Params("id"), n, l.Lang)
	if err != nil {
		return err
	}
	s := pp.Snap
	at := s.PublishedAt.UTC()
	out := publicPolicyJSON{ID: pp.Policy.ID, Status: StatusPublished, Version: s.Version, Latest: pp.Policy.Version, PublishedAt: &at,
		Title: orEmpty(s.Title), Intro: orEmpty(s.Intro), Period: s.PeriodFrom + "/" + s.PeriodTo,
		URL: h.baseURL + "/policies/" + pp.Policy.ID + "?version=" + strconv.Itoa(s.Version), Decisions: []publicDecisionJSON{}}
	for _, it := range pp.Items {
		d := publicDecisionJSON{Channel: it.Channel, ChannelName: orEmpty(it.ChannelName), ChannelLabel: pubChannelName(l, it.Channel, it.Name),
			Purposes: it.Purposes, Handling: it.Handling, RoutedTo: orEmpty(it.RoutedTo),
			Hours: orEmpty(it.Hours), Owner: it.Owner, Tone: orEmpty(it.Tone), Text: orEmpty(it.Text), Evidence: []publicEvidenceJSON{},
			ServiceLevel: levelJSON(it.Level)}
		if d.Purposes == nil {
			d.Purposes = []string{}
		}
		if it.ResponseTargetHours != nil {
			d.promiseJSON(it.Promise(), *it.ResponseTargetHours)
		}
		for _, e := range it.Evidence {
			baseline := pubRound(e.Baseline)
			ej := publicEvidenceJSON{Kind: e.Kind, Ref: e.Ref, Label: e.Label, Link: e.Link, Baseline: &baseline, Live: e.Live}
			f := e.Figure
			if !e.Live {
				f.Shares, f.Stats = nil, nil
			}
			ej.figureJSON(f)
			d.Evidence = append(d.Evidence, ej)
		}
		out.Decisions = append(out.Decisions, d)
	}
	for _, v := range pp.Versions {
		out.Versions = append(out.Versions, publicVersionJSON{Version: v.Version, PublishedAt: v.PublishedAt.UTC(),
			URL: h.baseURL + "/policies/" + pp.Policy.ID + "?version=" + strconv.Itoa(v.Version)})
	}
	return c.JSON(out)
}

// apiDraft is GET /api/v1/policies/{id} for staff: the policy as it stands
// in the draft ("status": "draft" when it was never published or changed
// since, else "published"), each cited figure live next to the one the
// latest published version shows ("baseline", null when that version does
// not cite it) and whether it moved more than the threshold, and each
// promise's service level.
func (h *Handlers) apiDraft(c *fiber.Ctx) error {
	ctx := WithMemo(c.UserContext())
	l := page.L(c)
	p, err := h.store.Policy(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	ds, err := h.store.Decisions(ctx, p.ID)
	if err != nil {
		return err
	}
	vs, err := h.store.Versions(ctx, p.ID)
	if err != nil {
		return err
	}
	cal, err := h.store.Calendar(ctx)
	if err != nil {
		return err
	}
	out := publicPolicyJSON{ID: p.ID, Status: StatusDraft, Version: p.Version, Latest: p.Version, Title: orEmpty(p.Title), Intro: orEmpty(p.Intro),
		Period: p.PeriodFrom + "/" + p.PeriodTo, URL: h.baseURL + "/policies/" + p.ID, Decisions: []publicDecisionJSON{}, Versions: []publicVersionJSON{}}
	if p.Version > 0 && p.PublishedAt != nil {
		at := p.PublishedAt.UTC()
		out.PublishedAt = &at
		if !p.UpdatedAt.After(*p.PublishedAt) {
			out.Status = StatusPublished
		}
	}
	for _, d := range ds {
		dj := publicDecisionJSON{Channel: d.Channel, ChannelName: orEmpty(d.ChannelName), ChannelLabel: staffChannelLabel(l, d.Channel, d.ChannelName),
			Purposes: d.Purposes, Handling: d.Handling, RoutedTo: orEmpty(d.RoutedTo), Hours: orEmpty(d.StaffedHours), Owner: d.Owner,
			Tone: orEmpty(d.Tone), Text: orEmpty(d.Text), Evidence: []publicEvidenceJSON{}}
		if dj.Purposes == nil {
			dj.Purposes = []string{}
		}
		pr := decisionPromise(&d.PolicyDecision)
		dj.promiseJSON(pr, pr.HoursOn(cal))
		if pr.Set() && d.Handling != models.HandlingRouted {
			lvl, err := h.store.ServiceLevel(ctx, d.Channel, pr, LevelMonths)
			if err != nil {
				return err
			}
			dj.ServiceLevel = levelJSON(lvl)
		}
		for _, e := range d.Evidence {
			ej := publicEvidenceJSON{Kind: e.Kind, Ref: e.Ref, Label: staffKindLabel(l, e.Kind), Baseline: pubRoundp(e.Baseline)}
			moved := false
			f, err := h.store.Figure(ctx, e.Kind, e.Ref, l.Lang)
			switch {
			case errors.Is(err, apperr.ErrNotFound):
			case err != nil:
				return err
			default:
				ej.Label, ej.Link, ej.Live, ej.NotPublic = f.Label, f.Link, true, f.NotPublic
				ej.figureJSON(*f)
				moved = Moved(e.Baseline, f, p.Threshold)
			}
			ej.Moved = &moved
			dj.Evidence = append(dj.Evidence, ej)
		}
		out.Decisions = append(out.Decisions, dj)
	}
	for _, v := range vs {
		out.Versions = append(out.Versions, publicVersionJSON{Version: v.Version, PublishedAt: v.PublishedAt.UTC(),
			URL: h.baseURL + "/policies/" + p.ID + "?version=" + strconv.Itoa(v.Version)})
	}
	return c.JSON(out)
}
