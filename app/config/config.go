// Package config reads the platform's settings from environment variables,
// validates them and hands them on explicitly; nothing reads the environment
// after start.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Languages the platform ships; more come by adding a locale file and a code here.
var Languages = []string{"da", "nl", "en"}

// Config is every setting of one instance.
type Config struct {
	Addr            string
	BaseURL         string
	DatabaseURL     string
	DataDir         string
	DefaultLanguage string
	SessionSecret   string
	// IdleTimeout and AbsoluteTimeout end a signed-in session; the anonymous
	// participant id lives ParticipantMaxAge so one vote stays one vote.
	IdleTimeout       time.Duration
	AbsoluteTimeout   time.Duration
	ParticipantMaxAge time.Duration
	// CitizenIdleTimeout and CitizenAbsoluteTimeout end a citizen's session
	// (signed in by an emailed link): longer than staff's, as a citizen's
	// account reaches no one else's data.
	CitizenIdleTimeout     time.Duration
	CitizenAbsoluteTimeout time.Duration
	TrustedProxies         []string
	DBMaxOpenConns         int
	DBMaxIdleConns         int
	ShutdownTimeout        time.Duration
	LogLevel               string
	LogFormat              string
	TimeZone               string
	// DemoOnEmpty loads the demo accounts when an SQLite database has none.
	DemoOnEmpty bool
	BodyLimit   int
	// SMTPURL is where mail goes (smtp://user:pass@host:587 with STARTTLS,
	// smtps://... with TLS from the start); empty: mail goes to the log and
	// the admin mail page.
	SMTPURL  string
	MailFrom string
	// RequestTimeout bounds a request's database work, waiting for a pooled
	// connection included: past it the request answers 503 instead of
	// queueing for ever behind others (streams are not bounded by it).
	RequestTimeout time.Duration
	// ResultsConcurrency is how many results computations (results pages
	// and API, cross-tabs, text answers, weightings) one instance runs at
	// once; the others wait, up to RequestTimeout. 0: half the database
	// pool, so a flood of them cannot take every connection.
	ResultsConcurrency int
	// LiveHeartbeat is the time between two keep-alive comments on live
	// event streams (Server-Sent Events).
	LiveHeartbeat time.Duration
	// TownHallIPRate is how many questions, votes and new participants one
	// client address may send to town halls per minute (0: no limit).
	TownHallIPRate int
	// MetricsToken turns on GET /metrics (Prometheus), for callers that
	// send Authorization: Bearer <MetricsToken>; empty: no /metrics.
	MetricsToken string
}

// Getenv is os.Getenv or a map lookup in tests.
type Getenv func(string) string

// Load reads and validates the configuration.
func Load(getenv Getenv) (Config, error) {
	c := Config{
		Addr:            or(getenv("ADDR"), ":8080"),
		BaseURL:         strings.TrimRight(or(getenv("BASE_URL"), "http://localhost:8080"), "/"),
		DatabaseURL:     getenv("DATABASE_URL"),
		DataDir:         or(getenv("DATA_DIR"), "./data"),
		DefaultLanguage: or(getenv("DEFAULT_LANGUAGE"), "da"),
		SessionSecret:   getenv("SESSION_SECRET"),
		LogLevel:        or(getenv("LOG_LEVEL"), "info"),
		LogFormat:       or(getenv("LOG_FORMAT"), "text"),
		TimeZone:        or(getenv("TIMEZONE"), "Europe/Copenhagen"),
		BodyLimit:       1 << 20,
		SMTPURL:         getenv("SMTP_URL"),
		MailFrom:        or(getenv("MAIL_FROM"), "Inspraak <noreply@inspraak.invalid>"),
		MetricsToken:    getenv("METRICS_TOKEN"),
	}
	var errs []error
	dur := func(name, def string) time.Duration {
		d, err := time.ParseDuration(or(getenv(name), def))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: want a positive duration such as 30m, got %q", name, getenv(name)))
		}
		return d
	}
	num := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s: want a positive whole number, got %q", name, v))
		}
		return n
	}
	switch v := getenv("DEMO_ON_EMPTY"); v {
	case "", "true", "1", "yes":
		c.DemoOnEmpty = true
	case "false", "0", "no":
	default:
		errs = append(errs, fmt.Errorf("DEMO_ON_EMPTY: want true or false, got %q", v))
	}
	c.IdleTimeout = dur("SESSION_IDLE_TIMEOUT", "30m")
	c.AbsoluteTimeout = dur("SESSION_ABSOLUTE_TIMEOUT", "12h")
	c.ParticipantMaxAge = dur("PARTICIPANT_MAX_AGE", "4320h")
	c.CitizenIdleTimeout = dur("CITIZEN_IDLE_TIMEOUT", "720h")
	c.CitizenAbsoluteTimeout = dur("CITIZEN_ABSOLUTE_TIMEOUT", "2160h")
	c.ShutdownTimeout = dur("SHUTDOWN_TIMEOUT", "20s")
	c.LiveHeartbeat = dur("LIVE_HEARTBEAT", "30s")
	c.RequestTimeout = dur("REQUEST_TIMEOUT", "15s")
	c.DBMaxOpenConns = num("DB_MAX_OPEN_CONNS", 20)
	c.DBMaxIdleConns = num("DB_MAX_IDLE_CONNS", 20) // as many as open: reconnecting costs more than an idle backend
	if getenv("RESULTS_CONCURRENCY") != "" {
		c.ResultsConcurrency = num("RESULTS_CONCURRENCY", 0)
	}
	c.TownHallIPRate = 600
	if v := getenv("TOWNHALL_IP_RATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("TOWNHALL_IP_RATE: want a whole number (0 for no limit), got %q", v))
		}
		c.TownHallIPRate = n
	}

	if !supported(c.DefaultLanguage) {
		errs = append(errs, fmt.Errorf("DEFAULT_LANGUAGE: want one of %s, got %q", strings.Join(Languages, ", "), c.DefaultLanguage))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("BASE_URL: want an http or https address, got %q", c.BaseURL))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("DATABASE_URL: want a postgres:// address (leave it unset for the embedded SQLite database)"))
	}
	if c.SessionSecret != "" && len(c.SessionSecret) < 32 {
		errs = append(errs, errors.New("SESSION_SECRET: want at least 32 characters"))
	}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither an IP address nor a CIDR range", p))
				continue
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if c.SMTPURL != "" && strings.TrimSpace(getenv("MAIL_FROM")) == "" {
		errs = append(errs, errors.New("MAIL_FROM: required when SMTP_URL is set: the sender address of the mail, e.g. \"Borgerpanelet <panel@kommune.dk>\" (the default noreply@inspraak.invalid would be refused or marked as spam)"))
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			errs = append(errs, errors.New("SMTP_URL: want smtp://user:password@host:587 or smtps://user:password@host:465"))
		} else if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				errs = append(errs, errors.New("SMTP_URL: the port must be a number from 1 to 65535"))
			}
		}
	}
	if a, err := mail.ParseAddress(c.MailFrom); err != nil || a.Address == "" {
		errs = append(errs, fmt.Errorf("MAIL_FROM: want an address such as \"Inspraak <noreply@example.org>\", got %q", c.MailFrom))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("TIMEZONE: unknown time zone %q", c.TimeZone))
	}
	if c.MetricsToken != "" && (len(c.MetricsToken) < 16 || strings.TrimSpace(c.MetricsToken) != c.MetricsToken) {
		errs = append(errs, errors.New("METRICS_TOKEN: want at least 16 characters without surrounding spaces, e.g. openssl rand -hex 32"))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("LOG_FORMAT: want text or json, got %q", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL: want debug, info, warn or error, got %q", c.LogLevel))
	}
	return c, errors.Join(errs...)
}

// SecureCookies is true when the platform is served over https.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// Postgres tells whether the PostgreSQL database is configured.
func (c Config) Postgres() bool { return c.DatabaseURL != "" }

func supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
