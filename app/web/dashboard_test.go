package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

const dashSurveyJSON = `{
  "title": {"da": "Kanaler <og> svartider", "nl": "Kanalen en reactietijden", "en": "Channels and answer times"},
  "languages": ["da", "nl", "en"], "allow_multiple": true,
  "questions": [
    {"key": "channel", "type": "single", "text": {"da": "Hvor vil du stille et spørgsmål?", "nl": "Waar wil je een vraag stellen?", "en": "Where do you want to ask a question?"},
     "options": [{"key": "facebook", "text": {"da": "På Facebook", "nl": "Op Facebook", "en": "On Facebook"}},
                 {"key": "phone", "text": {"da": "I telefonen", "nl": "Aan de telefoon", "en": "By phone"}}]}
  ]}`

func dashID(t *testing.T, a webtest.Answer, what string) string {
	t.Helper()
	var out struct{ ID string }
	if a.Status != http.StatusCreated || json.Unmarshal([]byte(a.Body), &out) != nil || out.ID == "" {
		t.Fatalf("%s: %d %s", what, a.Status, a.Body)
	}
	return out.ID
}

func dashRespond(t *testing.T, e *webtest.Env, id string, answers ...string) {
	t.Helper()
	citizen := e.Browser()
	for _, ans := range answers {
		if r := citizen.PostJSON("/api/v1/surveys/"+id+"/responses", fmt.Sprintf(`{"answers": {"channel": %q}}`, ans)); r.Status != http.StatusCreated {
			t.Fatalf("response: %d %s", r.Status, r.Body)
		}
	}
}

// The staff start page is one overview: surveys running with their
// responses, panels, town halls coming up, open consultations, how the
// channel policy's promises are kept, the cases past their deadline and
// the cited figures that moved since publication. A moderator keeps the
// links and sees none of it.
func TestStaffDashboardShowsWhatRuns(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		api := e.APIClient("api@example.dk", "staff")

		sid := dashID(t, api.PostJSON("/api/v1/surveys", dashSurveyJSON), "survey")
		if a := api.PostJSON("/api/v1/surveys/"+sid+"/open", `{}`); a.Status != http.StatusOK {
			t.Fatalf("open survey: %d %s", a.Status, a.Body)
		}
		dashRespond(t, e, sid, "facebook", "facebook", "phone")
		// A policy cites public figures only.
		if err := surveys.NewStore(e.DB).SetPublishResults(ctx, sid, true); err != nil {
			t.Fatal(err)
		}
		pid := dashID(t, api.PostJSON("/api/v1/panels", `{"name": {"da": "Panelet i Nord", "en": "The northern panel"}, "profile_fields": []}`), "panel")

		now := e.Clock.Now()
		cid := dashID(t, api.PostJSON("/api/v1/consultations", fmt.Sprintf(`{"title": {"da": "Cykelstrategi", "en": "Cycling strategy"},
			"opens_at": %q, "closes_at": %q}`, now.Add(-time.Hour).UTC().Format(time.RFC3339), now.Add(60*24*time.Hour).UTC().Format(time.RFC3339))), "consultation")
		iid := dashID(t, e.Browser().PostJSON("/api/v1/consultations/"+cid+"/ideas", `{"title": "Cykelstativer ved stationen", "body": "Der mangler plads."}`), "idea")

		// A published policy: Facebook answers in 2 working days, ideas get
		// a first status in 10; it cites the survey and the consultation.
		st := e.Srv.Policy()
		p, err := st.CreatePolicy(ctx, policy.PolicyInput{Title: models.Text{"da": "Kanalstrategi", "en": "Channel policy"},
			Period: now.Format("2006") + "-01-01/" + now.Format("2006") + "-12-31"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		target := func(n float64) *float64 { return &n }
		for _, in := range []policy.DecisionInput{
			{Channel: "facebook", Purposes: []string{"questions"}, ResponseTargetDays: target(2),
				Evidence: []policy.EvidenceInput{{Kind: policy.KindSurveyOption, Ref: sid + ":channel:facebook"}}},
			{Channel: policy.ChannelIdeas, Purposes: []string{"consultation"}, ResponseTargetDays: target(10),
				Evidence: []policy.EvidenceInput{{Kind: policy.KindConsultation, Ref: cid}}},
		} {
			if _, err := st.SaveDecision(ctx, p.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Publish(ctx, p.ID, nil); err != nil {
			t.Fatal(err)
		}

		// Three weeks later: the idea still has no status, a town hall is
		// coming up, the webcare team recorded Facebook's answer times, and
		// more people answered "phone" (Facebook's share fell from 66.7%).
		e.Clock.Add(21 * 24 * time.Hour)
		now = e.Clock.Now()
		e.Account("mayor@example.dk", "politician")
		dashID(t, api.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title": {"da": "Spørgetime om cykler", "en": "Question hour on bikes"},
			"starts_at": %q, "ends_at": %q, "moderation": "pre", "politicians": ["mayor@example.dk"]}`,
			now.Add(48*time.Hour).UTC().Format(time.RFC3339), now.Add(49*time.Hour).UTC().Format(time.RFC3339))), "town hall")
		within := 87.5
		if _, err := st.Record(ctx, policy.MeasurementInput{Channel: "facebook", PeriodFrom: now.AddDate(0, 0, -10).Format(time.DateOnly),
			PeriodTo: now.Format(time.DateOnly), MedianHours: 9, WithinTargetPct: &within, Cases: 40}, policy.RecordedByAPI, nil); err != nil {
			t.Fatal(err)
		}
		dashRespond(t, e, sid, "phone", "phone", "phone")

		e.Account("comms@example.dk", "staff")
		staff := e.Browser()
		staff.Login("comms@example.dk", webtest.Password)
		a := staff.Get("/staff?lang=en")
		if a.Status != http.StatusOK {
			t.Fatalf("dashboard: %d %.500s", a.Status, a.Body)
		}
		webtest.Contains(t, a,
			// The running survey with its 6 responses (titles escaped).
			"Surveys running now", `<a href="/staff/surveys/`+sid+`">Channels and answer times</a>`, `href="/staff/surveys/`+sid+`/results">6<`,
			// The panel.
			`<a href="/staff/panels/`+pid+`">The northern panel</a>`,
			// The town hall coming up and the open consultation with its idea.
			"Question hour on bikes", `href="/moderate/townhalls/`,
			`<a href="/staff/consultations/`+cid+`">Cycling strategy</a>`, `data-label="Ideas">1<`, `data-label="Without an answer">1<`,
			// Facebook's promise and what was recorded: below the 90% target.
			"Channel policy: are the promises kept?", "<th scope=\"row\">Facebook</th>", "2 working days", "87.5%", "below target", "recorded figures",
			"Idea collection", "10 working days", "on the platform",
			// The idea is past its deadline.
			"Cases past their deadline", `<a href="/ideas/`+iid+`">Cykelstativer ved stationen</a>`, `href="/staff/measurements"`,
			// Facebook's share moved from 66.7% to 33.3%.
			"Cited figures that have moved since publication", "66.7%", "33.3%", "−33.3 points", `href="/staff/policies/`+p.ID+`"`,
			// The links to the channel policy's staff pages.
			`href="/staff/policies"`, `href="/staff/calendar"`)
		if strings.Contains(a.Body, "<og>") {
			t.Fatal("a survey title reached the page unescaped")
		}
		// In Danish, too.
		webtest.Contains(t, staff.Get("/staff?lang=da"), "Undersøgelser, der kører nu", "Kanaler &lt;og&gt; svartider", "2 arbejdsdage", "10 arbejdsdage",
			"Sager, hvor fristen er overskredet", "under målet")
		webtest.Contains(t, staff.Get("/staff?lang=nl"), "Lopende vragenlijsten", "2 werkdagen", "Zaken waarvan de termijn is verstreken")

		// A moderator keeps the links, without the overview.
		e.Account("mod@example.dk", "moderator")
		mod := e.Browser()
		mod.Login("mod@example.dk", webtest.Password)
		m := mod.Get("/staff?lang=en")
		if m.Status != http.StatusOK {
			t.Fatalf("moderator's dashboard: %d", m.Status)
		}
		webtest.Contains(t, m, `href="/moderate/townhalls"`, `href="/moderate/consultations"`)
		for _, no := range []string{"Surveys running now", "Channel policy: are the promises kept?", "Cykelstativer", "/staff/policies", "87.5%"} {
			if strings.Contains(m.Body, no) {
				t.Errorf("the moderator sees %q", no)
			}
		}
	})
}

// With nothing running the overview says so, and caps nothing.
func TestStaffDashboardWhenNothingRuns(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("admin@example.dk", "admin")
		b := e.Browser()
		b.Login("admin@example.dk", webtest.Password)
		a := b.Get("/staff?lang=en")
		if a.Status != http.StatusOK {
			t.Fatalf("dashboard: %d", a.Status)
		}
		webtest.Contains(t, a, "No survey is open for answers.", "There are no panels yet.", "No town hall is live or planned.",
			"No consultation is open for ideas.", "No published channel policy promises an answer time yet.", `href="/admin/accounts"`)
	})
}
