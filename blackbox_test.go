package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/db"
)

// TestBinary builds the real binary, starts it on a free port, and uses it
// as a person with a browser would: sign in through the form with its CSRF
// token, switch language, meet a Danish 404, and stop it with SIGTERM while
// a request is in flight.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "inspraak")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, d := range db.TestDialects() {
		t.Run(d, func(t *testing.T) {
			env := []string{"DATA_DIR=" + t.TempDir(), "LOG_FORMAT=json"}
			if d == db.Postgres {
				dsn, _ := db.TestSchemaURL(t)
				env = append(env, "DATABASE_URL="+dsn, "SESSION_SECRET=black-box-test-secret-of-enough-length")
				add := exec.Command(bin, "demo")
				add.Env = append(os.Environ(), env...)
				if out, err := add.CombinedOutput(); err != nil {
					t.Fatalf("demo: %v\n%s", err, out)
				}
			}
			runBinary(t, bin, env)
		})
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func runBinary(t *testing.T, bin string, env []string) {
	addr := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append(env, "ADDR="+addr, "BASE_URL=http://"+addr)...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if !testing.Verbose() {
		cmd.Stderr = io.Discard
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	go func() { _, _ = io.Copy(io.Discard, bufio.NewReader(stdout)) }()

	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the binary did not answer /healthz within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := get("/")
	if status != 200 || !strings.Contains(body, `<html lang="da">`) || !strings.Contains(body, "Sig din mening") {
		t.Fatalf("home: %d", status)
	}
	_, body = get("/login")
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the login form")
	}
	resp, err := client.PostForm(base+"/login", url.Values{"_csrf": {m[1]}, "email": {"admin@inspraak.example"}, "password": {"inspraak-demo"}, "next": {"/staff"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/staff" || !strings.Contains(string(b), "Velkommen, Anne Admin") {
		t.Fatalf("login ended at %s with %d", resp.Request.URL.Path, resp.StatusCode)
	}
	status, body = get("/staff?lang=en")
	if status != 200 || !strings.Contains(body, "Welcome, Anne Admin") || !strings.Contains(body, `<html lang="en">`) {
		t.Fatalf("English dashboard: %d", status)
	}
	status, body = get("/account")
	if status != 200 || !strings.Contains(body, "Your account") {
		t.Fatalf("the language choice was not kept: %d", status)
	}
	status, body = get("/does-not-exist?lang=da")
	if status != 404 || !strings.Contains(body, "Siden blev ikke fundet") {
		t.Fatalf("Danish 404: %d", status)
	}

	// Graceful shutdown: a login held back by the throttle is in flight when
	// SIGTERM arrives; it still gets its answer and the process exits 0.
	_, body = get("/login")
	tok := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(body)[1]
	for i := 0; i < 4; i++ {
		resp, err := client.PostForm(base+"/login", url.Values{"_csrf": {tok}, "email": {"slow@example.org"}, "password": {"wrong"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	done := make(chan int, 1)
	go func() {
		resp, err := client.PostForm(base+"/login", url.Values{"_csrf": {tok}, "email": {"slow@example.org"}, "password": {"wrong"}})
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	// The throttle holds this fifth attempt for 2 s; signal well inside that.
	time.Sleep(700 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != http.StatusUnauthorized {
		t.Fatalf("the request in flight at SIGTERM got %d", code)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the binary did not stop within 30 s of SIGTERM")
	}
}
