package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/app/webtest"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/models"
)

func TestLoginAndLogout(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("anne@example.org", "admin")
		b := e.Browser()
		b.Get("/login")
		before := b.Cookies[web.SessionCookie]
		a := b.Login("Anne@Example.org", webtest.Password)
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/staff" {
			t.Fatalf("login: %d %q", a.Status, a.Header.Get("Location"))
		}
		after := b.Cookies[web.SessionCookie]
		if after == "" || after == before {
			t.Fatal("login did not give a new session id")
		}
		// The pre-login cookie no longer works.
		old := e.Browser()
		old.Cookies[web.SessionCookie] = before
		if a := old.Get("/staff"); a.Status != http.StatusSeeOther {
			t.Fatalf("pre-login cookie still valid: %d", a.Status)
		}
		webtest.Contains(t, b.Get("/staff"), "Velkommen, Test admin", "administrator")

		// A copy of the signed-in cookie stops working at logout.
		thief := e.Browser()
		thief.Cookies[web.SessionCookie] = after
		if a := thief.Get("/staff"); a.Status != 200 {
			t.Fatalf("copied cookie before logout: %d", a.Status)
		}
		tok := b.CSRF("/staff")
		a = b.PostForm("/logout", url.Values{"_csrf": {tok}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("logout: %d", a.Status)
		}
		webtest.Contains(t, b.Get("/"), "Du er logget ud.")
		if a := thief.Get("/staff"); a.Status != http.StatusSeeOther {
			t.Fatalf("copied cookie after logout: %d", a.Status)
		}
		if a := b.Get("/staff"); a.Status != http.StatusSeeOther {
			t.Fatalf("after logout: %d", a.Status)
		}
	})
}

func TestLoginFailuresLookAlikeAndLock(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("anne@example.org", "staff")
		b := e.Browser()
		unknown := b.Login("nobody@example.org", webtest.Password)
		wrong := b.Login("anne@example.org", "wrong password!!")
		for _, a := range []webtest.Answer{unknown, wrong} {
			if a.Status != http.StatusUnauthorized {
				t.Fatalf("status %d", a.Status)
			}
			webtest.Contains(t, a, "E-mailadressen eller adgangskoden er forkert.")
		}
		// Lock after repeated failures: record them directly so the test does
		// not wait out the slow-down.
		for i := 0; i < 10; i++ {
			if err := e.Auth.RecordFailureForTest("anne@example.org"); err != nil {
				t.Fatal(err)
			}
		}
		a := b.Login("anne@example.org", webtest.Password)
		if a.Status != http.StatusTooManyRequests {
			t.Fatalf("locked account: %d", a.Status)
		}
		webtest.Contains(t, a, "For mange mislykkede forsøg")
		if a := b.Get("/staff"); a.Status != http.StatusSeeOther {
			t.Fatal("a locked login signed in")
		}
	})
}

func TestCSRF(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("anne@example.org", "admin")
		b := e.Browser()
		b.Login("anne@example.org", webtest.Password)
		add := url.Values{"name": {"Eve"}, "email": {"eve@example.org"}, "role": {"staff"}, "password": {webtest.Password}}
		for name, tok := range map[string]string{"missing": "", "forged": "forged-token"} {
			form := url.Values{}
			for k, v := range add {
				form[k] = v
			}
			if tok != "" {
				form.Set("_csrf", tok)
			}
			a := b.PostForm("/admin/accounts", form)
			if a.Status != http.StatusForbidden {
				t.Fatalf("%s token: %d", name, a.Status)
			}
			webtest.Contains(t, a, "Formularen var udløbet")
		}
		// A valid token from another session is refused too.
		other := e.Browser()
		foreign := other.CSRF("/login")
		add.Set("_csrf", foreign)
		if a := b.PostForm("/admin/accounts", add); a.Status != http.StatusForbidden {
			t.Fatalf("foreign token: %d", a.Status)
		}
		// A correct token from a cross-site page is refused by Origin.
		add.Set("_csrf", b.CSRF("/admin/accounts/new"))
		b.Header.Set("Origin", "https://evil.example")
		if a := b.PostForm("/admin/accounts", add); a.Status != http.StatusForbidden {
			t.Fatalf("cross-site origin: %d", a.Status)
		}
		b.Header.Del("Origin")
		var n int64
		e.DB.Model(&models.Account{}).Where("email = ?", "eve@example.org").Count(&n)
		if n != 0 {
			t.Fatal("a forged request created an account")
		}
		// GET never changes state: logout by GET is not a route.
		if a := b.Get("/logout"); a.Status != http.StatusNotFound {
			t.Fatalf("GET /logout: %d", a.Status)
		}
		if a := b.Get("/staff"); a.Status != 200 {
			t.Fatal("GET /logout signed out")
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("anne@example.org", "staff")
		b := e.Browser()
		b.Login("anne@example.org", webtest.Password)
		e.Clock.Add(25 * time.Minute)
		if a := b.Get("/staff"); a.Status != 200 {
			t.Fatalf("within the idle timeout: %d", a.Status)
		}
		e.Clock.Add(31 * time.Minute)
		if a := b.Get("/staff"); a.Status != http.StatusSeeOther {
			t.Fatalf("after the idle timeout: %d", a.Status)
		}
		webtest.Contains(t, b.Get("/login"), "Din session er udløbet")

		// Absolute timeout: active all the time, still ends after 12 hours.
		b.Login("anne@example.org", webtest.Password)
		for i := 0; i < 24; i++ {
			e.Clock.Add(29 * time.Minute)
			if a := b.Get("/staff"); a.Status != 200 {
				t.Fatalf("active session ended after %d min", (i+1)*29)
			}
		}
		e.Clock.Add(29 * time.Minute)
		if a := b.Get("/staff"); a.Status != http.StatusSeeOther {
			t.Fatalf("session lived past the absolute timeout: %d", a.Status)
		}
	})
}

func TestDeactivationEndsSessionsAndTokens(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("admin@example.org", "admin")
		staffID := e.Account("staff@example.org", "staff")
		admin, staff := e.Browser(), e.Browser()
		admin.Login("admin@example.org", webtest.Password)
		staff.Login("staff@example.org", webtest.Password)
		plain, _, err := e.Auth.CreateToken(t.Context(), staffID, "export")
		if err != nil {
			t.Fatal(err)
		}
		api := e.Browser()
		api.Header.Set("Authorization", "Bearer "+plain)
		if a := api.Get("/api/v1/me"); a.Status != 200 {
			t.Fatalf("token before deactivation: %d", a.Status)
		}
		tok := admin.CSRF("/admin/accounts/" + staffID)
		a := admin.PostForm("/admin/accounts/"+staffID, url.Values{"_csrf": {tok}, "name": {"Test staff"}, "email": {"staff@example.org"}, "role": {"staff"}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("deactivate: %d %s", a.Status, a.Body)
		}
		if a := staff.Get("/staff"); a.Status != http.StatusSeeOther {
			t.Fatalf("deactivated account still signed in: %d", a.Status)
		}
		if a := api.Get("/api/v1/me"); a.Status != http.StatusUnauthorized {
			t.Fatalf("deactivated account's token: %d", a.Status)
		}
		if a := staff.Login("staff@example.org", webtest.Password); a.Status != http.StatusUnauthorized {
			t.Fatalf("deactivated account logged in: %d", a.Status)
		}
	})
}

func TestRoles(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("mod@example.org", "moderator")
		b := e.Browser()
		b.Login("mod@example.org", webtest.Password)
		if a := b.Get("/staff"); a.Status != 200 {
			t.Fatalf("moderator dashboard: %d", a.Status)
		}
		a := b.Get("/admin/accounts?lang=en")
		if a.Status != http.StatusForbidden {
			t.Fatalf("moderator on admin page: %d", a.Status)
		}
		webtest.Contains(t, a, "You do not have access to this.")
		if strings.Contains(b.Get("/staff").Body, `href="/admin/accounts"`) {
			t.Error("a moderator is shown the accounts link")
		}
	})
}

func TestAdminManagesAccounts(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		adminID := e.Account("admin@example.org", "admin")
		b := e.Browser()
		b.Login("admin@example.org", webtest.Password)

		// Invalid input: every problem is named, localized, and nothing is stored.
		tok := b.CSRF("/admin/accounts/new")
		a := b.PostForm("/admin/accounts?lang=nl", url.Values{"_csrf": {tok}, "name": {""}, "email": {"not-an-email"}, "role": {"king"}, "password": {"short"}})
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid account: %d", a.Status)
		}
		webtest.Contains(t, a, "Er is een probleem", "Vul dit veld in.", "Vul een e-mailadres in", "Kies een van de rollen.", "minstens 12 tekens")

		// HTML in a name is stored as text and shown escaped.
		a = b.PostForm("/admin/accounts", url.Values{"_csrf": {tok}, "name": {`<script>alert(1)</script>`}, "email": {"Mayor@Example.org"}, "role": {"politician"}, "password": {webtest.Password}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
		list := b.Get("/admin/accounts?lang=da")
		webtest.Contains(t, list, "&lt;script&gt;alert(1)&lt;/script&gt;", "mayor@example.org", "politiker", "2 konti")
		if strings.Contains(list.Body, "<script>alert") {
			t.Fatal("name rendered unescaped")
		}

		// The same email again is a clear conflict.
		a = b.PostForm("/admin/accounts", url.Values{"_csrf": {tok}, "name": {"Other"}, "email": {"mayor@example.org"}, "role": {"staff"}, "password": {webtest.Password}})
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("duplicate: %d", a.Status)
		}
		webtest.Contains(t, a, "Der findes allerede en konto med denne e-mailadresse.")

		// An admin cannot lock themself out.
		a = b.PostForm("/admin/accounts/"+adminID, url.Values{"_csrf": {tok}, "name": {"Me"}, "email": {"admin@example.org"}, "role": {"staff"}, "active": {"on"}})
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("self-demotion: %d", a.Status)
		}
		var me models.Account
		e.DB.Where("id = ?", adminID).Take(&me)
		if me.Role != models.RoleAdmin {
			t.Fatal("admin demoted themself")
		}

		// Someone else's or an unknown id is 404.
		if a := b.Get("/admin/accounts/doesnotexist"); a.Status != http.StatusNotFound {
			t.Fatalf("unknown id: %d", a.Status)
		}
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("anne@example.org", "staff")
		phone, laptop := e.Browser(), e.Browser()
		phone.Login("anne@example.org", webtest.Password)
		laptop.Login("anne@example.org", webtest.Password)
		tok := laptop.CSRF("/account")
		a := laptop.PostForm("/account/password", url.Values{"_csrf": {tok}, "current_password": {"wrong"}, "new_password": {"another good password"}})
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong current password: %d", a.Status)
		}
		webtest.Contains(t, a, "Den nuværende adgangskode er forkert.")
		a = laptop.PostForm("/account/password", url.Values{"_csrf": {tok}, "current_password": {webtest.Password}, "new_password": {"another good password"}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("change: %d", a.Status)
		}
		if a := laptop.Get("/account"); a.Status != 200 {
			t.Fatal("the session that changed the password was signed out")
		}
		if a := phone.Get("/account"); a.Status != http.StatusSeeOther {
			t.Fatal("another session survived the password change")
		}
		if a := phone.Login("anne@example.org", "another good password"); a.Status != http.StatusSeeOther {
			t.Fatalf("new password: %d", a.Status)
		}
	})
}

func TestAccountPageTokens(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("anne@example.org", "staff")
		e.Account("bo@example.org", "staff")
		b := e.Browser()
		b.Login("anne@example.org", webtest.Password)
		tok := b.CSRF("/account")
		a := b.PostForm("/account/tokens", url.Values{"_csrf": {tok}, "name": {"open data"}})
		if a.Status != http.StatusCreated {
			t.Fatalf("create token: %d", a.Status)
		}
		webtest.Contains(t, a, "Kopiér nøglen nu", "isp_")
		plain := a.Body[strings.Index(a.Body, "isp_"):]
		plain = plain[:strings.Index(plain, "<")]
		api := e.Browser()
		api.Header.Set("Authorization", "Bearer "+plain)
		me := api.Get("/api/v1/me")
		if me.Status != 200 || !strings.Contains(me.Body, `"email":"anne@example.org"`) {
			t.Fatalf("me: %d %s", me.Status, me.Body)
		}
		// The token is shown once: the account page lists it without its secret.
		if strings.Contains(b.Get("/account").Body, plain) {
			t.Fatal("the token is shown again")
		}
		var tokenID string
		e.DB.Model(&models.APIToken{}).Select("id").Where("name = ?", "open data").Scan(&tokenID)

		// Another account cannot revoke it.
		bo := e.Browser()
		bo.Login("bo@example.org", webtest.Password)
		if a := bo.PostForm("/account/tokens/"+tokenID+"/revoke", url.Values{"_csrf": {bo.CSRF("/account")}}); a.Status != http.StatusNotFound {
			t.Fatalf("someone else's token: %d", a.Status)
		}
		if a := api.Get("/api/v1/me"); a.Status != 200 {
			t.Fatal("token revoked by another account")
		}
		if a := b.PostForm("/account/tokens/"+tokenID+"/revoke", url.Values{"_csrf": {tok}}); a.Status != http.StatusSeeOther {
			t.Fatalf("revoke: %d", a.Status)
		}
		if a := api.Get("/api/v1/me"); a.Status != http.StatusUnauthorized {
			t.Fatalf("revoked token: %d", a.Status)
		}
	})
}

func TestCookiesAndParticipant(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		e := webtest.NewEnv(t, gdb, func(c *config.Config) { c.BaseURL = "https://inspraak.example" })
		b := e.Browser()
		a := b.Get("/login")
		// The session cookie and the participant cookie carry the same flags
		// and lifetime.
		for _, name := range []string{web.SessionCookie, web.ParticipantCookie} {
			var raw string
			for _, v := range a.Header.Values("Set-Cookie") {
				if strings.HasPrefix(v, name+"=") {
					raw = v
				}
			}
			if raw == "" {
				t.Fatalf("no %s cookie: %v", name, a.Header.Values("Set-Cookie"))
			}
			for _, want := range []string{"HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=15552000"} { // PARTICIPANT_MAX_AGE, 180 days
				if !strings.Contains(strings.ToLower(raw), strings.ToLower(want)) {
					t.Errorf("%s cookie lacks %s: %s", name, want, raw)
				}
			}
		}
		participant := func() string { return e.Srv.ParticipantOf(b.Cookies[web.ParticipantCookie]) }
		first := participant()
		if len(first) != 20 {
			t.Fatalf("no anonymous participant id in its cookie: %q", first)
		}
		// It is not among the session's values, and a forged cookie is no participant.
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: b.Cookies[web.SessionCookie]})
		if s, err := e.Srv.Sessions().New(req, web.SessionCookie); err != nil || s.Values[auth.KeyParticipant] != nil {
			t.Fatalf("the session holds the participant id: %v %v", s.Values, err)
		}
		if p := e.Srv.ParticipantOf(b.Cookies[web.ParticipantCookie] + "x"); p != "" {
			t.Fatalf("a forged cookie gave %q", p)
		}
		e.Account("anne@example.org", "staff")
		b.Login("anne@example.org", webtest.Password)
		signedIn := participant()
		if signedIn == first || len(signedIn) != 20 {
			t.Fatalf("the participant id was kept across sign-in: %q", signedIn)
		}
		// What staff do signed in makes no participant id land in the
		// session's row either.
		b.Get("/account")
		b.Get("/townhalls")
		var rows []models.Session
		e.DB.Find(&rows)
		if len(rows) != 1 {
			t.Fatalf("%d session rows", len(rows))
		}
		vals, err := e.Srv.Sessions().DecodeRow(web.SessionCookie, rows[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range vals {
			if k == auth.KeyParticipant || v == first || v == signedIn {
				t.Fatalf("the session row holds the participant id: %v", vals)
			}
		}
		tok := b.CSRF("/account")
		if a := b.PostForm("/logout", url.Values{"_csrf": {tok}}); a.Status != http.StatusSeeOther {
			t.Fatalf("logout: %d", a.Status)
		}
		if p := participant(); p == signedIn || p == first || len(p) != 20 {
			t.Fatalf("the participant id was kept across sign-out: %q", p)
		}
	})
}

// TestParticipantMovesOutOfOldSessionCookies: a visitor whose session
// cookie still holds their participant id (from before it had a cookie of
// its own) keeps it, now in the participant cookie, and the session cookie
// is rewritten without it.
func TestParticipantMovesOutOfOldSessionCookies(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		store := e.Srv.Sessions()
		old, err := store.New(httptest.NewRequest(http.MethodGet, "/", nil), web.SessionCookie)
		if err != nil {
			t.Fatal(err)
		}
		const legacy = "legacyparticipant001"
		old.Values[auth.KeyParticipant] = legacy
		old.Values[auth.KeyCSRF] = "token"
		rec := httptest.NewRecorder()
		if err := store.Save(httptest.NewRequest(http.MethodGet, "/", nil), rec, old); err != nil {
			t.Fatal(err)
		}
		b := e.Browser()
		for _, c := range rec.Result().Cookies() {
			b.Cookies[c.Name] = c.Value
		}
		b.Get("/login")
		if p := e.Srv.ParticipantOf(b.Cookies[web.ParticipantCookie]); p != legacy {
			t.Fatalf("participant %q, want the old one", p)
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: b.Cookies[web.SessionCookie]})
		s, err := store.New(req, web.SessionCookie)
		if err != nil || s.Values[auth.KeyParticipant] != nil || s.Values[auth.KeyCSRF] != "token" {
			t.Fatalf("session after the move: %v %v", s.Values, err)
		}
	})
}
