package policy_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// The channel policy as the public, staff and the API read it after an
// independent review: drafts never leak, cited figures are public ones,
// warnings and promises survive edits and calendar changes.

// A published policy edited afterwards is listed, on the page and in the
// API, as its latest published version says, not as the draft.
func TestPublicListShowsThePublishedVersion(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Policy()
		p, err := st.CreatePolicy(ctx, policy.PolicyInput{Title: models.Text{"en": "Public title"}, Intro: models.Text{"en": "Public intro"},
			Period: "2027-01-01/2027-12-31"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveDecision(ctx, p.ID, policy.DecisionInput{Channel: "x", Purposes: []string{"information"}, Handling: models.HandlingRouted}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Publish(ctx, p.ID, nil); err != nil {
			t.Fatal(err)
		}
		if err := st.UpdatePolicy(ctx, p.ID, policy.PolicyInput{Title: models.Text{"en": "SECRET DRAFT TITLE"}, Intro: models.Text{"en": "SECRET DRAFT INTRO"},
			Period: "2030-01-01/2030-12-31"}); err != nil {
			t.Fatal(err)
		}
		c := e.Browser()
		list := c.Get("/policies?lang=en")
		webtest.Contains(t, list, "Public title", "1 January 2027", "Version 1")
		api := c.Get("/api/v1/policies")
		webtest.Contains(t, api, `"title":{"en":"Public title"}`, `"intro":{"en":"Public intro"}`, `"period":"2027-01-01/2027-12-31"`, `"status":"published"`)
		for _, a := range []webtest.Answer{list, api, c.Get("/policies/" + p.ID + "?lang=en"), c.Get("/api/v1/policies/" + p.ID)} {
			if strings.Contains(a.Body, "SECRET") || strings.Contains(a.Body, "2030") {
				t.Fatalf("the draft reached the public: %.400s", a.Body)
			}
		}
	})
}

// privateSurvey opens a survey whose results are not published and answers
// it; it returns the survey's id.
func privateSurvey(t *testing.T, e *webtest.Env, api *webtest.Browser, open bool, answers ...string) string {
	t.Helper()
	a := api.PostJSON("/api/v1/surveys", strings.Replace(channelSurvey, `"publish_results": true,`, "", 1))
	status(t, a, http.StatusCreated, "survey")
	var sv struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &sv)
	if open {
		status(t, api.PostJSON("/api/v1/surveys/"+sv.ID+"/open", `{}`), http.StatusOK, "open survey")
		respond(t, e, sv.ID, answers...)
	}
	return sv.ID
}

// A survey can be cited once its results are published: a draft survey or
// one with private results is refused (422); when the results are
// withdrawn after publication the public sees the figure as published,
// without its distribution, staff are warned, and publishing is refused.
func TestCitedSurveysArePublic(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		api := e.APIClient("webcare@example.nl", "staff")
		pa := api.PostJSON("/api/v1/policies", `{"title":{"en":"P"},"period":"2027-01-01/2027-12-31"}`)
		id := wrID(t, pa)
		cite := func(sid string) webtest.Answer {
			return api.PostJSON("/api/v1/policies/"+id+"/decisions?lang=en",
				`{"channel":"facebook","purposes":["questions"],"response_target_days":2,"evidence":[{"kind":"survey_question","ref":"`+sid+`:channel"}]}`)
		}
		draft := privateSurvey(t, e, api, false)
		a := cite(draft)
		status(t, a, http.StatusUnprocessableEntity, "a draft survey cited")
		if _, fields := webtest.ErrorCode(t, a); !strings.HasPrefix(fields["evidence.0.ref"], "This survey is still a draft") {
			t.Errorf("draft survey: %v", fields)
		}
		sid := privateSurvey(t, e, api, true, "facebook", "facebook", "facebook", "phone")
		a = cite(sid)
		status(t, a, http.StatusUnprocessableEntity, "a survey with private results cited")
		if _, fields := webtest.ErrorCode(t, a); fields["evidence.0.ref"] != "Publish the survey's results first: the policy shows its figures to everyone." {
			t.Errorf("private results: %v", fields)
		}
		if n := wrCount(t, e, &models.PolicyDecision{}, "policy_id = ?", id); n != 0 {
			t.Fatalf("%d refused decisions stored", n)
		}
		svs := surveys.NewStore(e.DB)
		if err := svs.SetPublishResults(ctx, sid, true); err != nil {
			t.Fatal(err)
		}
		status(t, cite(sid), http.StatusCreated, "a survey with public results cited")
		status(t, api.PostJSON("/api/v1/policies/"+id+"/publish", `{}`), http.StatusOK, "publish")
		citizen := e.Browser()
		webtest.Contains(t, citizen.Get("/api/v1/policies/"+id+"?lang=en"), `"percent":75`, `"live":true`, `"shares":[`, `"link":"/surveys/`+sid+`/results"`)

		// The results are withdrawn and the figure moves: the public still
		// sees 75% as published, without the distribution or the link.
		if err := svs.SetPublishResults(ctx, sid, false); err != nil {
			t.Fatal(err)
		}
		respond(t, e, sid, "phone", "phone", "phone", "phone")
		j := citizen.Get("/api/v1/policies/" + id + "?lang=en")
		webtest.Contains(t, j, `"percent":75`, `"live":false`, `"baseline":75`)
		for _, leak := range []string{`"shares"`, `"link"`, `"percent":62.5`, `"percent":37.5`} {
			if strings.Contains(j.Body, leak) {
				t.Errorf("withdrawn results reach the public (%s): %s", leak, j.Body)
			}
		}
		pg := citizen.Get("/policies/" + id + "?lang=en")
		webtest.Contains(t, pg, "75.0%", "The figure as it stood when this version was published")
		if strings.Contains(pg.Body, `class="figures"`) || strings.Contains(pg.Body, "/results") || strings.Contains(pg.Body, "By phone") {
			t.Error("the public page shows the withdrawn distribution")
		}
		// Staff see the live figure and why it is not public; publishing
		// again is refused.
		staff := wrStaff(t, e)
		webtest.Contains(t, staff.Get("/staff/policies/"+id+"?lang=en"), "The survey&#39;s results are not public now", "62.5%")
		webtest.Contains(t, api.Get("/api/v1/policies/"+id+"?lang=en"), `"not_public":"results"`, `"percent":62.5`, `"baseline":75`)
		a = api.PostJSON("/api/v1/policies/"+id+"/publish?lang=en", `{}`)
		status(t, a, http.StatusUnprocessableEntity, "publish citing private results")
		if _, fields := webtest.ErrorCode(t, a); fields["evidence"] != "Publish the survey's results first: the policy shows its figures to everyone." {
			t.Errorf("publish: %v", fields)
		}
	})
}

// Editing a published decision keeps the "moved" warning: it compares the
// live figure with the one the public sees.
func TestMovedWarningSurvivesDraftEdits(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		api := e.APIClient("webcare@example.nl", "staff")
		sid := survey(t, e, api, "facebook", "facebook", "facebook", "phone")
		st := e.Srv.Policy()
		p, _ := st.CreatePolicy(ctx, policy.PolicyInput{Title: models.Text{"en": "P"}, Period: "2027-01-01/2027-12-31"}, nil)
		fb := policy.DecisionInput{Channel: "facebook", Purposes: []string{"questions"}, ResponseTargetDays: hours(2),
			Evidence: []policy.EvidenceInput{{Kind: policy.KindSurveyOption, Ref: sid + ":channel:facebook"}}}
		if _, err := st.SaveDecision(ctx, p.ID, fb); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Publish(ctx, p.ID, nil); err != nil {
			t.Fatal(err)
		}
		respond(t, e, sid, "phone", "phone", "phone", "phone", "phone", "phone") // 3 of 4, then 3 of 10
		staff := wrStaff(t, e)
		const warning = "Moved since publication: 75.0% then, 30.0% now"
		webtest.Contains(t, staff.Get("/staff/policies/"+p.ID+"?lang=en"), warning)
		// A typo fixed in the tone of voice, and a second figure cited that
		// the public does not see yet.
		e.Clock.Add(time.Minute)
		fb.Tone = models.Text{"en": "friendly"}
		fb.Evidence = append(fb.Evidence, policy.EvidenceInput{Kind: policy.KindSurveyOption, Ref: sid + ":channel:phone"})
		if _, err := st.SaveDecision(ctx, p.ID, fb); err != nil {
			t.Fatal(err)
		}
		pg := staff.Get("/staff/policies/" + p.ID + "?lang=en")
		webtest.Contains(t, pg, warning)
		if n := strings.Count(pg.Body, "Moved since publication"); n != 1 {
			t.Errorf("%d warnings, want the published figure's only", n)
		}
		var ev []models.PolicyEvidence
		e.DB.Order("position").Find(&ev)
		if len(ev) != 2 || ev[0].Baseline == nil || *ev[0].Baseline != 75 || ev[1].Baseline != nil {
			t.Fatalf("baselines after the edit: %+v", ev)
		}
		// The same through the API, for staff.
		var doc struct {
			Status    string `json:"status"`
			Decisions []struct {
				Evidence []struct {
					Percent  float64  `json:"percent"`
					Baseline *float64 `json:"baseline"`
					Moved    *bool    `json:"moved"`
				} `json:"evidence"`
			} `json:"decisions"`
		}
		if err := json.Unmarshal([]byte(api.Get("/api/v1/policies/"+p.ID).Body), &doc); err != nil {
			t.Fatal(err)
		}
		if d := doc.Decisions; doc.Status != policy.StatusDraft || len(d) != 1 || len(d[0].Evidence) != 2 ||
			d[0].Evidence[0].Percent != 30 || *d[0].Evidence[0].Baseline != 75 || !*d[0].Evidence[0].Moved ||
			d[0].Evidence[1].Baseline != nil || *d[0].Evidence[1].Moved {
			t.Fatalf("draft API: %+v", doc)
		}
	})
}

// Right after a publication the policy has no changes to publish; deleting
// a decision is one.
func TestNoPendingChangesRightAfterPublishing(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Policy()
		p, _ := st.CreatePolicy(ctx, policy.PolicyInput{Title: models.Text{"en": "P"}, Period: "2027-01-01/2027-12-31"}, nil)
		var ids []string
		for _, ch := range []string{"facebook", "x"} {
			d, err := st.SaveDecision(ctx, p.ID, policy.DecisionInput{Channel: ch, Purposes: []string{"information"}, ResponseTargetHours: hours(16)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ID)
		}
		e.Clock.Add(time.Minute)
		if _, err := st.Publish(ctx, p.ID, nil); err != nil {
			t.Fatal(err)
		}
		q, _ := st.Policy(ctx, p.ID)
		if q.UpdatedAt.After(*q.PublishedAt) {
			t.Errorf("changed after its publication: updated %v, published %v", q.UpdatedAt, q.PublishedAt)
		}
		staff := wrStaff(t, e)
		const pending = "Changed since it was published"
		if a := staff.Get("/staff/policies?lang=en"); strings.Contains(a.Body, pending) {
			t.Error("the list says a policy just published has changes")
		}
		api := e.APIClient("api@example.nl", "staff")
		webtest.Contains(t, api.Get("/api/v1/policies/"+p.ID), `"status":"published"`)
		e.Clock.Add(time.Minute)
		if err := st.DeleteDecision(ctx, p.ID, ids[1]); err != nil {
			t.Fatal(err)
		}
		webtest.Contains(t, staff.Get("/staff/policies?lang=en"), pending)
		webtest.Contains(t, api.Get("/api/v1/policies/"+p.ID), `"status":"draft"`)
	})
}

// An open case long past its deadline counts against the promise for as
// long as it stays open; the level covers the three whole months before
// the current one and the current one.
func TestOverdueCasesStayInTheServiceLevel(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) // a Monday
		ptr := func(t time.Time) *time.Time { return &t }
		var list []policy.Timing
		for i := 0; i < 20; i++ { // asked in June, never answered
			list = append(list, policy.Timing{ID: fmt.Sprint("open", i), Start: time.Date(2026, 6, 23, 10, 0, 0, 0, time.UTC)})
		}
		list = append(list,
			// Answered in August within 2 working days: in the level.
			policy.Timing{ID: "aug", Start: time.Date(2026, 8, 3, 9, 0, 0, 0, time.UTC), End: ptr(time.Date(2026, 8, 4, 9, 0, 0, 0, time.UTC))},
			// Answered in July: before the level's months.
			policy.Timing{ID: "jul", Start: time.Date(2026, 7, 6, 9, 0, 0, 0, time.UTC), End: ptr(time.Date(2026, 7, 6, 10, 0, 0, 0, time.UTC))},
			// Open and not yet due: not counted.
			policy.Timing{ID: "new", Start: now.Add(-time.Hour)},
		)
		s := policy.NewStore(gdb, time.UTC, func() time.Time { return now }).WithTimings(policy.ChannelTownHall, cases(list...))
		lvl, err := s.ServiceLevel(ctx, policy.ChannelTownHall, policy.DaysPromise(2), 3)
		if err != nil {
			t.Fatal(err)
		}
		if lvl.Cases != 21 || !near(lvl.WithinPct, 100.0/21) || !near(lvl.MedianHours, 8) || lvl.Months != 3 ||
			!lvl.From.Equal(time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)) || !s.LevelFrom(3).Equal(lvl.From) {
			t.Fatalf("level: %+v", lvl)
		}
		// The monthly chart counts each overdue case once, in the month its
		// deadline passed.
		ms, _ := s.Compliance(ctx, policy.ChannelTownHall, policy.DaysPromise(2), 12)
		overdue := 0
		for _, m := range ms {
			overdue += m.Overdue
			if m.Month == "2026-06" && m.Overdue != 20 {
				t.Errorf("June: %+v", m)
			}
		}
		if overdue != 20 {
			t.Errorf("%d overdue in the chart", overdue)
		}
	})
}

// Moving a decision to a channel that has one of its own is refused and
// changes nothing; moving it to a free channel moves it.
func TestMovingADecisionOntoAnotherIsRefused(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := wrStaff(t, e)
		ctx := context.Background()
		st := e.Srv.Policy()
		p, _ := st.CreatePolicy(ctx, policy.PolicyInput{Title: models.Text{"en": "P"}, Period: "2027-01-01/2027-12-31"}, nil)
		fb, _ := st.SaveDecision(ctx, p.ID, policy.DecisionInput{Channel: "facebook", Purposes: []string{"questions"}, ResponseTargetHours: hours(16), Owner: "FB team"})
		ig, _ := st.SaveDecision(ctx, p.ID, policy.DecisionInput{Channel: "instagram", Purposes: []string{"information"}, ResponseTargetHours: hours(8), Owner: "IG team"})
		tok := staff.CSRF("/staff/policies/" + p.ID + "/decisions/" + fb.ID)
		f := wrDecisionForm(tok, "instagram")
		f.Set("decision_id", fb.ID)
		a := staff.PostForm("/staff/policies/"+p.ID+"/decisions?lang=en", f)
		status(t, a, http.StatusUnprocessableEntity, "move onto instagram")
		webtest.Contains(t, a, "This channel has a decision of its own already.", `name="decision_id" value="`+fb.ID+`"`)
		var ds []models.PolicyDecision
		e.DB.Where("policy_id = ?", p.ID).Order("position").Find(&ds)
		if len(ds) != 2 || ds[0].ID != fb.ID || ds[0].Channel != "facebook" || ds[0].Owner != "FB team" || ds[1].ID != ig.ID || ds[1].Owner != "IG team" {
			t.Fatalf("decisions after a refused move: %+v", ds)
		}
		if _, err := st.UpdateDecision(ctx, p.ID, fb.ID, policy.DecisionInput{Channel: "instagram", Purposes: []string{"questions"}, ResponseTargetHours: hours(16)}); !isField(err, "channel") {
			t.Fatalf("store move onto instagram: %v", err)
		}
		// A free channel: the same decision moves there.
		f.Set("channel", "linkedin")
		status(t, staff.PostForm("/staff/policies/"+p.ID+"/decisions", f), http.StatusSeeOther, "move to linkedin")
		var moved models.PolicyDecision
		if err := e.DB.Where("id = ?", fb.ID).Take(&moved).Error; err != nil || moved.Channel != "linkedin" || wrCount(t, e, &models.PolicyDecision{}, "policy_id = ?", p.ID) != 2 {
			t.Fatalf("moved decision: %+v (%v)", moved, err)
		}
	})
}

func isField(err error, field string) bool {
	var v *apperr.Validation
	return errors.As(err, &v) && v.Fields[field] != ""
}

// A line with more or fewer fields than the header is refused, named, with
// the advice to quote decimal commas or separate by semicolons.
func TestCSVLinesKeepTheirColumns(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Policy()
		shifted := "channel,period_from,period_to,median_hours,within_target_pct,cases,note\n" +
			"facebook,2027-03-01,2027-03-31,5,5,87,5,412,webcare\n" + // decimal commas: 9 fields
			"email,2027-03-01,2027-03-31,\"5,5\",\"87,5\",412,quoted\n" + // fine
			"chat,2027-03-01,2027-03-31,5\n" // 4 fields
		_, err := st.ImportCSV(ctx, strings.NewReader(shifted), nil)
		var v *apperr.Validation
		if !errors.As(err, &v) || v.Fields["line 2"] != "policy_public.csv_fields" || v.Fields["line 4"] != "policy_public.csv_fields" || len(v.Fields) != 2 {
			t.Fatalf("shifted columns: %v %+v", err, v)
		}
		if list, _ := st.Measurements(ctx, ""); len(list) != 0 {
			t.Fatalf("stored from a refused file: %+v", list)
		}
		staff := wrStaff(t, e)
		tok := staff.CSRF("/staff/measurements")
		body, ctype := upload(t, tok, shifted)
		a := staff.Do(http.MethodPost, "/staff/measurements/import?lang=en", body, ctype)
		status(t, a, http.StatusUnprocessableEntity, "shifted upload")
		webtest.Contains(t, a, "Line 2: This line does not have as many fields as the first line. Put numbers with a decimal comma in quotation marks",
			"Line 4: This line does not have")
		// Semicolons keep the columns apart.
		n, err := st.ImportCSV(ctx, strings.NewReader("channel;period_from;period_to;median_hours;within_target_pct;cases;note\n"+
			"facebook;2027-03-01;2027-03-31;5,5;87,5;412;webcare\n"), nil)
		list, _ := st.Measurements(ctx, "facebook")
		if err != nil || n != 1 || len(list) != 1 || list[0].MedianHours != 5.5 || *list[0].WithinTargetPct != 87.5 || list[0].Cases != 412 || list[0].Note != "webcare" {
			t.Fatalf("semicolons: %d %v %+v", n, err, list)
		}
	})
}

// figureCounter is a resolver for one survey option whose results cost one
// computation per request: it keeps them in the request's Memo, as the
// resolver of app/web does.
type figureCounter struct{ computed, calls int }

func (f *figureCounter) resolve(ctx context.Context, kind, ref, lang string) (*policy.Figure, error) {
	if !strings.HasPrefix(ref, "s1:") {
		return nil, apperr.ErrNotFound
	}
	f.calls++
	v, err := policy.MemoFrom(ctx).Do("survey s1", func() (any, error) {
		f.computed++
		return 61.2, nil
	})
	if err != nil {
		return nil, err
	}
	return &policy.Figure{Kind: kind, Ref: ref, Label: ref + " (" + lang + ")", Percent: v.(float64), Base: 1104}, nil
}

// A survey cited by ten decisions, three times each, is computed once per
// publication and once per page or API request.
func TestFiguresAreResolvedOncePerRequest(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		f := &figureCounter{}
		st := e.Srv.Policy().WithEvidence(f.resolve)
		p, _ := st.CreatePolicy(ctx, policy.PolicyInput{Title: models.Text{"en": "P"}, Period: "2027-01-01/2027-12-31"}, nil)
		for i, ch := range []string{"facebook", "instagram", "x", "linkedin", "youtube", "website", "chat", "phone", "front_desk", "email"} {
			ev := []policy.EvidenceInput{{Kind: policy.KindSurveyOption, Ref: "s1:channel:facebook"}, {Kind: policy.KindSurveyOption, Ref: "s1:channel:phone"},
				{Kind: policy.KindSurveyQuestion, Ref: "s1:channel"}}
			if _, err := st.SaveDecision(ctx, p.ID, policy.DecisionInput{Channel: ch, Purposes: []string{"questions"}, ResponseTargetDays: hours(float64(i + 1)), Evidence: ev}); err != nil {
				t.Fatal(err)
			}
		}
		staff := wrStaff(t, e)
		api := e.APIClient("api@example.nl", "staff")
		for _, step := range []struct {
			name string
			do   func() error
		}{
			{"publish", func() error { _, err := st.Publish(ctx, p.ID, nil); return err }},
			{"public page", func() error { return want(e.Browser().Get("/policies/"+p.ID), http.StatusOK) }},
			{"public API", func() error { return want(e.Browser().Get("/api/v1/policies/"+p.ID), http.StatusOK) }},
			{"staff page", func() error { return want(staff.Get("/staff/policies/"+p.ID), http.StatusOK) }},
			{"draft API", func() error { return want(api.Get("/api/v1/policies/"+p.ID), http.StatusOK) }},
		} {
			f.computed, f.calls = 0, 0
			if err := step.do(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			if f.computed != 1 || f.calls == 0 {
				t.Errorf("%s: the survey was computed %d times for %d figures", step.name, f.computed, f.calls)
			}
		}
	})
}

func want(a webtest.Answer, status int) error {
	if a.Status != status {
		return fmt.Errorf("%d: %.300s", a.Status, a.Body)
	}
	return nil
}

// A promise is kept as staff wrote it: "2 working days" stays 2 working
// days when the working day gets shorter, and is measured on the days.
func TestPromiseKeepsItsUnit(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Policy()
		p, _ := st.CreatePolicy(ctx, policy.PolicyInput{Title: models.Text{"en": "P"}, Period: "2027-01-01/2027-12-31"}, nil)
		if _, err := st.SaveDecision(ctx, p.ID, policy.DecisionInput{Channel: "facebook", Purposes: []string{"questions"}, ResponseTargetDays: hours(2)}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveDecision(ctx, p.ID, policy.DecisionInput{Channel: "email", Purposes: []string{"questions"}, ResponseTargetHours: hours(16)}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveDecision(ctx, p.ID, policy.DecisionInput{Channel: "x", Purposes: []string{"questions"}, ResponseTargetHours: hours(8),
			ResponseTargetDays: hours(1)}); !isField(err, "response_target_days") {
			t.Fatalf("hours and days: %v", err)
		}
		snap, err := st.Publish(ctx, p.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := snap.Decisions[0]; snap.DayHours != 8 || d.ResponseTargetUnit != models.PromiseDays || *d.ResponseTargetDays != 2 || *d.ResponseTargetHours != 16 {
			t.Fatalf("snapshot: %+v, day %v", d, snap.DayHours)
		}
		c := e.Browser()
		webtest.Contains(t, c.Get("/policies/"+p.ID+"?lang=en"), "An answer within 2 working days", "An answer within 16 working hours")
		if err := st.SaveCalendar(ctx, policy.CalendarInput{Weekdays: []int{1, 2, 3, 4, 5}, Opens: "08:00", Closes: "15:30"}); err != nil {
			t.Fatal(err)
		}
		pg := c.Get("/policies/" + p.ID + "?lang=en")
		webtest.Contains(t, pg, "An answer within 2 working days", "An answer within 16 working hours", "A working day has 7.5 working hours")
		webtest.Contains(t, c.Get("/policies/"+p.ID+"?lang=da"), "Svar inden for 2 arbejdsdage", "Svar inden for 16 arbejdstimer")
		webtest.Contains(t, c.Get("/api/v1/policies/"+p.ID), `"response_target_hours":16,"response_target_unit":"days","response_target_days":2`,
			`"response_target_hours":16,"response_target_unit":"hours"`)
		webtest.Contains(t, c.Get("/api/v1/policies/"+p.ID+"/compliance"), `"response_target_hours":15,"response_target_unit":"days","response_target_days":2`)
		staff := wrStaff(t, e)
		webtest.Contains(t, staff.Get("/staff/measurements?lang=en"), "An answer within 2 working days")
		d, _ := st.Decisions(ctx, p.ID)
		webtest.Contains(t, staff.Get("/staff/policies/"+p.ID+"/decisions/"+d[0].ID), `name="target_value" type="text" inputmode="decimal" maxlength="10" class="input-short" value="2"`,
			`<option value="days" selected>`)
		webtest.Contains(t, staff.Get("/staff/policies/"+p.ID+"/decisions/"+d[1].ID), `class="input-short" value="16"`, `<option value="hours" selected>`)
	})
}

// A promise in working days ends at the same time of day so many working
// days later, over weekends and holidays, whatever the office hours.
func TestPromiseDeadlinesInDays(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, cph)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	short := policy.DefaultCalendar(cph)
	short.Closes = 15*60 + 30 // 7.5-hour days
	short.Holidays["2026-12-07"] = true
	for _, k := range []struct {
		p          policy.Promise
		from, want string
	}{
		{policy.DaysPromise(2), "2026-11-27 14:10", "2026-12-01 14:10"}, // Friday to Tuesday over the weekend
		{policy.DaysPromise(2), "2026-12-04 14:10", "2026-12-09 14:10"}, // Monday 7 December is a holiday
		{policy.DaysPromise(1), "2026-11-28 11:00", "2026-11-30 15:30"}, // asked on Saturday: Monday's working day
		{policy.DaysPromise(1), "2026-11-23 17:00", "2026-11-24 15:30"}, // after closing: the next working day
		{policy.HoursPromise(16), "2026-11-27 14:10", "2026-12-01 15:10"},
	} {
		if got := k.p.Deadline(short, at(k.from)); !got.Equal(at(k.want)) {
			t.Errorf("%+v from %s: %s, want %s", k.p, k.from, got.In(cph).Format("2006-01-02 15:04"), k.want)
		}
	}
	// Asked Friday 14:10 and answered Tuesday 14:10 (15 working hours on
	// the short calendar) keeps 2 working days; Tuesday 14:40 does not,
	// though it keeps 16 working hours.
	if h := short.WorkingHours(at("2026-11-27 14:10"), at("2026-12-01 14:10")); !policy.DaysPromise(2).Within(short, h) {
		t.Errorf("%v working hours: not within 2 working days", h)
	}
	if h := short.WorkingHours(at("2026-11-27 14:10"), at("2026-12-01 14:40")); policy.DaysPromise(2).Within(short, h) || !policy.HoursPromise(16).Within(short, h) {
		t.Errorf("%v working hours: within 2 working days", h)
	}
}

// rawPost posts body through a real listener, as OverHTTP does, and
// returns the status and the Location header.
func rawPost(t *testing.T, e *webtest.Env, path, ctype string, size int) (int, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.Srv.App().Listener(ln) }()
	defer func() { _ = e.Srv.App().Shutdown() }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", path, ctype, size)
	_, _ = conn.Write([]byte(strings.Repeat("x", 4096)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// The import limit is the request limit, 1 MiB: a larger upload brings
// the staff form back with the message in the page's language; the API
// answers 413.
func TestCSVSizeLimit(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		var b strings.Builder
		b.WriteString("channel,period_from,period_to,median_hours,within_target_pct,cases,note\n")
		for i := 0; b.Len() <= policy.MaxImportBytes; i++ {
			fmt.Fprintf(&b, "facebook,%s,%s,5,80,10,%s\n", time.Date(2000, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
				time.Date(2000, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), strings.Repeat("x", 200))
		}
		_, err := e.Srv.Policy().ImportCSV(ctx, strings.NewReader(b.String()), nil)
		var v *apperr.Validation
		if !errors.As(err, &v) || v.Fields["file"] != "policy_public.csv_too_large" {
			t.Fatalf("%d bytes: %v", b.Len(), err)
		}
		st, loc := rawPost(t, e, "/staff/measurements/import?lang=en", "multipart/form-data; boundary=x", 1<<20+1)
		if st != http.StatusSeeOther || loc != "/staff/measurements?import=too_large&lang=en#import-heading" {
			t.Fatalf("too large upload: %d %q", st, loc)
		}
		staff := wrStaff(t, e)
		webtest.Contains(t, staff.Get("/staff/measurements?import=too_large&lang=en"), "Nothing was imported", "The file is too large: it may be at most 1 MiB.",
			"at most 1 MiB and 10,000 lines")
		webtest.Contains(t, staff.Get("/staff/measurements?import=too_large&lang=nl"), "Het bestand is te groot: het mag hoogstens 1 MiB zijn.")
		if st, _ := rawPost(t, e, "/api/v1/measurements/import", "text/csv", 1<<20+1); st != http.StatusRequestEntityTooLarge {
			t.Errorf("API: %d", st)
		}
	})
}

// Staff read a policy's draft through the API, published or not; others
// get 404 until it is published, then the published version.
func TestStaffReadDraftsThroughTheAPI(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		api := e.APIClient("webcare@example.nl", "staff")
		sid := survey(t, e, api, "facebook", "facebook", "phone", "phone")
		id := wrID(t, api.PostJSON("/api/v1/policies", `{"title":{"en":"Channel policy"},"period":"2027-01-01/2027-12-31"}`))
		status(t, api.PostJSON("/api/v1/policies/"+id+"/decisions", `{"channel":"facebook","purposes":["questions"],"response_target_days":2,
			"evidence":[{"kind":"survey_option","ref":"`+sid+`:channel:facebook"}]}`), http.StatusCreated, "decision")
		for _, who := range []*webtest.Browser{e.Browser(), e.APIClient("mayor@example.nl", "politician"), e.APIClient("mod@example.nl", "moderator")} {
			status(t, who.Get("/api/v1/policies/"+id), http.StatusNotFound, "a draft for others")
		}
		var doc struct {
			Status      string     `json:"status"`
			Version     int        `json:"version"`
			PublishedAt *time.Time `json:"published_at"`
			Decisions   []struct {
				Channel            string   `json:"channel"`
				ResponseTargetDays *float64 `json:"response_target_days"`
				Evidence           []struct {
					Percent  float64  `json:"percent"`
					Live     bool     `json:"live"`
					Baseline *float64 `json:"baseline"`
					Moved    *bool    `json:"moved"`
					Shares   []any    `json:"shares"`
				} `json:"evidence"`
			} `json:"decisions"`
		}
		read := func(path string) {
			t.Helper()
			a := api.Get(path)
			status(t, a, http.StatusOK, path)
			doc.Decisions = nil
			if err := json.Unmarshal([]byte(a.Body), &doc); err != nil {
				t.Fatal(err)
			}
		}
		read("/api/v1/policies/" + id)
		if doc.Status != policy.StatusDraft || doc.Version != 0 || doc.PublishedAt != nil || len(doc.Decisions) != 1 || *doc.Decisions[0].ResponseTargetDays != 2 ||
			len(doc.Decisions[0].Evidence) != 1 || doc.Decisions[0].Evidence[0].Percent != 50 || !doc.Decisions[0].Evidence[0].Live ||
			doc.Decisions[0].Evidence[0].Baseline != nil || *doc.Decisions[0].Evidence[0].Moved {
			t.Fatalf("never published: %+v", doc)
		}
		status(t, api.PostJSON("/api/v1/policies/"+id+"/publish", `{}`), http.StatusOK, "publish")
		read("/api/v1/policies/" + id)
		if doc.Status != policy.StatusPublished || doc.Version != 1 || *doc.Decisions[0].Evidence[0].Baseline != 50 {
			t.Fatalf("just published: %+v", doc)
		}
		// An edit and a moved figure: the draft shows both; citizens and
		// ?version=1 the published version.
		respond(t, e, sid, "facebook", "facebook", "facebook", "facebook", "facebook", "facebook")
		e.Clock.Add(time.Minute)
		status(t, api.PostJSON("/api/v1/policies/"+id+"/decisions", `{"channel":"instagram","purposes":["information"],"response_target_hours":8}`), http.StatusCreated, "second decision")
		read("/api/v1/policies/" + id)
		if ev := doc.Decisions[0].Evidence[0]; doc.Status != policy.StatusDraft || len(doc.Decisions) != 2 || ev.Percent != 80 || *ev.Baseline != 50 || !*ev.Moved {
			t.Fatalf("edited: %+v", doc)
		}
		read("/api/v1/policies/" + id + "?version=1")
		if doc.Status != policy.StatusPublished || len(doc.Decisions) != 1 || doc.Decisions[0].Evidence[0].Moved != nil {
			t.Fatalf("version 1 for staff: %+v", doc)
		}
		c := e.Browser().Get("/api/v1/policies/" + id)
		webtest.Contains(t, c, `"status":"published"`, `"version":1`)
		if strings.Contains(c.Body, "instagram") || strings.Contains(c.Body, `"moved"`) {
			t.Errorf("citizens read the draft: %s", c.Body)
		}
		_ = url.Values{}
	})
}
