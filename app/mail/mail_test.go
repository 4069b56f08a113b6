package mail_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

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
		for i := 1; i < mail.MaxAttempts; i++ {
			clk.Add(mail.Backoff(i))
			w.RunOnce(t.Context())
		}
		gdb.Where("dedupe_key = ?", "test:0").Take(&m)
		if m.Status != models.MailFailed || m.Attempts != mail.MaxAttempts {
			t.Fatalf("after %d attempts: %s (%d)", mail.MaxAttempts, m.Status, m.Attempts)
		}
		srv.Reject = nil
		clk.Add(24 * time.Hour)
		if n, _ := w.RunOnce(t.Context()); n != 0 {
			t.Fatal("a mail given up was sent")
		}
		if mail.Backoff(1) != time.Minute || mail.Backoff(3) != 4*time.Minute || mail.Backoff(30) != 6*time.Hour {
			t.Fatalf("backoff %v %v %v", mail.Backoff(1), mail.Backoff(3), mail.Backoff(30))
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
