package web

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
)

const testPassword = "correct horse battery"

// clock is a settable time source for session timeouts.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	srv   *Server
	db    *gorm.DB
	store *auth.Store
	clock *clock
}

func newEnv(t *testing.T, gdb *gorm.DB, tweak ...func(*config.Config)) *env {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tweak {
		f(&cfg)
	}
	a, err := assets.FromRepo()
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	srv, err := New(Deps{Config: cfg, DB: gdb, Log: slog.New(slog.NewTextHandler(testLogWriter(), nil)), Assets: a,
		SessionKey: []byte("0123456789abcdef0123456789abcdef"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, db: gdb, store: auth.NewStore(gdb), clock: clk}
}

func (e *env) account(email, role string) string {
	e.t.Helper()
	a, err := e.store.CreateAccount(context.Background(), auth.AccountInput{Email: email, Name: "Test " + role, Role: role, Password: testPassword, Active: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return a.ID
}

// browser keeps cookies like a browser and reads CSRF tokens from forms.
type browser struct {
	e       *env
	cookies map[string]string
	header  http.Header
}

func (e *env) browser() *browser {
	return &browser{e: e, cookies: map[string]string{}, header: http.Header{}}
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (b *browser) do(method, target string, body io.Reader, contentType string) answer {
	b.e.t.Helper()
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range b.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.e.srv.App().Test(req, 30000)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	data, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(data), header: resp.Header}
}

func (b *browser) get(target string) answer { return b.do(http.MethodGet, target, nil, "") }

func (b *browser) postForm(target string, form url.Values) answer {
	return b.do(http.MethodPost, target, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

func (b *browser) postJSON(target, body string) answer {
	return b.do(http.MethodPost, target, strings.NewReader(body), "application/json")
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf fetches page and returns the CSRF token of its first form.
func (b *browser) csrf(page string) string {
	b.e.t.Helper()
	m := csrfRe.FindStringSubmatch(b.get(page).body)
	if m == nil {
		b.e.t.Fatalf("no CSRF token on %s", page)
	}
	return m[1]
}

func (b *browser) login(email, password string) answer {
	b.e.t.Helper()
	tok := b.csrf("/login")
	return b.postForm("/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}, "next": {"/staff"}})
}

func contains(t *testing.T, a answer, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(a.body, w) {
			t.Errorf("page (status %d) lacks %q", a.status, w)
		}
	}
}

func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) { fn(t, newEnv(t, gdb)) })
}

func testLogWriter() io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}

func openSQLite(t *testing.T) *gorm.DB { return db.OpenTest(t, db.SQLite) }

// overHTTP sends one POST through a real listener: a body over the limit
// is refused by the server as soon as it reads the headers, which app.Test
// cannot show. It writes the headers, then reads the answer.
func (e *env) overHTTP(t *testing.T, path, ctype, body string, h http.Header) (int, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.srv.App().Listener(ln) }()
	defer e.srv.App().Shutdown()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var head strings.Builder
	fmt.Fprintf(&head, "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\nContent-Length: %d\r\n", path, ctype, len(body))
	for k, vs := range h {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	if _, err := conn.Write([]byte(head.String())); err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Write([]byte(body[:min(len(body), 4096)]))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}
