package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

const channelSurvey = `{
  "title": {"da": "Kommunen på sociale medier", "nl": "De gemeente op sociale media", "en": "The municipality on social media"},
  "languages": ["da", "nl", "en"], "allow_multiple": true, "publish_results": true,
  "questions": [
    {"key": "channel", "type": "single", "text": {"da": "Hvor vil du stille et spørgsmål?", "nl": "Waar wil je een vraag stellen?", "en": "Where do you want to ask a question?"},
     "options": [{"key": "facebook", "text": {"da": "På Facebook", "nl": "Op Facebook", "en": "On Facebook"}},
                 {"key": "phone", "text": {"da": "I telefonen", "nl": "Aan de telefoon", "en": "By phone"}}]},
    {"key": "remark", "type": "text", "text": {"da": "Bemærkning", "nl": "Opmerking", "en": "Remark"}}
  ]}`

// survey opens a survey through the API and posts answers to its channel
// question; it returns the survey's id.
func survey(t *testing.T, e *webtest.Env, api *webtest.Browser, answers ...string) string {
	t.Helper()
	a := api.PostJSON("/api/v1/surveys", channelSurvey)
	if a.Status != http.StatusCreated {
		t.Fatalf("create survey: %d %s", a.Status, a.Body)
	}
	var sv struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &sv)
	if o := api.PostJSON("/api/v1/surveys/"+sv.ID+"/open", `{}`); o.Status != http.StatusOK {
		t.Fatalf("open survey: %d %s", o.Status, o.Body)
	}
	respond(t, e, sv.ID, answers...)
	return sv.ID
}

func respond(t *testing.T, e *webtest.Env, id string, answers ...string) {
	t.Helper()
	citizen := e.Browser()
	for _, ans := range answers {
		if r := citizen.PostJSON("/api/v1/surveys/"+id+"/responses", fmt.Sprintf(`{"answers": {"channel": %q}}`, ans)); r.Status != http.StatusCreated {
			t.Fatalf("response: %d %s", r.Status, r.Body)
		}
	}
}

// upload is a multipart form with the CSRF token and a CSV file.
func upload(t *testing.T, csrf, csv string) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", csrf)
	f, err := w.CreateFormFile("file", "figures.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte(csv))
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

func status(t *testing.T, a webtest.Answer, want int, what string) {
	t.Helper()
	if a.Status != want {
		t.Fatalf("%s: %d, want %d (%.300s)", what, a.Status, want, a.Body)
	}
}

func TestCitizenReadsPublishedPolicy(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		api := e.APIClient("webcare@example.nl", "staff")
		sid := survey(t, e, api, "facebook", "facebook", "facebook", "facebook", "facebook", "facebook", "phone", "phone")
		st := e.Srv.Policy()
		p, err := st.CreatePolicy(ctx, policy.PolicyInput{
			Title:  models.Text{"da": "Kanalstrategi 2027", "nl": "Kanaalbeleid 2027", "en": "Channel policy 2027"},
			Intro:  models.Text{"nl": "Zo bereik je de gemeente.", "en": "How to reach the municipality."},
			Period: "2027-01-01/2027-12-31"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fb := policy.DecisionInput{Channel: "facebook", Purposes: []string{"questions", "information"}, Handling: models.HandlingHandled,
			ResponseTargetDays: hours(2), Owner: "Team <b>Webcare</b>", Hours: models.Text{"nl": "ma–vr 8–16"},
			Text:     models.Text{"nl": "We beantwoorden eenvoudige vragen <script>alert(1)</script>", "da": "Vi svarer på enkle spørgsmål."},
			Evidence: []policy.EvidenceInput{{Kind: policy.KindSurveyOption, Ref: sid + ":channel:facebook"}, {Kind: policy.KindSurveyQuestion, Ref: sid + ":channel"}}}
		if _, err := st.SaveDecision(ctx, p.ID, fb); err != nil {
			t.Fatal(err)
		}
		x := policy.DecisionInput{Channel: "x", Purposes: []string{"information"}, Handling: models.HandlingRouted,
			RoutedTo: models.Text{"nl": "het contactformulier op de website", "da": "kontaktformularen"}}
		if _, err := st.SaveDecision(ctx, p.ID, x); err != nil {
			t.Fatal(err)
		}
		// A text question or an unknown option is no evidence.
		for _, ref := range []policy.EvidenceInput{{Kind: policy.KindSurveyOption, Ref: sid + ":channel:tiktok"},
			{Kind: policy.KindSurveyQuestion, Ref: sid + ":remark"}, {Kind: policy.KindSurveyOption, Ref: "nope:channel:facebook"},
			{Kind: policy.KindTownHall, Ref: "nope"}, {Kind: policy.KindConsultation, Ref: "nope"}} {
			if _, err := e.Srv.Policy().Figure(ctx, ref.Kind, ref.Ref, "nl"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("%+v resolved", ref)
			}
		}

		// Not published yet: not found for citizens, and on the public page
		// for staff too; staff read the draft through the API.
		citizen := e.Browser()
		status(t, citizen.Get("/policies/"+p.ID+"?lang=nl"), http.StatusNotFound, "unpublished page")
		status(t, citizen.Get("/api/v1/policies/"+p.ID), http.StatusNotFound, "unpublished API")
		webtest.Contains(t, api.Get("/api/v1/policies/"+p.ID), `"status":"draft"`, `"version":0`)
		status(t, citizen.Get("/api/v1/policies/"+p.ID+"/compliance"), http.StatusNotFound, "unpublished compliance")
		e.Account("staff@example.nl", "staff")
		staff := e.Browser()
		staff.Login("staff@example.nl", webtest.Password)
		status(t, staff.Get("/policies/"+p.ID), http.StatusNotFound, "unpublished page for staff")
		if a := citizen.Get("/policies?lang=nl"); strings.Contains(a.Body, "Kanaalbeleid 2027") {
			t.Fatal("an unpublished policy is listed")
		}

		if _, err := st.Publish(ctx, p.ID, nil); err != nil {
			t.Fatal(err)
		}
		// What the webcare team recorded for Facebook this month is the
		// measured service level next to the promise.
		now := e.Clock.Now().UTC()
		if _, err := st.Record(ctx, policy.MeasurementInput{Channel: "facebook", PeriodFrom: now.AddDate(0, 0, -10).Format(time.DateOnly),
			PeriodTo: now.AddDate(0, 0, 1).Format(time.DateOnly), MedianHours: 5.5, WithinTargetPct: hours(87.5), Cases: 412}, policy.RecordedByAPI, nil); err != nil {
			t.Fatal(err)
		}
		// Two more answers after publication: the page shows the figure live
		// (6 of 10) and the one at publication (6 of 8).
		respond(t, e, sid, "phone", "phone")
		a := citizen.Get("/policies/" + p.ID + "?lang=nl")
		status(t, a, http.StatusOK, "published page")
		webtest.Contains(t, a, "Kanaalbeleid 2027", "Zo bereik je de gemeente.", "Antwoord binnen 2 werkdagen",
			"87,5% binnen de belofte beantwoord; mediaan 5,5 werkuren (aantal zaken: 412)", "Sinds ", "De metingen lopen van ",
			"Vragen", "Team &lt;b&gt;Webcare&lt;/b&gt;", "We beantwoorden eenvoudige vragen &lt;script&gt;alert(1)&lt;/script&gt;",
			"60,0% (95%-betrouwbaarheidsinterval 31,3–83,2%, 10 respondenten)", "De gemeente op sociale media — Waar wil je een vraag stellen? — Op Facebook",
			"Toen deze versie werd gepubliceerd, was het 75,0%.", "Aan de telefoon", "Gebruik in plaats daarvan:", "het contactformulier op de website",
			`property="og:title" content="Kanaalbeleid 2027"`, `lang="nl"`)
		if strings.Contains(a.Body, "<script>alert(1)") || strings.Contains(a.Body, "<b>Webcare") {
			t.Fatal("staff text reached the page unescaped")
		}
		webtest.Contains(t, citizen.Get("/policies/"+p.ID+"?lang=da"), "Kanalstrategi 2027", "Svar inden for 2 arbejdsdage", "Vi svarer på enkle spørgsmål.")
		// Text not written in English falls back, marked with its language.
		webtest.Contains(t, citizen.Get("/policies/"+p.ID+"?lang=en"), "Channel policy 2027", "An answer within 2 working days",
			`<div class="prose" lang="da"><p>Vi svarer på enkle spørgsmål.</p>`, "Monday to Friday, 08:00–16:00")
		webtest.Contains(t, citizen.Get("/policies?lang=nl"), "Kanaalbeleid 2027", "/policies/"+p.ID)

		var doc struct {
			Version   int    `json:"version"`
			Period    string `json:"period"`
			Decisions []struct {
				Channel             string   `json:"channel"`
				Handling            string   `json:"handling"`
				ResponseTargetHours *float64 `json:"response_target_hours"`
				Evidence            []struct {
					Kind     string  `json:"kind"`
					Label    string  `json:"label"`
					Percent  float64 `json:"percent"`
					Low      float64 `json:"low"`
					Base     float64 `json:"base"`
					Baseline float64 `json:"baseline"`
					Shares   []struct {
						Label   string  `json:"label"`
						Percent float64 `json:"percent"`
					} `json:"shares"`
				} `json:"evidence"`
				ServiceLevel *struct {
					Months int `json:"months"`
					Cases  int `json:"cases"`
				} `json:"service_level"`
			} `json:"decisions"`
			Versions []struct{ Version int } `json:"versions"`
		}
		j := citizen.Get("/api/v1/policies/" + p.ID + "?lang=nl")
		status(t, j, http.StatusOK, "published API")
		if err := json.Unmarshal([]byte(j.Body), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Version != 1 || doc.Period != "2027-01-01/2027-12-31" || len(doc.Decisions) != 2 || len(doc.Versions) != 1 {
			t.Fatalf("API: %s", j.Body)
		}
		d := doc.Decisions[0]
		if d.Channel != "facebook" || *d.ResponseTargetHours != 16 || len(d.Evidence) != 2 || d.ServiceLevel == nil || d.ServiceLevel.Months != 3 || d.ServiceLevel.Cases != 412 {
			t.Fatalf("facebook decision: %s", j.Body)
		}
		if ev := d.Evidence[0]; ev.Percent != 60 || ev.Base != 10 || ev.Baseline != 75 || ev.Low < 31 || ev.Low > 32 || !strings.HasSuffix(ev.Label, "Op Facebook") {
			t.Errorf("option figure: %+v", ev)
		}
		if ev := d.Evidence[1]; ev.Kind != policy.KindSurveyQuestion || ev.Percent != 60 || len(ev.Shares) != 2 || ev.Shares[1].Label != "Aan de telefoon" || ev.Shares[1].Percent != 40 {
			t.Errorf("question figure: %+v", ev)
		}
		if x := doc.Decisions[1]; x.Handling != models.HandlingRouted || x.ResponseTargetHours != nil || x.ServiceLevel != nil {
			t.Errorf("routed decision: %+v", x)
		}
		webtest.Contains(t, citizen.Get("/api/v1/policies"), `"id":"`+p.ID+`"`)
		webtest.Contains(t, citizen.Get("/api/v1/policies/"+p.ID+"/compliance"), `"channel":"facebook"`, `"source":"recorded"`)

		// Version 2 promises 1 working day; version 1 stays readable, marked
		// as replaced, with its figure as published.
		fb.ResponseTargetDays = hours(1)
		if _, err := st.SaveDecision(ctx, p.ID, fb); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Publish(ctx, p.ID, nil); err != nil {
			t.Fatal(err)
		}
		cur := citizen.Get("/policies/" + p.ID + "?lang=nl")
		webtest.Contains(t, cur, "Antwoord binnen 1 werkdag", "Versie 2", "/policies/"+p.ID+"?version=1")
		if strings.Contains(cur.Body, "Antwoord binnen 2 werkdagen") {
			t.Error("the current version shows the old promise")
		}
		old := citizen.Get("/policies/" + p.ID + "?version=1&lang=nl")
		status(t, old, http.StatusOK, "version 1")
		webtest.Contains(t, old, "Antwoord binnen 2 werkdagen", "Je leest versie 1", "de geldende versie is versie 2",
			`href="/policies/`+p.ID+`"`, "75,0% (95%-betrouwbaarheidsinterval", "8 respondenten", "Het cijfer zoals het was toen deze versie werd gepubliceerd")
		if strings.Contains(old.Body, "Antwoord binnen 1 werkdag") {
			t.Error("version 1 shows the new promise")
		}
		var v1 struct {
			Version   int `json:"version"`
			Decisions []struct {
				ResponseTargetHours float64 `json:"response_target_hours"`
			} `json:"decisions"`
		}
		_ = json.Unmarshal([]byte(citizen.Get("/api/v1/policies/"+p.ID+"?version=1").Body), &v1)
		if v1.Version != 1 || len(v1.Decisions) == 0 || v1.Decisions[0].ResponseTargetHours != 16 {
			t.Errorf("API version 1: %+v", v1)
		}
		status(t, citizen.Get("/policies/"+p.ID+"?version=3"), http.StatusNotFound, "version 3")
		status(t, citizen.Get("/policies/"+p.ID+"?version=abc"), http.StatusBadRequest, "version abc")
		status(t, citizen.Get("/api/v1/policies/nope"), http.StatusNotFound, "unknown policy")
	})
}

func TestMeasurementsPageAndAPI(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		api := e.APIClient("webcare@example.dk", "staff")
		// A consultation with an idea the municipality has not answered.
		now := e.Clock.Now()
		a := api.PostJSON("/api/v1/consultations", fmt.Sprintf(`{"title": {"da": "Cykelstrategi"}, "description": {"da": "Idéer"},
			"opens_at": %q, "closes_at": %q, "moderation": "post", "anonymous": true}`,
			now.Add(-time.Hour).UTC().Format(time.RFC3339), now.Add(30*24*time.Hour).UTC().Format(time.RFC3339)))
		status(t, a, http.StatusCreated, "consultation")
		var cons struct{ ID string }
		_ = json.Unmarshal([]byte(a.Body), &cons)
		a = e.Browser().PostJSON("/api/v1/consultations/"+cons.ID+"/ideas", `{"title": "Cykelstativer ved stationen", "body": "Der mangler plads."}`)
		status(t, a, http.StatusCreated, "idea")

		// A town hall with two published questions, one answered two hours
		// after publication (and twice more later), one unanswered, and a
		// rejected one that was never published.
		t0 := now.Add(-2 * time.Hour).UTC().Truncate(time.Second)
		th := models.TownHall{ID: models.NewID(), Title: models.Text{"da": "Spørg borgmesteren"}, Description: models.Text{}, StartsAt: t0, EndsAt: t0.Add(time.Hour),
			Moderation: "pre", Participation: "anyone", Names: "optional", Announced: "scheduled", CreatedAt: t0, UpdatedAt: t0}
		answered := models.TownHallQuestion{ID: models.NewID(), TownHallID: th.ID, Participant: "p1", Text: "Hvornår åbner broen?", Status: models.QuestionApproved,
			CreatedAt: t0, ApprovedAt: &t0, UpdatedAt: t0}
		open := models.TownHallQuestion{ID: models.NewID(), TownHallID: th.ID, Participant: "p2", Text: "Hvorfor lukker biblioteket?", Status: models.QuestionApproved,
			CreatedAt: t0, ApprovedAt: &t0, UpdatedAt: t0}
		hidden := models.TownHallQuestion{ID: models.NewID(), TownHallID: th.ID, Participant: "p3", Text: "Afvist", Status: "rejected", CreatedAt: t0, UpdatedAt: t0}
		for _, row := range []any{&th, &answered, &open, &hidden,
			&models.TownHallAnswer{ID: models.NewID(), QuestionID: answered.ID, TownHallID: th.ID, Name: "Borgmester", Text: "Til maj.", CreatedAt: t0.Add(2 * time.Hour)},
			&models.TownHallAnswer{ID: models.NewID(), QuestionID: answered.ID, TownHallID: th.ID, Name: "Rådmand", Text: "Ja.", CreatedAt: t0.Add(3 * time.Hour)},
			&models.TownHallAnswer{ID: models.NewID(), QuestionID: answered.ID, TownHallID: th.ID, Name: "Rådmand", Text: "Også.", CreatedAt: t0.Add(4 * time.Hour)},
		} {
			if err := e.DB.Create(row).Error; err != nil {
				t.Fatal(err)
			}
		}
		cs, err := e.Srv.TownHalls().AnswerCases(ctx, t0.Add(-time.Hour), t0.Add(5*time.Hour))
		if err != nil || len(cs) != 2 {
			t.Fatalf("town hall cases: %+v (%v)", cs, err)
		}
		for _, c := range cs {
			switch c.ID {
			case answered.ID:
				if c.Answered == nil || !c.Answered.Equal(t0.Add(2*time.Hour)) || !c.Published.Equal(t0) || c.TownHallID != th.ID {
					t.Errorf("answered question: %+v", c)
				}
			case open.ID:
				if c.Answered != nil {
					t.Errorf("open question: %+v", c)
				}
			default:
				t.Errorf("an unpublished question is a case: %+v", c)
			}
		}
		// Before the window only the open question is listed.
		if cs, _ := e.Srv.TownHalls().AnswerCases(ctx, t0.Add(time.Hour), t0.Add(5*time.Hour)); len(cs) != 1 || cs[0].ID != open.ID {
			t.Errorf("open cases only: %+v", cs)
		}
		fig, err := e.Srv.Policy().Figure(ctx, policy.KindTownHall, th.ID, "da")
		if err != nil || fig.Percent != 50 || fig.Base != 2 || fig.Low != 50 || fig.Label != "Spørg borgmesteren" || fig.Link != "/townhalls/"+th.ID {
			t.Fatalf("town hall figure: %+v (%v)", fig, err)
		}

		st := e.Srv.Policy()
		p, err := st.CreatePolicy(ctx, policy.PolicyInput{Title: models.Text{"da": "Kanalstrategi"}, Period: "2026-01-01/2030-12-31"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []policy.DecisionInput{
			{Channel: policy.ChannelIdeas, Purposes: []string{"consultation"}, ResponseTargetHours: hours(16),
				Evidence: []policy.EvidenceInput{{Kind: policy.KindConsultation, Ref: cons.ID}}},
			{Channel: policy.ChannelTownHall, Purposes: []string{"questions"}, ResponseTargetHours: hours(8)},
			{Channel: "facebook", Purposes: []string{"questions"}, ResponseTargetHours: hours(16)},
		} {
			if _, err := st.SaveDecision(ctx, p.ID, d); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Publish(ctx, p.ID, nil); err != nil {
			t.Fatal(err)
		}
		webtest.Contains(t, e.Browser().Get("/policies/"+p.ID+"?lang=en"), "0.0% of 1 ideas have the municipality&#39;s answer")

		// Figures through the API: JSON, then CSV.
		a = api.PostJSON("/api/v1/measurements", `{"channel": "facebook", "period_from": "2026-01-01", "period_to": "2026-01-31", "median_hours": 5.5, "within_target_pct": 87.5, "cases": 412}`)
		status(t, a, http.StatusCreated, "record")
		webtest.Contains(t, a, `"source":"api"`, `"median_hours":5.5`)
		a = api.PostJSON("/api/v1/measurements", `{"channel": "facebook", "period_from": "2026-02-01", "period_to": "2026-01-31", "median_hours": -1}`)
		status(t, a, http.StatusUnprocessableEntity, "bad figure")
		if _, fields := webtest.ErrorCode(t, a); fields["period_to"] == "" || fields["median_hours"] == "" {
			t.Errorf("fields: %v", fields)
		}
		csv := "\ufeffchannel;period_from;period_to;median_hours;within_target_pct;cases;note\n" +
			"email;2026-01-01;2026-01-31;7,5;80;90;\n" +
			"email;2026-02-01;2026-02-28;6;x;90;\n"
		a = api.Do(http.MethodPost, "/api/v1/measurements/import", strings.NewReader(csv), "text/csv; charset=utf-8")
		status(t, a, http.StatusUnprocessableEntity, "bad CSV")
		if code, fields := webtest.ErrorCode(t, a); code != "validation_failed" || fields["line 3"] == "" {
			t.Errorf("bad CSV: %s %v", code, fields)
		}
		webtest.Contains(t, api.Get("/api/v1/measurements?channel=email"), `"measurements":[]`)
		a = api.Do(http.MethodPost, "/api/v1/measurements/import", strings.NewReader(strings.Replace(csv, ";x;", ";85,5;", 1)), "text/csv")
		status(t, a, http.StatusOK, "good CSV")
		webtest.Contains(t, a, `"imported":2`)
		webtest.Contains(t, api.Get("/api/v1/measurements?channel=email"), `"within_target_pct":85.5`, `"source":"csv"`)
		// Only that route takes CSV; the others still want JSON.
		status(t, api.Do(http.MethodPost, "/api/v1/measurements", strings.NewReader(csv), "text/csv"), http.StatusUnsupportedMediaType, "CSV to the JSON route")
		status(t, api.Do(http.MethodPost, "/api/v1/measurements/import", strings.NewReader(csv), "text/plain"), http.StatusUnsupportedMediaType, "text/plain import")
		status(t, e.Browser().Get("/api/v1/measurements"), http.StatusUnauthorized, "citizen reads measurements")
		status(t, e.Browser().Do(http.MethodPost, "/api/v1/measurements/import", strings.NewReader(csv), "text/csv"), http.StatusUnauthorized, "citizen imports")

		// Three working days later the idea is overdue.
		e.Clock.Add(5 * 24 * time.Hour)
		e.Account("staff@example.dk", "staff")
		staff := e.Browser()
		staff.Login("staff@example.dk", webtest.Password)
		page := staff.Get("/staff/measurements?lang=en")
		status(t, page, http.StatusOK, "measurements page")
		webtest.Contains(t, page, "Open cases past their deadline", "Cykelstativer ved stationen", `href="/ideas/`,
			"Hvorfor lukker biblioteket?", `href="/townhalls/`+th.ID+`#q-`+open.ID+`"`,
			`<svg class="bar"`, `class="bar-target"`, "<table", "Facebook", "87.5%", "Record a figure", `enctype="multipart/form-data"`)
		if strings.Contains(page.Body, "<script") {
			t.Error("the measurements page has a script")
		}
		// The form: a bad figure shows the errors, a good one is recorded.
		tok := staff.CSRF("/staff/measurements")
		a = staff.PostForm("/staff/measurements?lang=en", url.Values{"_csrf": {tok}, "channel": {"phone"}, "period_from": {"2026-03-01"},
			"period_to": {"2026-03-31"}, "median_hours": {"abc"}})
		status(t, a, http.StatusUnprocessableEntity, "bad form")
		webtest.Contains(t, a, "Enter a number.", `aria-invalid="true"`)
		a = staff.PostForm("/staff/measurements", url.Values{"_csrf": {tok}, "channel": {"phone"}, "period_from": {"2026-03-01"},
			"period_to": {"2026-03-31"}, "median_hours": {"2,5"}, "within_target_pct": {"95"}, "cases": {"40"}})
		status(t, a, http.StatusSeeOther, "good form")
		if list, _ := st.Measurements(ctx, "phone"); len(list) != 1 || list[0].MedianHours != 2.5 || list[0].Source != policy.RecordedByForm {
			t.Fatalf("form figure: %+v", list)
		}
		// A refused upload names the line and stores nothing.
		body, ctype := upload(t, tok, "channel,period_from,period_to,median_hours\nchat,2026-03-01,2026-03-31,1\nchat,2026-04-01,2026-03-31,1\n")
		a = staff.Do(http.MethodPost, "/staff/measurements/import?lang=en", body, ctype)
		status(t, a, http.StatusUnprocessableEntity, "bad upload")
		webtest.Contains(t, a, "Line 3: The end of the period must not be before its start.")
		if list, _ := st.Measurements(ctx, "chat"); len(list) != 0 {
			t.Fatal("a refused upload stored figures")
		}
		body, ctype = upload(t, tok, "channel,period_from,period_to,median_hours\nchat,2026-03-01,2026-03-31,1\n")
		a = staff.Do(http.MethodPost, "/staff/measurements/import", body, ctype)
		status(t, a, http.StatusSeeOther, "good upload")
		if list, _ := st.Measurements(ctx, "chat"); len(list) != 1 {
			t.Fatal("the upload stored nothing")
		}

		var comp struct {
			Decisions []struct {
				Channel string         `json:"channel"`
				Source  string         `json:"source"`
				Months  []policy.Month `json:"months"`
			} `json:"decisions"`
		}
		_ = json.Unmarshal([]byte(e.Browser().Get("/api/v1/policies/"+p.ID+"/compliance?months=2").Body), &comp)
		if len(comp.Decisions) != 3 || comp.Decisions[0].Channel != policy.ChannelIdeas || comp.Decisions[0].Source != policy.SourcePlatform || len(comp.Decisions[0].Months) != 2 {
			t.Fatalf("compliance: %+v", comp)
		}
		overdue := 0
		for _, m := range comp.Decisions[0].Months {
			overdue += m.Overdue
		}
		if overdue != 1 {
			t.Errorf("the overdue idea counts against the promise once: %+v", comp.Decisions[0].Months)
		}
		status(t, e.Browser().Get("/api/v1/policies/"+p.ID+"/compliance?months=99"), http.StatusBadRequest, "99 months")
		status(t, e.Browser().Get("/staff/measurements"), http.StatusSeeOther, "citizen on the staff page")
	})
}
