package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || c.DefaultLanguage != "da" || c.Postgres() || c.SecureCookies() ||
		c.IdleTimeout != 30*time.Minute || c.AbsoluteTimeout != 12*time.Hour || c.BodyLimit != 1<<20 || !c.DemoOnEmpty || len(c.TrustedProxies) != 0 ||
		c.CitizenIdleTimeout != 30*24*time.Hour || c.CitizenAbsoluteTimeout != 90*24*time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestValidation(t *testing.T) {
	_, err := Load(env(map[string]string{
		"DEFAULT_LANGUAGE": "de", "BASE_URL": "ftp://x", "DATABASE_URL": "mysql://x", "SESSION_SECRET": "short",
		"SESSION_IDLE_TIMEOUT": "soon", "DB_MAX_OPEN_CONNS": "-1", "TRUSTED_PROXIES": "10.0.0.0/8, nonsense",
		"LOG_FORMAT": "xml", "TIMEZONE": "Mars/Base", "DEMO_ON_EMPTY": "maybe", "CITIZEN_IDLE_TIMEOUT": "-1h",
		"RESULTS_CONCURRENCY": "0",
	}))
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for _, name := range []string{"DEFAULT_LANGUAGE", "BASE_URL", "DATABASE_URL", "SESSION_SECRET", "SESSION_IDLE_TIMEOUT",
		"DB_MAX_OPEN_CONNS", "TRUSTED_PROXIES", "LOG_FORMAT", "TIMEZONE", "DEMO_ON_EMPTY", "CITIZEN_IDLE_TIMEOUT", "RESULTS_CONCURRENCY"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("no message about %s in %v", name, err)
		}
	}
}

func TestProductionSettings(t *testing.T) {
	c, err := Load(env(map[string]string{
		"DATABASE_URL": "postgres://u@db/inspraak", "BASE_URL": "https://inspraak.kk.dk/", "TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.1",
		"SESSION_SECRET": strings.Repeat("s", 40), "DEMO_ON_EMPTY": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Postgres() || !c.SecureCookies() || c.BaseURL != "https://inspraak.kk.dk" || len(c.TrustedProxies) != 2 || c.DemoOnEmpty || c.ResultsConcurrency != 0 {
		t.Fatalf("%+v", c)
	}
}

// A mail server without a sender address would send from the placeholder
// noreply@inspraak.invalid: refused at start, with the variable named.
func TestSMTPNeedsMailFrom(t *testing.T) {
	_, err := Load(env(map[string]string{"SMTP_URL": "smtp://mail.example.org:587"}))
	if err == nil || !strings.Contains(err.Error(), "MAIL_FROM: required when SMTP_URL is set") {
		t.Fatalf("SMTP_URL without MAIL_FROM: %v", err)
	}
	c, err := Load(env(map[string]string{"SMTP_URL": "smtp://mail.example.org:587", "MAIL_FROM": "Borgerpanelet <panel@kommune.dk>"}))
	if err != nil || c.MailFrom != "Borgerpanelet <panel@kommune.dk>" {
		t.Fatalf("with MAIL_FROM: %v", err)
	}
	if _, err := Load(env(nil)); err != nil {
		t.Fatalf("no SMTP_URL needs no MAIL_FROM: %v", err)
	}
}

// TestMetricsToken: /metrics is off by default; a token that is short or
// padded with spaces is refused at start.
func TestMetricsToken(t *testing.T) {
	if c, err := Load(env(nil)); err != nil || c.MetricsToken != "" {
		t.Fatalf("default METRICS_TOKEN %q, %v", c.MetricsToken, err)
	}
	for _, bad := range []string{"short", " 0123456789abcdef0123 "} {
		if _, err := Load(env(map[string]string{"METRICS_TOKEN": bad})); err == nil || !strings.Contains(err.Error(), "METRICS_TOKEN") {
			t.Errorf("METRICS_TOKEN %q accepted: %v", bad, err)
		}
	}
	if c, err := Load(env(map[string]string{"METRICS_TOKEN": "0123456789abcdef0123"})); err != nil || c.MetricsToken != "0123456789abcdef0123" {
		t.Fatalf("good METRICS_TOKEN: %v", err)
	}
}
