// Package webtest drives the real web application in tests: a browser that
// keeps cookies and reads CSRF tokens, API clients with tokens, and a
// settable clock, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
package webtest

import (
	"bufio"
	"context"
	"encoding/json"
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
	"github.com/inspraak/inspraak/app/web"
)

// Password is the password of accounts made with Env.Account.
const Password = "correct horse battery"

// Clock is a settable time source for session timeouts.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Env is one application on one database.
type Env struct {
	T     *testing.T
	Srv   *web.Server
	DB    *gorm.DB
	Auth  *auth.Store
	Clock *Clock
}

// NewEnv builds the application on gdb; tweak adjusts the configuration.
func NewEnv(t *testing.T, gdb *gorm.DB, tweak ...func(*config.Config)) *Env {
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
	clk := &Clock{t: time.Now()}
	srv, err := web.New(web.Deps{Config: cfg, DB: gdb, Log: slog.New(slog.NewTextHandler(logWriter(), nil)), Assets: a,
		SessionKey: []byte("0123456789abcdef0123456789abcdef"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &Env{T: t, Srv: srv, DB: gdb, Auth: auth.NewStore(gdb), Clock: clk}
}

func logWriter() io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}

// ForEachDB runs fn on a fresh application for each test database.
func ForEachDB(t *testing.T, fn func(t *testing.T, e *Env)) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) { fn(t, NewEnv(t, gdb)) })
}

// OpenSQLite is a fresh migrated SQLite database.
func OpenSQLite(t *testing.T) *gorm.DB { return db.OpenTest(t, db.SQLite) }

// Account adds an active account with Password and returns its id.
func (e *Env) Account(email, role string) string {
	e.T.Helper()
	a, err := e.Auth.CreateAccount(context.Background(), auth.AccountInput{Email: email, Name: "Test " + role, Role: role, Password: Password, Active: true})
	if err != nil {
		e.T.Fatal(err)
	}
	return a.ID
}

// Browser keeps cookies like a browser and reads CSRF tokens from forms.
type Browser struct {
	E       *Env
	Cookies map[string]string
	Header  http.Header
}

// Browser starts a browser with no cookies.
func (e *Env) Browser() *Browser {
	return &Browser{E: e, Cookies: map[string]string{}, Header: http.Header{}}
}

// APIClient adds an account and returns a client sending its bearer token.
func (e *Env) APIClient(email, role string) *Browser {
	e.T.Helper()
	id := e.Account(email, role)
	plain, _, err := e.Auth.CreateToken(e.T.Context(), id, "test")
	if err != nil {
		e.T.Fatal(err)
	}
	b := e.Browser()
	b.Header.Set("Authorization", "Bearer "+plain)
	return b
}

// Answer is what the server answered.
type Answer struct {
	Status int
	Body   string
	Header http.Header
}

// Do sends one request through app.Test.
func (b *Browser) Do(method, target string, body io.Reader, contentType string) Answer {
	b.E.T.Helper()
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range b.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	for k, v := range b.Cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.E.Srv.App().Test(req, 30000)
	if err != nil {
		b.E.T.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.Cookies, c.Name)
		} else {
			b.Cookies[c.Name] = c.Value
		}
	}
	data, _ := io.ReadAll(resp.Body)
	return Answer{Status: resp.StatusCode, Body: string(data), Header: resp.Header}
}

// Get fetches a page.
func (b *Browser) Get(target string) Answer { return b.Do(http.MethodGet, target, nil, "") }

// PostForm posts a URL-encoded form.
func (b *Browser) PostForm(target string, form url.Values) Answer {
	return b.Do(http.MethodPost, target, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// PostJSON posts a JSON body.
func (b *Browser) PostJSON(target, body string) Answer {
	return b.Do(http.MethodPost, target, strings.NewReader(body), "application/json")
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// CSRF fetches page and returns the CSRF token of its first form.
func (b *Browser) CSRF(page string) string {
	b.E.T.Helper()
	m := csrfRe.FindStringSubmatch(b.Get(page).Body)
	if m == nil {
		b.E.T.Fatalf("no CSRF token on %s", page)
	}
	return m[1]
}

// Login signs in through the login form.
func (b *Browser) Login(email, password string) Answer {
	b.E.T.Helper()
	tok := b.CSRF("/login")
	return b.PostForm("/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}, "next": {"/staff"}})
}

// Contains fails the test for each string the answer lacks.
func Contains(t *testing.T, a Answer, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(a.Body, w) {
			t.Errorf("page (status %d) lacks %q", a.Status, w)
		}
	}
}

// ErrorCode checks the JSON error shape and returns its code and fields.
func ErrorCode(t *testing.T, a Answer) (string, map[string]string) {
	t.Helper()
	var body struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(a.Body), &body); err != nil {
		t.Fatalf("not the JSON error shape (%d): %s", a.Status, a.Body)
	}
	if body.Error.Message == "" {
		t.Fatalf("error without message: %s", a.Body)
	}
	return body.Error.Code, body.Error.Fields
}

// OverHTTP sends one POST through a real listener: a body over the limit is
// refused by the server as soon as it reads the headers, which app.Test
// cannot show. It writes the headers, then reads the answer.
func (e *Env) OverHTTP(t *testing.T, path, ctype, body string, h http.Header) (int, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.Srv.App().Listener(ln) }()
	defer e.Srv.App().Shutdown()
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
