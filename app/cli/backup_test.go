package cli

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/db"
)

// A backup restores: the copy, put in a fresh DATA_DIR, holds the same
// content and the program runs on it.
func TestBackupRestoresTheSQLiteDatabase(t *testing.T) {
	c := newCLI(t, db.SQLite)
	if code, _, errs := c.run("", "demo"); code != 0 {
		t.Fatalf("demo: %d %s", code, errs)
	}
	file := filepath.Join(t.TempDir(), "inspraak-backup.db")
	if code, out, errs := c.run("", "backup", "--to", file); code != 0 || !strings.Contains(out, "wrote") {
		t.Fatalf("backup: %d %s %s", code, out, errs)
	}
	if code, _, errs := c.run("", "backup", "--to", file); code == 0 || !strings.Contains(errs, "exists") {
		t.Fatalf("a backup over an existing file: %d %s", code, errs)
	}
	if code, _, _ := c.run("", "backup"); code != 2 {
		t.Fatalf("backup without --to: %d", code)
	}

	restored := newCLI(t, db.SQLite)
	dir := restored.vars["DATA_DIR"]
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "inspraak.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	// session.key (made by serve) belongs with the backup; the demo alone
	// makes none.
	if key, err := os.ReadFile(filepath.Join(c.vars["DATA_DIR"], "session.key")); err == nil {
		if err := os.WriteFile(filepath.Join(dir, "session.key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The demo accounts, survey, consultation and policy came along: a
	// token is made for the demo staff account, and the demo finds
	// everything in place (it adds nothing).
	if code, out, errs := restored.run("", "token", "create", "--email", "staff@inspraak.example"); code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("token on the restored database: %d %s %s", code, out, errs)
	}
	gdb, err := db.OpenSQLite(filepath.Join(dir, "inspraak.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	for _, table := range []string{"surveys", "responses", "panel_members", "townhalls", "consultations", "ideas", "idea_supports", "policies", "policy_versions"} {
		var n int64
		if err := gdb.Table(table).Count(&n).Error; err != nil || n == 0 {
			t.Errorf("%s on the restored database: %d rows (%v)", table, n, err)
		}
	}
}
