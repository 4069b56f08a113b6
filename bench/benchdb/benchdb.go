// Package benchdb gives a benchmark what each of them needs: a PostgreSQL
// schema of its own in a loopback database, migrated, with the platform's
// connection pool configured as `inspraak serve` would configure it, and
// the platform's web server on a free loopback port. Close drops the
// schema (unless kept).
//
//	env, err := benchdb.Open(ctx, *database, benchdb.Options{Prefix: "bench_results"})
//	defer env.Close()
//	srv, err := env.Serve()
package benchdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/web"
)

// Options adjust Open.
type Options struct {
	// Prefix of the schema's name (a random suffix follows); "bench" if empty.
	Prefix string
	// Keep leaves the schema in place at Close, and says so.
	Keep bool
	// Env overrides environment variables for the platform's configuration
	// (e.g. SMTP_URL); DATABASE_URL, ADDR and BASE_URL are set by Open.
	Env map[string]string
}

// Env is a migrated schema and the platform configured on it.
type Env struct {
	Base    *url.URL // the database URL given to Open
	Schema  string
	Admin   *gorm.DB // a small pool on the database, outside the schema
	DB      *gorm.DB // the platform's pool, in the schema
	Config  config.Config
	Assets  assets.FS
	Log     *slog.Logger
	BaseURL string // http://127.0.0.1:<port> of Serve
	keep    bool
	ln      net.Listener
	srv     *web.Server
}

// Open checks that database is a postgres:// URL on loopback, creates the
// schema, opens the pools and runs the migrations. It must run from inside
// the repository (it reads templates and migrations from there).
func Open(ctx context.Context, database string, o Options) (*Env, error) {
	base, err := url.Parse(database)
	if err != nil || (base.Scheme != "postgres" && base.Scheme != "postgresql") {
		return nil, fmt.Errorf("want a postgres:// URL, got %q", database)
	}
	if h := base.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return nil, fmt.Errorf("benchmarks only talk to a database on loopback, not %q", h)
	}
	repo, err := assets.FromRepo()
	if err != nil {
		return nil, fmt.Errorf("run from inside the repository: %w", err)
	}
	e := &Env{Base: base, Assets: repo, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), keep: o.Keep}
	if e.Admin, err = db.Open(config.Config{DatabaseURL: database, DBMaxOpenConns: 2, DBMaxIdleConns: 1}, e.Log); err != nil {
		return nil, err
	}
	prefix := o.Prefix
	if prefix == "" {
		prefix = "bench"
	}
	e.Schema = prefix + "_" + RandomHex(5)
	if err := e.Admin.WithContext(ctx).Exec("CREATE SCHEMA " + e.Schema).Error; err != nil {
		db.Close(e.Admin)
		return nil, err
	}
	schemaURL := *base
	q := schemaURL.Query()
	q.Set("search_path", e.Schema)
	schemaURL.RawQuery = q.Encode()
	if e.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		e.Close()
		return nil, err
	}
	e.BaseURL = "http://" + e.ln.Addr().String()
	env := map[string]string{"DATABASE_URL": schemaURL.String(), "ADDR": e.ln.Addr().String(), "BASE_URL": e.BaseURL}
	for k, v := range o.Env {
		env[k] = v
	}
	if e.Config, err = config.Load(func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}); err != nil {
		e.Close()
		return nil, err
	}
	if e.DB, err = db.Open(e.Config, e.Log); err != nil {
		e.Close()
		return nil, err
	}
	if _, err := db.Migrate(ctx, e.DB, repo.Migrations); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Server builds the platform's web server on the schema without serving.
func (e *Env) Server() (*web.Server, error) {
	if e.srv != nil {
		return e.srv, nil
	}
	var err error
	e.srv, err = web.New(web.Deps{Config: e.Config, DB: e.DB, Log: e.Log, Assets: e.Assets, SessionKey: []byte(RandomHex(32))})
	return e.srv, err
}

// Serve starts the web server on the free port (BaseURL); Close stops it.
func (e *Env) Serve() (*web.Server, error) {
	srv, err := e.Server()
	if err != nil {
		return nil, err
	}
	go func() { _ = srv.App().Listener(e.ln) }()
	return srv, nil
}

// Close stops the server, closes the pools and drops the schema unless
// it is kept.
func (e *Env) Close() {
	if e.srv != nil {
		_ = e.srv.App().ShutdownWithTimeout(5 * time.Second)
	}
	if e.ln != nil {
		_ = e.ln.Close()
	}
	if e.DB != nil {
		db.Close(e.DB)
	}
	if e.keep {
		fmt.Printf("\nkept schema %s\n", e.Schema)
	} else if e.Schema != "" {
		if err := e.Admin.Exec("DROP SCHEMA " + e.Schema + " CASCADE").Error; err != nil {
			fmt.Fprintln(os.Stderr, "drop schema:", err)
		}
	}
	db.Close(e.Admin)
}

// RandomHex returns n random bytes as hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
