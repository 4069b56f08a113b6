package citizens_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

var linkRe = regexp.MustCompile(`http://localhost:8080(/signin/[A-Za-z0-9_-]+)`)

// requestLink asks for a sign-in link through the form, as b, in lang.
func requestLink(t *testing.T, b *webtest.Browser, email, lang, next string) webtest.Answer {
	t.Helper()
	tok := b.CSRF("/signin?lang=" + lang)
	// Mails queued in one test get distinct times, so "the newest" is clear.
	b.E.Clock.Add(time.Second)
	return b.PostForm("/signin?lang="+lang, url.Values{"_csrf": {tok}, "email": {email}, "next": {next}})
}

// mails returns the mails to addr in the outbox, oldest first.
func mails(t *testing.T, e *webtest.Env, addr string) []models.OutboxMail {
	t.Helper()
	var out []models.OutboxMail
	if err := e.DB.Where("to_addr = ?", addr).Order("created_at, id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// newestLink is the path of the newest sign-in link mailed to addr.
func newestLink(t *testing.T, e *webtest.Env, addr string) string {
	t.Helper()
	ms := mails(t, e, addr)
	if len(ms) == 0 {
		t.Fatalf("no mail to %s", addr)
	}
	m := ms[len(ms)-1]
	x := linkRe.FindStringSubmatch(m.TextBody)
	if x == nil {
		t.Fatalf("no sign-in link in the mail %q:\n%s", m.Subject, m.TextBody)
	}
	if !strings.Contains(m.HTMLBody, `href="`+x[0]+`"`) {
		t.Errorf("the HTML part lacks the link %s:\n%s", x[0], m.HTMLBody)
	}
	return x[1]
}

// useLink follows a link as b: the page with the button, then the button.
func useLink(t *testing.T, b *webtest.Browser, path string) webtest.Answer {
	t.Helper()
	p := b.Get(path)
	if p.Status != http.StatusOK {
		t.Fatalf("GET %s: %d", path, p.Status)
	}
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no form on the link page")
	}
	return b.PostForm(path, url.Values{"_csrf": {m[1]}})
}

// signIn signs b in as the citizen with email (made on first sign-in) and
// returns the citizen's id.
func signIn(t *testing.T, b *webtest.Browser, email string) string {
	t.Helper()
	if a := requestLink(t, b, email, "en", ""); a.Status != http.StatusSeeOther {
		t.Fatalf("request link: %d %s", a.Status, a.Body)
	}
	if a := useLink(t, b, newestLink(t, b.E, email)); a.Status != http.StatusSeeOther {
		t.Fatalf("use link: %d %s", a.Status, a.Body)
	}
	var c models.Citizen
	if err := b.E.DB.Where("email = ?", email).Take(&c).Error; err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// sessionValues reads b's session as the server sees it.
func sessionValues(t *testing.T, b *webtest.Browser) map[interface{}]interface{} {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if v := b.Cookies[web.SessionCookie]; v != "" {
		r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: v})
	}
	s, err := b.E.Srv.Sessions().New(r, web.SessionCookie)
	if err != nil {
		t.Fatal(err)
	}
	return s.Values
}

// participant is b's anonymous participant id, from its own cookie.
func participant(t *testing.T, b *webtest.Browser) string {
	t.Helper()
	return b.E.Srv.ParticipantOf(b.Cookies[web.ParticipantCookie])
}

func count(t *testing.T, e *webtest.Env, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.DB.Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// fakeIdeas stands in for a feature that keeps data about citizens.
type fakeIdeas struct {
	mu     sync.Mutex
	forgot []string
	fail   bool
}

func (f *fakeIdeas) Export(_ context.Context, citizenID string) (map[string]any, error) {
	return map[string]any{"fake_feature": []map[string]any{{"title": "More bike parking at the station", "citizen": citizenID}}}, nil
}

func (f *fakeIdeas) Forget(tx *gorm.DB, citizenID string, deletePosts bool) error {
	if tx == nil {
		panic("Forget without a transaction")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return context.Canceled
	}
	what := "unlink"
	if deletePosts {
		what = "delete"
	}
	f.forgot = append(f.forgot, what+":"+citizenID)
	return nil
}
