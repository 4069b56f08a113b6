package db

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/assets"
)

// TestDialects lists the databases the tests run on: SQLite always, and
// PostgreSQL when TEST_DATABASE_URL is set (CI sets it).
func TestDialects() []string {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return []string{SQLite, Postgres}
	}
	return []string{SQLite}
}

// ForEachDialect runs fn as a subtest on a fresh, migrated database of each
// dialect.
func ForEachDialect(t *testing.T, fn func(t *testing.T, gdb *gorm.DB)) {
	t.Helper()
	for _, d := range TestDialects() {
		t.Run(d, func(t *testing.T) { fn(t, OpenTest(t, d)) })
	}
}

// OpenTest gives the test its own migrated database: a temporary SQLite file,
// or a PostgreSQL schema of its own that is dropped afterwards.
func OpenTest(t testing.TB, dialect string) *gorm.DB {
	t.Helper()
	gdb := OpenEmpty(t, dialect)
	a, err := assets.FromRepo()
	if err != nil {
		t.Fatalf("find assets: %v", err)
	}
	if _, err := Migrate(context.Background(), gdb, a.Migrations); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	return gdb
}

// OpenEmpty is OpenTest without migrations.
func OpenEmpty(t testing.TB, dialect string) *gorm.DB {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if dialect == SQLite {
		gdb, err := OpenSQLite(filepath.Join(t.TempDir(), "test.db"), log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = Close(gdb) })
		return gdb
	}
	dsn, _ := TestSchemaURL(t)
	gdb, err := open(postgresDialector(dsn), Postgres, 10, 5, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Close(gdb) })
	return gdb
}

// TestSchemaURL creates an empty schema in TEST_DATABASE_URL's database and
// returns a URL whose search_path points at it; the schema is dropped when
// the test ends.
func TestSchemaURL(t testing.TB) (string, string) {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Skip("TEST_DATABASE_URL is not set")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	admin, err := open(postgresDialector(base), Postgres, 2, 1, log)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error
		_ = Close(admin)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

func fsGlob(a assets.FS, pattern string) ([]string, error) { return fs.Glob(a.Migrations, pattern) }

// OpenTestURL opens and migrates the PostgreSQL database at dsn (e.g. a
// schema from TestSchemaURL); two calls give two pools on one database, as
// two instances of the platform would have.
func OpenTestURL(t testing.TB, dsn string) *gorm.DB {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := open(postgresDialector(dsn), Postgres, 10, 5, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Close(gdb) })
	a, err := assets.FromRepo()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Migrate(context.Background(), gdb, a.Migrations); err != nil {
		t.Fatal(err)
	}
	return gdb
}
