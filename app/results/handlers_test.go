package results_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/webtest"
)

const pageSurvey = `{
  "title": {"en": "Cycling", "da": "Cykling", "nl": "Fietsen"},
  "languages": ["da", "en", "nl"], "allow_multiple": true,
  "questions": [
    {"key": "who", "type": "single", "text": {"en": "Who are you?", "da": "Hvem er du?", "nl": "Wie bent u?"},
     "options": [{"key": "resident", "text": {"en": "Resident <script>alert(1)</script>", "da": "Borger", "nl": "Bewoner"}},
                 {"key": "visitor", "text": {"en": "Visitor", "da": "Besøgende", "nl": "Bezoeker"}}]},
    {"key": "age", "type": "single", "text": {"en": "Age", "da": "Alder", "nl": "Leeftijd"},
     "options": [{"key": "young", "text": {"en": "Under 40", "da": "Under 40", "nl": "Onder 40"}},
                 {"key": "old", "text": {"en": "40 or older", "da": "40 eller ældre", "nl": "40 of ouder"}}]},
    {"key": "where", "type": "multiple", "text": {"en": "Where?", "da": "Hvor?", "nl": "Waar?"},
     "options": [{"key": "facebook", "text": {"en": "Facebook"}}, {"key": "web", "text": {"en": "Website", "da": "Hjemmeside", "nl": "Website"}}]},
    {"key": "remark", "type": "text", "text": {"en": "Remark", "da": "Bemærkning", "nl": "Opmerking"}}
  ]}`

// setup makes a survey with eight responses: 6 residents (2 young), 2
// visitors (both young); a remark carries an XSS payload.
func setup(t *testing.T, e *webtest.Env) (staff, api *webtest.Browser, id string) {
	t.Helper()
	api = e.APIClient("api@example.org", "staff")
	a := api.PostJSON("/api/v1/surveys", pageSurvey)
	if a.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	var sv struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &sv)
	id = sv.ID
	if o := api.PostJSON("/api/v1/surveys/"+id+"/open", `{}`); o.Status != http.StatusOK {
		t.Fatalf("open: %d", o.Status)
	}
	citizen := e.Browser()
	answers := []string{
		`{"who": "resident", "age": "young", "where": ["facebook"], "remark": "<img src=x onerror=alert(1)> more bike lanes"}`,
		`{"who": "resident", "age": "young", "where": ["facebook", "web"]}`,
		`{"who": "resident", "age": "old", "where": ["web"], "remark": "Sikre cykelstier"}`,
		`{"who": "resident", "age": "old", "where": ["web"]}`,
		`{"who": "resident", "age": "old"}`,
		`{"who": "resident", "age": "old", "where": ["facebook"]}`,
		`{"who": "visitor", "age": "young", "where": ["facebook"]}`,
		`{"who": "visitor", "age": "young", "where": ["facebook"]}`,
	}
	for i, ans := range answers {
		channel := "web"
		if i%2 == 0 {
			channel = "facebook"
		}
		if r := citizen.PostJSON("/api/v1/surveys/"+id+"/responses", fmt.Sprintf(`{"answers": %s, "channel": %q}`, ans, channel)); r.Status != http.StatusCreated {
			t.Fatalf("response %d: %d %s", i, r.Status, r.Body)
		}
	}
	e.Account("staff@example.org", "staff")
	staff = e.Browser()
	if r := staff.Login("staff@example.org", webtest.Password); r.Status != http.StatusSeeOther {
		t.Fatalf("login: %d", r.Status)
	}
	return staff, api, id
}

func TestResultsPageShowsFiguresInEachLanguage(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff, _, id := setup(t, e)
		base := "/staff/surveys/" + id + "/results"
		// 6 of 8 residents = 75.0%, Wilson 40.9–92.9; Facebook 5 of 7 who answered.
		webtest.Contains(t, staff.Get(base+"?lang=en"), "8 responses", "75.0%", "40.9–\u200b92.9", "71.4%", "7 answered",
			"several answers possible", "Resident &lt;script&gt;alert(1)&lt;/script&gt;", `<svg class="bar"`, "2 written answers")
		webtest.Contains(t, staff.Get(base+"?lang=da"), "8 besvarelser", "75,0\u00a0%", "Borger", "Hvem er du?")
		webtest.Contains(t, staff.Get(base+"?lang=nl"), "8 inzendingen", "75,0%", "Bewoner")
		if a := staff.Get(base + "?lang=en"); strings.Contains(a.Body, "<script>alert(1)") {
			t.Fatal("an option label reached the page unescaped")
		}

		// Filters: by channel, by answer, by date; bad ones answer 400 and name the field.
		webtest.Contains(t, staff.Get(base+"?lang=en&channel=facebook"), "4 responses", "filtered")
		webtest.Contains(t, staff.Get(base+"?lang=en&segment=who:visitor"), "2 responses", `<option value="who:visitor" selected>`)
		webtest.Contains(t, staff.Get(base+"?lang=en&from=2000-01-01&to=2000-01-02"), "0 responses")
		for _, q := range []string{"channel=myspace", "segment=shoe:43", "segment=who:alien", "from=yesterday", "weighted=perhaps",
			"segment=" + url.QueryEscape("who' OR 1=1 --:x"), "channel=" + url.QueryEscape("web'; SELECT pg_sleep(5); --")} {
			a := staff.Get(base + "?lang=en&" + q)
			if a.Status != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", q, a.Status)
				continue
			}
			webtest.Contains(t, a, "check the filter")
		}

		// Free text: listed with the payload escaped, searchable, literal.
		texts := base + "/texts/remark?lang=en"
		a := staff.Get(texts)
		webtest.Contains(t, a, "&lt;img src=x onerror=alert(1)&gt; more bike lanes", "Sikre cykelstier")
		if strings.Contains(a.Body, "<img src=x") {
			t.Fatal("a free-text answer reached the page unescaped")
		}
		webtest.Contains(t, staff.Get(texts+"&q=CYKEL"), "1 written answer", "Sikre cykelstier")
		webtest.Contains(t, staff.Get(texts+"&q=%25"), "No written answers match")
		for _, bad := range []string{"&page=abc", "&page=-3", "&q=" + strings.Repeat("å", 201)} {
			if a := staff.Get(texts + bad); a.Status != http.StatusBadRequest {
				t.Errorf("texts with %.20s: %d, want 400", bad, a.Status)
			}
		}
		if a := staff.Get(texts + "&q=" + url.QueryEscape(strings.Repeat("å", 150))); a.Status != http.StatusOK {
			t.Errorf("a 150-letter Danish search: %d, want 200", a.Status)
		}
		if a := staff.Get(base + "/texts/who"); a.Status != http.StatusNotFound {
			t.Errorf("texts of a choice question without other: %d", a.Status)
		}

		// Cross-tab: residents by age, row percentages.
		ct := staff.Get(base + "/crosstab?lang=en&rows=who&cols=age")
		webtest.Contains(t, ct, "Who are you? by Age", "(33.3%, ", "(66.7%, ", "(100.0%, ")
		if a := staff.Get(base + "/crosstab?rows=who&cols=where"); a.Status != http.StatusBadRequest {
			t.Errorf("cross-tab with a multiple-choice question: %d", a.Status)
		}

		// The printable report carries the key figures.
		webtest.Contains(t, staff.Get("/staff/surveys/"+id+"/report?lang=en"), "Survey report", "Key figures", "75.0%", "Facebook 4")
	})
}

func TestResultsAreStaffOnlyUntilPublished(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff, api, id := setup(t, e)
		citizen := e.Browser()
		if a := citizen.Get("/staff/surveys/" + id + "/results"); a.Status != http.StatusSeeOther {
			t.Errorf("anonymous visitor on the staff results page: %d", a.Status)
		}
		e.Account("mod@example.org", "moderator")
		mod := e.Browser()
		mod.Login("mod@example.org", webtest.Password)
		if a := mod.Get("/staff/surveys/" + id + "/results"); a.Status != http.StatusForbidden {
			t.Errorf("moderator on the staff results page: %d", a.Status)
		}
		for _, path := range []string{"/surveys/" + id + "/results", "/api/v1/surveys/" + id + "/results"} {
			if a := citizen.Get(path); a.Status != http.StatusNotFound {
				t.Errorf("unpublished %s for a citizen: %d", path, a.Status)
			}
		}
		if a := api.Get("/api/v1/surveys/" + id + "/results"); a.Status != http.StatusOK {
			t.Errorf("staff API results: %d", a.Status)
		}

		// Publishing needs the form's CSRF token.
		results := "/staff/surveys/" + id + "/results"
		if a := staff.PostForm(results+"/publish", url.Values{"publish": {"true"}}); a.Status != http.StatusForbidden {
			t.Fatalf("publish without CSRF: %d", a.Status)
		}
		if a := staff.PostForm(results+"/publish", url.Values{"publish": {"true"}, "_csrf": {staff.CSRF(results)}}); a.Status != http.StatusSeeOther {
			t.Fatalf("publish: %d", a.Status)
		}
		pub := citizen.Get("/surveys/" + id + "/results?lang=da")
		webtest.Contains(t, pub, "Det fandt vi ud af", "Cykling", "75,0\u00a0%", "Borger", "8 personer har besvaret")
		if strings.Contains(pub.Body, "Sikre cykelstier") || strings.Contains(pub.Body, "bike lanes") {
			t.Error("the public page shows citizens' free text")
		}
		a := citizen.Get("/api/v1/surveys/" + id + "/results")
		if a.Status != http.StatusOK || !strings.Contains(a.Body, `"responses":8`) {
			t.Errorf("published API results: %d %s", a.Status, a.Body)
		}
		if a := citizen.Get("/api/v1/surveys/" + id + "/results?segment=who:visitor"); a.Status != http.StatusBadRequest {
			t.Errorf("citizen filtering published results: %d", a.Status)
		}
		staff.PostForm(results+"/publish", url.Values{"publish": {"false"}, "_csrf": {staff.CSRF(results)}})
		if a := citizen.Get("/surveys/" + id + "/results"); a.Status != http.StatusNotFound {
			t.Errorf("withdrawn results: %d", a.Status)
		}
	})
}

type apiResults struct {
	Responses  int64   `json:"responses"`
	Weighted   bool    `json:"weighted"`
	EffectiveN float64 `json:"effective_n"`
	Questions  []struct {
		Key      string `json:"key"`
		Answered int64  `json:"answered"`
		Options  []struct {
			Key        string   `json:"key"`
			Count      int64    `json:"count"`
			Percent    float64  `json:"percent"`
			CILow      float64  `json:"ci_low"`
			CIHigh     float64  `json:"ci_high"`
			Unweighted *float64 `json:"unweighted_percent"`
		} `json:"options"`
		TextAnswers *int64 `json:"text_answers_count"`
	} `json:"questions"`
}

// Weighting to age 50/50: the sample has 4 young and 4 old, so weights
// are 1 and the figures do not move; to young 25 / old 75 the 4 old weigh
// 1.5 and the young 0.5, so residents are (2·0.5 + 4·1.5)/8 = 87.5%.
func TestWeightingThroughPagesAndAPI(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff, api, id := setup(t, e)
		path := "/api/v1/surveys/" + id + "/results"
		if a := api.Get(path + "?weighted=true"); a.Status != http.StatusBadRequest {
			t.Fatalf("weighted results without weighting: %d %s", a.Status, a.Body)
		}
		form := "/staff/surveys/" + id + "/weighting"
		bad := url.Values{"_csrf": {staff.CSRF(form)}, "use:question:age": {"1"}, "share:question:age:young": {"25"}, "share:question:age:old": {"70"}, "cap": {"5"}}
		if a := staff.PostForm(form+"?lang=en", bad); a.Status != http.StatusUnprocessableEntity || !strings.Contains(a.Body, "add up to 100") {
			t.Fatalf("margins adding up to 95: %d", a.Status)
		}
		if a := api.Get("/api/v1/surveys/" + id + "/weighting"); a.Status != http.StatusNotFound {
			t.Fatalf("refused margins were stored: %d", a.Status)
		}
		good := url.Values{"_csrf": {staff.CSRF(form)}, "use:question:age": {"1"}, "share:question:age:young": {"25"}, "share:question:age:old": {"75"}, "cap": {"5"}, "source": {"Danmarks Statistik 2026"}}
		if a := staff.PostForm(form, good); a.Status != http.StatusSeeOther {
			t.Fatalf("save margins: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, staff.Get(form+"?lang=en"), "The margins are met", "Effective sample size", "6.4")

		a := api.Get(path + "?weighted=true")
		var r apiResults
		if err := json.Unmarshal([]byte(a.Body), &r); err != nil || a.Status != http.StatusOK {
			t.Fatalf("weighted results: %d %s", a.Status, a.Body)
		}
		// Σw = 8, Σw² = 4·0.25 + 4·2.25 = 10: effective n 6.4.
		if !r.Weighted || r.EffectiveN != 6.4 {
			t.Errorf("weighted %v, effective n %v", r.Weighted, r.EffectiveN)
		}
		for _, q := range r.Questions {
			if q.Key != "who" {
				continue
			}
			res := q.Options[0]
			if res.Key != "resident" || res.Count != 6 || res.Percent != 87.5 || res.Unweighted == nil || *res.Unweighted != 75 {
				t.Errorf("weighted residents: %+v", res)
			}
			if !(res.CILow < 87.5 && res.CIHigh > 87.5) {
				t.Errorf("interval %v–%v", res.CILow, res.CIHigh)
			}
		}
		webtest.Contains(t, staff.Get("/staff/surveys/"+id+"/results?lang=en&weighted=true"), "87.5%", "Weighted %")

		// The export carries each response's weight: 0.5 for the young, 1.5
		// for the old; they add up to the number of responses.
		csvOut := api.Get("/api/v1/surveys/" + id + "/export.csv?lang=en")
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvOut.Body, "\ufeff"))).ReadAll()
		if err != nil || len(rows) != 9 {
			t.Fatalf("export: %v, %d rows", err, len(rows))
		}
		wcol, acol := -1, -1
		for i, h := range rows[0] {
			if strings.HasPrefix(h, "weight") {
				wcol = i
			}
			if strings.HasPrefix(h, "age") {
				acol = i
			}
		}
		if wcol < 0 || acol < 0 {
			t.Fatalf("no weight or age column in %v", rows[0])
		}
		var sum float64
		for _, row := range rows[1:] {
			w, _ := strconv.ParseFloat(row[wcol], 64)
			want := 1.5
			if row[acol] == "Under 40" {
				want = 0.5
			}
			if math.Abs(w-want) > 1e-6 {
				t.Errorf("%s: weight %s, want %v", row[acol], row[wcol], want)
			}
			sum += w
		}
		if math.Abs(sum-8) > 1e-6 {
			t.Errorf("weights add up to %v, want 8", sum)
		}

		// The API can set margins too, and refuses ones that do not fit.
		if a := api.Do(http.MethodPut, "/api/v1/surveys/"+id+"/weighting", strings.NewReader(`{"variables":[{"kind":"question","key":"where","shares":{"web":100}}]}`), "application/json"); a.Status != http.StatusUnprocessableEntity {
			t.Errorf("weighting by a multiple-choice question: %d", a.Status)
		}
		if a := api.Do(http.MethodDelete, "/api/v1/surveys/"+id+"/weighting", nil, "application/json"); a.Status != http.StatusNoContent {
			t.Errorf("delete weighting: %d", a.Status)
		}
	})
}

func TestMethodPageInThreeLanguages(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		webtest.Contains(t, b.Get("/method?lang=en"), "How the figures are calculated", "Kish")
		webtest.Contains(t, b.Get("/method?lang=da"), "Sådan beregnes tallene", "Kishs formel")
		webtest.Contains(t, b.Get("/method?lang=nl"), "Hoe de cijfers worden berekend", "Kish")
	})
}
