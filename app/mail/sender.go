package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"net/url"
	"strconv"

	gomail "github.com/wneessen/go-mail"

	"github.com/inspraak/inspraak/models"
)

// Sender delivers one mail.
type Sender interface {
	Send(ctx context.Context, m models.OutboxMail) error
}

// LogSender "delivers" mail to the log: for trying the platform without a
// mail server. The mails stay readable on the admin mail page.
type LogSender struct{ Log *slog.Logger }

// Send logs that the mail was delivered, without its text (which holds
// personal links).
func (s LogSender) Send(_ context.Context, m models.OutboxMail) error {
	s.Log.Info("mail delivered to the log (no SMTP_URL): read it at /admin/mail", "mail", m.ID, "subject", m.Subject)
	return nil
}

// SMTPSender sends mail through an SMTP server.
type SMTPSender struct {
	from string
	opts []gomail.Option
	host string
	// Log receives errors that came after a mail was delivered (nil: the
	// default logger).
	Log *slog.Logger
}

// NewSMTPSender reads an SMTP_URL: smtp://user:password@host:port uses
// STARTTLS when the server offers it (mandatory when a password is given,
// so it never travels in clear), smtps:// uses TLS from the start (port 465
// unless given). ?tls=none turns TLS off (for a local relay only).
func NewSMTPSender(rawURL, from string) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	s := &SMTPSender{from: from, host: u.Hostname()}
	port := 587
	if u.Scheme == "smtps" {
		port = 465
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("SMTP_URL: bad port")
		}
	}
	s.opts = append(s.opts, gomail.WithPort(port), gomail.WithTimeout(SendTimeout/2),
		gomail.WithTLSConfig(&tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}))
	user, hasUser := "", false
	if u.User != nil {
		user, hasUser = u.User.Username(), u.User.Username() != ""
	}
	switch {
	case u.Scheme == "smtps":
		s.opts = append(s.opts, gomail.WithSSL())
	case u.Query().Get("tls") == "none":
		s.opts = append(s.opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case hasUser:
		s.opts = append(s.opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		s.opts = append(s.opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if hasUser {
		pass, _ := u.User.Password()
		s.opts = append(s.opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	if _, err := gomail.NewClient(s.host, s.opts...); err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	return s, nil
}

// Send delivers m: plain text with an HTML alternative.
func (s *SMTPSender) Send(ctx context.Context, m models.OutboxMail) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.ToAddr); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(m.ID + "@inspraak")
	msg.SetGenHeader(gomail.HeaderContentLang, m.Language)
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.TextBody)
	if m.HTMLBody != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTMLBody)
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	err = c.DialAndSendWithContext(ctx, msg)
	if err != nil && msg.IsDelivered() {
		// The server took the mail; only the reset or the goodbye after it
		// failed. Sending it again would deliver it twice.
		log := s.Log
		if log == nil {
			log = slog.Default()
		}
		log.Warn("mail delivered, but the connection did not close cleanly", "mail", m.ID, "err", err)
		return nil
	}
	if code := smtpCode(err); code >= 500 && code <= 599 {
		return &PermanentError{Err: err}
	}
	return err
}

// smtpCode is the SMTP reply code of a send error (0: none, e.g. a network
// error).
func smtpCode(err error) int {
	if err == nil {
		return 0
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		if c := se.ErrorCode(); c != 0 {
			return c
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}
