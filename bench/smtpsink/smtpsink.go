// Package smtpsink is an SMTP server for the benchmarks that counts what it
// receives, per recipient and per Message-ID, and keeps nothing else (the
// tests' app/mail/mailtest keeps whole messages, too much for 100,000).
package smtpsink

import (
	"bytes"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Sink is a running SMTP server on 127.0.0.1.
type Sink struct {
	srv *smtp.Server
	// Addr is host:port, for SMTP_URL=smtp://<Addr>?tls=none.
	Addr  string
	mu    sync.Mutex
	to    map[string]int
	ids   map[string]bool
	dupes int
	total int
}

// Start listens on a free port.
func Start() (*Sink, error) {
	s := &Sink{to: map[string]int{}, ids: map[string]bool{}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Addr = ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Sink) Close() { _ = s.srv.Close() }

// Stats returns the mails received per recipient (lower-cased), how many
// repeated a Message-ID already received, and the number of mails.
func (s *Sink) Stats() (to map[string]int, dupes, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.to, s.dupes, s.total
}

type session struct {
	s  *Sink
	to []string
}

func (x *session) Reset()                               { x.to = nil }
func (x *session) Logout() error                        { return nil }
func (x *session) Mail(string, *smtp.MailOptions) error { return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, strings.ToLower(to))
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	id := msg.Header.Get("Message-Id")
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.total++
	if x.s.ids[id] {
		x.s.dupes++
	}
	x.s.ids[id] = true
	for _, to := range x.to {
		x.s.to[to]++
	}
	return nil
}
