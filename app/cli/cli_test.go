package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/db"
)

// cliEnv runs commands against one database of the given dialect.
type cliEnv struct {
	t    *testing.T
	vars map[string]string
	a    assets.FS
}

func newCLI(t *testing.T, dialect string) *cliEnv {
	t.Helper()
	a, err := assets.FromRepo()
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}
	if dialect == db.Postgres {
		vars["DATABASE_URL"], _ = db.TestSchemaURL(t)
	}
	return &cliEnv{t: t, vars: vars, a: a}
}

func (c *cliEnv) run(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(Env{Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return c.vars[k] }, Assets: c.a})
	return code, out.String(), errb.String()
}

func forEachDialect(t *testing.T, fn func(t *testing.T, c *cliEnv)) {
	for _, d := range db.TestDialects() {
		t.Run(d, func(t *testing.T) { fn(t, newCLI(t, d)) })
	}
}

func TestUserAdd(t *testing.T) {
	forEachDialect(t, func(t *testing.T, c *cliEnv) {
		code, out, errs := c.run("correct horse battery\n", "user", "add", "--email", "Mette@Example.org", "--name", "Mette", "--role", "moderator")
		if code != 0 || !strings.Contains(out, "added Mette <mette@example.org> as moderator") {
			t.Fatalf("exit %d, out %q, err %q", code, out, errs)
		}
		code, _, errs = c.run("correct horse battery\n", "user", "add", "--email", "mette@example.org", "--name", "Again", "--role", "staff")
		if code != 1 || !strings.Contains(errs, "already exists") {
			t.Fatalf("duplicate: exit %d, err %q", code, errs)
		}
		code, _, errs = c.run("correct horse battery\n", "user", "add", "--email", "x@example.org", "--name", "X", "--role", "mayor")
		if code != 2 || !strings.Contains(errs, `unknown role "mayor"`) {
			t.Fatalf("unknown role: exit %d, err %q", code, errs)
		}
		code, _, errs = c.run("short\n", "user", "add", "--email", "x@example.org", "--name", "X", "--role", "staff")
		if code != 1 || !strings.Contains(errs, "password must have at least 12 characters") {
			t.Fatalf("short password: exit %d, err %q", code, errs)
		}
		code, _, errs = c.run("", "user", "add", "--email", "x@example.org", "--name", "X", "--role", "staff")
		if code != 1 || !strings.Contains(errs, "no password on standard input") {
			t.Fatalf("no password: exit %d, err %q", code, errs)
		}
		// There is no flag for the password: it must not be given as an argument.
		code, _, errs = c.run("", "user", "add", "--email", "x@example.org", "--name", "X", "--role", "staff", "--password", "correct horse battery")
		if code != 2 || !strings.Contains(errs, "flag provided but not defined: -password") {
			t.Fatalf("--password: exit %d, err %q", code, errs)
		}
		code, _, errs = c.run("", "user", "add", "--name", "X")
		if code != 2 || !strings.Contains(errs, "missing --email, --role") {
			t.Fatalf("missing flags: exit %d, err %q", code, errs)
		}
	})
}

func TestTokenCreateAndDemo(t *testing.T) {
	forEachDialect(t, func(t *testing.T, c *cliEnv) {
		code, out, errs := c.run("", "demo")
		if code != 0 || !strings.Contains(out, "admin@inspraak.example") || !strings.Contains(out, DemoPassword) {
			t.Fatalf("demo: exit %d, out %q, err %q", code, out, errs)
		}
		if code, _, errs := c.run("", "demo"); code != 0 {
			t.Fatalf("demo twice: exit %d, err %q", code, errs)
		}
		code, out, _ = c.run("", "token", "create", "--email", "staff@inspraak.example")
		tok := strings.TrimSpace(out)
		if code != 0 || !strings.HasPrefix(tok, "isp_") || len(tok) < 40 {
			t.Fatalf("token: exit %d, out %q", code, out)
		}
		code, _, errs = c.run("", "token", "create", "--email", "nobody@example.org")
		if code != 1 || !strings.Contains(errs, "no account with email nobody@example.org") {
			t.Fatalf("unknown email: exit %d, err %q", code, errs)
		}
		if code, _, _ := c.run("", "token", "create"); code != 2 {
			t.Fatalf("token create without --email: exit %d", code)
		}
	})
}

func TestUsageAndHelp(t *testing.T) {
	c := newCLI(t, db.SQLite)
	if code, out, _ := c.run("", "help"); code != 0 || !strings.Contains(out, "inspraak user add") {
		t.Fatalf("help: %d %q", code, out)
	}
	if code, _, errs := c.run("", "frobnicate"); code != 2 || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %d %q", code, errs)
	}
	for _, args := range [][]string{{"migrate", "-h"}, {"serve", "--help"}, {"demo", "-h"}, {"token", "create", "-h"}, {"user", "--help"}} {
		if code, out, errs := c.run("", args...); code != 0 || !strings.Contains(out+errs, "Usage: inspraak") {
			t.Errorf("%v: exit %d, %q", args, code, out+errs)
		}
	}
	if code, _, errs := c.run("", "migrate", "extra"); code != 2 || !strings.Contains(errs, `unexpected argument "extra"`) {
		t.Fatalf("extra argument: %d %q", code, errs)
	}
	c.vars["DEFAULT_LANGUAGE"] = "fr"
	if code, _, errs := c.run("", "migrate"); code != 1 || !strings.Contains(errs, "DEFAULT_LANGUAGE") {
		t.Fatalf("bad configuration: %d %q", code, errs)
	}
}

func TestMigrateAndSessionKeyKept(t *testing.T) {
	c := newCLI(t, db.SQLite)
	if code, out, errs := c.run("", "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(c.vars["DATA_DIR"], "inspraak.db")); err != nil {
		t.Fatal("no SQLite file in DATA_DIR")
	}
	cfg := testConfig(c)
	k1, err := sessionKey(cfg)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := sessionKey(cfg)
	if !bytes.Equal(k1, k2) || len(k1) < 32 {
		t.Fatal("the session key changed between starts")
	}
	info, _ := os.Stat(filepath.Join(c.vars["DATA_DIR"], "session.key"))
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("session.key mode %v", info.Mode().Perm())
	}
}
