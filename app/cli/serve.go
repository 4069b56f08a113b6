package cli

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/models"
)

func serve(env Env, args []string) error {
	if err := flags(env, "serve", "Starts the web server on ADDR (default :8080).", args, func(*flag.FlagSet) {}); err != nil {
		return err
	}
	cfg, log, gdb, err := open(env)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	key, err := sessionKey(cfg)
	if err != nil {
		return err
	}
	if cfg.Postgres() && cfg.SessionSecret == "" {
		log.Warn("SESSION_SECRET is not set: sessions are signed with a key in DATA_DIR, so several instances will not share them")
	}
	// A fresh embedded database gets the demo accounts so that `go run .`
	// can be tried at once; PostgreSQL is never seeded unasked.
	var n int64
	if err := gdb.Model(&models.Account{}).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 && !cfg.Postgres() && cfg.DemoOnEmpty {
		log.Warn("empty database: loading demo content; change or deactivate the demo accounts before real use")
		if err := loadDemo(env, cfg, log, gdb); err != nil {
			return err
		}
	} else if n == 0 {
		log.Warn("no accounts yet: add one with `inspraak user add --role admin`")
	}
	srv, err := web.New(web.Deps{Config: cfg, DB: gdb, Log: log, Assets: env.Assets, SessionKey: key})
	if err != nil {
		return err
	}
	ctx, stop := signalContext(env)
	defer stop()
	log.Info("listening", "addr", cfg.Addr, "database", db.Dialect(gdb), "base_url", cfg.BaseURL)
	return srv.Listen(ctx)
}

// sessionKey derives the cookie-signing key from SESSION_SECRET, or reads
// the one generated on first start in DATA_DIR (never regenerated, so
// sessions survive restarts).
func sessionKey(cfg config.Config) ([]byte, error) {
	if cfg.SessionSecret != "" {
		sum := sha256.Sum256([]byte("inspraak-session:" + cfg.SessionSecret))
		return sum[:], nil
	}
	path := filepath.Join(cfg.DataDir, "session.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) < 32 {
			return nil, fmt.Errorf("%s is damaged: delete it to make a new one (everyone will be signed out)", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return sessionKey(cfg) // another process made it first
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}
