package policy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// wrStaff signs a communications officer in and returns the browser.
func wrStaff(t *testing.T, e *webtest.Env) *webtest.Browser {
	t.Helper()
	e.Account("comms@example.dk", "staff")
	b := e.Browser()
	if a := b.Login("comms@example.dk", webtest.Password); a.Status != http.StatusSeeOther {
		t.Fatalf("login: %d", a.Status)
	}
	return b
}

func wrID(t *testing.T, a webtest.Answer) string {
	t.Helper()
	var out struct{ ID string }
	if err := json.Unmarshal([]byte(a.Body), &out); err != nil || out.ID == "" {
		t.Fatalf("no id in %d %s", a.Status, a.Body)
	}
	return out.ID
}

func wrCount(t *testing.T, e *webtest.Env, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.DB.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// wrDecisionForm is a valid decision form for channel.
func wrDecisionForm(tok, channel string) url.Values {
	return url.Values{"_csrf": {tok}, "channel": {channel}, "purposes": {"information", "questions"}, "handling": {"handled"},
		"target_value": {"2"}, "target_unit": {"days"}, "hours_da": {"Man–fre 8–16"}, "owner": {"Borgerservice <Team>"},
		"tone_da": {"Uformel"}, "text_da": {"<b>Vi svarer</b> på enkle spørgsmål."},
		"evidence_0_kind": {""}, "evidence_0_ref": {""}}
}

func TestStaffWritesAPolicyThroughTheForms(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := wrStaff(t, e)
		webtest.Contains(t, staff.Get("/staff/policies?lang=en"), "Channel policies", "There are no channel policies yet.", `href="/staff/policies/new"`)
		page := staff.Get("/staff/policies/new?lang=en")
		webtest.Contains(t, page, `name="title_nl"`, `name="intro_en"`, `name="period_from"`, `type="date"`, `name="threshold" type="text" inputmode="decimal" class="input-short" maxlength="10" value="5"`)

		// A period that ends before it starts is refused, with the message
		// next to the field, and nothing is stored.
		tok := staff.CSRF("/staff/policies/new")
		form := url.Values{"_csrf": {tok}, "title_da": {"<script>alert(1)</script> Kanalstrategi 2027"}, "title_en": {"Channel policy 2027"},
			"intro_da": {"Sådan svarer vi."}, "period_from": {"2027-12-31"}, "period_to": {"2027-01-01"}, "threshold": {"5"}}
		a := staff.PostForm("/staff/policies?lang=en", form)
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("backwards period: %d", a.Status)
		}
		webtest.Contains(t, a, "There is a problem", `<a href="#period">The end of the period must not be before its start.</a>`, `value="2027-12-31"`)
		if n := wrCount(t, e, &models.Policy{}, "1 = 1"); n != 0 {
			t.Fatalf("%d policies stored from a refused form", n)
		}
		form.Set("period_from", "2027-01-01")
		form.Set("period_to", "2027-12-31")
		a = staff.PostForm("/staff/policies", form)
		if a.Status != http.StatusSeeOther || !strings.HasPrefix(a.Header.Get("Location"), "/staff/policies/") {
			t.Fatalf("create: %d %s", a.Status, a.Header.Get("Location"))
		}
		id := strings.TrimPrefix(a.Header.Get("Location"), "/staff/policies/")
		var p models.Policy
		if err := e.DB.Where("id = ?", id).Take(&p).Error; err != nil || p.PeriodFrom != "2027-01-01" || p.PeriodTo != "2027-12-31" || p.Threshold != 5 || p.Title["en"] != "Channel policy 2027" {
			t.Fatalf("stored %+v (%v)", p, err)
		}
		edit := staff.Get("/staff/policies/" + id + "?lang=da")
		webtest.Contains(t, edit, "Kanalstrategien er oprettet.", "&lt;script&gt;alert(1)&lt;/script&gt; Kanalstrategi 2027", "Kladde, ikke offentliggjort",
			"Der er endnu ingen beslutninger.", "Offentliggør version 1", "Endnu ikke offentliggjort.")
		list := staff.Get("/staff/policies?lang=da")
		webtest.Contains(t, list, "&lt;script&gt;alert(1)&lt;/script&gt; Kanalstrategi 2027", "Kladde, ikke offentliggjort", "1. januar 2027 – 31. december 2027")
		webtest.Contains(t, staff.Get("/staff/policies?lang=en"), "Channel policy 2027", "Draft, not published", "1 January 2027 – 31 December 2027")
		for _, b := range []string{edit.Body, list.Body} {
			if strings.Contains(b, "<script>alert(1)") {
				t.Fatal("a title reached a page unescaped")
			}
		}

		// Publishing without decisions is refused on the page.
		tok = staff.CSRF("/staff/policies/" + id)
		if a := staff.PostForm("/staff/policies/"+id+"/publish?lang=en", url.Values{"_csrf": {tok}}); a.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(a.Body, "Add at least one decision before publishing.") {
			t.Fatalf("publish without decisions: %d", a.Status)
		}

		// The promise is kept as written: 2 working days.
		webtest.Contains(t, staff.Get("/staff/policies/"+id+"/decisions/new?lang=en"), `name="channel"`, `<option value="front_desk">Front desk</option>`,
			`<option value="custom">`, `value="public_space"`, "Reports about public space", `name="evidence_4_ref"`, "survey id:question key:option key",
			"a working day has 8 working hours")
		tok = staff.CSRF("/staff/policies/" + id + "/decisions/new")
		if a := staff.PostForm("/staff/policies/"+id+"/decisions", wrDecisionForm(tok, "facebook")); a.Status != http.StatusSeeOther {
			t.Fatalf("decision: %d %s", a.Status, a.Body)
		}
		var d models.PolicyDecision
		if err := e.DB.Where("policy_id = ? AND channel = ?", id, "facebook").Take(&d).Error; err != nil || d.ResponseTarget == nil || *d.ResponseTarget != 2 || d.ResponseTargetUnit != models.PromiseDays ||
			d.StaffedHours["da"] != "Man–fre 8–16" || len(d.Purposes) != 2 || d.Handling != models.HandlingHandled {
			t.Fatalf("stored decision %+v (%v)", d, err)
		}
		edit = staff.Get("/staff/policies/" + id + "?lang=en")
		webtest.Contains(t, edit, "The decision is saved.", "Facebook", "Information, Questions", "2 working days", "Man–fre 8–16",
			"Borgerservice &lt;Team&gt;", "&lt;b&gt;Vi svarer&lt;/b&gt; på enkle spørgsmål.", `action="/staff/policies/`+id+`/decisions/`+d.ID+`/delete"`)
		if strings.Contains(edit.Body, "<b>Vi svarer") {
			t.Fatal("a decision's text reached the page unescaped")
		}
		webtest.Contains(t, staff.Get("/staff/policies/"+id+"/decisions/"+d.ID+"?lang=en"), "Decision for Facebook", `<option value="facebook" selected>`,
			`name="target_value" type="text" inputmode="decimal" maxlength="10" class="input-short" value="2"`, `<option value="days" selected>`,
			`name="decision_id" value="`+d.ID+`"`)

		// A zero or negative promise is refused in the page's language,
		// and nothing is stored.
		for _, v := range []url.Values{{"target_value": {"0"}, "target_unit": {"days"}}, {"target_value": {"-8"}, "target_unit": {"hours"}}} {
			f := wrDecisionForm(tok, "instagram")
			f.Set("target_value", v.Get("target_value"))
			f.Set("target_unit", v.Get("target_unit"))
			a := staff.PostForm("/staff/policies/"+id+"/decisions?lang=da", f)
			if a.Status != http.StatusUnprocessableEntity {
				t.Fatalf("target %s: %d", v.Get("target_value"), a.Status)
			}
			webtest.Contains(t, a, "Der er et problem", `<a href="#response_target_hours">Skriv et antal arbejdstimer eller arbejdsdage større end 0 og højst et år.</a>`,
				`value="`+v.Get("target_value")+`"`, "&lt;b&gt;Vi svarer&lt;/b&gt;")
		}
		// Evidence that names nothing is refused next to its own row.
		f := wrDecisionForm(tok, "instagram")
		f.Set("evidence_2_kind", policy.KindSurveyOption)
		f.Set("evidence_2_ref", "nope:channels:facebook")
		a = staff.PostForm("/staff/policies/"+id+"/decisions?lang=en", f)
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("unknown evidence: %d", a.Status)
		}
		webtest.Contains(t, a, `<a href="#evidence_2_ref">Nothing with this reference was found.`, `id="evidence_2_ref-error"`, `value="nope:channels:facebook"`)
		if n := wrCount(t, e, &models.PolicyDecision{}, "channel = ?", "instagram"); n != 0 {
			t.Fatalf("%d refused decisions stored", n)
		}

		// A custom channel needs a well-formed key.
		f = wrDecisionForm(tok, "custom")
		f.Set("custom_slug", "pod cast!")
		a = staff.PostForm("/staff/policies/"+id+"/decisions?lang=en", f)
		webtest.Contains(t, a, `<a href="#custom_slug">Choose a channel from the list, or another channel`, `id="custom_slug-error"`, `value="pod cast!"`)
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad custom channel: %d", a.Status)
		}

		// A custom channel, named per language; then deleted.
		f = wrDecisionForm(tok, "custom")
		f.Set("custom_slug", "Podcast")
		f.Set("channel_name_da", "Kommunens podcast")
		if a := staff.PostForm("/staff/policies/"+id+"/decisions", f); a.Status != http.StatusSeeOther {
			t.Fatalf("custom channel: %d %s", a.Status, a.Body)
		}
		var custom models.PolicyDecision
		if err := e.DB.Where("policy_id = ? AND channel = ?", id, "custom-podcast").Take(&custom).Error; err != nil || custom.ChannelName["da"] != "Kommunens podcast" {
			t.Fatalf("custom decision %+v (%v)", custom, err)
		}
		webtest.Contains(t, staff.Get("/staff/policies/"+id+"?lang=da"), "Kommunens podcast", "Anden kanal")
		if a := staff.PostForm("/staff/policies/"+id+"/decisions/"+custom.ID+"/delete", url.Values{"_csrf": {tok}}); a.Status != http.StatusSeeOther {
			t.Fatalf("delete: %d", a.Status)
		}
		if n := wrCount(t, e, &models.PolicyDecision{}, "policy_id = ?", id); n != 1 {
			t.Fatalf("%d decisions after the delete", n)
		}

		// A decision whose channel is changed in its form moves there.
		f = wrDecisionForm(tok, "x")
		f.Set("decision_id", d.ID)
		if a := staff.PostForm("/staff/policies/"+id+"/decisions", f); a.Status != http.StatusSeeOther {
			t.Fatalf("move: %d %s", a.Status, a.Body)
		}
		if wrCount(t, e, &models.PolicyDecision{}, "policy_id = ? AND channel = ?", id, "facebook") != 0 || wrCount(t, e, &models.PolicyDecision{}, "policy_id = ? AND channel = ?", id, "x") != 1 {
			t.Fatal("the decision did not move to its new channel")
		}

		// Publishing twice makes versions 1 and 2, linked to their public pages.
		for i := 1; i <= 2; i++ {
			a := staff.PostForm("/staff/policies/"+id+"/publish", url.Values{"_csrf": {tok}})
			if a.Status != http.StatusSeeOther {
				t.Fatalf("publish %d: %d %s", i, a.Status, a.Body)
			}
		}
		if n := wrCount(t, e, &models.PolicyVersion{}, "policy_id = ?", id); n != 2 {
			t.Fatalf("%d versions", n)
		}
		webtest.Contains(t, staff.Get("/staff/policies/"+id+"?lang=en"), "The new version is published.", "Publish version 3",
			`href="/policies/`+id+`?version=1"`, `href="/policies/`+id+`?version=2"`, "Version 2, published")

		// A forged form is refused.
		if a := staff.PostForm("/staff/policies", url.Values{"_csrf": {"forged"}, "title_da": {"X"}, "period_from": {"2027-01-01"}, "period_to": {"2027-12-31"}}); a.Status != http.StatusForbidden {
			t.Fatalf("forged CSRF: %d", a.Status)
		}
		if n := wrCount(t, e, &models.Policy{}, "1 = 1"); n != 1 {
			t.Fatalf("%d policies after a forged form", n)
		}
	})
}

const wrSurvey = `{
  "title": {"da": "Hvad forventer du af kommunen på sociale medier?", "en": "What do you expect from the city on social media?"},
  "languages": ["da", "en"], "allow_multiple": true, "publish_results": true,
  "questions": [
    {"key": "channels", "type": "single", "text": {"da": "Hvor vil du helst stille et spørgsmål?", "en": "Where would you rather ask a question?"},
     "options": [{"key": "facebook", "text": {"da": "Facebook", "en": "Facebook"}}, {"key": "web", "text": {"da": "Hjemmesiden", "en": "The website"}}]}
  ]}`

// wrOpenSurvey makes and opens a survey through the API and answers it:
// facebook times Facebook, web times the website.
func wrOpenSurvey(t *testing.T, e *webtest.Env, api *webtest.Browser) string {
	t.Helper()
	a := api.PostJSON("/api/v1/surveys", wrSurvey)
	if a.Status != http.StatusCreated {
		t.Fatalf("survey: %d %s", a.Status, a.Body)
	}
	id := wrID(t, a)
	if o := api.PostJSON("/api/v1/surveys/"+id+"/open", `{}`); o.Status != http.StatusOK {
		t.Fatalf("open: %d %s", o.Status, o.Body)
	}
	wrAnswer(t, e, id, "facebook", 2)
	wrAnswer(t, e, id, "web", 1)
	return id
}

func wrAnswer(t *testing.T, e *webtest.Env, surveyID, option string, n int) {
	t.Helper()
	citizen := e.Browser()
	for i := 0; i < n; i++ {
		if r := citizen.PostJSON("/api/v1/surveys/"+surveyID+"/responses", `{"answers": {"channels": "`+option+`"}}`); r.Status != http.StatusCreated {
			t.Fatalf("response: %d %s", r.Status, r.Body)
		}
	}
}

func TestStaffWritesAPolicyThroughTheAPI(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		api := e.APIClient("api@example.dk", "staff")
		sid := wrOpenSurvey(t, e, api)

		// Citizens and moderators may not write policies.
		mod := e.APIClient("mod@example.dk", "moderator")
		citizen := e.Browser()
		citizen.Get("/")
		for _, r := range []struct{ method, path string }{
			{"POST", "/api/v1/policies"}, {"PUT", "/api/v1/policies/x"}, {"POST", "/api/v1/policies/x/decisions"},
			{"DELETE", "/api/v1/policies/x/decisions/y"}, {"POST", "/api/v1/policies/x/publish"}, {"GET", "/api/v1/calendar"}, {"PUT", "/api/v1/calendar"},
		} {
			if a := mod.Do(r.method, r.path, strings.NewReader(`{}`), "application/json"); a.Status != http.StatusForbidden {
				t.Errorf("moderator %s %s: %d", r.method, r.path, a.Status)
			}
			if a := citizen.Do(r.method, r.path, strings.NewReader(`{}`), "application/json"); a.Status != http.StatusUnauthorized && a.Status != http.StatusForbidden {
				t.Errorf("citizen %s %s: %d", r.method, r.path, a.Status)
			}
		}

		if a := api.PostJSON("/api/v1/policies?lang=en", `{"title":{"da":"Kanalstrategi"},"period":"2027-13-01/2027-12-31"}`); a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad period: %d %s", a.Status, a.Body)
		} else if code, fields := webtest.ErrorCode(t, a); code != "validation_failed" || !strings.HasPrefix(fields["period"], "Enter the period as two dates") {
			t.Fatalf("bad period: %s %v", code, fields)
		}
		a := api.PostJSON("/api/v1/policies", `{"title":{"da":"Kanalstrategi 2027","en":"Channel policy 2027"},"intro":{"da":"Sådan svarer vi."},"period":"2027-01-01/2027-12-31","threshold":5}`)
		if a.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
		id := wrID(t, a)
		webtest.Contains(t, a, `"period":"2027-01-01/2027-12-31"`, `"version":0`, `"published_at":null`, `"url":"`)
		if u := api.Do("PUT", "/api/v1/policies/"+id, strings.NewReader(`{"title":{"da":"Kanalstrategi 2027-28"},"period":"2027-01-01/2028-06-30","threshold":2.5}`), "application/json"); u.Status != http.StatusOK ||
			!strings.Contains(u.Body, `"period":"2027-01-01/2028-06-30"`) || !strings.Contains(u.Body, `"threshold":2.5`) {
			t.Fatalf("update: %d %s", u.Status, u.Body)
		}
		if u := api.Do("PUT", "/api/v1/policies/nope", strings.NewReader(`{"title":{"da":"X"},"period":"2027-01-01/2027-12-31"}`), "application/json"); u.Status != http.StatusNotFound {
			t.Fatalf("update unknown: %d", u.Status)
		}

		// A decision citing a real survey option.
		ref := sid + ":channels:facebook"
		body := `{"channel":"facebook","purposes":["information","questions"],"response_target_hours":16,"hours":{"da":"Man–fre 8–16"},
			"owner":"Borgerservice","text":{"da":"Vi svarer på enkle spørgsmål."},"evidence":[{"kind":"survey_option","ref":"` + ref + `"}]}`
		a = api.PostJSON("/api/v1/policies/"+id+"/decisions", body)
		if a.Status != http.StatusCreated {
			t.Fatalf("decision: %d %s", a.Status, a.Body)
		}
		did := wrID(t, a)
		webtest.Contains(t, a, `"channel":"facebook"`, `"response_target_hours":16`, `"handling":"handled"`, `"ref":"`+ref+`"`)
		if again := api.PostJSON("/api/v1/policies/"+id+"/decisions", body); again.Status != http.StatusOK || wrID(t, again) != did {
			t.Fatalf("replace: %d %s", again.Status, again.Body)
		}

		// Refused: evidence naming nothing, zero and negative promises.
		bad := []struct{ body, field, want string }{
			{`{"channel":"x","purposes":["information"],"response_target_hours":8,"evidence":[{"kind":"survey_option","ref":"` + sid + `:channels:tiktok"}]}`,
				"evidence.0.ref", "Der blev ikke fundet noget med denne reference."},
			{`{"channel":"x","purposes":["information"],"response_target_hours":8,"evidence":[{"kind":"survey_question","ref":"nope:channels"}]}`,
				"evidence.0.ref", "Der blev ikke fundet noget med denne reference."},
			{`{"channel":"x","purposes":["information"],"response_target_hours":0}`, "response_target_hours", "Skriv et antal arbejdstimer eller arbejdsdage større end 0"},
			{`{"channel":"x","purposes":["information"],"response_target_hours":-16}`, "response_target_hours", "Skriv et antal arbejdstimer eller arbejdsdage større end 0"},
			{`{"channel":"myspace","purposes":["information"],"response_target_hours":8}`, "channel", "Vælg en kanal fra listen"},
		}
		for _, b := range bad {
			a := api.PostJSON("/api/v1/policies/"+id+"/decisions?lang=da", b.body)
			if a.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: %d %s", b.body, a.Status, a.Body)
			}
			if code, fields := webtest.ErrorCode(t, a); code != "validation_failed" || !strings.HasPrefix(fields[b.field], b.want) {
				t.Fatalf("%s: %s %v", b.body, code, fields)
			}
		}
		if n := wrCount(t, e, &models.PolicyDecision{}, "policy_id = ?", id); n != 1 {
			t.Fatalf("%d decisions stored", n)
		}

		// The staff page shows the evidence's figure now: 2 of 3.
		e.Account("comms@example.dk", "staff")
		staff := e.Browser()
		staff.Login("comms@example.dk", webtest.Password)
		webtest.Contains(t, staff.Get("/staff/policies/"+id+"?lang=en"), "Where would you rather ask a question?", "66.7%", "16 working hours")

		// Publishing twice gives versions 1 and 2.
		for v := 1; v <= 2; v++ {
			a := api.PostJSON("/api/v1/policies/"+id+"/publish", `{}`)
			if a.Status != http.StatusOK || !strings.Contains(a.Body, fmt.Sprintf(`"version":%d`, v)) || !strings.Contains(a.Body, `"published_at":"`) {
				t.Fatalf("publish %d: %d %s", v, a.Status, a.Body)
			}
		}
		// The figure moves by more than the threshold: the page warns.
		wrAnswer(t, e, sid, "web", 3)
		webtest.Contains(t, staff.Get("/staff/policies/"+id+"?lang=en"), "Moved since publication: 66.7% then, 33.3% now")

		if a := api.Do("DELETE", "/api/v1/policies/"+id+"/decisions/"+did, strings.NewReader("{}"), "application/json"); a.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", a.Status, a.Body)
		}
		if a := api.Do("DELETE", "/api/v1/policies/"+id+"/decisions/"+did, strings.NewReader("{}"), "application/json"); a.Status != http.StatusNotFound {
			t.Fatalf("delete again: %d", a.Status)
		}
		if a := api.PostJSON("/api/v1/policies/"+id+"/publish", `{}`); a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("publish without decisions: %d %s", a.Status, a.Body)
		}
	})
}

func TestWorkingCalendar(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := wrStaff(t, e)
		page := staff.Get("/staff/calendar?lang=en")
		webtest.Contains(t, page, `id="weekday-1" name="weekdays" value="1" checked`, `id="weekday-6" name="weekdays" value="6">`, `value="08:00"`, `value="16:00"`,
			"A working day has 8 working hours.")
		tok := staff.CSRF("/staff/calendar")
		form := url.Values{"_csrf": {tok}, "weekdays": {"1", "2", "3", "4"}, "opens": {"09:00"}, "closes": {"25:00"},
			"holidays": {"2026-12-25 <i>Juledag</i>\n2026-12-26 2. juledag\n"}}

		// A bad clock is refused and nothing changes.
		a := staff.PostForm("/staff/calendar?lang=en", form)
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad clock: %d", a.Status)
		}
		webtest.Contains(t, a, `<a href="#closes">Enter a time like 08:00.</a>`, "2026-12-25 &lt;i&gt;Juledag&lt;/i&gt;")
		var cal models.WorkCalendar
		if err := e.DB.Where("id = 1").Take(&cal).Error; err != nil || cal.Weekdays != "1,2,3,4,5" || cal.Closes != 960 {
			t.Fatalf("calendar after a refused form: %+v (%v)", cal, err)
		}
		if a := staff.PostForm("/staff/calendar?lang=en", url.Values{"_csrf": {tok}, "opens": {"16:00"}, "closes": {"08:00"}}); a.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(a.Body, "Choose at least one working day.") || !strings.Contains(a.Body, "The office must close after it opens.") {
			t.Fatalf("no days, closes before opens: %d", a.Status)
		}

		form.Set("closes", "15:00")
		if a := staff.PostForm("/staff/calendar", form); a.Status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", a.Status, a.Body)
		}
		if err := e.DB.Where("id = 1").Take(&cal).Error; err != nil || cal.Weekdays != "1,2,3,4" || cal.Opens != 9*60 || cal.Closes != 15*60 {
			t.Fatalf("calendar %+v (%v)", cal, err)
		}
		var days []models.PublicHoliday
		e.DB.Order("day").Find(&days)
		if len(days) != 2 || days[0].Day != "2026-12-25" || days[0].Name != "<i>Juledag</i>" || days[1].Name != "2. juledag" {
			t.Fatalf("holidays %+v", days)
		}
		page = staff.Get("/staff/calendar?lang=da")
		webtest.Contains(t, page, "Arbejdskalenderen er gemt.", `value="4" checked`, `value="09:00"`, `value="15:00"`, "2026-12-25 &lt;i&gt;Juledag&lt;/i&gt;", "En arbejdsdag har 6 arbejdstimer.")
		if strings.Contains(page.Body, "<i>Juledag") {
			t.Fatal("a holiday's name reached the page unescaped")
		}

		// The suggestion adds next year's Danish holidays without saving.
		year := e.Clock.Now().Year() + 1
		a = staff.PostForm("/staff/calendar", url.Values{"_csrf": {tok}, "action": {"suggest_dk"}, "weekdays": {"1", "2", "3", "4"}, "opens": {"09:00"}, "closes": {"15:00"},
			"holidays": {"2026-12-25 Juledag"}})
		webtest.Contains(t, a, fmt.Sprintf("%d-12-25 Juledag", year), fmt.Sprintf("%d-01-01 Nytårsdag", year), "Påskedag", "2026-12-25 Juledag")
		if n := wrCount(t, e, &models.PublicHoliday{}, "1 = 1"); n != 2 {
			t.Fatalf("the suggestion saved: %d holidays", n)
		}

		// "2 working days" stays 2 working days, now of 6 hours.
		api := e.APIClient("api@example.dk", "staff")
		id := wrID(t, api.PostJSON("/api/v1/policies", `{"title":{"da":"Kanalstrategi"},"period":"2027-01-01/2027-12-31"}`))
		tok = staff.CSRF("/staff/policies/" + id + "/decisions/new")
		if a := staff.PostForm("/staff/policies/"+id+"/decisions", wrDecisionForm(tok, "email")); a.Status != http.StatusSeeOther {
			t.Fatalf("decision: %d %s", a.Status, a.Body)
		}
		var d models.PolicyDecision
		if err := e.DB.Where("policy_id = ?", id).Take(&d).Error; err != nil || d.ResponseTarget == nil || *d.ResponseTarget != 2 || d.ResponseTargetUnit != models.PromiseDays {
			t.Fatalf("2 days of 6 hours: %+v (%v)", d, err)
		}
		webtest.Contains(t, api.Get("/api/v1/policies/"+id), `"response_target_hours":12`, `"response_target_unit":"days"`, `"response_target_days":2`)

		// The API reads and writes the same calendar.
		g := api.Get("/api/v1/calendar")
		webtest.Contains(t, g, `"weekdays":[1,2,3,4]`, `"opens":"09:00"`, `"closes":"15:00"`, `"day_hours":6`, `"day":"2026-12-25"`)
		if a := api.Do("PUT", "/api/v1/calendar?lang=en", strings.NewReader(`{"weekdays":[1,2,3,4,5],"opens":"8.00","closes":"7:99"}`), "application/json"); a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad clock by API: %d %s", a.Status, a.Body)
		} else if _, fields := webtest.ErrorCode(t, a); fields["closes"] != "Enter a time like 08:00." {
			t.Fatalf("fields %v", fields)
		}
		a = api.Do("PUT", "/api/v1/calendar", strings.NewReader(`{"weekdays":[1,2,3,4,5],"opens":"08:00","closes":"16:00","holidays":[{"day":"2027-01-01","name":"Nytårsdag"}]}`), "application/json")
		if a.Status != http.StatusOK {
			t.Fatalf("put calendar: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, a, `"weekdays":[1,2,3,4,5]`, `"day_hours":8`, `"holidays":[{"day":"2027-01-01","name":"Nytårsdag"}]`)
	})
}

func TestPolicyPagesNeedStaff(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		api := e.APIClient("api@example.dk", "staff")
		id := wrID(t, api.PostJSON("/api/v1/policies", `{"title":{"da":"Kanalstrategi"},"period":"2027-01-01/2027-12-31"}`))
		visitor := e.Browser()
		e.Account("mod@example.dk", "moderator")
		mod := e.Browser()
		mod.Login("mod@example.dk", webtest.Password)
		for _, p := range []string{"/staff/policies", "/staff/policies/new", "/staff/policies/" + id, "/staff/policies/" + id + "/decisions/new", "/staff/calendar"} {
			if a := visitor.Get(p); a.Status != http.StatusSeeOther || !strings.HasPrefix(a.Header.Get("Location"), "/login") {
				t.Errorf("visitor %s: %d", p, a.Status)
			}
			if a := mod.Get(p); a.Status != http.StatusForbidden {
				t.Errorf("moderator %s: %d", p, a.Status)
			}
		}
		tok := mod.CSRF("/account")
		if a := mod.PostForm("/staff/policies/"+id+"/publish", url.Values{"_csrf": {tok}}); a.Status != http.StatusForbidden {
			t.Fatalf("moderator publish: %d", a.Status)
		}
		if n := wrCount(t, e, &models.PolicyVersion{}, "1 = 1"); n != 0 {
			t.Fatalf("%d versions", n)
		}
	})
}

func TestDanishHolidays(t *testing.T) {
	want := map[string]string{"Påskedag": "2027-03-28", "Langfredag": "2027-03-26", "Kristi himmelfartsdag": "2027-05-06", "2. pinsedag": "2027-05-17", "Juledag": "2027-12-25"}
	got := map[string]string{}
	for _, d := range policy.DanishHolidays(2027) {
		got[d.Name] = d.Day
	}
	for name, day := range want {
		if got[name] != day {
			t.Errorf("%s 2027: %s, want %s", name, got[name], day)
		}
	}
	if d := policy.DanishHolidays(2026); d[3].Day != "2026-04-05" {
		t.Errorf("Easter 2026: %s", d[3].Day)
	}
}
