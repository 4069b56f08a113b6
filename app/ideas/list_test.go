package ideas_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/webtest"
)

// A consultation that needs signing in offers visitors a sign-in link in
// its list, not support buttons that answer 403.
func TestListAsksVisitorsToSignInWhereNeeded(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.dk", "staff")
		now := e.Clock.Now()
		cons := consultation(t, staff, "post", false, now.Add(-time.Hour), now.Add(time.Hour))
		a := staff.PostJSON("/api/v1/consultations/"+cons+"/ideas", `{"title": "Cykelsti", "body": "x", "category": "routes"}`)
		if a.Status != 201 {
			t.Fatalf("idea: %d %s", a.Status, a.Body)
		}
		p := e.Browser().Get("/consultations/" + cons + "?lang=en")
		webtest.Contains(t, p, "Cykelsti", "Sign in to support and comment", `href="/signin?next=/ideas/`)
		if strings.Contains(p.Body, `/support"`) {
			t.Fatal("a visitor who must sign in is offered a support button")
		}
		dora := e.Browser()
		fbSignIn(t, dora, "dora@example.org", "en")
		webtest.Contains(t, dora.Get("/consultations/"+cons+"?lang=en"), `/support"`)
	})
}

// Searching folds letters beyond ASCII on both databases.
func TestSearchFoldsDanishLetters(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, consID := openConsultation(t, e, "post")
		st := e.Srv.Ideas()
		cons, err := st.Consultation(context.Background(), consID)
		if err != nil {
			t.Fatal(err)
		}
		for i, in := range []ideas.IdeaInput{
			{Title: "Cykelsti på Østerbrogade", Body: "x"},
			{Title: "Bredere fortove", Body: "Især på ØSTERBROGADE om morgenen."},
			{Title: "Lys", Body: "x", Location: &ideas.Location{Label: "østerbrogade 12"}},
			{Title: "Færgen til Ærø", Body: "Åbenrå og ÆRØSKØBING"},
		} {
			in.Category = "routes"
			if _, err := st.Submit(context.Background(), cons, fbAnon(e, cons, string(rune('a'+i))), in); err != nil {
				t.Fatal(err)
			}
		}
		for q, want := range map[string]int{"Østerbrogade": 3, "østerbrogade": 3, "ØSTERBROGADE": 3, "sterbro": 3,
			"ærø": 1, "ÆRØ": 1, "ærøskøbing": 1, "åbenrå": 1, "ÅBENRÅ": 1, "Ø": 4} {
			p, err := st.List(context.Background(), cons, ideas.ListQuery{Search: q})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Ideas) != want {
				t.Errorf("q=%s: %d ideas, want %d", q, len(p.Ideas), want)
			}
		}
		webtest.Contains(t, e.Browser().Get("/consultations/"+consID+"?q="+url.QueryEscape("østerbrogade")), "Cykelsti på Østerbrogade")
	})
}
