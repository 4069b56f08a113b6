package cli

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/panels"
	"github.com/inspraak/inspraak/models"
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
		if !strings.Contains(out, "with 2400 active members, 1104 of whom answered the survey") {
			t.Fatalf("demo panel: out %q", out)
		}
		if code, _, errs := c.run("", "demo"); code != 0 {
			t.Fatalf("demo twice: exit %d, err %q", code, errs)
		}
		checkDemoPanel(t, c)
		checkDemoPolicy(t, c, out)
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

// checkDemoPanel looks in the database for the demo panel: its members,
// their invitations to the demo survey, and the profiles on the survey's
// panel responses, which match the invitations used.
func checkDemoPanel(t *testing.T, c *cliEnv) {
	t.Helper()
	gdb, err := db.Open(testConfig(c), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	count := func(table, where string, args ...any) int64 {
		var n int64
		if err := gdb.Table(table).Where(where, args...).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	var ps []models.Panel
	gdb.Find(&ps)
	if len(ps) != 1 || ps[0].Name.In("da") != "Borgerpanelet (demo)" {
		t.Fatalf("panels after demo twice: %+v", ps)
	}
	p := ps[0]
	if n := count("panel_members", "panel_id = ? AND status = 'active' AND email LIKE '%@example.org' AND confirmed_at IS NOT NULL", p.ID); n != panels.DemoMembers || n < 2000 {
		t.Fatalf("%d active demo members with example.org addresses", n)
	}
	if n := count("panel_members", "panel_id = ?", p.ID); n != panels.DemoMembers {
		t.Fatalf("%d demo members in all", n)
	}
	if n := count("panel_member_profiles", "panel_id = ?", p.ID); n != 3*panels.DemoMembers {
		t.Fatalf("%d profile values", n)
	}
	var sv models.Survey
	gdb.Where("template_key = ?", "social-media-expectations").Take(&sv)
	panelResponses := count("responses", "survey_id = ? AND channel = 'panel'", sv.ID)
	if panelResponses < 1000 {
		t.Fatalf("%d panel responses", panelResponses)
	}
	// Every panel response carries age, gender and district, and no other response a profile.
	for _, f := range []string{"age", "gender", "district"} {
		if n := count("response_attributes a", "a.field = ? AND EXISTS (SELECT 1 FROM responses r WHERE r.id = a.response_id AND r.survey_id = ? AND r.channel = 'panel')", f, sv.ID); n != panelResponses {
			t.Errorf("%d of %d panel responses have %s", n, panelResponses, f)
		}
	}
	if n := count("response_attributes a", "EXISTS (SELECT 1 FROM responses r WHERE r.id = a.response_id AND r.channel <> 'panel')"); n != 0 {
		t.Errorf("%d profile values on responses from other channels", n)
	}
	// The response rate agrees: as many invitations used as panel responses.
	if n := count("panel_invitations", "panel_id = ? AND survey_id = ?", p.ID, sv.ID); n != panels.DemoMembers {
		t.Errorf("%d invitations", n)
	}
	if n := count("panel_invitations", "panel_id = ? AND survey_id = ? AND used = ?", p.ID, sv.ID, true); n != panelResponses {
		t.Errorf("%d invitations used for %d panel responses", n, panelResponses)
	}
	// The demo survey is anonymous: no invitation keeps a date of use.
	if n := count("panel_invitations", "used_on IS NOT NULL"); sv.Anonymous && n != 0 {
		t.Errorf("%d invitations to an anonymous survey keep the date of use", n)
	}
	// Per age band, the profiles on the responses match the invitations used.
	for _, age := range []string{"18_29", "30_44", "45_64", "65_plus"} {
		used := count("panel_invitations i", "i.used = ? AND EXISTS (SELECT 1 FROM panel_member_profiles m WHERE m.member_id = i.member_id AND m.field = 'age' AND m.value = ?)", true, age)
		onResponses := count("response_attributes", "field = 'age' AND value = ?", age)
		if used != onResponses || used == 0 {
			t.Errorf("age %s: %d invitations used, %d responses", age, used, onResponses)
		}
	}
	// Nothing is mailed to the made-up addresses, now or by the worker later.
	if n := count("mail_outbox", "1 = 1"); n != 0 {
		t.Errorf("%d mails queued", n)
	}
	if n := count("panel_invitations", "mailed_at IS NULL OR (used = ? AND reminders < 1)", false); n != 0 {
		t.Errorf("%d invitations the worker would still mail", n)
	}
}
