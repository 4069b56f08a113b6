package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/app/webtest"
)

func TestHomeSpeaksTheVisitorsLanguage(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		a := b.Get("/")
		if a.Status != 200 {
			t.Fatalf("home: %d", a.Status)
		}
		webtest.Contains(t, a, `<html lang="da">`, "Sig din mening i din kommune", "Åbent nu", `href="/?lang=nl"`, `class="skip-link" href="#main"`, `<main id="main"`)

		b.Header.Set("Accept-Language", "nl-NL,nl;q=0.9,en;q=0.5")
		webtest.Contains(t, b.Get("/"), `<html lang="nl">`, "Praat mee in uw gemeente")

		// ?lang= wins over Accept-Language and is remembered in a cookie.
		a = b.Get("/?lang=en")
		webtest.Contains(t, a, `<html lang="en">`, "Have your say in your municipality")
		if b.Cookies["lang"] != "en" {
			t.Fatalf("lang cookie = %q, want en", b.Cookies["lang"])
		}
		webtest.Contains(t, b.Get("/"), `<html lang="en">`)

		// An unknown language falls back silently.
		c := e.Browser()
		a = c.Get("/?lang=xx")
		if a.Status != 200 || !strings.Contains(a.Body, `<html lang="da">`) {
			t.Fatalf("unknown lang: %d", a.Status)
		}
	})
}

// Visitors' sessions live in their signed cookie; only signing in writes a
// session row, so browsing and forms cost the database nothing.
func TestVisitorSessionsLiveInTheCookie(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		rows := func() int64 {
			var n int64
			e.DB.Table("sessions").Count(&n)
			return n
		}
		b := e.Browser()
		b.Get("/")
		if _, ok := b.Cookies[web.SessionCookie]; ok {
			t.Fatal("the home page started a session")
		}
		tok := b.CSRF("/login")
		if _, ok := b.Cookies[web.SessionCookie]; !ok {
			t.Fatal("a page with a form did not start a session")
		}
		if rows() != 0 {
			t.Fatal("a visitor's session was written to the database")
		}
		// The cookie carries the CSRF token: a form posted with it passes.
		if a := b.PostForm("/logout", url.Values{"_csrf": {tok}}); a.Status != http.StatusSeeOther {
			t.Fatalf("form with the cookie's token: %d", a.Status)
		}
		// A tampered cookie is a new, empty session: the token no longer matches.
		forged := e.Browser()
		forged.Cookies[web.SessionCookie] = b.Cookies[web.SessionCookie][:20] + "x" + b.Cookies[web.SessionCookie][21:]
		if a := forged.PostForm("/logout", url.Values{"_csrf": {tok}}); a.Status != http.StatusForbidden {
			t.Fatalf("tampered cookie: %d", a.Status)
		}
		e.Account("anne@example.org", "staff")
		b.Login("anne@example.org", webtest.Password)
		if rows() != 1 {
			t.Fatalf("signing in stored %d session rows, want 1", rows())
		}
		tok = b.CSRF("/staff")
		b.PostForm("/logout", url.Values{"_csrf": {tok}})
		if rows() != 0 {
			t.Fatal("signing out left the session row")
		}
	})
}

func TestSecurityHeadersAndStaticFiles(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		a := b.Get("/")
		csp := a.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP allows inline code: %q", csp)
		}
		if a.Header.Get("X-Content-Type-Options") != "nosniff" || a.Header.Get("Referrer-Policy") == "" {
			t.Errorf("missing nosniff or Referrer-Policy: %v", a.Header)
		}
		if strings.Contains(a.Body, "<script>") || strings.Contains(a.Body, " style=") {
			t.Error("page has inline script or style, which the CSP would block")
		}
		css := e.Srv.Renderer().Asset("css/site.css")
		if !strings.Contains(a.Body, css) || !strings.Contains(css, "?v=") {
			t.Fatalf("stylesheet link %q missing or not cache-busted", css)
		}
		s := b.Get(css)
		if s.Status != 200 || !strings.Contains(s.Header.Get("Cache-Control"), "immutable") || !strings.Contains(s.Body, "--focus") {
			t.Fatalf("static css: %d %q", s.Status, s.Header.Get("Cache-Control"))
		}
	})
}

func TestNotFoundIsLocalized(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		a := b.Get("/no/such/page")
		if a.Status != http.StatusNotFound {
			t.Fatalf("status %d", a.Status)
		}
		webtest.Contains(t, a, "Siden blev ikke fundet", `<html lang="da">`)
		webtest.Contains(t, b.Get("/no/such/page?lang=nl"), "Pagina niet gevonden")
		if a := b.Get("/admin/accounts/nobody"); a.Status != http.StatusSeeOther || !strings.HasPrefix(a.Header.Get("Location"), "/login?next=") {
			t.Fatalf("a staff page without sign-in: %d %q", a.Status, a.Header.Get("Location"))
		}
		api := b.Get("/api/v1/nothing?lang=en")
		if api.Status != 404 || !strings.Contains(api.Body, `"code":"not_found"`) || !strings.Contains(api.Body, `"message":"This was not found."`) {
			t.Fatalf("API 404: %d %s", api.Status, api.Body)
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		if a := b.Get("/healthz"); a.Status != 200 {
			t.Fatalf("healthz %d", a.Status)
		}
		if a := b.Get("/readyz"); a.Status != 200 {
			t.Fatalf("readyz %d", a.Status)
		}
		sqlDB, _ := e.DB.DB()
		sqlDB.Close()
		if a := b.Get("/readyz"); a.Status != http.StatusServiceUnavailable {
			t.Fatalf("readyz with the database gone: %d", a.Status)
		}
		if a := b.Get("/healthz"); a.Status != 200 {
			t.Fatalf("healthz with the database gone: %d", a.Status)
		}
	})
}

func TestInternalErrorShowsNoDetails(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("staff@example.org", "staff")
		b := e.Browser()
		b.Login("staff@example.org", webtest.Password)
		sqlDB, _ := e.DB.DB()
		sqlDB.Close()
		a := b.Get("/staff")
		if a.Status != 500 {
			t.Fatalf("status %d", a.Status)
		}
		webtest.Contains(t, a, "Noget gik galt", "Der opstod en fejl hos os")
		if strings.Contains(a.Body, "closed") || strings.Contains(a.Body, "sql") {
			t.Fatalf("error details leaked: %s", a.Body)
		}
	})
}
