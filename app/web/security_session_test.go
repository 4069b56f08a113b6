package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// TestSessionRotatesAndRevokes: the session id changes at every sign-in
// (staff and citizen), the pre-sign-in cookie gains nothing, and signing
// out makes every copy of the signed-in cookie worthless.
func TestSessionRotatesAndRevokes(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		// Staff.
		e.Account("anne@example.org", "staff")
		b := e.Browser()
		b.Get("/login")
		before := b.Cookies[web.SessionCookie]
		if before == "" {
			t.Fatal("no session before login")
		}
		b.Login("anne@example.org", webtest.Password)
		after := b.Cookies[web.SessionCookie]
		if after == "" || after == before {
			t.Fatal("staff login kept the session id")
		}
		fixated := e.Browser()
		fixated.Cookies[web.SessionCookie] = before
		if a := fixated.Get("/staff"); a.Status != http.StatusSeeOther {
			t.Fatalf("the pre-login cookie is signed in: %d", a.Status)
		}
		copyOf := e.Browser()
		copyOf.Cookies[web.SessionCookie] = after
		if a := copyOf.Get("/staff"); a.Status != http.StatusOK {
			t.Fatalf("copy before logout: %d", a.Status)
		}
		b.PostForm("/logout", url.Values{"_csrf": {b.CSRF("/staff")}})
		if a := copyOf.Get("/staff"); a.Status != http.StatusSeeOther {
			t.Fatalf("copy after logout: %d", a.Status)
		}
		copyOf.Header.Set("Accept", "application/json")
		if a := copyOf.Get("/api/v1/me"); a.Status != http.StatusUnauthorized {
			t.Fatalf("copy after logout on the API: %d", a.Status)
		}

		// Citizen.
		c := e.Browser()
		c.Get("/signin")
		cBefore := c.Cookies[web.SessionCookie]
		signInCitizen(t, c, "carl@example.org")
		cAfter := c.Cookies[web.SessionCookie]
		if cAfter == "" || cAfter == cBefore {
			t.Fatal("citizen sign-in kept the session id")
		}
		fixated = e.Browser()
		fixated.Cookies[web.SessionCookie] = cBefore
		if a := fixated.Get("/me"); a.Status != http.StatusSeeOther {
			t.Fatalf("the pre-sign-in cookie is signed in: %d", a.Status)
		}
		copyOf = e.Browser()
		copyOf.Cookies[web.SessionCookie] = cAfter
		if a := copyOf.Get("/me"); a.Status != http.StatusOK {
			t.Fatalf("citizen copy before sign-out: %d", a.Status)
		}
		if a := c.PostForm("/signout", url.Values{"_csrf": {c.CSRF("/me")}}); a.Status != http.StatusSeeOther {
			t.Fatalf("sign-out: %d", a.Status)
		}
		if a := copyOf.Get("/me"); a.Status != http.StatusSeeOther {
			t.Fatalf("citizen copy after sign-out: %d", a.Status)
		}
		if a := copyOf.Get("/api/v1/me/citizen"); a.Status != http.StatusUnauthorized {
			t.Fatalf("citizen copy after sign-out on the API: %d", a.Status)
		}
	})
}

// setCookies parses the Set-Cookie headers of an answer by name.
func setCookies(a webtest.Answer) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, line := range a.Header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil {
			out[c.Name] = c
		}
	}
	return out
}

// TestCookieFlags: every cookie is SameSite=Lax, the session and
// participant cookies are HttpOnly, and all are Secure exactly when
// BASE_URL is https.
func TestCookieFlags(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		for _, base := range []string{"http://localhost:8080", "https://inspraak.example.dk"} {
			e := webtest.NewEnv(t, gdb, func(c *config.Config) { c.BaseURL = base })
			secure := strings.HasPrefix(base, "https://")
			e.Account(fmt.Sprintf("anne@%d.example.org", len(base)), "staff")
			b := e.Browser()
			seen := map[string]*http.Cookie{}
			collect := func(a webtest.Answer) {
				for k, v := range setCookies(a) {
					seen[k] = v
				}
			}
			collect(b.Get("/?lang=en"))
			collect(b.Get("/login"))
			collect(b.Login(fmt.Sprintf("anne@%d.example.org", len(base)), webtest.Password))
			c := e.Browser()
			collect(c.Get("/townhalls"))
			collect(c.Get("/signin"))
			for _, name := range []string{web.SessionCookie, web.ParticipantCookie} {
				if seen[name] == nil {
					t.Errorf("%s: cookie %s never set", base, name)
				}
			}
			for name, ck := range seen {
				if ck.SameSite != http.SameSiteLaxMode && ck.SameSite != http.SameSiteStrictMode {
					t.Errorf("%s: cookie %s SameSite %v", base, name, ck.SameSite)
				}
				if ck.Secure != secure {
					t.Errorf("%s: cookie %s Secure=%v", base, name, ck.Secure)
				}
				if (name == web.SessionCookie || name == web.ParticipantCookie) && !ck.HttpOnly {
					t.Errorf("%s: cookie %s is not HttpOnly", base, name)
				}
			}
		}
	})
}

// TestSpoofedForwardedForDoesNotBypassLimits: with no trusted proxy, a
// client that writes a new X-Forwarded-For on every request is still one
// address to the login throttle and the town hall and idea limits.
func TestSpoofedForwardedForDoesNotBypassLimits(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		e := webtest.NewEnv(t, gdb, func(c *config.Config) { c.TownHallIPRate = 12 })
		// Login: the peer's address is locked; a forged header does not
		// unlock it, even with the right password.
		e.Account("anne@example.org", "staff")
		until := time.Now().Add(time.Hour)
		if err := e.DB.Create(&models.LoginThrottle{Key: "ip:0.0.0.0", Failures: 100, FirstFailureAt: time.Now(), LockedUntil: &until}).Error; err != nil {
			t.Fatal(err)
		}
		b := e.Browser()
		b.Header.Set("X-Forwarded-For", "203.0.113.77")
		b.Header.Set("X-Real-IP", "203.0.113.78")
		if a := b.Login("anne@example.org", webtest.Password); a.Status != http.StatusTooManyRequests {
			t.Fatalf("locked address with a forged X-Forwarded-For: %d", a.Status)
		}
		e.DB.Where("1 = 1").Delete(&models.LoginThrottle{})

		staff := e.APIClient("staff@example.org", "staff")
		e.Account("mayor@example.org", "politician")
		now := e.Clock.Now()
		thID := jsonID(t, staff.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title":{"da":"Spørgetime"},"starts_at":%q,"ends_at":%q,"moderation":"post","politicians":["mayor@example.org"]}`,
			now.Add(-10*time.Minute).UTC().Format(time.RFC3339), now.Add(time.Hour).UTC().Format(time.RFC3339))), http.StatusCreated)
		limited := false
		for i := 0; i < 20 && !limited; i++ {
			c := e.Browser()
			c.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
			a := c.PostJSON("/api/v1/townhalls/"+thID+"/questions", fmt.Sprintf(`{"text":"Spørgsmål nummer %d om cykelstier i byen?"}`, i))
			switch a.Status {
			case http.StatusCreated:
			case http.StatusTooManyRequests:
				limited = true
			default:
				t.Fatalf("ask %d: %d %s", i, a.Status, a.Body)
			}
		}
		if !limited {
			t.Fatal("town hall: a new X-Forwarded-For on every request escaped the per-address limit")
		}

		consID := jsonID(t, staff.PostJSON("/api/v1/consultations", fmt.Sprintf(`{"title":{"da":"Cykler"},"description":{"da":"Om cykler"},
			"opens_at":%q,"closes_at":%q,"moderation":"post","anonymous":true}`,
			now.Add(-time.Hour).UTC().Format(time.RFC3339), now.Add(720*time.Hour).UTC().Format(time.RFC3339))), http.StatusCreated)
		limited = false
		for i := 0; i < 20 && !limited; i++ {
			c := e.Browser()
			c.Header.Set("X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i+1))
			a := c.PostJSON("/api/v1/consultations/"+consID+"/ideas", fmt.Sprintf(`{"title":"Idé nummer %d om cykler","body":"En længere beskrivelse af idé nummer %d om cykelstier."}`, i, i))
			switch a.Status {
			case http.StatusCreated:
			case http.StatusTooManyRequests:
				limited = true
			default:
				t.Fatalf("idea %d: %d %s", i, a.Status, a.Body)
			}
		}
		if !limited {
			t.Fatal("ideas: a new X-Forwarded-For on every request escaped the per-address limit")
		}
	})
}
