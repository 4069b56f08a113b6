// Package web builds the Fiber application: middleware, every route (in
// routes.go), error pages and the JSON error shape.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/citizens"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/live"
	"github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/app/panels"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/results"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/townhall"
	"github.com/inspraak/inspraak/app/web/page"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "inspraak_session"

// Deps is what the web layer needs from the outside.
type Deps struct {
	Config config.Config
	DB     *gorm.DB
	Log    *slog.Logger
	Assets assets.FS
	// SessionKey signs session cookies (32 bytes or more).
	SessionKey []byte
	// Now is the clock for session timeouts; nil means time.Now.
	Now func() time.Time
}

// Server is the platform's HTTP side.
type Server struct {
	cfg        config.Config
	db         *gorm.DB
	log        *slog.Logger
	assets     assets.FS
	bundle     *i18n.Bundle
	render     *page.Renderer
	auth       *auth.Store
	sessions   *auth.SessionStore
	pcodec     *securecookie.SecureCookie // the anonymous participant cookie
	surveys    *surveys.Store
	zone       *time.Location
	app        *fiber.App
	now        func() time.Time
	proxies    []netip.Prefix
	idemKey    []byte
	outbox     *mail.Outbox
	mailer     *mail.Worker
	panels     *panels.Store
	results    *results.Store
	hub        *live.Hub
	moderation *moderation.Store
	townhalls  *townhall.Store
	citizens   *citizens.Store
	mails      *mail.Templates
	ideas      *ideas.Store
	policy     *policy.Store
	metrics    *metrics
}

// New wires the Fiber application.
func New(d Deps) (*Server, error) {
	zone, err := time.LoadLocation(d.Config.TimeZone)
	if err != nil {
		return nil, err
	}
	bundle, err := i18n.Load(d.Assets.Locales, config.Languages, d.Config.DefaultLanguage, zone)
	if err != nil {
		return nil, err
	}
	render, err := page.NewRenderer(d.Assets.Templates, d.Assets.Static, bundle)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: d.Config, db: d.DB, log: d.Log, assets: d.Assets, bundle: bundle, render: render,
		auth: auth.NewStore(d.DB), surveys: surveys.NewStore(d.DB).WithMarkerKey(derive(d.SessionKey, "response-marker")).WithZone(zone), zone: zone, now: d.Now, proxies: parsePrefixes(d.Config.TrustedProxies), idemKey: derive(d.SessionKey, "idempotency"),
		sessions: auth.NewSessionStore(d.DB, sessions.Options{
			Path:     "/",
			MaxAge:   int(d.Config.ParticipantMaxAge.Seconds()),
			HttpOnly: true,
			Secure:   d.Config.SecureCookies(),
			SameSite: http.SameSiteLaxMode,
		}, derive(d.SessionKey, "session-hash"), derive(d.SessionKey, "session-block")),
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.pcodec = newParticipantCodec(d.SessionKey, d.Config.ParticipantMaxAge)
	if err := s.wireMail(d, bundle); err != nil {
		return nil, err
	}
	s.results = results.NewStore(d.DB, s.surveys).WithConcurrency(resultsConcurrency(d))
	s.hub = live.New(d.DB, d.Log)
	s.moderation = moderation.NewStore(d.DB, s.now)
	s.townhalls = townhall.NewStore(d.DB, s.hub, s.moderation, s.now,
		townhall.WithParticipantKey(derive(d.SessionKey, "townhall")), townhall.WithLogger(d.Log))
	s.ideas = ideas.NewStore(d.DB, s.moderation, derive(d.SessionKey, "ideas"), s.now).
		WithMail(ideas.Mailer{Outbox: s.outbox, Mails: s.mails, BaseURL: d.Config.BaseURL, Notify: s.mailer.Notify})
	s.citizens.WithContributions(s.ideas)
	// Channel policy: cited figures come from surveys, town halls and
	// consultations; promises are measured on the platform's own channels.
	s.policy = s.wirePolicy(policy.NewStore(d.DB, zone, s.now))
	if s.metrics, err = s.newMetrics(); err != nil {
		return nil, err
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "inspraak",
		BodyLimit:             d.Config.BodyLimit,
		ErrorHandler:          importTooLarge(s.handleError),
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	s.routes()
	return s, nil
}

// App returns the Fiber application (for app.Test in tests).
func (s *Server) App() *fiber.App { return s.app }

// Renderer returns the template renderer.
func (s *Server) Renderer() *page.Renderer { return s.render }

// Listen serves until ctx is cancelled, then lets requests in flight finish
// within the shutdown timeout.
func (s *Server) Listen(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listen(s.cfg.Addr) }()
	go s.purge(ctx)
	go s.foldResults(ctx)
	wctx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); s.mailer.Run(wctx) }()
	lctx, stopLive := context.WithCancel(context.WithoutCancel(ctx))
	liveDone := make(chan struct{})
	go func() { defer close(liveDone); s.RunLive(lctx) }()
	select {
	case err := <-errc:
		stopWorker()
		stopLive()
		s.townhalls.Close()
		s.hub.Close()
		<-workerDone
		<-liveDone
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	// Stop accepting first, so that the browsers whose streams end below
	// reconnect to another instance, not to this one.
	shutdown := make(chan error, 1)
	go func() { shutdown <- s.app.ShutdownWithTimeout(s.cfg.ShutdownTimeout) }()
	select {
	case err := <-shutdown:
		shutdown <- err
	case <-time.After(100 * time.Millisecond): // the listener is closed by now
	}
	// Vote counts still gathered go out before the hub closes. Live streams
	// never finish by themselves: end them, so that the connections become
	// idle and the graceful shutdown can complete.
	s.townhalls.Close()
	s.hub.Close()
	stopLive()
	err := <-shutdown
	// The mail worker finishes the mail it is sending and hands back the rest.
	stopWorker()
	<-workerDone
	<-liveDone
	return err
}

// RunLive keeps the live events going until ctx ends: the hub's LISTEN
// connection (PostgreSQL) and the announcement of town halls that start or
// end. Listen runs it; tests that serve through their own listener call it.
func (s *Server) RunLive(ctx context.Context) {
	done := make(chan struct{})
	go func() { defer close(done); s.hub.Run(ctx) }()
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		if _, err := s.townhalls.AnnouncePhases(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("announce town hall phases", "err", err)
		}
		select {
		case <-ctx.Done():
			<-done
			return
		case <-t.C:
		}
	}
}

// Hub is the live event hub.
func (s *Server) Hub() *live.Hub { return s.hub }

// TownHalls is the town hall store.
func (s *Server) TownHalls() *townhall.Store { return s.townhalls }

// wireMail builds the outbox, the mail worker and the panels store that
// feeds it. Without SMTP_URL mail goes to the log and stays readable at
// /admin/mail.
func (s *Server) wireMail(d Deps, bundle *i18n.Bundle) error {
	tmpl, err := mail.NewTemplates(d.Assets.Templates, bundle)
	if err != nil {
		return err
	}
	s.mails = tmpl
	s.outbox = mail.NewOutbox(d.DB, s.now)
	var sender mail.Sender = mail.LogSender{Log: d.Log}
	if d.Config.SMTPURL != "" {
		smtp, err := mail.NewSMTPSender(d.Config.SMTPURL, d.Config.MailFrom)
		if err != nil {
			return err
		}
		smtp.Log = d.Log
		sender = smtp
	} else {
		s.outbox.KeepBodies = true
	}
	s.mailer = mail.NewWorker(s.outbox, sender, d.Log)
	s.panels = panels.NewStore(panels.Deps{DB: d.DB, Now: s.now, Key: derive(d.SessionKey, "panel-links"), Zone: s.zone, Surveys: s.surveys,
		Outbox: s.outbox, Mails: tmpl, BaseURL: d.Config.BaseURL, Notify: s.mailer.Notify, Log: d.Log})
	s.mailer.AddProducer("panel invitations", s.panels.QueueMails)
	s.citizens = citizens.NewStore(citizens.Deps{DB: d.DB, Now: s.now, Outbox: s.outbox, Mails: tmpl, BaseURL: d.Config.BaseURL,
		Notify: s.mailer.Notify, Log: d.Log})
	return nil
}

// MailWorker is the mail worker (tests run its rounds by hand).
func (s *Server) MailWorker() *mail.Worker { return s.mailer }

// Panels is the panels store.
func (s *Server) Panels() *panels.Store { return s.panels }

// Ideas is the idea collection store.
func (s *Server) Ideas() *ideas.Store { return s.ideas }

// Policy is the channel policy store.
func (s *Server) Policy() *policy.Store { return s.policy }

// Citizens is the citizen accounts store (features that keep data about
// citizens join it with WithContributions).
func (s *Server) Citizens() *citizens.Store { return s.citizens }

// purge deletes expired sessions and old idempotency answers every hour;
// any instance may do it.
// foldResults keeps the running totals of survey results current every
// minute, so the first look at a large survey's results is quick too. Any
// instance may do it: folds of one survey take turns.
func (s *Server) foldResults(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.results.FoldPending(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("fold survey results", "err", err)
		}
	}
}

func (s *Server) purge(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := s.sessions.PurgeExpired(ctx); err != nil {
			s.log.Warn("purge sessions", "err", err)
		} else if n > 0 {
			s.log.Info("purged expired sessions", "count", n)
		}
		if err := s.surveys.PurgeDrafts(ctx); err != nil {
			s.log.Warn("purge survey drafts", "err", err)
		}
		if err := s.purgeIdempotency(ctx); err != nil {
			s.log.Warn("purge idempotency keys", "err", err)
		}
		if n, err := s.panels.Purge(ctx); err != nil {
			s.log.Warn("purge unconfirmed panel sign-ups", "err", err)
		} else if n > 0 {
			s.log.Info("purged unconfirmed panel sign-ups", "count", n)
		}
		if n, err := s.citizens.Purge(ctx); err != nil {
			s.log.Warn("purge expired sign-in links", "err", err)
		} else if n > 0 {
			s.log.Info("purged expired sign-in links", "count", n)
		}
		if _, err := s.outbox.Purge(ctx); err != nil {
			s.log.Warn("purge sent mail", "err", err)
		}
		if n, err := s.townhalls.PurgeEvents(ctx); err != nil {
			s.log.Warn("purge live events of past town halls", "err", err)
		} else if n > 0 {
			s.log.Info("purged live events of past town halls", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sessions returns the session store (tests read sessions through it).
func (s *Server) Sessions() *auth.SessionStore { return s.sessions }

// derive makes a key for one purpose from the configured secret.
func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// resultsConcurrency is RESULTS_CONCURRENCY, by default half the database
// pool: the rest stays free for everything else while results are slow.
func resultsConcurrency(d Deps) int {
	if d.Config.ResultsConcurrency > 0 {
		return d.Config.ResultsConcurrency
	}
	sqlDB, err := d.DB.DB()
	if err != nil {
		return 0
	}
	if n := sqlDB.Stats().MaxOpenConnections; n > 0 {
		return max(1, n/2)
	}
	return 0
}
