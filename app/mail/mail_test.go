package mail_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/mail/mailtest"
	"github.com/inspraak/inspraak/models"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func setup(t *testing.T, gdb *gorm.DB) (*mail.Outbox, *clock, *mailtest.Server, mail.Sender) {
	t.Helper()
	clk := &clock{t: time.Now().UTC()}
	o := mail.NewOutbox(gdb, clk.Now)
	srv := mailtest.Start(t)
	s, err := mail.NewSMTPSender(srv.URL, "Inspraak <noreply@inspraak.example>")
	if err != nil {
		t.Fatal(err)
	}
	return o, clk, srv, s
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func enqueue(t *testing.T, o *mail.Outbox, n int) {
	t.Helper()
	for i := range n {
		if _, err := o.Enqueue(context.Background(), nil, mail.Mail{DedupeKey: fmt.Sprintf("test:%d", i), To: fmt.Sprintf("r%d@example.org", i),
			Language: "da", Subject: fmt.Sprintf("Besked %d", i), Text: "Hej æøå", HTML: "<p>Hej</p>"}); err != nil {
			t.Fatal(err)
		}
	}
}

func perSubject(srv *mailtest.Server) map[string]int {
	out := map[string]int{}
	for _, m := range srv.Messages() {
		out[m.Subject]++
	}
	return out
}

func TestDedupeKeyQueuesOnce(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		o, _, srv, s := setup(t, gdb)
		for range 3 {
			if _, err := o.Enqueue(t.Context(), nil, mail.Mail{DedupeKey: "invite:x", To: "a@example.org", Language: "en", Subject: "Invitation", Text: "t"}); err != nil {
				t.Fatal(err)
			}
		}
		w := mail.NewWorker(o, s, quiet)
		if n, err := w.RunOnce(t.Context()); err != nil || n != 1 {
			t.Fatalf("sent %d, %v", n, err)
		}
		if _, err := o.Enqueue(t.Context(), nil, mail.Mail{DedupeKey: "invite:x", To: "a@example.org", Subject: "Invitation", Text: "t"}); err != nil {
			t.Fatal(err)
		}
		if n, _ := w.RunOnce(t.Context()); n != 0 {
			t.Fatal("a sent mail was queued again")
		}
		ms := srv.Wait(t, 1)
		if len(ms) != 1 || ms[0].To[0] != "a@example.org" || ms[0].Subject != "Invitation" {
			t.Fatalf("%+v", ms)
		}
	})
}

// Two workers at once, as on two instances: every mail goes out once.
func TestTwoWorkersDoNotDoubleSend(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		o, _, srv, s := setup(t, gdb)
		enqueue(t, o, 60)
		w1, w2 := mail.NewWorker(o, s, quiet), mail.NewWorker(o, s, quiet)
		w1.Batch, w2.Batch = 5, 5
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i, w := range []*mail.Worker{w1, w2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := w.RunOnce(context.Background())
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		srv.Wait(t, 60)
		got := perSubject(srv)
		if len(got) != 60 || counts[0]+counts[1] != 60 {
			t.Fatalf("%d distinct mails arrived, workers sent %v", len(got), counts)
		}
		for subj, n := range got {
			if n != 1 {
				t.Errorf("%q arrived %d times", subj, n)
			}
		}
		var sent int64
		gdb.Model(&models.OutboxMail{}).Where("status = ? AND text_body = ''", models.MailSent).Count(&sent)
		if sent != 60 {
			t.Fatalf("%d rows marked sent with their text emptied", sent)
		}
	})
}

// A worker that dies mid-batch: its claim runs out and another worker sends
// only what was not sent.
func TestExpiredLeaseResendsOnlyUnsent(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		o, clk, srv, s := setup(t, gdb)
		enqueue(t, o, 3)
		batch, err := o.Claim(t.Context(), "dead-worker", 10)
		if err != nil || len(batch) != 3 {
			t.Fatalf("claim: %d %v", len(batch), err)
		}
		if err := s.Send(t.Context(), batch[0]); err != nil {
			t.Fatal(err)
		}
		if err := o.MarkSent(t.Context(), batch[0].ID, "dead-worker"); err != nil {
			t.Fatal(err)
		}
		// ... and the worker dies here.
		w := mail.NewWorker(o, s, quiet)
		if n, _ := w.RunOnce(t.Context()); n != 0 {
			t.Fatal("a live claim was taken over")
		}
		clk.Add(mail.Lease + time.Second)
		if n, err := w.RunOnce(t.Context()); err != nil || n != 2 {
			t.Fatalf("after the lease: sent %d, %v", n, err)
		}
		srv.Wait(t, 3)
		for subj, n := range perSubject(srv) {
			if n != 1 {
				t.Errorf("%q arrived %d times", subj, n)
			}
		}
		// The dead worker's late report changes nothing.
		if err := o.MarkSent(t.Context(), batch[1].ID, "dead-worker"); err != nil {
			t.Fatal(err)
		}
		var m models.OutboxMail
		gdb.Where("id = ?", batch[1].ID).Take(&m)
		if m.Status != models.MailSent || m.Attempts != 2 {
			t.Fatalf("status %s attempts %d", m.Status, m.Attempts)
		}
	})
}

// A temporary refusal (4xx) is retried with a growing pause, at most an
// hour apart, for 72 hours; a permanent one (5xx) is given up at once.
func TestRetryWithBackoffThenGiveUp(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		o, clk, srv, s := setup(t, gdb)
		srv.Reject = func(to string) error {
			if strings.HasPrefix(to, "r0@") {
				return errors.New("mailbox busy")
			}
			return nil
		}
		enqueue(t, o, 2)
		w := mail.NewWorker(o, s, quiet)
		if n, _ := w.RunOnce(t.Context()); n != 1 {
			t.Fatalf("sent %d", n)
		}
		var m models.OutboxMail
		gdb.Where("dedupe_key = ?", "test:0").Take(&m)
		if m.Status != models.MailQueued || m.Attempts != 1 || !strings.Contains(m.LastError, "mailbox busy") || !m.NextAttemptAt.After(clk.Now()) {
			t.Fatalf("after one failure: %+v", m)
		}
		// Not before the pause is over.
		if n, _ := w.RunOnce(t.Context()); n != 0 {
			t.Fatal("retried at once")
		}
		start := clk.Now()
		for i := 1; clk.Now().Sub(start) < mail.RetryFor-2*time.Hour; i++ {
			clk.Add(mail.Backoff(i))
			w.RunOnce(t.Context())
			gdb.Where("dedupe_key = ?", "test:0").Take(&m)
			if m.Status != models.MailQueued {
				t.Fatalf("given up after %d attempts and %v", m.Attempts, clk.Now().Sub(start))
			}
		}
		for i := 0; i < 5 && m.Status == models.MailQueued; i++ {
			clk.Add(mail.Backoff(100))
			w.RunOnce(t.Context())
			gdb.Where("dedupe_key = ?", "test:0").Take(&m)
		}
		if m.Status != models.MailFailed || m.FirstFailedAt == nil || clk.Now().Sub(*m.FirstFailedAt) < mail.RetryFor {
			t.Fatalf("after %v: %s (%d attempts)", clk.Now().Sub(start), m.Status, m.Attempts)
		}
		srv.Reject = nil
		clk.Add(24 * time.Hour)
		if n, _ := w.RunOnce(t.Context()); n != 0 {
			t.Fatal("a mail given up was sent")
		}
		if mail.Backoff(1) != time.Minute || mail.Backoff(3) != 4*time.Minute || mail.Backoff(30) != time.Hour {
			t.Fatalf("backoff %v %v %v", mail.Backoff(1), mail.Backoff(3), mail.Backoff(30))
		}

		// The admin's retry queues it afresh; now it goes out.
		if err := o.Retry(t.Context(), m.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := w.RunOnce(t.Context()); n != 1 {
			t.Fatalf("after retry: sent %d", n)
		}
		if len(srv.To("r0@example.org")) != 1 {
			t.Fatal("the retried mail did not arrive")
		}
		if err := o.Retry(t.Context(), m.ID); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("retrying a sent mail: %v", err)
		}
	})
}

func TestPermanentRefusalGivesUpAtOnce(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		o, _, srv, s := setup(t, gdb)
		srv.RejectCode = 550
		srv.Reject = func(string) error { return errors.New("no such user") }
		enqueue(t, o, 1)
		w := mail.NewWorker(o, s, quiet)
		if n, _ := w.RunOnce(t.Context()); n != 0 {
			t.Fatalf("sent %d", n)
		}
		var m models.OutboxMail
		gdb.Where("dedupe_key = ?", "test:0").Take(&m)
		if m.Status != models.MailFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "550") {
			t.Fatalf("after a 550: %s, %d attempts, %q", m.Status, m.Attempts, m.LastError)
		}
	})
}

// A network error is no refusal: retried.
func TestNetworkErrorRetried(t *testing.T) {
	gdb := db.OpenTest(t, db.SQLite)
	o, _, _, _ := setup(t, gdb)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	s, err := mail.NewSMTPSender("smtp://"+addr, "x@example.org")
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, o, 1)
	mail.NewWorker(o, s, quiet).RunOnce(t.Context())
	var m models.OutboxMail
	gdb.Where("dedupe_key = ?", "test:0").Take(&m)
	if m.Status != models.MailQueued || m.LastError == "" {
		t.Fatalf("after a network error: %s %q", m.Status, m.LastError)
	}
}

// slowSender takes a long time (on the test clock) for each mail, as a
// slow mail server would, and can run something in the middle of a send.
type slowSender struct {
	next   mail.Sender
	clk    *clock
	took   time.Duration
	during func(n int)
	n      int
}

func (s *slowSender) Send(ctx context.Context, m models.OutboxMail) error {
	s.n++
	s.clk.Add(s.took)
	if s.during != nil {
		s.during(s.n)
	}
	return s.next.Send(ctx, m)
}

// A slow server: the batch's lease runs out while its first worker is
// still sending; a second worker takes over what is left. The first worker
// renews each mail's lease before sending it and skips what it lost, so
// every mail arrives exactly once.
func TestLeaseRunsOutMidBatch(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		o, clk, srv, s := setup(t, gdb)
		enqueue(t, o, 3)
		w2 := mail.NewWorker(o, s, quiet)
		var second int
		slow := &slowSender{next: s, clk: clk, took: mail.Lease * 6 / 10}
		slow.during = func(n int) {
			if n == 2 {
				// 1.2 leases after the claim: the third mail's lease is over.
				n, err := w2.RunOnce(context.Background())
				if err != nil {
					t.Error(err)
				}
				second = n
			}
		}
		w1 := mail.NewWorker(o, slow, quiet)
		w1.Batch = 3
		first, err := w1.RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		srv.Wait(t, 3)
		got := perSubject(srv)
		for subj, n := range got {
			if n != 1 {
				t.Errorf("%q arrived %d times", subj, n)
			}
		}
		if len(got) != 3 || first != 2 || second != 1 {
			t.Fatalf("%d distinct mails; the first worker sent %d, the second %d", len(got), first, second)
		}
		var sent int64
		gdb.Model(&models.OutboxMail{}).Where("status = ?", models.MailSent).Count(&sent)
		if sent != 3 {
			t.Fatalf("%d marked sent", sent)
		}
	})
	if mail.SendTimeout*5 > mail.Lease {
		t.Fatalf("a send may take %v, too close to the lease of %v", mail.SendTimeout, mail.Lease)
	}
}

// closeFails is an SMTP server that takes the mail and then breaks the
// connection when the client resets it afterwards.
func closeFails(t *testing.T) (url string, delivered func() int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				say := func(s string) { fmt.Fprintf(c, "%s\r\n", s) }
				say("220 localhost ESMTP")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.TrimSpace(line))
					switch {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						say("250-localhost\r\n250 8BITMIME")
					case strings.HasPrefix(cmd, "DATA"):
						say("354 go on")
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
						}
						mu.Lock()
						n++
						mu.Unlock()
						say("250 2.0.0 queued")
					case strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "QUIT"):
						say("421 4.3.0 going away")
						return
					default:
						say("250 ok")
					}
				}
			}(conn)
		}
	}()
	return "smtp://" + ln.Addr().String() + "?tls=none", func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// The server took the mail; that closing the connection then failed must
// not make it count as failed (and be sent again).
func TestDeliveredDespiteCloseError(t *testing.T) {
	gdb := db.OpenTest(t, db.SQLite)
	o := mail.NewOutbox(gdb, nil)
	u, delivered := closeFails(t)
	s, err := mail.NewSMTPSender(u, "x@example.org")
	if err != nil {
		t.Fatal(err)
	}
	s.Log = quiet
	enqueue(t, o, 1)
	w := mail.NewWorker(o, s, quiet)
	if n, err := w.RunOnce(t.Context()); err != nil || n != 1 {
		t.Fatalf("sent %d, %v", n, err)
	}
	w.RunOnce(t.Context())
	var m models.OutboxMail
	gdb.Where("dedupe_key = ?", "test:0").Take(&m)
	if m.Status != models.MailSent || delivered() != 1 {
		t.Fatalf("status %s, delivered %d times", m.Status, delivered())
	}
}

// Forgetting a member drops their unsent mail (also one being sent) and
// empties their sent mail, but leaves mail to the same address for another
// member (another panel) alone.
func TestForgetByMember(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		o, _, _, s := setup(t, gdb)
		add := func(key, member string) {
			if _, err := o.Enqueue(t.Context(), nil, mail.Mail{DedupeKey: key, MemberID: member, To: "same@example.org", Language: "da", Subject: key, Text: "link", HTML: "<p>link</p>"}); err != nil {
				t.Fatal(err)
			}
		}
		add("a-sent", "member-a")
		w := mail.NewWorker(o, s, quiet)
		if n, _ := w.RunOnce(t.Context()); n != 1 {
			t.Fatal("not sent")
		}
		if count := int64(0); gdb.Model(&models.OutboxMail{}).Where("dedupe_key = ? AND to_addr = '' AND text_body = ''", "a-sent").Count(&count).Error != nil || count != 1 {
			t.Fatal("over SMTP a sent mail keeps its address or text")
		}
		o.KeepBodies = true // as without SMTP: the sent text is kept until forgotten
		gdb.Model(&models.OutboxMail{}).Where("dedupe_key = ?", "a-sent").Updates(map[string]any{"to_addr": "same@example.org", "text_body": "link", "last_error": "x"})
		add("a-queued", "member-a")
		add("a-sending", "member-a")
		add("b-queued", "member-b")
		gdb.Model(&models.OutboxMail{}).Where("dedupe_key = ?", "a-sending").Updates(map[string]any{"status": models.MailSending, "claim": "w", "lease_until": time.Now().Add(time.Hour)})
		var sending models.OutboxMail
		gdb.Where("dedupe_key = ?", "a-sending").Take(&sending)
		if ok, err := o.Renew(t.Context(), sending.ID, "w"); !ok || err != nil {
			t.Fatalf("renew before forgetting: %v %v", ok, err)
		}
		if err := o.Forget(t.Context(), nil, "member-a"); err != nil {
			t.Fatal(err)
		}
		var rows []models.OutboxMail
		gdb.Order("dedupe_key").Find(&rows)
		if len(rows) != 2 || rows[0].DedupeKey != "a-sent" || rows[1].DedupeKey != "b-queued" {
			t.Fatalf("left: %+v", rows)
		}
		if a := rows[0]; a.ToAddr != "" || a.TextBody != "" || a.HTMLBody != "" || a.LastError != "" {
			t.Fatalf("the sent mail kept %+v", a)
		}
		if b := rows[1]; b.ToAddr != "same@example.org" || b.TextBody != "link" {
			t.Fatalf("another member's mail was touched: %+v", b)
		}
		// The worker that was sending the deleted mail does not send it.
		if ok, err := o.Renew(t.Context(), sending.ID, "w"); ok || err != nil {
			t.Fatalf("renew of a deleted mail: %v %v", ok, err)
		}
	})
}

func TestRunStopsCleanly(t *testing.T) {
	o, _, srv, s := setup(t, db.OpenTest(t, db.SQLite))
	enqueue(t, o, 2)
	w := mail.NewWorker(o, s, quiet)
	w.Interval = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	srv.Wait(t, 2)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the worker did not stop")
	}
}

func TestSMTPURL(t *testing.T) {
	for _, u := range []string{"smtp://mail.example.org", "smtp://user:pa%40ss@mail.example.org:587", "smtps://user:pw@mail.example.org", "smtp://relay:25?tls=none"} {
		if _, err := mail.NewSMTPSender(u, "x@example.org"); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := mail.NewSMTPSender("smtp://host:99999", "x@example.org"); err == nil {
		t.Error("a bad port was accepted")
	}
}
