package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/webtest"
)

// sqlPayloads are SQL metacharacters and a 3-second sleep in the forms an
// injection would take in a quoted string, a number and a parenthesis.
var sqlPayloads = []string{
	`1';SELECT pg_sleep(3)--`,
	`1) OR pg_sleep(3)--`,
	`1 OR pg_sleep(3)`,
	`'||pg_sleep(3)||'`,
	`x' OR '1'='1`,
	`votes; DROP TABLE ideas;--`,
	`1"; SELECT 1; --`,
	`%' AND 1=1 --`,
	`\'; SELECT pg_sleep(3); --`,
	"new\x00",
	`(SELECT pg_sleep(3))`,
}

// tableCounts counts the rows of every table.
func tableCounts(t *testing.T, e *webtest.Env) map[string]int64 {
	t.Helper()
	var names []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if e.DB.Dialector.Name() == "postgres" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	if err := e.DB.Raw(q).Scan(&names).Error; err != nil || len(names) < 10 {
		t.Fatalf("tables: %v %v", names, err)
	}
	out := map[string]int64{}
	for _, n := range names {
		var c int64
		if err := e.DB.Table(n).Count(&c).Error; err != nil {
			t.Fatal(err)
		}
		out[n] = c
	}
	return out
}

// hostileFixture makes one of each thing the list, results and export
// endpoints show: a consultation with an idea, an open survey with a
// response, a live town hall with a question.
func hostileFixture(t *testing.T, e *webtest.Env) (staff *webtest.Browser, consID, ideaID, surveyID, thID string) {
	t.Helper()
	staff = e.APIClient("staff@example.org", "admin")
	now := e.Clock.Now()
	consID = jsonID(t, staff.PostJSON("/api/v1/consultations", fmt.Sprintf(`{"title":{"da":"Cykler"},"description":{"da":"Om cykler"},
		"categories":[{"key":"routes","label":{"da":"Ruter"}}],
		"opens_at":%q,"closes_at":%q,"moderation":"post","anonymous":true}`,
		now.Add(-time.Hour).UTC().Format(time.RFC3339), now.Add(720*time.Hour).UTC().Format(time.RFC3339))), http.StatusCreated)
	c := e.Browser()
	c.Get("/consultations/" + consID)
	ideaID = jsonID(t, c.PostJSON("/api/v1/consultations/"+consID+"/ideas",
		`{"title":"Flere cykelstier langs havnen","body":"Der mangler en sikker cykelsti langs hele havnefronten.","category":"routes"}`), http.StatusCreated)

	surveyID = jsonID(t, staff.PostJSON("/api/v1/surveys", `{"title":{"da":"Trafik"},"description":{"da":"Om trafik"},"languages":["da"],
		"questions":[{"key":"mode","type":"single","text":{"da":"Hvordan?"},"options":[{"key":"bike","text":{"da":"Cykel"}},{"key":"car","text":{"da":"Bil"}}]},
		{"key":"why","type":"text","text":{"da":"Hvorfor?"}}]}`), http.StatusCreated)
	if a := staff.PostJSON("/api/v1/surveys/"+surveyID+"/open", `{}`); a.Status != http.StatusOK {
		t.Fatalf("open survey: %d %s", a.Status, a.Body)
	}
	r := e.Browser()
	r.Get("/surveys/" + surveyID)
	if a := r.PostJSON("/api/v1/surveys/"+surveyID+"/responses", `{"answers":{"mode":"bike","why":"Det er sundt"}}`); a.Status != http.StatusCreated {
		t.Fatalf("respond: %d %s", a.Status, a.Body)
	}

	e.Account("mayor@example.org", "politician")
	thID = jsonID(t, staff.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title":{"da":"Spørgetime"},"starts_at":%q,"ends_at":%q,"moderation":"post","politicians":["mayor@example.org"]}`,
		now.Add(-10*time.Minute).UTC().Format(time.RFC3339), now.Add(time.Hour).UTC().Format(time.RFC3339))), http.StatusCreated)
	q := e.Browser()
	q.Get("/townhalls/" + thID)
	jsonID(t, q.PostJSON("/api/v1/townhalls/"+thID+"/questions", `{"text":"Hvornår kommer der flere cykelstier i byen?"}`), http.StatusCreated)
	return
}

// TestHostileQueryParameters sends SQL metacharacters and sleep payloads in
// every sort, filter, language, cursor, page and id parameter of the list,
// results and export endpoints: each answer is fast, refused or harmless
// (never a server error), and no row changes.
func TestHostileQueryParameters(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staffAPI, consID, ideaID, surveyID, thID := hostileFixture(t, e)
		e.Account("admin2@example.org", "admin")
		staffPage := e.Browser()
		staffPage.Login("admin2@example.org", webtest.Password)
		anon := e.Browser()
		anon.Get("/")

		type target struct {
			b      *webtest.Browser
			path   string
			params []string
			// bad are the parameters whose hostile value must be refused
			// with 400 (a closed set of values or a parsed format).
			bad map[string]bool
		}
		set := func(ps ...string) map[string]bool {
			m := map[string]bool{}
			for _, p := range ps {
				m[p] = true
			}
			return m
		}
		targets := []target{
			{anon, "/api/v1/consultations/" + consID + "/ideas", []string{"sort", "status", "category", "q", "cursor", "limit", "lang"}, set("sort", "status", "category", "cursor", "limit")},
			{anon, "/consultations/" + consID, []string{"sort", "status", "category", "q", "after", "lang"}, set("sort", "status", "category", "after")},
			{anon, "/api/v1/consultations", []string{"lang", "sort", "status"}, nil},
			{anon, "/consultations", []string{"lang", "page"}, nil},
			{anon, "/townhalls/" + thID, []string{"sort", "lang"}, set("sort")},
			{anon, "/api/v1/townhalls/" + thID, []string{"sort", "lang"}, nil},
			{staffAPI, "/api/v1/townhalls/" + thID + "/moderation", []string{"status", "lang"}, nil},
			{staffAPI, "/api/v1/surveys/" + surveyID + "/results", []string{"channel", "segment", "weighted", "from", "to", "lang"}, nil},
			{staffPage, "/staff/surveys/" + surveyID + "/results", []string{"channel", "segment", "weighted", "from", "to", "lang"}, nil},
			{staffPage, "/staff/surveys/" + surveyID + "/results/texts/why", []string{"page", "q", "lang"}, nil},
			{staffPage, "/staff/surveys/" + surveyID + "/results/crosstab", []string{"rows", "cols", "weighted", "lang"}, nil},
			{staffAPI, "/api/v1/surveys/" + surveyID + "/export.csv", []string{"channel", "segment", "from", "to", "lang"}, nil},
			{staffAPI, "/api/v1/surveys/" + surveyID + "/export.xlsx", []string{"channel", "segment", "from", "to", "lang"}, nil},
			{staffPage, "/staff/surveys/" + surveyID + "/export.csv", []string{"channel", "from", "to", "lang"}, nil},
			{staffPage, "/staff/consultations/" + consID, []string{"page", "status", "lang"}, nil},
			{anon, "/policies", []string{"lang"}, nil},
			{staffAPI, "/api/v1/measurements", []string{"channel", "months", "lang"}, nil},
			{staffPage, "/staff/measurements", []string{"channel", "months", "share", "lang"}, nil},
			{anon, "/ideas/" + ideaID, []string{"lang", "back"}, nil},
			{anon, "/api/v1/ideas/" + ideaID + "/comments", []string{"lang", "cursor"}, nil},
		}
		idPaths := []string{
			"/api/v1/consultations/%s", "/api/v1/consultations/%s/ideas", "/consultations/%s", "/api/v1/ideas/%s",
			"/ideas/%s", "/api/v1/surveys/%s", "/surveys/%s", "/api/v1/surveys/%s/results", "/surveys/%s/results",
			"/api/v1/townhalls/%s", "/townhalls/%s", "/api/v1/townhalls/%s/stats", "/api/v1/policies/%s", "/policies/%s",
			"/api/v1/policies/%s/compliance", "/api/v1/ideas/%s/comments", "/api/v1/consultations/%s/feedback",
		}
		staffIDPaths := []string{"/api/v1/surveys/%s/export.csv", "/api/v1/surveys/%s/export.xlsx", "/api/v1/panels/%s/stats",
			"/api/v1/surveys/%s/weighting", "/api/v1/townhalls/%s/moderation", "/api/v1/consultations/%s/moderation"}

		before := tableCounts(t, e)
		check := func(b *webtest.Browser, target string, want func(int) bool, what string) {
			t.Helper()
			start := time.Now()
			a := b.Get(target)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s took %v", target, d)
			}
			if a.Status >= 500 || !want(a.Status) {
				t.Errorf("GET %s: %d (want %s)", target, a.Status, what)
			}
		}
		anyBelow500 := func(int) bool { return true }
		badRequest := func(s int) bool { return s == http.StatusBadRequest }
		notFound := func(s int) bool { return s == http.StatusNotFound }
		for _, tg := range targets {
			for _, p := range tg.params {
				for _, v := range sqlPayloads {
					u := tg.path + "?" + url.Values{p: {v}}.Encode()
					if tg.bad[p] {
						check(tg.b, u, badRequest, "400")
					} else {
						check(tg.b, u, anyBelow500, "no server error")
					}
				}
			}
		}
		for _, v := range sqlPayloads {
			esc := url.PathEscape(v)
			for _, p := range idPaths {
				check(anon, fmt.Sprintf(p, esc), notFound, "404")
			}
			for _, p := range staffIDPaths {
				check(staffAPI, fmt.Sprintf(p, esc), notFound, "404")
			}
		}
		// An unknown sort is a bad request on every list that sorts.
		for _, u := range []string{"/api/v1/consultations/" + consID + "/ideas?sort=title", "/consultations/" + consID + "?sort=title",
			"/townhalls/" + thID + "?sort=title", "/townhalls/" + thID + "?sort=votes%20DESC"} {
			check(anon, u, badRequest, "400")
		}
		after := tableCounts(t, e)
		var changed []string
		for k, n := range before {
			if after[k] != n && k != "sessions" {
				changed = append(changed, fmt.Sprintf("%s %d -> %d", k, n, after[k]))
			}
		}
		sort.Strings(changed)
		if len(changed) > 0 {
			t.Fatalf("hostile reads changed rows:\n%s", strings.Join(changed, "\n"))
		}
	})
}
