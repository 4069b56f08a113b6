package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

func isWriteMethod(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch || m == http.MethodDelete
}

// TestCSRFEveryPageWrite posts to every state-changing page route as a
// signed-in admin (who passes every role check) without a token, with
// another session's token, with a cross-site Origin: each is 403.
func TestCSRFEveryPageWrite(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("admin@example.org", "admin")
		b := e.Browser()
		if a := b.Login("admin@example.org", webtest.Password); a.Status != http.StatusSeeOther {
			t.Fatalf("login: %d", a.Status)
		}
		own := b.CSRF("/staff")
		foreign := e.Browser().CSRF("/login")
		if own == foreign {
			t.Fatal("two sessions share a CSRF token")
		}
		n := 0
		for _, k := range routeKeys(e) {
			method, path, _ := strings.Cut(k, " ")
			if !isWriteMethod(method) || strings.HasPrefix(path, "/api/") {
				continue
			}
			n++
			target := fill(path)
			cases := []struct {
				name   string
				token  string
				origin string
			}{
				{"missing token", "", ""},
				{"foreign token", foreign, ""},
				{"cross-site origin", own, "https://evil.example"},
				{"null origin", own, "null"},
			}
			for _, c := range cases {
				form := url.Values{"name": {"x"}, "text": {"x"}}
				if c.token != "" {
					form.Set("_csrf", c.token)
				}
				if c.origin != "" {
					b.Header.Set("Origin", c.origin)
				}
				a := b.Do(method, target, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
				b.Header.Del("Origin")
				if a.Status != http.StatusForbidden {
					t.Errorf("%s with %s: %d, want 403", k, c.name, a.Status)
				}
			}
			// The token in a header instead of the form counts the same.
			b.Header.Set("X-CSRF-Token", foreign)
			if a := b.Do(method, target, strings.NewReader("name=x"), "application/x-www-form-urlencoded"); a.Status != http.StatusForbidden {
				t.Errorf("%s with a foreign header token: %d", k, a.Status)
			}
			b.Header.Del("X-CSRF-Token")
		}
		if n < 50 {
			t.Fatalf("only %d page writes found", n)
		}
		// The admin is still signed in: nothing above signed them out.
		if a := b.Get("/staff"); a.Status != http.StatusOK {
			t.Fatalf("admin signed out by a refused request: %d", a.Status)
		}
		var accounts int64
		e.DB.Model(&models.Account{}).Count(&accounts)
		if accounts != 1 {
			t.Fatalf("a refused request created an account")
		}
	})
}

// TestCSRFEveryAPIWrite sends every API write without JSON (415) and, from
// a browser with a session cookie, with a cross-site Origin (403).
func TestCSRFEveryAPIWrite(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		citizen := e.Browser()
		signInCitizen(t, citizen, "citizen@example.org")
		staff := e.APIClient("staff@example.org", "admin")
		n := 0
		for _, k := range routeKeys(e) {
			method, path, _ := strings.Cut(k, " ")
			if !isWriteMethod(method) || !strings.HasPrefix(path, "/api/") {
				continue
			}
			n++
			target := fill(path)
			for name, b := range map[string]*webtest.Browser{"cookie": citizen, "token": staff} {
				for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
					if a := b.Do(method, target, strings.NewReader(`{"a":1}`), ct); a.Status != http.StatusUnsupportedMediaType {
						t.Errorf("%s (%s) as %q: %d, want 415", k, name, ct, a.Status)
					}
				}
			}
			for _, origin := range []string{"https://evil.example", "null", "http://localhost:8080.evil.example"} {
				citizen.Header.Set("Origin", origin)
				a := citizen.Do(method, target, strings.NewReader("{}"), "application/json")
				citizen.Header.Del("Origin")
				if a.Status != http.StatusForbidden {
					t.Errorf("%s with a cookie from Origin %s: %d, want 403", k, origin, a.Status)
				}
			}
		}
		if n < 40 {
			t.Fatalf("only %d API writes found", n)
		}
		if a := citizen.Get("/me"); a.Status != http.StatusOK {
			t.Fatalf("citizen signed out by a refused request: %d", a.Status)
		}
	})
}

// TestNoStateChangeByGET: a GET on a write-only path is 404 or 405, and a
// GET to an idea's support path does not support it.
func TestNoStateChangeByGET(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		reads := map[string]bool{}
		keys := routeKeys(e)
		for _, k := range keys {
			if method, path, _ := strings.Cut(k, " "); method == http.MethodGet {
				reads[path] = true
			}
		}
		e.Account("admin@example.org", "admin")
		b := e.Browser()
		b.Login("admin@example.org", webtest.Password)
		for _, k := range keys {
			method, path, _ := strings.Cut(k, " ")
			if !isWriteMethod(method) || reads[path] {
				continue
			}
			if a := b.Get(fill(path)); a.Status != http.StatusNotFound && a.Status != http.StatusMethodNotAllowed {
				t.Errorf("GET %s (a %s route): %d", path, method, a.Status)
			}
		}
		if a := b.Get("/staff"); a.Status != http.StatusOK {
			t.Fatalf("a GET signed the admin out: %d", a.Status)
		}

		staff := e.APIClient("comms@example.org", "staff")
		now := e.Clock.Now()
		consID := jsonID(t, staff.PostJSON("/api/v1/consultations", fmt.Sprintf(`{"title":{"da":"Cykler"},"description":{"da":"Om cykler"},
			"opens_at":%q,"closes_at":%q,"moderation":"post","anonymous":true}`,
			now.Add(-time.Hour).UTC().Format(time.RFC3339), now.Add(720*time.Hour).UTC().Format(time.RFC3339))), http.StatusCreated)
		author := e.Browser()
		author.Get("/consultations/" + consID)
		ideaID := jsonID(t, author.PostJSON("/api/v1/consultations/"+consID+"/ideas",
			`{"title":"Flere cykelstier langs havnen","body":"Der mangler en sikker cykelsti langs hele havnefronten."}`), http.StatusCreated)
		v := e.Browser()
		v.Get("/ideas/" + ideaID)
		for _, p := range []string{"/ideas/" + ideaID + "/support", "/ideas/" + ideaID + "/follow", "/api/v1/ideas/" + ideaID + "/supports"} {
			if a := v.Get(p); a.Status != http.StatusNotFound && a.Status != http.StatusMethodNotAllowed {
				t.Errorf("GET %s: %d", p, a.Status)
			}
		}
		var n int64
		e.DB.Model(&models.IdeaSupport{}).Count(&n)
		if n != 0 {
			t.Fatalf("a GET supported an idea (%d supports)", n)
		}
	})
}
