package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/webtest"
)

// allRowsText is every row of every table, cast to text, in one string.
func allRowsText(t *testing.T, e *webtest.Env) string {
	t.Helper()
	var names []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if e.DB.Dialector.Name() == "postgres" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	if err := e.DB.Raw(q).Scan(&names).Error; err != nil || len(names) < 10 {
		t.Fatalf("tables: %v %v", names, err)
	}
	var b strings.Builder
	for _, n := range names {
		rows, err := e.DB.Table(n).Select("*").Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s:", n)
			for _, v := range vals {
				if x, ok := v.([]byte); ok {
					v = string(x)
				}
				fmt.Fprintf(&b, " %v", v)
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return strings.ToLower(b.String())
}

// TestCitizenExportIsTheirsAndDeletionForgets: two citizens post ideas
// and comments; each one's data export holds all of theirs and nothing of
// the other's; after one deletes their account (with their posts), no
// table holds their address or their name.
func TestCitizenExportIsTheirsAndDeletionForgets(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		now := e.Clock.Now()
		consID := jsonID(t, staff.PostJSON("/api/v1/consultations", fmt.Sprintf(`{"title":{"da":"Cykler"},"description":{"da":"Om cykler"},
			"opens_at":%q,"closes_at":%q,"moderation":"post","anonymous":false}`,
			now.Add(-time.Hour).UTC().Format(time.RFC3339), now.Add(720*time.Hour).UTC().Format(time.RFC3339))), http.StatusCreated)
		type person struct {
			b                          *webtest.Browser
			email, name, idea, comment string
		}
		people := []*person{
			{email: "astrid.ungvar@example.org", name: "Astrid Ungvarsdottir", idea: "Bænke ved Astrids havnebad", comment: "Astrids kommentar om lys"},
			{email: "bjorn.kvistgaard@example.org", name: "Bjørn Kvistgaard", idea: "Bjørns cykelparkering ved stationen", comment: "Bjørns kommentar om skilte"},
		}
		for _, p := range people {
			p.b = e.Browser()
			signInCitizen(t, p.b, p.email)
			if a := p.b.Do(http.MethodPatch, "/api/v1/me/citizen", strings.NewReader(`{"display_name":"`+p.name+`"}`), "application/json"); a.Status != http.StatusOK {
				t.Fatalf("display name: %d %s", a.Status, a.Body)
			}
			ideaID := jsonID(t, p.b.PostJSON("/api/v1/consultations/"+consID+"/ideas", `{"title":"`+p.idea+`","body":"En længere beskrivelse: `+p.idea+`."}`), http.StatusCreated)
			jsonID(t, p.b.PostJSON("/api/v1/ideas/"+ideaID+"/comments", `{"body":"`+p.comment+`"}`), http.StatusCreated)
		}
		for i, p := range people {
			other := people[1-i]
			for _, path := range []string{"/api/v1/me/data", "/me/data"} {
				a := p.b.Get(path)
				if a.Status != http.StatusOK {
					t.Fatalf("%s: %d", path, a.Status)
				}
				webtest.Contains(t, a, p.email, p.name, p.idea, p.comment)
				for _, s := range []string{other.email, other.name, other.idea, other.comment} {
					if strings.Contains(a.Body, s) {
						t.Errorf("%s of %s holds the other's %q", path, p.email, s)
					}
				}
			}
		}
		gone := people[0]
		if a := gone.b.Do(http.MethodDelete, "/api/v1/me/citizen", strings.NewReader(`{"delete_posts":true}`), "application/json"); a.Status >= 300 {
			t.Fatalf("delete: %d %s", a.Status, a.Body)
		}
		dump := allRowsText(t, e)
		for _, s := range []string{gone.email, gone.name, gone.idea, gone.comment} {
			if strings.Contains(dump, strings.ToLower(s)) {
				i := strings.Index(dump, strings.ToLower(s))
				t.Errorf("after deletion the database holds %q: …%s…", s, dump[max(0, i-200):min(len(dump), i+100)])
			}
		}
		if !strings.Contains(dump, strings.ToLower(people[1].email)) {
			t.Error("the other citizen was deleted too")
		}
	})
}
