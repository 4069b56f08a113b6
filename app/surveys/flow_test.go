package surveys_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/inspraak/inspraak/app/web"

	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// surveyJSON is a small questionnaire over two pages with a condition on
// each: a question on the same page and a whole page.
const surveyJSON = `{
  "title": {"da": "Borgerpanel om sociale medier", "nl": "Burgerpanel over sociale media", "en": "Citizen panel on social media"},
  "description": {"da": "Fortæl os, hvad du forventer.", "en": "Tell us what you expect."},
  "languages": ["da", "nl", "en"], "anonymous": %s, "allow_multiple": %s,
  "sections": [
    {"key": "p1", "questions": [
      {"key": "who", "type": "single", "required": true, "text": {"da": "Hvem er du?", "nl": "Wie bent u?", "en": "Who are you?"},
       "options": [{"key": "resident", "text": {"da": "Borger", "nl": "Inwoner", "en": "Resident"}},
                   {"key": "visitor", "text": {"da": "Besøgende", "nl": "Bezoeker", "en": "Visitor"}}]},
      {"key": "active", "type": "single", "required": true, "text": {"da": "Skal kommunen være aktiv?", "nl": "Moet de gemeente actief zijn?", "en": "Should the city be active?"},
       "options": [{"key": "yes", "text": {"da": "Ja", "nl": "Ja", "en": "Yes"}}, {"key": "no", "text": {"da": "Nej", "nl": "Nee", "en": "No"}}]},
      {"key": "where", "type": "multiple", "required": true, "show_if": {"question": "active", "any_of": ["yes"]},
       "text": {"da": "Hvor?", "nl": "Waar?", "en": "Where?"},
       "options": [{"key": "facebook", "text": {"da": "Facebook", "en": "Facebook"}}, {"key": "x", "text": {"da": "X", "en": "X"}}]}
    ]},
    {"key": "p2", "show_if": {"question": "who", "any_of": ["resident"]}, "questions": [
      {"key": "hours", "type": "single", "required": true, "text": {"da": "Hvor hurtigt vil du have svar?", "nl": "Hoe snel wilt u antwoord?", "en": "How fast do you want an answer?"},
       "options": [{"key": "same_day", "text": {"da": "Samme dag", "nl": "Dezelfde dag", "en": "Same day"}},
                   {"key": "two_days", "text": {"da": "1-2 arbejdsdage", "nl": "1-2 werkdagen", "en": "1-2 working days"}}]},
      {"key": "remark", "type": "text", "text": {"da": "Bemærkning", "nl": "Opmerking", "en": "Remark"}}
    ]}
  ]}`

func openSurvey(t *testing.T, e *webtest.Env, staff *webtest.Browser, anonymous, multiple bool) string {
	t.Helper()
	a := staff.PostJSON("/api/v1/surveys", fmt.Sprintf(surveyJSON, fmt.Sprint(anonymous), fmt.Sprint(multiple)))
	if a.Status != http.StatusCreated {
		t.Fatalf("create survey: %d %s", a.Status, a.Body)
	}
	var sv struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	_ = json.Unmarshal([]byte(a.Body), &sv)
	if sv.Status != "draft" {
		t.Fatalf("new survey status %q", sv.Status)
	}
	if o := staff.PostJSON("/api/v1/surveys/"+sv.ID+"/open", `{}`); o.Status != 200 || !strings.Contains(o.Body, `"status":"open"`) {
		t.Fatalf("open: %d %s", o.Status, o.Body)
	}
	return sv.ID
}

func count(e *webtest.Env, table, where string, args ...any) int64 {
	var n int64
	e.DB.Table(table).Where(where, args...).Count(&n)
	return n
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// post submits a survey page like a browser: the CSRF token from the page
// just fetched, the given answers and a button.
func post(t *testing.T, b *webtest.Browser, pagePath string, form url.Values, action string) webtest.Answer {
	t.Helper()
	pg := b.Get(pagePath)
	m := csrfRe.FindStringSubmatch(pg.Body)
	if m == nil {
		t.Fatalf("no form on %s (%d)", pagePath, pg.Status)
	}
	form.Set("_csrf", m[1])
	form.Set("action", action)
	return b.PostForm(strings.Split(pagePath, "?")[0], form)
}

func TestCitizenAnswersPageByPage(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		id := openSurvey(t, e, staff, true, false)
		base := "/surveys/" + id
		c := e.Browser()

		intro := c.Get(base + "?channel=facebook")
		webtest.Contains(t, intro, "Borgerpanel om sociale medier", "Fortæl os, hvad du forventer.", "Start undersøgelsen",
			`href="/surveys/`+id+`/s/1?channel=facebook"`, `property="og:title"`, `og:locale" content="da_DK"`, "facebook.com/sharer")

		// A bearer token on a page is ignored, not an error.
		tokenVisitor := e.Browser()
		tokenVisitor.Header.Set("Authorization", "Bearer isp_whatever")
		if a := tokenVisitor.Get(base + "/s/1"); a.Status != http.StatusOK {
			t.Fatalf("page with a bearer token: %d", a.Status)
		}
		page1 := c.Get(base + "/s/1?channel=facebook")
		webtest.Contains(t, page1, "Side 1 af 2", "Hvem er du?", `name="q.who"`, `data-show-if="active"`, "Svar kun, hvis du svarede", ">Næste<")

		// A missing required answer: a localized message beside the field, answers kept.
		a := post(t, c, base+"/s/1?channel=facebook", url.Values{"q.who": {"resident"}, "channel": {"facebook"}}, "next")
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("missing answer: %d", a.Status)
		}
		webtest.Contains(t, a, "Der er et problem", "Udfyld dette felt.", `value="resident" checked`)

		// The conditional question is required only when shown.
		a = post(t, c, base+"/s/1", url.Values{"q.who": {"resident"}, "q.active": {"no"}}, "next")
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != base+"/s/2" {
			t.Fatalf("page 1: %d %s", a.Status, a.Header.Get("Location"))
		}
		// Back keeps the answers.
		a = post(t, c, base+"/s/2", url.Values{"q.hours": {"two_days"}}, "back")
		if a.Header.Get("Location") != base+"/s/1" {
			t.Fatalf("back: %q", a.Header.Get("Location"))
		}
		webtest.Contains(t, c.Get(base+"/s/1"), `value="resident" checked`, `value="no" checked`)
		webtest.Contains(t, c.Get(base+"/s/2"), `value="two_days" checked`, "Side 2 af 2", "Send mine svar")

		// HTML in an answer is stored as text and shown escaped.
		a = post(t, c, base+"/s/2", url.Values{"q.hours": {"same_day"}, "q.remark": {`<script>alert(1)</script>`}}, "next")
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != base+"/thanks" {
			t.Fatalf("submit: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, c.Get(base+"/thanks"), "Tak!")

		// Stored anonymously: no participant, no time of day, the channel kept.
		var r models.Response
		if err := e.DB.Where("survey_id = ?", id).Take(&r).Error; err != nil {
			t.Fatal(err)
		}
		if r.ParticipantID != nil || r.SubmittedAt != nil || len(r.SubmittedOn) != 10 || r.Channel != "facebook" {
			t.Fatalf("anonymous response holds %+v", r)
		}
		var remark string
		e.DB.Table("response_answers").Where("response_id = ? AND question_key = ?", r.ID, "remark").Select("text").Scan(&remark)
		if remark != `<script>alert(1)</script>` {
			t.Fatalf("remark stored as %q", remark)
		}
		if n := count(e, "response_answers", "response_id = ? AND question_key = ?", r.ID, "where"); n != 0 {
			t.Fatal("an answer to a hidden question was stored")
		}
		if n := count(e, "response_drafts", "survey_id = ? AND answers <> ?", id, "{}"); n != 0 {
			t.Fatal("the draft's answers outlived the submission")
		}
		// The marker that enforces one response is keyed with a secret: the
		// participant id in its cookie cannot be turned into it from the database.
		pid := e.Srv.ParticipantOf(c.Cookies[web.ParticipantCookie])
		var markers []string
		e.DB.Table("response_markers").Where("survey_id = ?", id).Pluck("marker", &markers)
		plain := sha256.Sum256([]byte(id + "\x00" + pid))
		if pid == "" || len(markers) != 1 || markers[0] == hex.EncodeToString(plain[:]) || strings.Contains(markers[0], pid) {
			t.Fatalf("marker %v for participant %q", markers, pid)
		}
		// A second response by the same participant is refused, kindly.
		again := c.Get(base)
		if again.Status != http.StatusConflict {
			t.Fatalf("second visit: %d", again.Status)
		}
		webtest.Contains(t, again, "Du har allerede besvaret denne undersøgelse.")
	})
}

func TestHiddenPageIsSkippedAndResumeLink(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		id := openSurvey(t, e, staff, true, false)
		base := "/surveys/" + id
		phone := e.Browser()
		phone.Header.Set("Accept-Language", "nl")
		// Save for later on the phone, then continue on a laptop with the link.
		a := post(t, phone, base+"/s/1", url.Values{"q.who": {"visitor"}}, "save")
		if a.Header.Get("Location") != base+"/saved" {
			t.Fatalf("save: %d %q", a.Status, a.Header.Get("Location"))
		}
		saved := phone.Get(base + "/saved")
		m := regexp.MustCompile(`http://localhost:8080(/surveys/[^"]+/resume/[^"]+)"`).FindStringSubmatch(saved.Body)
		if m == nil {
			t.Fatalf("no resume link on %s", saved.Body)
		}
		webtest.Contains(t, saved, "Uw antwoorden zijn opgeslagen")
		laptop := e.Browser()
		r := laptop.Get(m[1])
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != base+"/s/1" {
			t.Fatalf("resume: %d %q", r.Status, r.Header.Get("Location"))
		}
		webtest.Contains(t, laptop.Get(base+"/s/1"), `value="visitor" checked`)
		if a := laptop.Get(strings.Replace(m[1], "/resume/", "/resume/x", 1)); a.Status != http.StatusNotFound {
			t.Fatalf("a wrong resume token: %d", a.Status)
		}
		// A visitor never sees page 2: "next" on page 1 submits.
		a = post(t, laptop, base+"/s/1", url.Values{"q.who": {"visitor"}, "q.active": {"yes"}, "q.where": {"facebook", "x"}}, "next")
		if a.Header.Get("Location") != base+"/thanks" {
			t.Fatalf("visitor submit: %d %q %s", a.Status, a.Header.Get("Location"), a.Body)
		}
		if a := laptop.Get(base + "/s/2"); a.Status != http.StatusConflict {
			t.Fatalf("page 2 after submitting: %d", a.Status)
		}
		if n := count(e, "response_answers", "question_key = ?", "where"); n != 2 {
			t.Fatalf("multiple choice stored %d rows", n)
		}
	})
}

func TestAPIResponses(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		id := openSurvey(t, e, staff, false, false)
		path := "/api/v1/surveys/" + id + "/responses?lang=en"
		c := e.Browser()
		bad := []struct {
			name, body string
			status     int
			field      string
		}{
			{"unknown question", `{"answers": {"who": "resident", "active": "no", "hours": "same_day", "shoe_size": 43}}`, 422, "shoe_size"},
			{"unknown option", `{"answers": {"who": "mayor", "active": "no"}}`, 422, "who"},
			{"wrong type", `{"answers": {"who": ["resident"], "active": "no"}}`, 422, "who"},
			{"hidden answered", `{"answers": {"who": "resident", "active": "no", "where": ["x"], "hours": "same_day"}}`, 422, "where"},
			{"required missing", `{"answers": {"who": "resident", "active": "no"}}`, 422, "hours"},
			{"too long", `{"answers": {"who": "resident", "active": "no", "hours": "same_day", "remark": "` + strings.Repeat("x", 301) + `"}}`, 422, "remark"},
			{"answers not an object", `{"answers": [1, 2]}`, 422, "answers"},
			{"invalid token", `{"answers": {"who": "visitor", "active": "no"}, "token": "abc"}`, 422, "token"},
			{"malformed", `{"answers": `, 400, ""},
			{"invalid UTF-8", "{\"answers\": {\"who\": \"visitor\", \"active\": \"no\", \"remark\": \"\xff\"}}", 400, ""},
		}
		for _, b := range bad {
			a := c.PostJSON(path, b.body)
			if a.Status != b.status {
				t.Errorf("%s: %d, want %d (%s)", b.name, a.Status, b.status, a.Body)
				continue
			}
			if _, fields := webtest.ErrorCode(t, a); b.field != "" && fields[b.field] == "" {
				t.Errorf("%s: no message for %s in %v", b.name, b.field, fields)
			}
		}
		if n := count(e, "responses", "survey_id = ?", id); n != 0 {
			t.Fatalf("bad input stored %d responses", n)
		}
		ok := `{"answers": {"who": "resident", "active": "yes", "where": ["facebook"], "hours": "two_days"}, "channel": "LinkedIn"}`
		if a := c.PostJSON(path, ok); a.Status != http.StatusCreated {
			t.Fatalf("valid response: %d %s", a.Status, a.Body)
		}
		second := c.PostJSON(path, ok)
		if second.Status != http.StatusConflict {
			t.Fatalf("second response: %d", second.Status)
		}
		// An identified survey stores the participant, and the channel as a clean slug.
		var r models.Response
		e.DB.Where("survey_id = ?", id).Take(&r)
		if r.ParticipantID == nil || r.SubmittedAt == nil || r.Channel != "linkedin" {
			t.Fatalf("identified response %+v", r)
		}
		// Closed: 409, and a friendly page.
		staff.PostJSON("/api/v1/surveys/"+id+"/close", `{}`)
		other := e.Browser()
		if a := other.PostJSON(path, ok); a.Status != http.StatusConflict {
			t.Fatalf("closed survey: %d", a.Status)
		}
		page := other.Get("/surveys/" + id + "?lang=nl")
		if page.Status != http.StatusConflict {
			t.Fatalf("closed survey page: %d", page.Status)
		}
		webtest.Contains(t, page, "Deze vragenlijst is gesloten.")
		// Drafts are not public.
		draft := staff.PostJSON("/api/v1/surveys", fmt.Sprintf(surveyJSON, "true", "false"))
		var d struct{ ID string }
		_ = json.Unmarshal([]byte(draft.Body), &d)
		if a := e.Browser().Get("/api/v1/surveys/" + d.ID); a.Status != http.StatusNotFound {
			t.Fatalf("draft via API: %d", a.Status)
		}
		if a := e.Browser().Get("/surveys/" + d.ID); a.Status != http.StatusNotFound {
			t.Fatalf("draft page: %d", a.Status)
		}
		if a := e.Browser().PostJSON("/api/v1/surveys/"+d.ID+"/responses", ok); a.Status != http.StatusNotFound {
			t.Fatalf("response to a draft: %d", a.Status)
		}
		// Citizens cannot create or open surveys.
		if a := e.Browser().PostJSON("/api/v1/surveys", fmt.Sprintf(surveyJSON, "true", "false")); a.Status != http.StatusUnauthorized {
			t.Fatalf("anonymous create: %d", a.Status)
		}
		mod := e.APIClient("mod@example.org", "moderator")
		if a := mod.PostJSON("/api/v1/surveys/"+id+"/open", `{}`); a.Status != http.StatusForbidden {
			t.Fatalf("moderator opens a survey: %d", a.Status)
		}
	})
}

func TestConcurrentSubmissions(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		id := openSurvey(t, e, staff, true, true) // several per person allowed: only the key can stop a duplicate
		path := "/api/v1/surveys/" + id + "/responses"
		body := `{"answers": {"who": "visitor", "active": "no"}}`

		// 50 parallel retries of one submission, one session, one Idempotency-Key.
		c := e.Browser()
		c.Get("/login") // start the session
		c.Header.Set("Idempotency-Key", "submit-1")
		var wg sync.WaitGroup
		statuses := make([]int, 50)
		for i := range statuses {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				b := &webtest.Browser{E: e, Cookies: map[string]string{}, Header: c.Header.Clone()}
				for k, v := range c.Cookies {
					b.Cookies[k] = v
				}
				statuses[i] = b.PostJSON(path, body).Status
			}(i)
		}
		wg.Wait()
		if n := count(e, "responses", "survey_id = ?", id); n != 1 {
			t.Fatalf("50 retries with one key stored %d responses (statuses %v)", n, statuses)
		}
		for _, s := range statuses {
			if s != http.StatusCreated && s != http.StatusConflict {
				t.Fatalf("unexpected status %d", s)
			}
		}

		// 50 participants in parallel: 50 responses.
		id2 := openSurvey(t, e, staff, true, false)
		path2 := "/api/v1/surveys/" + id2 + "/responses"
		created := make([]int, 50)
		for i := range created {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				created[i] = e.Browser().PostJSON(path2, body).Status
			}(i)
		}
		wg.Wait()
		if n := count(e, "responses", "survey_id = ?", id2); n != 50 {
			t.Fatalf("50 participants stored %d responses (statuses %v)", n, created)
		}
		if n := count(e, "response_markers", "survey_id = ?", id2); n != 50 {
			t.Fatalf("%d markers for 50 participants", n)
		}
	})
}

func TestStaffTextIsShownEscaped(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		body := strings.Replace(fmt.Sprintf(surveyJSON, "true", "false"), `"Borgerpanel om sociale medier"`, `"<script>alert('x')</script> & <b>fed</b>"`, 1)
		a := staff.PostJSON("/api/v1/surveys", body)
		var sv struct{ ID string }
		_ = json.Unmarshal([]byte(a.Body), &sv)
		staff.PostJSON("/api/v1/surveys/"+sv.ID+"/open", `{}`)
		for _, path := range []string{"/surveys/" + sv.ID, "/surveys/" + sv.ID + "/s/1", "/"} {
			pg := e.Browser().Get(path)
			if strings.Contains(pg.Body, "<script>alert") || strings.Contains(pg.Body, "<b>fed</b>") {
				t.Errorf("%s shows staff text unescaped", path)
			}
			webtest.Contains(t, pg, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;fed&lt;/b&gt;")
		}
	})
}

// TestDoubleSubmitStoresOnce posts the last page twice at once, as a double
// click does, on a survey that allows several responses per person.
func TestDoubleSubmitStoresOnce(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		id := openSurvey(t, e, e.APIClient("staff@example.org", "staff"), true, true)
		base := "/surveys/" + id
		c := e.Browser()
		post(t, c, base+"/s/1", url.Values{"q.who": {"resident"}, "q.active": {"no"}}, "next")
		tok := csrfRe.FindStringSubmatch(c.Get(base + "/s/2").Body)[1]
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := &webtest.Browser{E: e, Cookies: map[string]string{}, Header: http.Header{}}
				for k, v := range c.Cookies {
					b.Cookies[k] = v
				}
				b.PostForm(base+"/s/2", url.Values{"_csrf": {tok}, "action": {"next"}, "q.hours": {"same_day"}})
			}()
		}
		wg.Wait()
		if n := count(e, "responses", "survey_id = ?", id); n != 1 {
			t.Fatalf("a double click stored %d responses", n)
		}
	})
}

// TestContentLanguageIsMarked: a survey not offered in the visitor's
// language is shown in its own, and marked so (WCAG 3.1.2).
func TestContentLanguageIsMarked(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		body := strings.Replace(fmt.Sprintf(surveyJSON, "true", "false"), `"languages": ["da", "nl", "en"]`, `"languages": ["da"]`, 1)
		a := staff.PostJSON("/api/v1/surveys", body)
		var sv struct{ ID string }
		_ = json.Unmarshal([]byte(a.Body), &sv)
		staff.PostJSON("/api/v1/surveys/"+sv.ID+"/open", `{}`)
		pg := e.Browser().Get("/surveys/" + sv.ID + "?lang=en")
		webtest.Contains(t, pg, `<html lang="en">`, `<h1 lang="da">Borgerpanel om sociale medier</h1>`, "Start the survey")
		webtest.Contains(t, e.Browser().Get("/surveys/"+sv.ID+"/s/1?lang=en"), `<span lang="da">Hvem er du?</span>`, `lang="da">Borger</label>`, "Page 1 of 2")
		if strings.Contains(e.Browser().Get("/surveys/"+sv.ID+"?lang=da").Body, `<h1 lang=`) {
			t.Fatal("content in the page's own language marked as another")
		}
	})
}
