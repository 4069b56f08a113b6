package ideas_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// A caller who drops the session cookie is a new participant with every
// request; their posts are still limited, per client address and
// consultation.
func TestCookielessPostsAreLimitedPerAddress(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, cons := openConsultation(t, e, "post")
		post := func(path, body string) (created int) {
			t.Helper()
			for n := range 30 {
				a := e.Browser().PostJSON(path+"?lang=en", fmt.Sprintf(body, n)) // a new browser: no cookie
				switch a.Status {
				case http.StatusCreated:
					created++
				case http.StatusTooManyRequests:
					if code, _ := webtest.ErrorCode(t, a); code != "rate_limited" || !strings.Contains(a.Body, "in a short time") {
						t.Fatalf("refusal: %s", a.Body)
					}
				default:
					t.Fatalf("post %d: %d %s", n, a.Status, a.Body)
				}
			}
			return created
		}
		if n := post("/api/v1/consultations/"+cons+"/ideas", `{"title": "Idé %d", "body": "x", "category": "routes"}`); n != ideas.AddressFloodFactor*ideas.IdeaFloodLimit {
			t.Fatalf("%d of 30 cookieless ideas stored, want %d", n, ideas.AddressFloodFactor*ideas.IdeaFloodLimit)
		}
		var idea models.Idea
		e.DB.Where("consultation_id = ?", cons).Order("created_at").Take(&idea)
		if n := post("/api/v1/ideas/"+idea.ID+"/comments", `{"body": "Kommentar %d"}`); n != ideas.AddressFloodFactor*ideas.CommentFloodLimit {
			t.Fatalf("%d of 30 cookieless comments stored, want %d", n, ideas.AddressFloodFactor*ideas.CommentFloodLimit)
		}
		// The page form says so too.
		b := e.Browser()
		tok := b.CSRF("/consultations/" + cons + "/ideas/new")
		a := b.PostForm("/consultations/"+cons+"/ideas?lang=en", map[string][]string{"_csrf": {tok}, "title": {"t"}, "body": {"b"}, "category": {"routes"}})
		if a.Status != http.StatusTooManyRequests || !strings.Contains(a.Body, "You have shared many ideas in a short time.") {
			t.Fatalf("form: %d", a.Status)
		}
		// A signed-in citizen from the same address is one participant: not held.
		dora := e.Browser()
		fbSignIn(t, dora, "dora@example.org", "en")
		if a := dora.PostJSON("/api/v1/consultations/"+cons+"/ideas", `{"title": "Doras idé", "body": "x", "category": "routes"}`); a.Status != http.StatusCreated {
			t.Fatalf("citizen: %d %s", a.Status, a.Body)
		}
		// After the window the address may post again.
		e.Clock.Add(ideas.IdeaFloodWindow)
		if a := e.Browser().PostJSON("/api/v1/consultations/"+cons+"/ideas", `{"title": "Senere", "body": "x", "category": "routes"}`); a.Status != http.StatusCreated {
			t.Fatalf("after the window: %d %s", a.Status, a.Body)
		}
	})
}
