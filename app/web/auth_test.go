package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/models"
)

func TestLoginAndLogout(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("anne@example.org", "admin")
		b := e.browser()
		b.get("/login")
		before := b.cookies[SessionCookie]
		a := b.login("Anne@Example.org", testPassword)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/staff" {
			t.Fatalf("login: %d %q", a.status, a.header.Get("Location"))
		}
		after := b.cookies[SessionCookie]
		if after == "" || after == before {
			t.Fatal("login did not give a new session id")
		}
		// The pre-login cookie no longer works.
		old := e.browser()
		old.cookies[SessionCookie] = before
		if a := old.get("/staff"); a.status != http.StatusSeeOther {
			t.Fatalf("pre-login cookie still valid: %d", a.status)
		}
		contains(t, b.get("/staff"), "Velkommen, Test admin", "administrator")

		// A copy of the signed-in cookie stops working at logout.
		thief := e.browser()
		thief.cookies[SessionCookie] = after
		if a := thief.get("/staff"); a.status != 200 {
			t.Fatalf("copied cookie before logout: %d", a.status)
		}
		tok := b.csrf("/staff")
		a = b.postForm("/logout", url.Values{"_csrf": {tok}})
		if a.status != http.StatusSeeOther {
			t.Fatalf("logout: %d", a.status)
		}
		contains(t, b.get("/"), "Du er logget ud.")
		if a := thief.get("/staff"); a.status != http.StatusSeeOther {
			t.Fatalf("copied cookie after logout: %d", a.status)
		}
		if a := b.get("/staff"); a.status != http.StatusSeeOther {
			t.Fatalf("after logout: %d", a.status)
		}
	})
}

func TestLoginFailuresLookAlikeAndLock(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("anne@example.org", "staff")
		b := e.browser()
		unknown := b.login("nobody@example.org", testPassword)
		wrong := b.login("anne@example.org", "wrong password!!")
		for _, a := range []answer{unknown, wrong} {
			if a.status != http.StatusUnauthorized {
				t.Fatalf("status %d", a.status)
			}
			contains(t, a, "E-mailadressen eller adgangskoden er forkert.")
		}
		// Lock after repeated failures: record them directly so the test does
		// not wait out the slow-down.
		for i := 0; i < 10; i++ {
			if err := e.store.RecordFailureForTest("anne@example.org"); err != nil {
				t.Fatal(err)
			}
		}
		a := b.login("anne@example.org", testPassword)
		if a.status != http.StatusTooManyRequests {
			t.Fatalf("locked account: %d", a.status)
		}
		contains(t, a, "For mange mislykkede forsøg")
		if a := b.get("/staff"); a.status != http.StatusSeeOther {
			t.Fatal("a locked login signed in")
		}
	})
}

func TestCSRF(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("anne@example.org", "admin")
		b := e.browser()
		b.login("anne@example.org", testPassword)
		add := url.Values{"name": {"Eve"}, "email": {"eve@example.org"}, "role": {"staff"}, "password": {testPassword}}
		for name, tok := range map[string]string{"missing": "", "forged": "forged-token"} {
			form := url.Values{}
			for k, v := range add {
				form[k] = v
			}
			if tok != "" {
				form.Set("_csrf", tok)
			}
			a := b.postForm("/admin/accounts", form)
			if a.status != http.StatusForbidden {
				t.Fatalf("%s token: %d", name, a.status)
			}
			contains(t, a, "Formularen var udløbet")
		}
		// A valid token from another session is refused too.
		other := e.browser()
		foreign := other.csrf("/login")
		add.Set("_csrf", foreign)
		if a := b.postForm("/admin/accounts", add); a.status != http.StatusForbidden {
			t.Fatalf("foreign token: %d", a.status)
		}
		// A correct token from a cross-site page is refused by Origin.
		add.Set("_csrf", b.csrf("/admin/accounts/new"))
		b.header.Set("Origin", "https://evil.example")
		if a := b.postForm("/admin/accounts", add); a.status != http.StatusForbidden {
			t.Fatalf("cross-site origin: %d", a.status)
		}
		b.header.Del("Origin")
		var n int64
		e.db.Model(&models.Account{}).Where("email = ?", "eve@example.org").Count(&n)
		if n != 0 {
			t.Fatal("a forged request created an account")
		}
		// GET never changes state: logout by GET is not a route.
		if a := b.get("/logout"); a.status != http.StatusNotFound {
			t.Fatalf("GET /logout: %d", a.status)
		}
		if a := b.get("/staff"); a.status != 200 {
			t.Fatal("GET /logout signed out")
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("anne@example.org", "staff")
		b := e.browser()
		b.login("anne@example.org", testPassword)
		e.clock.Add(25 * time.Minute)
		if a := b.get("/staff"); a.status != 200 {
			t.Fatalf("within the idle timeout: %d", a.status)
		}
		e.clock.Add(31 * time.Minute)
		if a := b.get("/staff"); a.status != http.StatusSeeOther {
			t.Fatalf("after the idle timeout: %d", a.status)
		}
		contains(t, b.get("/login"), "Din session er udløbet")

		// Absolute timeout: active all the time, still ends after 12 hours.
		b.login("anne@example.org", testPassword)
		for i := 0; i < 24; i++ {
			e.clock.Add(29 * time.Minute)
			if a := b.get("/staff"); a.status != 200 {
				t.Fatalf("active session ended after %d min", (i+1)*29)
			}
		}
		e.clock.Add(29 * time.Minute)
		if a := b.get("/staff"); a.status != http.StatusSeeOther {
			t.Fatalf("session lived past the absolute timeout: %d", a.status)
		}
	})
}

func TestDeactivationEndsSessionsAndTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("admin@example.org", "admin")
		staffID := e.account("staff@example.org", "staff")
		admin, staff := e.browser(), e.browser()
		admin.login("admin@example.org", testPassword)
		staff.login("staff@example.org", testPassword)
		plain, _, err := e.store.CreateToken(t.Context(), staffID, "export")
		if err != nil {
			t.Fatal(err)
		}
		api := e.browser()
		api.header.Set("Authorization", "Bearer "+plain)
		if a := api.get("/api/v1/me"); a.status != 200 {
			t.Fatalf("token before deactivation: %d", a.status)
		}
		tok := admin.csrf("/admin/accounts/" + staffID)
		a := admin.postForm("/admin/accounts/"+staffID, url.Values{"_csrf": {tok}, "name": {"Test staff"}, "email": {"staff@example.org"}, "role": {"staff"}})
		if a.status != http.StatusSeeOther {
			t.Fatalf("deactivate: %d %s", a.status, a.body)
		}
		if a := staff.get("/staff"); a.status != http.StatusSeeOther {
			t.Fatalf("deactivated account still signed in: %d", a.status)
		}
		if a := api.get("/api/v1/me"); a.status != http.StatusUnauthorized {
			t.Fatalf("deactivated account's token: %d", a.status)
		}
		if a := staff.login("staff@example.org", testPassword); a.status != http.StatusUnauthorized {
			t.Fatalf("deactivated account logged in: %d", a.status)
		}
	})
}

func TestRoles(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("mod@example.org", "moderator")
		b := e.browser()
		b.login("mod@example.org", testPassword)
		if a := b.get("/staff"); a.status != 200 {
			t.Fatalf("moderator dashboard: %d", a.status)
		}
		a := b.get("/admin/accounts?lang=en")
		if a.status != http.StatusForbidden {
			t.Fatalf("moderator on admin page: %d", a.status)
		}
		contains(t, a, "You do not have access to this.")
		if strings.Contains(b.get("/staff").body, `href="/admin/accounts"`) {
			t.Error("a moderator is shown the accounts link")
		}
	})
}

func TestAdminManagesAccounts(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		adminID := e.account("admin@example.org", "admin")
		b := e.browser()
		b.login("admin@example.org", testPassword)

		// Invalid input: every problem is named, localized, and nothing is stored.
		tok := b.csrf("/admin/accounts/new")
		a := b.postForm("/admin/accounts?lang=nl", url.Values{"_csrf": {tok}, "name": {""}, "email": {"not-an-email"}, "role": {"king"}, "password": {"short"}})
		if a.status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid account: %d", a.status)
		}
		contains(t, a, "Er is een probleem", "Vul dit veld in.", "Vul een e-mailadres in", "Kies een van de rollen.", "minstens 12 tekens")

		// HTML in a name is stored as text and shown escaped.
		a = b.postForm("/admin/accounts", url.Values{"_csrf": {tok}, "name": {`<script>alert(1)</script>`}, "email": {"Mayor@Example.org"}, "role": {"politician"}, "password": {testPassword}})
		if a.status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		list := b.get("/admin/accounts?lang=da")
		contains(t, list, "&lt;script&gt;alert(1)&lt;/script&gt;", "mayor@example.org", "politiker", "2 konti")
		if strings.Contains(list.body, "<script>alert") {
			t.Fatal("name rendered unescaped")
		}

		// The same email again is a clear conflict.
		a = b.postForm("/admin/accounts", url.Values{"_csrf": {tok}, "name": {"Other"}, "email": {"mayor@example.org"}, "role": {"staff"}, "password": {testPassword}})
		if a.status != http.StatusUnprocessableEntity {
			t.Fatalf("duplicate: %d", a.status)
		}
		contains(t, a, "Der findes allerede en konto med denne e-mailadresse.")

		// An admin cannot lock themself out.
		a = b.postForm("/admin/accounts/"+adminID, url.Values{"_csrf": {tok}, "name": {"Me"}, "email": {"admin@example.org"}, "role": {"staff"}, "active": {"on"}})
		if a.status != http.StatusUnprocessableEntity {
			t.Fatalf("self-demotion: %d", a.status)
		}
		var me models.Account
		e.db.Where("id = ?", adminID).Take(&me)
		if me.Role != models.RoleAdmin {
			t.Fatal("admin demoted themself")
		}

		// Someone else's or an unknown id is 404.
		if a := b.get("/admin/accounts/doesnotexist"); a.status != http.StatusNotFound {
			t.Fatalf("unknown id: %d", a.status)
		}
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("anne@example.org", "staff")
		phone, laptop := e.browser(), e.browser()
		phone.login("anne@example.org", testPassword)
		laptop.login("anne@example.org", testPassword)
		tok := laptop.csrf("/account")
		a := laptop.postForm("/account/password", url.Values{"_csrf": {tok}, "current_password": {"wrong"}, "new_password": {"another good password"}})
		if a.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong current password: %d", a.status)
		}
		contains(t, a, "Den nuværende adgangskode er forkert.")
		a = laptop.postForm("/account/password", url.Values{"_csrf": {tok}, "current_password": {testPassword}, "new_password": {"another good password"}})
		if a.status != http.StatusSeeOther {
			t.Fatalf("change: %d", a.status)
		}
		if a := laptop.get("/account"); a.status != 200 {
			t.Fatal("the session that changed the password was signed out")
		}
		if a := phone.get("/account"); a.status != http.StatusSeeOther {
			t.Fatal("another session survived the password change")
		}
		if a := phone.login("anne@example.org", "another good password"); a.status != http.StatusSeeOther {
			t.Fatalf("new password: %d", a.status)
		}
	})
}

func TestAccountPageTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("anne@example.org", "staff")
		e.account("bo@example.org", "staff")
		b := e.browser()
		b.login("anne@example.org", testPassword)
		tok := b.csrf("/account")
		a := b.postForm("/account/tokens", url.Values{"_csrf": {tok}, "name": {"open data"}})
		if a.status != http.StatusCreated {
			t.Fatalf("create token: %d", a.status)
		}
		contains(t, a, "Kopiér nøglen nu", "isp_")
		plain := a.body[strings.Index(a.body, "isp_"):]
		plain = plain[:strings.Index(plain, "<")]
		api := e.browser()
		api.header.Set("Authorization", "Bearer "+plain)
		me := api.get("/api/v1/me")
		if me.status != 200 || !strings.Contains(me.body, `"email":"anne@example.org"`) {
			t.Fatalf("me: %d %s", me.status, me.body)
		}
		// The token is shown once: the account page lists it without its secret.
		if strings.Contains(b.get("/account").body, plain) {
			t.Fatal("the token is shown again")
		}
		var tokenID string
		e.db.Model(&models.APIToken{}).Select("id").Where("name = ?", "open data").Scan(&tokenID)

		// Another account cannot revoke it.
		bo := e.browser()
		bo.login("bo@example.org", testPassword)
		if a := bo.postForm("/account/tokens/"+tokenID+"/revoke", url.Values{"_csrf": {bo.csrf("/account")}}); a.status != http.StatusNotFound {
			t.Fatalf("someone else's token: %d", a.status)
		}
		if a := api.get("/api/v1/me"); a.status != 200 {
			t.Fatal("token revoked by another account")
		}
		if a := b.postForm("/account/tokens/"+tokenID+"/revoke", url.Values{"_csrf": {tok}}); a.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d", a.status)
		}
		if a := api.get("/api/v1/me"); a.status != http.StatusUnauthorized {
			t.Fatalf("revoked token: %d", a.status)
		}
	})
}

func TestCookiesAndParticipant(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		e := newEnv(t, gdb, func(c *config.Config) { c.BaseURL = "https://inspraak.example" })
		b := e.browser()
		a := b.get("/login")
		raw := strings.Join(a.header.Values("Set-Cookie"), "\n")
		for _, want := range []string{"HttpOnly", "Secure", "SameSite=Lax"} {
			if !strings.Contains(raw, want) {
				t.Errorf("session cookie lacks %s: %s", want, raw)
			}
		}
		participant := func() string {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(&http.Cookie{Name: SessionCookie, Value: b.cookies[SessionCookie]})
			s, err := e.srv.sessions.New(req, SessionCookie)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := s.Values[auth.KeyParticipant].(string)
			return p
		}
		first := participant()
		if len(first) != 20 {
			t.Fatalf("no anonymous participant id in the session: %q", first)
		}
		e.account("anne@example.org", "staff")
		b.login("anne@example.org", testPassword)
		if participant() != first {
			t.Fatal("the participant id changed at login")
		}
	})
}
