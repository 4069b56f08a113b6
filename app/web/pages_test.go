package web

import (
	"net/http"
	"strings"
	"testing"
)

func TestHomeSpeaksTheVisitorsLanguage(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		b := e.browser()
		a := b.get("/")
		if a.status != 200 {
			t.Fatalf("home: %d", a.status)
		}
		contains(t, a, `<html lang="da">`, "Sig din mening i din kommune", "Åbent nu", `href="/?lang=nl"`, `class="skip-link" href="#main"`, `<main id="main"`)

		b.header.Set("Accept-Language", "nl-NL,nl;q=0.9,en;q=0.5")
		contains(t, b.get("/"), `<html lang="nl">`, "Praat mee in uw gemeente")

		// ?lang= wins over Accept-Language and is remembered in a cookie.
		a = b.get("/?lang=en")
		contains(t, a, `<html lang="en">`, "Have your say in your municipality")
		if b.cookies["lang"] != "en" {
			t.Fatalf("lang cookie = %q, want en", b.cookies["lang"])
		}
		contains(t, b.get("/"), `<html lang="en">`)

		// An unknown language falls back silently.
		c := e.browser()
		a = c.get("/?lang=xx")
		if a.status != 200 || !strings.Contains(a.body, `<html lang="da">`) {
			t.Fatalf("unknown lang: %d", a.status)
		}
	})
}

func TestBrowsingWithoutFormsStartsNoSession(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.get("/")
		if _, ok := b.cookies[SessionCookie]; ok {
			t.Fatal("the home page started a session")
		}
		b.get("/login")
		if _, ok := b.cookies[SessionCookie]; !ok {
			t.Fatal("a page with a form did not start a session")
		}
		var n int64
		e.db.Table("sessions").Count(&n)
		if n != 1 {
			t.Fatalf("sessions stored = %d, want 1", n)
		}
	})
}

func TestSecurityHeadersAndStaticFiles(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		b := e.browser()
		a := b.get("/")
		csp := a.header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP allows inline code: %q", csp)
		}
		if a.header.Get("X-Content-Type-Options") != "nosniff" || a.header.Get("Referrer-Policy") == "" {
			t.Errorf("missing nosniff or Referrer-Policy: %v", a.header)
		}
		if strings.Contains(a.body, "<script>") || strings.Contains(a.body, " style=") {
			t.Error("page has inline script or style, which the CSP would block")
		}
		css := e.srv.Renderer().Asset("css/site.css")
		if !strings.Contains(a.body, css) || !strings.Contains(css, "?v=") {
			t.Fatalf("stylesheet link %q missing or not cache-busted", css)
		}
		s := b.get(css)
		if s.status != 200 || !strings.Contains(s.header.Get("Cache-Control"), "immutable") || !strings.Contains(s.body, "--focus") {
			t.Fatalf("static css: %d %q", s.status, s.header.Get("Cache-Control"))
		}
	})
}

func TestNotFoundIsLocalized(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		b := e.browser()
		a := b.get("/no/such/page")
		if a.status != http.StatusNotFound {
			t.Fatalf("status %d", a.status)
		}
		contains(t, a, "Siden blev ikke fundet", `<html lang="da">`)
		contains(t, b.get("/no/such/page?lang=nl"), "Pagina niet gevonden")
		if a := b.get("/admin/accounts/nobody"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login?next=") {
			t.Fatalf("a staff page without sign-in: %d %q", a.status, a.header.Get("Location"))
		}
		api := b.get("/api/v1/nothing?lang=en")
		if api.status != 404 || !strings.Contains(api.body, `"code":"not_found"`) || !strings.Contains(api.body, `"message":"This was not found."`) {
			t.Fatalf("API 404: %d %s", api.status, api.body)
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		b := e.browser()
		if a := b.get("/healthz"); a.status != 200 {
			t.Fatalf("healthz %d", a.status)
		}
		if a := b.get("/readyz"); a.status != 200 {
			t.Fatalf("readyz %d", a.status)
		}
		sqlDB, _ := e.db.DB()
		sqlDB.Close()
		if a := b.get("/readyz"); a.status != http.StatusServiceUnavailable {
			t.Fatalf("readyz with the database gone: %d", a.status)
		}
		if a := b.get("/healthz"); a.status != 200 {
			t.Fatalf("healthz with the database gone: %d", a.status)
		}
	})
}

func TestInternalErrorShowsNoDetails(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("staff@example.org", "staff")
		b := e.browser()
		b.login("staff@example.org", testPassword)
		sqlDB, _ := e.db.DB()
		sqlDB.Close()
		a := b.get("/staff")
		if a.status != 500 {
			t.Fatalf("status %d", a.status)
		}
		contains(t, a, "Noget gik galt", "Der opstod en fejl hos os")
		if strings.Contains(a.body, "closed") || strings.Contains(a.body, "sql") {
			t.Fatalf("error details leaked: %s", a.body)
		}
	})
}
