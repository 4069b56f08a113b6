// Package mailtest runs a real SMTP server in-process (emersion/go-smtp)
// for tests: mail sent to it is parsed and kept, so tests assert on what a
// recipient would see.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one mail as it arrived.
type Message struct {
	From     string
	To       []string
	Subject  string
	Language string
	Text     string
	HTML     string
	Raw      string
}

// Server is an SMTP server on a local port.
type Server struct {
	// URL is an SMTP_URL for the server (plain SMTP, no authentication).
	URL  string
	Addr string
	srv  *smtp.Server
	mu   sync.Mutex
	msgs []Message
	// Reject, when set, is asked about every recipient; an error refuses it
	// with RejectCode (450, a temporary refusal, when 0).
	Reject     func(to string) error
	RejectCode int
	// Delay holds every message back this long (a slow server).
	Delay time.Duration
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.URL = "smtp://" + s.Addr
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// To returns the messages that arrived for addr.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// Wait waits up to five seconds until at least n messages arrived.
func (s *Server) Wait(t testing.TB, n int) []Message {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ms := s.Messages()
		if len(ms) >= n || time.Now().After(deadline) {
			if len(ms) < n {
				t.Fatalf("%d mails arrived, want %d", len(ms), n)
			}
			return ms
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if x.s.Reject != nil {
		if err := x.s.Reject(to); err != nil {
			if x.s.RejectCode >= 500 {
				return &smtp.SMTPError{Code: x.s.RejectCode, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: err.Error()}
			}
			return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: err.Error()}
		}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if x.s.Delay > 0 {
		time.Sleep(x.s.Delay)
	}
	m, err := Parse(raw)
	if err != nil {
		return err
	}
	m.From, m.To = x.from, append([]string(nil), x.to...)
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	x.s.mu.Unlock()
	return nil
}

// Parse reads a raw mail: subject (decoded), language and the text and
// HTML parts (decoded).
func Parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	dec := new(mime.WordDecoder)
	subj, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Message{}, err
	}
	out := Message{Subject: subj, Language: msg.Header.Get("Content-Language"), Raw: string(raw)}
	err = walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &out)
	return out, err
}

func walk(ctype, enc string, body io.Reader, out *Message) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, out); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(enc) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		out.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
	case "text/html":
		out.HTML = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	return nil
}
