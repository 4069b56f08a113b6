package citizens_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/citizens"
	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

func TestSignInWithEmailedLink(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()

		// The form explains, in the visitor's language, that no password is
		// needed and how long the link works.
		webtest.Contains(t, b.Get("/signin?lang=nl"), "Inloggen met uw e-mailadres", "geen wachtwoord", "15 minuten")
		before := participant(t, b)
		if before == "" {
			t.Fatal("no anonymous participant before signing in")
		}

		a := requestLink(t, b, " Anna@Example.org ", "nl", "/ideas/abc?sort=new")
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/signin/sent" {
			t.Fatalf("request link: %d %q %s", a.Status, a.Header.Get("Location"), a.Body)
		}
		webtest.Contains(t, b.Get("/signin/sent?lang=nl"), "Kijk in uw e-mail", "15 minuten")

		// The link arrives in the outbox, in Dutch; only the token's hash is kept.
		ms := mails(t, e, "anna@example.org")
		if len(ms) != 1 {
			t.Fatalf("%d mails to anna", len(ms))
		}
		m := ms[0]
		if m.Language != "nl" || m.Subject != "Uw inloglink voor Inspraak" || m.CitizenID != nil || m.Status != models.MailQueued {
			t.Fatalf("mail: language %q, subject %q, citizen %v, status %s", m.Language, m.Subject, m.CitizenID, m.Status)
		}
		if !strings.Contains(m.TextBody, "De link werkt één keer, tot ") || !strings.Contains(m.HTMLBody, `lang="nl"`) {
			t.Errorf("mail text:\n%s", m.TextBody)
		}
		path := newestLink(t, e, "anna@example.org")
		token := strings.TrimPrefix(path, "/signin/")
		var link models.CitizenSignIn
		if err := e.DB.Where("email = ?", "anna@example.org").Take(&link).Error; err != nil {
			t.Fatal(err)
		}
		if link.TokenHash != sha(token) || m.DedupeKey != "signin:"+sha(token) || link.NextPath != "/ideas/abc?sort=new" || link.UsedAt != nil {
			t.Fatalf("sign-in row: %+v, dedupe key %q", link, m.DedupeKey)
		}
		if d := link.ExpiresAt.Sub(link.CreatedAt); d != citizens.LinkLife {
			t.Fatalf("link lives %s", d)
		}
		if count(t, e, "citizen_sign_ins", "token_hash = ? OR email = ?", token, token) != 0 {
			t.Fatal("the token itself is stored")
		}

		// Opening the link (as a mail scanner would) uses nothing up. The
		// page names the address the link signs in, masked, and warns
		// whoever it is not theirs (a forwarded link would sign them in to
		// someone else's account).
		page := b.Get(path + "?lang=nl")
		webtest.Contains(t, page, "Inloggen bij Inspraak", `action="`+path+`"`, "Met deze link logt u in als a•••@example.org.",
			"Is dit niet uw adres? Ga dan niet verder")
		if strings.Contains(page.Body, "anna@example.org") {
			t.Fatal("the link page shows the whole address")
		}
		webtest.Contains(t, b.Get(path+"?lang=da"), "Dette link logger dig ind som a•••@example.org.", "Er det ikke din adresse? Så fortsæt ikke")
		webtest.Contains(t, b.Get(path+"?lang=en"), "This link signs you in as a•••@example.org.", "Not your address? Then do not continue")
		if count(t, e, "citizen_sign_ins", "used_at IS NOT NULL") != 0 || count(t, e, "citizens", "1 = 1") != 0 {
			t.Fatal("a GET used the link")
		}

		// The button signs in under a new session id and a new anonymous
		// participant id, and goes on to where the visitor was.
		old := b.Cookies[web.SessionCookie]
		a = useLink(t, b, path)
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/ideas/abc?sort=new" {
			t.Fatalf("use link: %d %q", a.Status, a.Header.Get("Location"))
		}
		if b.Cookies[web.SessionCookie] == old {
			t.Fatal("the session id was not renewed")
		}
		if p := participant(t, b); p == before || p == "" {
			t.Fatalf("participant %q became %q", before, p)
		}
		var c models.Citizen
		if err := e.DB.Where("email = ?", "anna@example.org").Take(&c).Error; err != nil {
			t.Fatal(err)
		}
		if c.Language != "nl" || !c.NotifyByEmail || c.LastSignInAt == nil {
			t.Fatalf("citizen: %+v", c)
		}
		if count(t, e, "sessions", "citizen_id = ? AND account_id IS NULL", c.ID) != 1 {
			t.Fatal("the session row does not name the citizen")
		}
		webtest.Contains(t, b.Get("/me?lang=en"), "You are signed in as anna@example.org.", `href="/me/ideas"`, `href="/me/data"`, `href="/me/delete"`)
		api := b.Get("/api/v1/me/citizen")
		var got citizens.CitizenJSON
		if err := json.Unmarshal([]byte(api.Body), &got); err != nil || api.Status != http.StatusOK || got.ID != c.ID || got.Email != "anna@example.org" {
			t.Fatalf("API: %d %s", api.Status, api.Body)
		}

		// The link works once: another browser gets a clear page (410) with
		// a way to a new link, and no session.
		other := e.Browser()
		used := other.Get(path + "?lang=en")
		if used.Status != http.StatusGone {
			t.Fatalf("used link (GET): %d", used.Status)
		}
		webtest.Contains(t, used, "This sign-in link has already been used", `href="/signin"`, "Get a new sign-in link")
		tok := other.CSRF("/signin")
		used = other.PostForm(path+"?lang=en", url.Values{"_csrf": {tok}})
		if used.Status != http.StatusGone {
			t.Fatalf("used link (POST): %d", used.Status)
		}
		webtest.Contains(t, used, "This sign-in link has already been used")
		if a := other.Get("/me"); a.Status != http.StatusSeeOther {
			t.Fatalf("a used link signed in: %d", a.Status)
		}
		if n := count(t, e, "sessions", "citizen_id = ?", c.ID); n != 1 {
			t.Fatalf("%d citizen sessions", n)
		}

		// A forged CSRF token is refused and leaves a new link unused.
		requestLink(t, other, "anna@example.org", "en", "")
		fresh := newestLink(t, e, "anna@example.org")
		other.Get(fresh)
		if a := other.PostForm(fresh, url.Values{"_csrf": {"forged"}}); a.Status != http.StatusForbidden {
			t.Fatalf("forged CSRF: %d", a.Status)
		}
		if count(t, e, "citizen_sign_ins", "token_hash = ? AND used_at IS NULL", sha(strings.TrimPrefix(fresh, "/signin/"))) != 1 {
			t.Fatal("a forged POST used the link")
		}
		// The known citizen's second mail carries their id.
		if ms := mails(t, e, "anna@example.org"); len(ms) != 2 || ms[1].CitizenID == nil || *ms[1].CitizenID != c.ID {
			t.Fatalf("second mail: %d mails", len(ms))
		}
	})
}

func TestExpiredAndUnknownLinks(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		requestLink(t, b, "bo@example.org", "da", "")
		path := newestLink(t, e, "bo@example.org")
		tok := b.CSRF("/signin")

		e.Clock.Add(citizens.LinkLife + time.Second)
		for _, a := range []webtest.Answer{b.Get(path + "?lang=en"), b.PostForm(path+"?lang=en", url.Values{"_csrf": {tok}})} {
			if a.Status != http.StatusGone {
				t.Fatalf("expired link: %d", a.Status)
			}
			webtest.Contains(t, a, "This sign-in link has expired: a link works for 15 minutes.", `href="/signin"`)
		}
		if count(t, e, "citizens", "1 = 1") != 0 || count(t, e, "sessions", "citizen_id IS NOT NULL") != 0 {
			t.Fatal("an expired link signed in")
		}

		a := b.Get("/signin/not-a-real-token?lang=da")
		if a.Status != http.StatusGone {
			t.Fatalf("unknown link: %d", a.Status)
		}
		webtest.Contains(t, a, "Dette link til at logge ind virker ikke.", "Få et nyt link til at logge ind")
		if a := b.PostForm("/signin/not-a-real-token", url.Values{"_csrf": {tok}}); a.Status != http.StatusGone {
			t.Fatalf("unknown link (POST): %d", a.Status)
		}
	})
}

func TestKnownAndUnknownAddressesGetTheSameAnswer(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		// Anna has an account in English, with a name that holds markup.
		anna := signIn(t, e.Browser(), "anna@example.org")
		if err := e.DB.Model(&models.Citizen{}).Where("id = ?", anna).
			Updates(map[string]any{"display_name": "<b>Anna</b> & co", "language": "en"}).Error; err != nil {
			t.Fatal(err)
		}

		known, unknown := e.Browser(), e.Browser()
		ka := requestLink(t, known, "anna@example.org", "da", "")
		ua := requestLink(t, unknown, "nobody@example.org", "da", "")
		if ka.Status != ua.Status || ka.Header.Get("Location") != ua.Header.Get("Location") || ka.Body != ua.Body {
			t.Fatalf("known %d %q, unknown %d %q", ka.Status, ka.Header.Get("Location"), ua.Status, ua.Header.Get("Location"))
		}
		if kp, up := known.Get("/signin/sent"), unknown.Get("/signin/sent"); kp.Status != http.StatusOK || kp.Body != up.Body {
			t.Fatal("the pages after asking differ")
		}

		// Anna's mail is in her language, greets her by name, escaped in HTML.
		ms := mails(t, e, "anna@example.org")
		m := ms[len(ms)-1]
		if m.Language != "en" || m.Subject != "Your sign-in link for Inspraak" || m.CitizenID == nil || *m.CitizenID != anna {
			t.Fatalf("mail to a known citizen: language %q, subject %q", m.Language, m.Subject)
		}
		if !strings.Contains(m.HTMLBody, "Hello &lt;b&gt;Anna&lt;/b&gt; &amp; co,") || strings.Contains(m.HTMLBody, "<b>Anna</b>") {
			t.Errorf("the name is not escaped in the HTML part:\n%s", m.HTMLBody)
		}
		if !strings.Contains(m.TextBody, "Hello <b>Anna</b> & co,") {
			t.Errorf("text part:\n%s", m.TextBody)
		}
		// The unknown address gets a link too, in the page's language; the
		// citizen is made only when it is used.
		um := mails(t, e, "nobody@example.org")
		if len(um) != 1 || um[0].Language != "da" || um[0].Subject != "Dit link til at logge ind på Inspraak" || um[0].CitizenID != nil {
			t.Fatalf("mail to an unknown address: %+v", um)
		}
		if count(t, e, "citizens", "email = ?", "nobody@example.org") != 0 {
			t.Fatal("asking for a link made a citizen")
		}

		// A malformed address is a field error on the form, in the page's language.
		a := requestLink(t, e.Browser(), "not an address", "en", "")
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad address: %d", a.Status)
		}
		webtest.Contains(t, a, "Enter an email address like name@example.com.", `aria-invalid="true"`)
	})
}

func TestSignInLinksAreRateLimited(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		for i := range citizens.EmailLimit {
			if a := requestLink(t, b, "anna@example.org", "en", ""); a.Status != http.StatusSeeOther {
				t.Fatalf("request %d: %d", i+1, a.Status)
			}
		}
		a := requestLink(t, b, "ANNA@example.org", "en", "")
		if a.Status != http.StatusTooManyRequests {
			t.Fatalf("4th request within 15 minutes: %d", a.Status)
		}
		webtest.Contains(t, a, "You have asked for 3 sign-in links in the last 15 minutes.")
		if n := len(mails(t, e, "anna@example.org")); n != 3 {
			t.Fatalf("%d mails", n)
		}
		e.Clock.Add(citizens.LinkLife)
		if a := requestLink(t, b, "anna@example.org", "en", ""); a.Status != http.StatusSeeOther {
			t.Fatalf("after 15 minutes: %d", a.Status)
		}

		// One client address cannot mail links to many addresses.
		e2 := webtest.NewEnv(t, e.DB)
		c := e2.Browser()
		tok := c.CSRF("/signin")
		ask := func(email string) webtest.Answer {
			return c.PostForm("/signin?lang=en", url.Values{"_csrf": {tok}, "email": {email}})
		}
		for i := range citizens.DefaultAddrLimit {
			if a := ask(fmt.Sprintf("person%d@example.org", i)); a.Status != http.StatusSeeOther {
				t.Fatalf("address request %d: %d", i+1, a.Status)
			}
		}
		a = ask("one-more@example.org")
		if a.Status != http.StatusTooManyRequests {
			t.Fatalf("past the address limit: %d", a.Status)
		}
		webtest.Contains(t, a, "Too many sign-in links have been asked for from your network.")
	})
}

// TestConsumeRaces: a link used twice at once signs in once; two first
// sign-ins of one address at once make one citizen.
func TestConsumeRaces(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		st := e.Srv.Citizens()
		ctx := context.Background()
		var tokens []string
		for range 3 {
			requestLink(t, e.Browser(), "race@example.org", "en", "")
			tokens = append(tokens, strings.TrimPrefix(newestLink(t, e, "race@example.org"), "/signin/"))
		}
		type result struct {
			c   *models.Citizen
			err error
		}
		run := func(toks []string) []result {
			out := make([]result, len(toks))
			var wg sync.WaitGroup
			for i, tok := range toks {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, _, err := st.Consume(ctx, tok)
					out[i] = result{c, err}
				}()
			}
			wg.Wait()
			return out
		}
		// Two different links of one new address at once: one citizen.
		rs := run(tokens[:2])
		for _, r := range rs {
			if r.err != nil {
				t.Fatalf("first sign-ins: %v", r.err)
			}
		}
		if rs[0].c.ID != rs[1].c.ID || count(t, e, "citizens", "email = ?", "race@example.org") != 1 {
			t.Fatal("two citizens for one address")
		}
		// One link twice at once: one success, one ErrLinkUsed.
		rs = run([]string{tokens[2], tokens[2]})
		ok, used := 0, 0
		for _, r := range rs {
			switch {
			case r.err == nil:
				ok++
			case errors.Is(r.err, citizens.ErrLinkUsed):
				used++
			default:
				t.Fatalf("same link twice: %v", r.err)
			}
		}
		if ok != 1 || used != 1 {
			t.Fatalf("same link twice: %d signed in, %d refused", ok, used)
		}
	})
}

func TestPurgeDeletesOldLinks(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		requestLink(t, e.Browser(), "old@example.org", "en", "")
		e.Clock.Add(24*time.Hour + citizens.LinkLife + time.Minute)
		requestLink(t, e.Browser(), "new@example.org", "en", "")
		n, err := e.Srv.Citizens().Purge(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("purged %d: %v", n, err)
		}
		if count(t, e, "citizen_sign_ins", "email = ?", "old@example.org") != 0 || count(t, e, "citizen_sign_ins", "email = ?", "new@example.org") != 1 {
			t.Fatal("purged the wrong links")
		}
	})
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"anna@example.dk":      "a•••@example.dk",
		"a@example.dk":         "a•••@example.dk",
		"øjvind.lund@post.dk":  "ø•••@post.dk",
		"first.last@x.example": "f•••@x.example",
		"not-an-address":       "•••",
		"@example.dk":          "•••",
	} {
		if got := citizens.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for next, want := range map[string]string{
		"/ideas/abc?sort=new":  "/ideas/abc?sort=new",
		"/consultations/x#top": "/consultations/x#top",
		"":                     "",
		"ideas":                "",
		"https://evil.example": "",
		"//evil.example":       "",
		"/\\evil.example":      "",
		"/\t/evil.example":     "",
		"javascript:alert(1)":  "",
		"/signin":              "",
		"/signin/abc":          "",
		"/signout":             "",
		"/signinfo":            "/signinfo",
	} {
		if got := citizens.LocalPath(next); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", next, got, want)
		}
	}
}
