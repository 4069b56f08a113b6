package citizens_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

func TestMeNeedsSignIn(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		for _, p := range []string{"/me", "/me/data", "/me/delete"} {
			a := b.Get(p)
			if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/signin?next="+url.QueryEscape(p) {
				t.Fatalf("%s: %d %q", p, a.Status, a.Header.Get("Location"))
			}
		}
		a := b.Get("/api/v1/me/citizen")
		if a.Status != http.StatusUnauthorized {
			t.Fatalf("API without sign-in: %d", a.Status)
		}
		if code, _ := webtest.ErrorCode(t, a); code != "unauthorized" {
			t.Fatalf("code %q", code)
		}
		// The sign-in form keeps where to go on to; visitors see "Sign in" in the header.
		page := b.Get("/signin?next=%2Fme&lang=en")
		webtest.Contains(t, page, `name="next" value="/me"`, `href="/login"`)
		webtest.Contains(t, b.Get("/?lang=en"), `<a href="/signin">Sign in</a>`)
		if page := b.Get("/signin?next=https://evil.example"); !strings.Contains(page.Body, `name="next" value=""`) {
			t.Fatal("a foreign next was kept")
		}
	})
}

func TestSignOutEndsTheSession(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		id := signIn(t, b, "anna@example.org")
		signedIn := b.Cookies[web.SessionCookie]
		page := b.Get("/me?lang=en")
		webtest.Contains(t, page, `<a href="/me" class="citizen-name" aria-current="page">My account</a>`, `action="/signout"`)

		thief := e.Browser()
		thief.Cookies[web.SessionCookie] = signedIn
		if a := thief.Get("/me"); a.Status != http.StatusOK {
			t.Fatalf("copied cookie before sign-out: %d", a.Status)
		}
		tok := b.CSRF("/me")
		if a := b.PostForm("/signout", url.Values{"_csrf": {"forged"}}); a.Status != http.StatusForbidden {
			t.Fatalf("forged sign-out: %d", a.Status)
		}
		a := b.PostForm("/signout", url.Values{"_csrf": {tok}})
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/" {
			t.Fatalf("sign out: %d", a.Status)
		}
		webtest.Contains(t, b.Get("/?lang=en"), "You are signed out.")
		if b.Cookies[web.SessionCookie] == signedIn {
			t.Fatal("the session id was not renewed")
		}
		if a := thief.Get("/me"); a.Status != http.StatusSeeOther {
			t.Fatalf("copied cookie after sign-out: %d", a.Status)
		}
		if a := b.Get("/me"); a.Status != http.StatusSeeOther {
			t.Fatalf("after sign-out: %d", a.Status)
		}
		if n := count(t, e, "sessions", "citizen_id = ?", id); n != 0 {
			t.Fatalf("%d session rows left", n)
		}
	})
}

func TestProfile(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		id := signIn(t, b, "anna@example.org")
		webtest.Contains(t, b.Get("/me?lang=da"), "Min konto", "Navn, der vises ved dine idéer og kommentarer", "Højst 60 tegn")

		tok := b.CSRF("/me")
		post := func(name, lang, notify string) webtest.Answer {
			f := url.Values{"_csrf": {tok}, "display_name": {name}, "language": {lang}}
			if notify != "" {
				f.Set("notify_by_email", notify)
			}
			return b.PostForm("/me?lang=en", f)
		}
		a := post(strings.Repeat("å", 61), "xx", "yes")
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("too long: %d", a.Status)
		}
		webtest.Contains(t, a, "This is too long.", "Choose one of the options.", `aria-invalid="true"`)
		if a := post("Anna\x01", "en", "yes"); a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("control character: %d", a.Status)
		}
		if a := post(strings.Repeat("å", 60), "en", "yes"); a.Status != http.StatusSeeOther {
			t.Fatalf("60 letters: %d", a.Status)
		}

		// Markup is kept as text and shown escaped, in the page and the header.
		name := `<script>alert(1)</script> Anna & "co"`
		a = post(name, "nl", "")
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/me?lang=nl" {
			t.Fatalf("save: %d %q", a.Status, a.Header.Get("Location"))
		}
		var c models.Citizen
		if err := e.DB.Where("id = ?", id).Take(&c).Error; err != nil {
			t.Fatal(err)
		}
		if c.DisplayName != name || c.Language != "nl" || c.NotifyByEmail {
			t.Fatalf("saved %+v", c)
		}
		page := b.Get("/me?lang=nl")
		webtest.Contains(t, page, "Uw gegevens zijn opgeslagen.", "&lt;script&gt;alert(1)&lt;/script&gt; Anna &amp; &#34;co&#34;", `<option value="nl" selected>`)
		if strings.Contains(page.Body, "<script>alert") {
			t.Fatal("the name is not escaped")
		}
		if strings.Contains(page.Body, `id="notify_by_email" name="notify_by_email" type="checkbox" value="yes" checked`) {
			t.Fatal("the mail preference was not saved")
		}
	})
}

// TestStaffAndCitizenNeverShareASession: signing in as a citizen signs a
// staff account out, and a staff login signs the citizen out.
func TestStaffAndCitizenNeverShareASession(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("staff@example.org", "staff")
		b := e.Browser()
		if a := b.Login("staff@example.org", webtest.Password); a.Status != http.StatusSeeOther {
			t.Fatalf("staff login: %d", a.Status)
		}
		requestLink(t, b, "anna@example.org", "en", "")
		path := newestLink(t, e, "anna@example.org")
		webtest.Contains(t, b.Get(path+"?lang=en"), "You are signed in with a staff account in this browser.")
		if a := useLink(t, b, path); a.Status != http.StatusSeeOther {
			t.Fatalf("citizen sign-in: %d", a.Status)
		}
		if a := b.Get("/staff"); a.Status != http.StatusSeeOther {
			t.Fatalf("staff still signed in: %d", a.Status)
		}
		if a := b.Get("/me"); a.Status != http.StatusOK {
			t.Fatalf("citizen not signed in: %d", a.Status)
		}
		if count(t, e, "sessions", "account_id IS NOT NULL") != 0 || count(t, e, "sessions", "citizen_id IS NOT NULL") != 1 {
			t.Fatal("the session holds a staff account")
		}

		if a := b.Login("staff@example.org", webtest.Password); a.Status != http.StatusSeeOther {
			t.Fatalf("staff login: %d", a.Status)
		}
		if a := b.Get("/me"); a.Status != http.StatusSeeOther {
			t.Fatalf("citizen still signed in next to staff: %d", a.Status)
		}
		if a := b.Get("/staff"); a.Status != http.StatusOK {
			t.Fatalf("staff not signed in: %d", a.Status)
		}
		if count(t, e, "sessions", "citizen_id IS NOT NULL") != 0 || count(t, e, "sessions", "account_id IS NOT NULL") != 1 {
			t.Fatal("the session holds a citizen")
		}
	})
}
