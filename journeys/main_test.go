package journeys

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inspraak/inspraak/app/mail/mailtest"
)

// axeFile is where `npm ci` (in this folder) puts axe-core.
const axeFile = "node_modules/axe-core/axe.min.js"

// artifactsDir receives the screenshots and the server's log; it is
// emptied at the start of every run and ignored by git.
const artifactsDir = "artifacts"

// Demo logins (app/cli/demo.go); the password is public.
const (
	demoPassword = "inspraak-demo"
	adminEmail   = "admin@inspraak.example"
	staffEmail   = "staff@inspraak.example"
	modEmail     = "moderator@inspraak.example"
	mayorEmail   = "mayor@inspraak.example"
)

// skipReason is set when the suite cannot run here; every test skips with it.
var skipReason string

// app is the running platform that every journey uses.
var app *platform

// platform is the real binary on a fresh PostgreSQL schema with the demo
// content, an SMTP server that keeps what it receives, and one headless
// Chromium.
type platform struct {
	base    string // http://127.0.0.1:port, also BASE_URL
	smtp    *mailtest.Server
	db      *pgxpool.Pool
	token   string // API token of the demo staff account
	axe     string // axe-core's source
	browser context.Context

	// Demo content, from the output of `inspraak demo`.
	surveyID, panelID, consultationID, policyID, liveTownHallID, archiveTownHallID string
}

// TestMain builds the binary, starts it with everything it needs, runs
// the tests and stops it again. When something the suite needs is
// missing, the tests run and skip, saying what to install.
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if testing.Short() {
		skipReason = "browser journeys are skipped in -short mode"
		return m.Run()
	}
	chrome, reason := prerequisites()
	if reason != "" {
		skipReason = reason
		fmt.Println("journeys: " + reason)
		return m.Run()
	}
	tb := &mainTB{}
	defer tb.cleanup()
	p, err := startPlatform(tb, chrome)
	if err != nil {
		fmt.Fprintln(os.Stderr, "journeys: cannot start the platform:", err)
		return 1
	}
	app = p
	return m.Run()
}

// prerequisites finds Chromium and says what is missing, if anything.
func prerequisites() (chrome, reason string) {
	var missing []string
	chrome = findChrome()
	if chrome == "" {
		missing = append(missing, "Chromium (apt-get install -y chromium chromium-driver, or set CHROME_PATH)")
	}
	if os.Getenv("TEST_DATABASE_URL") == "" {
		missing = append(missing, "TEST_DATABASE_URL (a PostgreSQL database, as for the database tests)")
	}
	if _, err := os.Stat(axeFile); err != nil {
		missing = append(missing, "axe-core (run npm ci --prefix journeys)")
	}
	if len(missing) > 0 {
		return chrome, "browser journeys skipped: missing " + strings.Join(missing, "; ")
	}
	return chrome, ""
}

func findChrome() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return ""
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needApp skips the test when the suite cannot run here.
func needApp(t *testing.T) {
	t.Helper()
	if app == nil {
		t.Skip(skipReason)
	}
}

// mainTB lets TestMain use helpers written for tests (mailtest.Start):
// failures become errors of the start, cleanups run when TestMain ends.
type mainTB struct {
	testing.TB
	fns []func()
}

func (m *mainTB) Helper()                        {}
func (m *mainTB) Cleanup(f func())               { m.fns = append(m.fns, f) }
func (m *mainTB) Fatal(args ...any)              { panic(startError(fmt.Sprint(args...))) }
func (m *mainTB) Fatalf(format string, a ...any) { panic(startError(fmt.Sprintf(format, a...))) }

func (m *mainTB) cleanup() {
	for i := len(m.fns) - 1; i >= 0; i-- {
		m.fns[i]()
	}
}

type startError string

func startPlatform(tb *mainTB, chrome string) (p *platform, err error) {
	defer func() {
		if r := recover(); r != nil {
			if se, ok := r.(startError); ok {
				p, err = nil, fmt.Errorf("%s", string(se))
				return
			}
			panic(r)
		}
	}()
	began := time.Now()
	p = &platform{}
	axe, err := os.ReadFile(axeFile)
	if err != nil {
		return nil, err
	}
	p.axe = string(axe)
	if err := os.RemoveAll(artifactsDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(artifactsDir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "inspraak-journeys-")
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() { _ = os.RemoveAll(tmp) })

	// The real binary, built once from the repository root.
	bin := filepath.Join(tmp, "inspraak")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}

	// A fresh schema in TEST_DATABASE_URL's database, as the database tests
	// use (app/db/testdb.go); the binary reaches it through search_path.
	dsn, err := freshSchema(tb, os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		return nil, err
	}
	p.smtp = mailtest.Start(tb)
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p.base = "http://" + addr
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	env := append(os.Environ(),
		"DATABASE_URL="+dsn,
		"SESSION_SECRET="+hex.EncodeToString(secret),
		"DATA_DIR="+filepath.Join(tmp, "data"),
		"ADDR="+addr,
		"BASE_URL="+p.base,
		"SMTP_URL="+p.smtp.URL,
		"MAIL_FROM=Inspraak <noreply@inspraak.test>",
		"DEFAULT_LANGUAGE=da",
		"LOG_FORMAT=json",
	)
	command := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stdout strings.Builder
		cmd.Stdout = &stdout
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("inspraak %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String(), nil
	}
	out, err := command("demo")
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		dst *string
		re  string
	}{
		{&p.surveyID, `open at /surveys/(\w+) with`},
		{&p.panelID, `at /staff/panels/(\w+) with`},
		{&p.archiveTownHallID, `finished one at /townhalls/(\w+)`},
		{&p.liveTownHallID, `live one at /townhalls/(\w+)`},
		{&p.consultationID, `at /consultations/(\w+) \(`},
		{&p.policyID, `published at /policies/(\w+)`},
	} {
		m := regexp.MustCompile(f.re).FindStringSubmatch(out)
		if m == nil {
			return nil, fmt.Errorf("inspraak demo did not print %q:\n%s", f.re, out)
		}
		*f.dst = m[1]
	}
	out, err = command("token", "create", "--email", staffEmail, "--name", "journeys")
	if err != nil {
		return nil, err
	}
	p.token = strings.TrimSpace(out)

	// The server, its log in artifacts/server.log.
	logf, err := os.Create(filepath.Join(artifactsDir, "server.log"))
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() { _ = logf.Close() })
	srv := exec.Command(bin, "serve")
	srv.Env = env
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = srv.Wait(); close(exited) }()
	tb.Cleanup(func() { stop(srv, exited) })
	if err := waitReady(p.base, exited); err != nil {
		return nil, err
	}

	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		return nil, err
	}
	tb.Cleanup(pool.Close)
	p.db = pool

	// One Chromium for the run; every journey opens its own browser
	// context (its own cookies) in it.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-gpu", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tb.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	tb.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		return nil, fmt.Errorf("start Chromium (%s): %v", chrome, err)
	}
	p.browser = browser
	fmt.Printf("journeys: %s on PostgreSQL, Chromium %s, ready in %s\n", p.base, chrome, time.Since(began).Round(100*time.Millisecond))
	return p, nil
}

// freshSchema creates an empty schema in the database at base and returns
// base with search_path set to it; the schema is dropped at the end.
func freshSchema(tb *mainTB, base string) (string, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "journeys_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", err
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady waits until /readyz answers 200.
func waitReady(base string, exited <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("the server exited at start; see journeys/%s/server.log:\n%s", artifactsDir, lastLines(20))
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the server did not answer /readyz within 60 s")
}

// stop ends the server with SIGTERM, as an orchestrator would.
func stop(srv *exec.Cmd, exited <-chan struct{}) {
	_ = srv.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = srv.Process.Kill()
		<-exited
	}
}

// lastLines returns the end of the server's log, for failure messages.
func lastLines(n int) string {
	f, err := os.Open(filepath.Join(artifactsDir, "server.log"))
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
