package policy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// Staff pages: the list of policies, a policy's settings with its
// decisions, evidence and versions, the decision form and the working
// calendar. Everything works with plain forms: post, redirect, render; a
// refused form comes back with the messages next to their fields and
// nothing stored.

// evidenceRows is how many evidence rows the decision form offers (more
// when a decision, made through the API, already cites more).
const evidenceRows = 5

// staffChoice is an option of a select, a radio or a checkbox.
type staffChoice struct{ Key, Label, Hint string }

// staffChannelLabel names a channel in the page's language: built-in
// channels from the locale, custom ones by the names staff gave them.
func staffChannelLabel(l *i18n.L, ch string, name models.Text) string {
	if Custom(ch) {
		if n := name.In(l.Lang); n != "" {
			return n
		}
		return strings.TrimPrefix(ch, "custom-")
	}
	return l.TOr(fmt.Sprintf("policy.channel_%s", ch), ch)
}

func staffPurposeLabel(l *i18n.L, p string) string {
	return l.TOr(fmt.Sprintf("policy.purpose_%s", p), p)
}

func staffKindLabel(l *i18n.L, k string) string { return l.TOr(fmt.Sprintf("policy.kind_%s", k), k) }

// staffNumber formats a number for people: whole numbers without decimals.
func staffNumber(l *i18n.L, v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e12 {
		return l.Number(int64(v))
	}
	return l.Number(v)
}

// staffFormNumber writes a number into a form field.
func staffFormNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// staffParseNumber reads a number typed into a form ("1,5" or "1.5"); NaN
// when it is none, which the store refuses.
func staffParseNumber(s string) float64 {
	v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", "."), 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// staffTarget says an answer-time promise as staff wrote it: in working
// days or in working hours. (The singular is chosen here, as da, nl and en
// agree on it for whole numbers.)
func staffTarget(l *i18n.L, p Promise) string {
	switch {
	case !p.Set():
		return ""
	case p.Days() && p.Value == 1:
		return l.T("policy.target_day_1")
	case p.Days():
		return l.T("policy.target_days", "Days", staffNumber(l, p.Value))
	case p.Value == 1:
		return l.T("policy.target_hour_1")
	}
	return l.T("policy.target_hours", "Hours", staffNumber(l, p.Value))
}

// calClock writes minutes after midnight as "08:00".
func calClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// isoWeekdays lists the calendar's working weekdays, Monday 1 … Sunday 7.
func isoWeekdays(c Calendar) []int {
	out := []int{}
	for d := 1; d <= 7; d++ {
		if c.Weekdays[d%7] {
			out = append(out, d)
		}
	}
	return out
}

// staffErrors turns a refused form's error into messages by field; an
// error that is not about fields becomes the form's message.
func staffErrors(c *fiber.Ctx, err error, messageID string) map[string]string {
	errs, lerr := page.FieldErrors(c, err, "_")
	if lerr != nil {
		return map[string]string{"form": page.L(c).T(messageID)}
	}
	return errs
}

func (h *Handlers) date(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, s, h.zone)
	return t, err == nil
}

// period says a policy's period as dates in the page's language.
func (h *Handlers) period(l *i18n.L, p *models.Policy) string {
	a, ok1 := h.date(p.PeriodFrom)
	b, ok2 := h.date(p.PeriodTo)
	if !ok1 || !ok2 {
		return p.PeriodFrom + " – " + p.PeriodTo
	}
	return l.Date(a) + " – " + l.Date(b)
}

// ---- the list of policies and the policy form ----

type staffPolicyRow struct {
	ID, Title, Period, State, Changed string
	Published, Pending                bool
}

// StaffList lists the policies.
func (h *Handlers) StaffList(c *fiber.Ctx) error {
	ps, err := h.store.Policies(c.UserContext())
	if err != nil {
		return err
	}
	l := page.L(c)
	rows := make([]staffPolicyRow, len(ps))
	for i := range ps {
		p := &ps[i]
		r := staffPolicyRow{ID: p.ID, Title: p.Title.In(l.Lang), Period: h.period(l, p), Changed: l.DateTime(p.UpdatedAt)}
		if p.Version > 0 && p.PublishedAt != nil {
			r.Published = true
			r.State = l.T("policy.state_published", "Version", p.Version, "Date", l.Date(*p.PublishedAt))
			r.Pending = p.UpdatedAt.After(*p.PublishedAt)
		} else {
			r.State = l.T("policy.state_draft")
		}
		rows[i] = r
	}
	return h.render.Render(c, fiber.StatusOK, "policy/staff_list", fiber.Map{"Rows": rows})
}

// StaffNew is the form for a new policy: next year, threshold 5 points.
func (h *Handlers) StaffNew(c *fiber.Ctx) error {
	y := h.store.Now().In(h.zone).Year() + 1
	form := url.Values{"period_from": {fmt.Sprintf("%d-01-01", y)}, "period_to": {fmt.Sprintf("%d-12-31", y)}, "threshold": {"5"}}
	return h.staffEdit(c, fiber.StatusOK, nil, form, nil)
}

// policyInput reads the policy form.
func policyInput(form url.Values) PolicyInput {
	in := PolicyInput{Title: page.TextFrom(form, "title", "_", config.Languages), Intro: page.TextFrom(form, "intro", "_", config.Languages),
		Period: strings.TrimSpace(form.Get("period_from")) + "/" + strings.TrimSpace(form.Get("period_to"))}
	if t := strings.TrimSpace(form.Get("threshold")); t != "" {
		v := staffParseNumber(t)
		in.Threshold = &v
	}
	return in
}

// policyForm fills the policy form from a policy.
func policyForm(p *models.Policy) url.Values {
	f := url.Values{"period_from": {p.PeriodFrom}, "period_to": {p.PeriodTo}, "threshold": {staffFormNumber(p.Threshold)}}
	for _, l := range config.Languages {
		f.Set("title_"+l, p.Title[l])
		f.Set("intro_"+l, p.Intro[l])
	}
	return f
}

// StaffCreate starts a draft policy from the form.
func (h *Handlers) StaffCreate(c *fiber.Ctx) error {
	form := page.Form(c)
	p, err := h.store.CreatePolicy(c.UserContext(), policyInput(form), staffAccountID(c))
	if err != nil {
		return &apperr.OnPage{Err: err, Show: func(status int, messageID string) error {
			return h.staffEdit(c, status, nil, form, staffErrors(c, err, messageID))
		}}
	}
	page.Sess(c).Flash("policy.created")
	return c.Redirect("/staff/policies/"+p.ID, fiber.StatusSeeOther)
}

// StaffEdit is a policy's page: its settings, decisions and versions.
func (h *Handlers) StaffEdit(c *fiber.Ctx) error {
	p, err := h.store.Policy(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.staffEdit(c, fiber.StatusOK, p, policyForm(p), nil)
}

// StaffSave saves a policy's settings.
func (h *Handlers) StaffSave(c *fiber.Ctx) error {
	p, err := h.store.Policy(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	form := page.Form(c)
	if err := h.store.UpdatePolicy(c.UserContext(), p.ID, policyInput(form)); err != nil {
		return &apperr.OnPage{Err: err, Show: func(status int, messageID string) error {
			return h.staffEdit(c, status, p, form, staffErrors(c, err, messageID))
		}}
	}
	page.Sess(c).Flash("policy.saved")
	return c.Redirect("/staff/policies/"+p.ID, fiber.StatusSeeOther)
}

// StaffPublish publishes the policy's decisions as its next version.
func (h *Handlers) StaffPublish(c *fiber.Ctx) error {
	p, err := h.store.Policy(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if _, err := h.store.Publish(c.UserContext(), p.ID, staffAccountID(c)); err != nil {
		return &apperr.OnPage{Err: err, Show: func(status int, messageID string) error {
			errs := staffErrors(c, err, messageID)
			keys := make([]string, 0, len(errs))
			for k := range errs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			msgs := make([]string, len(keys))
			for i, k := range keys {
				msgs[i] = errs[k]
			}
			return h.staffEdit(c, status, p, policyForm(p), map[string]string{"publish": strings.Join(msgs, " ")})
		}}
	}
	page.Sess(c).Flash("policy.published")
	return c.Redirect("/staff/policies/"+p.ID+"#versions", fiber.StatusSeeOther)
}

type staffEvidenceView struct {
	Kind, Ref, Label, Link, Figure, Baseline string
	Moved, NotPublic                         bool
}

type staffDecisionView struct {
	ID, Channel, Handling, RoutedTo, Target, Hours, Owner, Tone, Text string
	Custom                                                            bool
	Purposes                                                          []string
	Evidence                                                          []staffEvidenceView
}

type staffVersionView struct {
	Version         int
	PublishedAt     string
	URL, PublicLink string
}

// decisionViews shows a policy's decisions with their evidence's current
// figures and whether each has moved from its baseline, the figure the
// latest published version shows.
func (h *Handlers) decisionViews(ctx context.Context, l *i18n.L, p *models.Policy) ([]staffDecisionView, error) {
	ds, err := h.store.Decisions(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	out := make([]staffDecisionView, len(ds))
	for i, d := range ds {
		v := staffDecisionView{ID: d.ID, Channel: staffChannelLabel(l, d.Channel, d.ChannelName), Custom: Custom(d.Channel), Handling: d.Handling,
			RoutedTo: d.RoutedTo.In(l.Lang), Target: staffTarget(l, decisionPromise(&d.PolicyDecision)), Hours: d.StaffedHours.In(l.Lang),
			Owner: d.Owner, Tone: d.Tone.In(l.Lang), Text: d.Text.In(l.Lang)}
		for _, pp := range d.Purposes {
			v.Purposes = append(v.Purposes, staffPurposeLabel(l, pp))
		}
		for _, e := range d.Evidence {
			ev := staffEvidenceView{Kind: staffKindLabel(l, e.Kind), Ref: e.Ref, Figure: "–"}
			f, err := h.store.Figure(ctx, e.Kind, e.Ref, l.Lang)
			if err == nil && f != nil {
				ev.Label, ev.Link, ev.Figure = f.Label, f.Link, l.Percent(f.Percent)
				ev.Moved, ev.NotPublic = Moved(e.Baseline, f, p.Threshold), f.NotPublic != ""
			}
			if e.Baseline != nil {
				ev.Baseline = l.Percent(*e.Baseline)
			}
			v.Evidence = append(v.Evidence, ev)
		}
		out[i] = v
	}
	return out, nil
}

// staffEdit renders the policy page (p nil: the form for a new policy).
func (h *Handlers) staffEdit(c *fiber.Ctx, status int, p *models.Policy, form url.Values, errs map[string]string) error {
	l := page.L(c)
	data := fiber.Map{"Form": form, "Errors": errs, "Languages": config.Languages}
	if p == nil {
		return h.render.Render(c, status, "policy/staff_edit", data)
	}
	ctx := WithMemo(c.UserContext())
	cal, err := h.store.Calendar(ctx)
	if err != nil {
		return err
	}
	ds, err := h.decisionViews(ctx, l, p)
	if err != nil {
		return err
	}
	vs, err := h.store.Versions(ctx, p.ID)
	if err != nil {
		return err
	}
	versions := make([]staffVersionView, len(vs))
	for i, v := range vs {
		u := "/policies/" + p.ID + "?version=" + strconv.Itoa(v.Version)
		versions[i] = staffVersionView{Version: v.Version, PublishedAt: l.DateTime(v.PublishedAt), URL: u, PublicLink: h.baseURL + u}
	}
	title := p.Title.In(l.Lang)
	state := l.T("policy.state_draft")
	if p.Version > 0 && p.PublishedAt != nil {
		state = l.T("policy.state_published", "Version", p.Version, "Date", l.Date(*p.PublishedAt))
	}
	data["P"], data["Title"], data["State"], data["Decisions"], data["Versions"] = p, title, state, ds, versions
	data["NextVersion"], data["Threshold"] = p.Version+1, staffNumber(l, p.Threshold)
	data["PublicURL"] = h.baseURL + "/policies/" + p.ID
	data["DayHours"] = staffNumber(l, cal.DayHours())
	return h.render.Render(c, status, "policy/staff_edit", data)
}

// ---- decisions ----

// decisionInput reads the decision form: a custom channel is "custom-"
// and its slug; the promise is a number of working hours or of working
// days, kept as written; empty evidence rows are left out, and rows says
// which form row each cited figure came from.
func decisionInput(form url.Values) (DecisionInput, []int) {
	langs := config.Languages
	ch := strings.TrimSpace(form.Get("channel"))
	in := DecisionInput{Purposes: append([]string(nil), form["purposes"]...), Handling: form.Get("handling"),
		RoutedTo: page.TextFrom(form, "routed_to", "_", langs), Hours: page.TextFrom(form, "hours", "_", langs), Owner: form.Get("owner"),
		Tone: page.TextFrom(form, "tone", "_", langs), Text: page.TextFrom(form, "text", "_", langs)}
	if ch == "custom" {
		ch = "custom-" + strings.ToLower(strings.TrimSpace(form.Get("custom_slug")))
		in.ChannelName = page.TextFrom(form, "channel_name", "_", langs)
	}
	in.Channel = ch
	if v := strings.TrimSpace(form.Get("target_value")); v != "" {
		n := staffParseNumber(v)
		switch form.Get("target_unit") {
		case models.PromiseDays:
			in.ResponseTargetDays = &n
		case models.PromiseHours:
			in.ResponseTargetHours = &n
		default:
			n = math.NaN() // refused by the store
			in.ResponseTargetHours = &n
		}
	}
	var rows []int
	for i := 0; i < formRows(form); i++ {
		kind := strings.TrimSpace(form.Get(fmt.Sprintf("evidence_%d_kind", i)))
		ref := strings.TrimSpace(form.Get(fmt.Sprintf("evidence_%d_ref", i)))
		if kind == "" && ref == "" {
			continue
		}
		in.Evidence = append(in.Evidence, EvidenceInput{Kind: kind, Ref: ref})
		rows = append(rows, i)
	}
	return in, rows
}

// formRows is how many evidence rows a posted form holds (at least
// evidenceRows, at most 20).
func formRows(form url.Values) int {
	n := evidenceRows
	for i := n; i < 20; i++ {
		if form.Has(fmt.Sprintf("evidence_%d_kind", i)) || form.Has(fmt.Sprintf("evidence_%d_ref", i)) {
			n = i + 1
		}
	}
	return n
}

// decisionForm fills the decision form from a decision.
func decisionForm(d *Decision) url.Values {
	f := url.Values{"decision_id": {d.ID}, "handling": {d.Handling}, "owner": {d.Owner}, "target_unit": {models.PromiseDays}}
	if Custom(d.Channel) {
		f.Set("channel", "custom")
		f.Set("custom_slug", strings.TrimPrefix(d.Channel, "custom-"))
	} else {
		f.Set("channel", d.Channel)
	}
	for _, l := range config.Languages {
		f.Set("channel_name_"+l, d.ChannelName[l])
		f.Set("routed_to_"+l, d.RoutedTo[l])
		f.Set("hours_"+l, d.StaffedHours[l])
		f.Set("tone_"+l, d.Tone[l])
		f.Set("text_"+l, d.Text[l])
	}
	f["purposes"] = append([]string(nil), d.Purposes...)
	if pr := decisionPromise(&d.PolicyDecision); pr.Set() {
		f.Set("target_value", staffFormNumber(pr.Value))
		f.Set("target_unit", pr.Unit)
	}
	for i, e := range d.Evidence {
		f.Set(fmt.Sprintf("evidence_%d_kind", i), e.Kind)
		f.Set(fmt.Sprintf("evidence_%d_ref", i), e.Ref)
	}
	return f
}

// decision finds one of a policy's decisions.
func (h *Handlers) decision(ctx context.Context, policyID, id string) (*Decision, error) {
	ds, err := h.store.Decisions(ctx, policyID)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		if ds[i].ID == id {
			return &ds[i], nil
		}
	}
	return nil, apperr.ErrNotFound
}

// StaffDecisionNew is the form for a new decision.
func (h *Handlers) StaffDecisionNew(c *fiber.Ctx) error {
	p, err := h.store.Policy(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	form := url.Values{"handling": {models.HandlingHandled}, "target_unit": {"days"}}
	if ch := c.Query("channel"); KnownChannel(ch) && !Custom(ch) {
		form.Set("channel", ch)
	}
	return h.decisionPage(c, fiber.StatusOK, p, nil, form, nil)
}

// StaffDecisionEdit is the form for one decision.
func (h *Handlers) StaffDecisionEdit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := h.store.Policy(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	d, err := h.decision(ctx, p.ID, c.Params("did"))
	if err != nil {
		return err
	}
	return h.decisionPage(c, fiber.StatusOK, p, d, decisionForm(d), nil)
}

// StaffDecisionSave adds or replaces (by channel) a decision. A decision
// whose channel was changed in its form moves to the new channel, unless
// that channel has a decision already (422, nothing changes).
func (h *Handlers) StaffDecisionSave(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := h.store.Policy(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	form := page.Form(c)
	var orig *Decision
	if id := form.Get("decision_id"); id != "" {
		if orig, err = h.decision(ctx, p.ID, id); errors.Is(err, apperr.ErrNotFound) {
			orig = nil
		} else if err != nil {
			return err
		}
	}
	in, rows := decisionInput(form)
	var d *models.PolicyDecision
	if orig != nil {
		d, err = h.store.UpdateDecision(ctx, p.ID, orig.ID, in)
	} else {
		d, err = h.store.SaveDecision(ctx, p.ID, in)
	}
	if err != nil {
		return &apperr.OnPage{Err: err, Show: func(status int, messageID string) error {
			errs := staffErrors(c, rowFields(err, rows), messageID)
			if msg, ok := errs["channel"]; ok && form.Get("channel") == "custom" {
				// The key typed for another channel is what is wrong.
				delete(errs, "channel")
				errs["custom_slug"] = msg
			}
			if msg, ok := errs["response_target_days"]; ok {
				// One fieldset holds the promise in either unit.
				delete(errs, "response_target_days")
				errs["response_target_hours"] = msg
			}
			return h.decisionPage(c, status, p, orig, form, errs)
		}}
	}
	page.Sess(c).Flash("policy.decision_saved")
	return c.Redirect("/staff/policies/"+p.ID+"#d-"+d.ID, fiber.StatusSeeOther)
}

// rowFields renames the store's evidence fields ("evidence.1.ref", the
// second cited figure) after the form rows they came from.
func rowFields(err error, rows []int) error {
	var v *apperr.Validation
	if !errors.As(err, &v) {
		return err
	}
	out := &apperr.Validation{}
	for f, id := range v.Fields {
		if rest, ok := strings.CutPrefix(f, "evidence."); ok {
			if i, tail, ok := strings.Cut(rest, "."); ok {
				if n, err := strconv.Atoi(i); err == nil && n >= 0 && n < len(rows) {
					f = fmt.Sprintf("evidence.%d.%s", rows[n], tail)
				}
			}
		}
		out.Add(f, id)
	}
	return out
}

// StaffDecisionDelete removes a decision.
func (h *Handlers) StaffDecisionDelete(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := h.store.DeleteDecision(c.UserContext(), id, c.Params("did")); err != nil {
		return err
	}
	page.Sess(c).Flash("policy.decision_deleted")
	return c.Redirect("/staff/policies/"+id+"#decisions", fiber.StatusSeeOther)
}

type staffRefItem struct {
	RefOption
	KindLabel string
	Options   []RefOption
}

type staffRefGroup struct {
	Title string
	Items []staffRefItem
}

// refGroups lists what staff may cite: each survey's questions with their
// options, then the town halls, then the consultations.
func (h *Handlers) refGroups(ctx context.Context, l *i18n.L) ([]staffRefGroup, error) {
	if h.refs == nil {
		return nil, nil
	}
	refs, err := h.refs(ctx, l.Lang)
	if err != nil {
		return nil, err
	}
	var surveys []staffRefGroup
	at := map[string]int{}
	var halls, consultations staffRefGroup
	halls.Title, consultations.Title = l.T("policy.refs_townhalls"), l.T("policy.refs_consultations")
	for _, r := range refs {
		item := staffRefItem{RefOption: r, KindLabel: staffKindLabel(l, r.Kind)}
		switch r.Kind {
		case KindTownHall:
			halls.Items = append(halls.Items, item)
		case KindConsultation:
			consultations.Items = append(consultations.Items, item)
		case KindSurveyQuestion, KindSurveyOption:
			i, ok := at[r.Group]
			if !ok {
				i = len(surveys)
				at[r.Group] = i
				surveys = append(surveys, staffRefGroup{Title: r.Group})
			}
			g := &surveys[i]
			if n := len(g.Items); r.Kind == KindSurveyOption && n > 0 && strings.HasPrefix(r.Ref, g.Items[n-1].Ref+":") {
				g.Items[n-1].Options = append(g.Items[n-1].Options, r)
				continue
			}
			g.Items = append(g.Items, item)
		}
	}
	out := surveys
	for _, g := range []staffRefGroup{halls, consultations} {
		if len(g.Items) > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

// decisionPage renders the decision form (d nil: a new decision).
func (h *Handlers) decisionPage(c *fiber.Ctx, status int, p *models.Policy, d *Decision, form url.Values, errs map[string]string) error {
	ctx := c.UserContext()
	l := page.L(c)
	cal, err := h.store.Calendar(ctx)
	if err != nil {
		return err
	}
	refs, err := h.refGroups(ctx, l)
	if err != nil {
		return err
	}
	channels := make([]staffChoice, len(Channels))
	for i, ch := range Channels {
		channels[i] = staffChoice{Key: ch, Label: staffChannelLabel(l, ch, nil)}
	}
	purposes := make([]staffChoice, len(Purposes))
	for i, pp := range Purposes {
		purposes[i] = staffChoice{Key: pp, Label: staffPurposeLabel(l, pp)}
	}
	kinds := make([]staffChoice, len(Kinds))
	for i, k := range Kinds {
		kinds[i] = staffChoice{Key: k, Label: staffKindLabel(l, k), Hint: l.T(fmt.Sprintf("policy.ref_hint_%s", k))}
	}
	checked := map[string]bool{}
	for _, pp := range form["purposes"] {
		checked[pp] = true
	}
	rows := make([]int, formRows(form))
	for i := range rows {
		rows[i] = i
	}
	if d != nil && len(d.Evidence) > len(rows) {
		rows = make([]int, len(d.Evidence))
		for i := range rows {
			rows[i] = i
		}
	}
	heading := l.T("policy.decision_new")
	if d != nil {
		heading = l.T("policy.decision_edit", "Channel", staffChannelLabel(l, d.Channel, d.ChannelName))
	}
	return h.render.Render(c, status, "policy/decision_form", fiber.Map{
		"P": p, "Title": p.Title.In(l.Lang), "D": d, "Heading": heading, "Form": form, "Errors": errs, "Languages": config.Languages,
		"Channels": channels, "Purposes": purposes, "Checked": checked, "Kinds": kinds, "Rows": rows, "RefGroups": refs,
		"DayHours": staffNumber(l, cal.DayHours()),
	})
}

// ---- the working calendar ----

// StaffCalendar is the working calendar's form.
func (h *Handlers) StaffCalendar(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cal, err := h.store.Calendar(ctx)
	if err != nil {
		return err
	}
	days, err := h.store.Holidays(ctx)
	if err != nil {
		return err
	}
	form := url.Values{"opens": {calClock(cal.Opens)}, "closes": {calClock(cal.Closes)}}
	for _, d := range isoWeekdays(cal) {
		form.Add("weekdays", strconv.Itoa(d))
	}
	lines := make([]string, len(days))
	for i, d := range days {
		lines[i] = strings.TrimSpace(d.Day + " " + d.Name)
	}
	form.Set("holidays", strings.Join(lines, "\n"))
	return h.calendarPage(c, fiber.StatusOK, form, nil, false)
}

// holidayLines reads the holidays, one a line: "2026-12-25 Juledag".
func holidayLines(text string) []models.PublicHoliday {
	var out []models.PublicHoliday
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		day, name, _ := strings.Cut(line, " ")
		name = strings.TrimLeft(strings.TrimSpace(name), "-–:, ")
		out = append(out, models.PublicHoliday{Day: strings.TrimSpace(day), Name: name})
	}
	return out
}

// StaffSaveCalendar saves the working calendar; the button "add Danish
// public holidays" adds next year's to the list instead, unsaved.
func (h *Handlers) StaffSaveCalendar(c *fiber.Ctx) error {
	form := page.Form(c)
	if form.Get("action") == "suggest_dk" {
		form.Set("holidays", mergeHolidays(form.Get("holidays"), DanishHolidays(h.store.Now().In(h.zone).Year()+1)))
		return h.calendarPage(c, fiber.StatusOK, form, nil, true)
	}
	in := CalendarInput{Weekdays: []int{}, Opens: form.Get("opens"), Closes: form.Get("closes"), Holidays: holidayLines(form.Get("holidays"))}
	for _, d := range form["weekdays"] {
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil {
			n = 0 // refused by the store
		}
		in.Weekdays = append(in.Weekdays, n)
	}
	if err := h.store.SaveCalendar(c.UserContext(), in); err != nil {
		return &apperr.OnPage{Err: err, Show: func(status int, messageID string) error {
			return h.calendarPage(c, status, form, staffErrors(c, err, messageID), false)
		}}
	}
	page.Sess(c).Flash("policy.calendar_saved")
	return c.Redirect("/staff/calendar", fiber.StatusSeeOther)
}

// mergeHolidays adds the days of add that text lacks, keeping text's lines.
func mergeHolidays(text string, add []models.PublicHoliday) string {
	have := map[string]bool{}
	var lines []string
	for _, d := range holidayLines(text) {
		have[d.Day] = true
		lines = append(lines, strings.TrimSpace(d.Day+" "+d.Name))
	}
	for _, d := range add {
		if !have[d.Day] {
			lines = append(lines, d.Day+" "+d.Name)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func (h *Handlers) calendarPage(c *fiber.Ctx, status int, form url.Values, errs map[string]string, suggested bool) error {
	l := page.L(c)
	days := make([]staffChoice, 7)
	checked := map[string]bool{}
	for _, d := range form["weekdays"] {
		checked[strings.TrimSpace(d)] = true
	}
	for i := range days {
		k := strconv.Itoa(i + 1)
		days[i] = staffChoice{Key: k, Label: l.T(fmt.Sprintf("policy.weekday_%d", i+1))}
	}
	dayHours := ""
	if a, ok1 := minutes(form.Get("opens")); ok1 {
		if b, ok2 := minutes(form.Get("closes")); ok2 && b > a {
			dayHours = staffNumber(l, float64(b-a)/60)
		}
	}
	return h.render.Render(c, status, "policy/calendar", fiber.Map{
		"Form": form, "Errors": errs, "Weekdays": days, "Checked": checked, "DayHours": dayHours, "Zone": h.zone.String(),
		"SuggestYear": h.store.Now().In(h.zone).Year() + 1, "Suggested": suggested,
	})
}

// DanishHolidays are the days Danish municipal offices are closed in
// year: the public holidays (helligdage; Store Bededag was abolished from
// 2024) and Constitution Day, Christmas Eve and New Year's Eve, which
// staff have off by agreement.
func DanishHolidays(year int) []models.PublicHoliday {
	e := easter(year)
	day := func(t time.Time, name string) models.PublicHoliday {
		return models.PublicHoliday{Day: t.Format(time.DateOnly), Name: name}
	}
	fixed := func(m time.Month, d int, name string) models.PublicHoliday {
		return day(time.Date(year, m, d, 0, 0, 0, 0, time.UTC), name)
	}
	return []models.PublicHoliday{
		fixed(time.January, 1, "Nytårsdag"),
		day(e.AddDate(0, 0, -3), "Skærtorsdag"),
		day(e.AddDate(0, 0, -2), "Langfredag"),
		day(e, "Påskedag"),
		day(e.AddDate(0, 0, 1), "2. påskedag"),
		day(e.AddDate(0, 0, 39), "Kristi himmelfartsdag"),
		day(e.AddDate(0, 0, 49), "Pinsedag"),
		day(e.AddDate(0, 0, 50), "2. pinsedag"),
		fixed(time.June, 5, "Grundlovsdag"),
		fixed(time.December, 24, "Juleaftensdag"),
		fixed(time.December, 25, "Juledag"),
		fixed(time.December, 26, "2. juledag"),
		fixed(time.December, 31, "Nytårsaftensdag"),
	}
}

// easter is Easter Sunday of year (the Gregorian computus).
func easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}
