package db

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/config"
)

func migrations(t *testing.T) assets.FS {
	t.Helper()
	a, err := assets.FromRepo()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// columns lists "table.column" for every table the migrations made.
func columns(t *testing.T, gdb *gorm.DB) []string {
	t.Helper()
	var out []string
	switch Dialect(gdb) {
	case SQLite:
		err := gdb.Raw(`SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`).Scan(&out).Error
		if err != nil {
			t.Fatal(err)
		}
	case Postgres:
		err := gdb.Raw(`SELECT table_name || '.' || column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`).Scan(&out).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(out)
	return out
}

func TestMigrationsMakeTheSameSchemaOnBothDatabases(t *testing.T) {
	lite := columns(t, OpenTest(t, SQLite))
	if len(lite) < 20 {
		t.Fatalf("SQLite schema has only %d columns", len(lite))
	}
	for _, want := range []string{"accounts.email", "sessions.expires_at", "api_tokens.token_hash"} {
		if !contains(lite, want) {
			t.Errorf("SQLite schema lacks %s", want)
		}
	}
	pg := columns(t, OpenTest(t, Postgres)) // skips without TEST_DATABASE_URL
	for _, c := range lite {
		if !contains(pg, c) {
			t.Errorf("only SQLite has %s", c)
		}
	}
	for _, c := range pg {
		if !contains(lite, c) {
			t.Errorf("only PostgreSQL has %s", c)
		}
	}
	// Same migration files, same names, in both folders.
	a := migrations(t)
	names := func(dir string) string {
		m, _ := filepathGlob(a, dir)
		return strings.Join(m, ",")
	}
	if names("postgres") != names("sqlite") {
		t.Errorf("migration files differ: postgres %s, sqlite %s", names("postgres"), names("sqlite"))
	}
}

func filepathGlob(a assets.FS, dir string) ([]string, error) {
	m, err := fsGlob(a, dir+"/*.sql")
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m, err
}

func contains(list []string, s string) bool {
	i := sort.SearchStrings(list, s)
	return i < len(list) && list[i] == s
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	for _, d := range TestDialects() {
		t.Run(d, func(t *testing.T) {
			gdb := OpenTest(t, d)
			applied, err := Migrate(context.Background(), gdb, migrations(t).Migrations)
			if err != nil || len(applied) != 0 {
				t.Fatalf("second run applied %v, err %v", applied, err)
			}
		})
	}
}

// TestConcurrentStartsMigrateOnce starts several instances on one empty
// PostgreSQL schema at once: the advisory lock lets one migrate while the
// others wait, and none fails.
func TestConcurrentStartsMigrateOnce(t *testing.T) {
	dsn, _ := TestSchemaURL(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := migrations(t)
	const n = 4
	var wg sync.WaitGroup
	results := make([][]string, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		gdb, err := Open(config.Config{DatabaseURL: dsn, DBMaxOpenConns: 2, DBMaxIdleConns: 1}, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = Close(gdb) })
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = Migrate(context.Background(), gdb, a.Migrations)
		}(i)
	}
	wg.Wait()
	total := 0
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		total += len(results[i])
	}
	files, _ := filepathGlob(a, "postgres")
	if total != len(files) {
		t.Fatalf("applied %d migrations in all, want each of the %d once", total, len(files))
	}
}

func TestSQLiteSettings(t *testing.T) {
	gdb := OpenTest(t, SQLite)
	var mode string
	var fk int
	gdb.Raw("PRAGMA journal_mode").Scan(&mode)
	gdb.Raw("PRAGMA foreign_keys").Scan(&fk)
	if mode != "wal" || fk != 1 {
		t.Fatalf("journal_mode %q, foreign_keys %d; want wal and 1", mode, fk)
	}
	// Foreign keys are enforced: a token for no account is refused.
	err := gdb.Exec(`INSERT INTO api_tokens (id, account_id, name, token_hash, created_at) VALUES ('t', 'nobody', 'x', 'h', CURRENT_TIMESTAMP)`).Error
	if err == nil {
		t.Fatal("foreign key not enforced")
	}
}

func TestOpenRefusesUnreachablePostgres(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err := Open(config.Config{DatabaseURL: "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", DBMaxOpenConns: 1, DBMaxIdleConns: 1}, log)
	if err == nil {
		t.Fatal("opened a database that does not exist")
	}
}

// TestSQLiteWriteTransactionsTakeTheLockAtBegin: two transactions that read
// and then write must wait for each other, not fail with SQLITE_BUSY.
func TestSQLiteWriteTransactionsTakeTheLockAtBegin(t *testing.T) {
	gdb := OpenTest(t, SQLite)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- gdb.Transaction(func(tx *gorm.DB) error {
				var n int64
				if err := tx.Table("login_throttles").Count(&n).Error; err != nil {
					return err
				}
				return tx.Exec("INSERT INTO login_throttles (key, failures, first_failure_at) VALUES (?, 0, CURRENT_TIMESTAMP)", fmt.Sprint("k", i)).Error
			})
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
