package mail

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inspraak/inspraak/models"
)

// Producer queues mail from other tables (e.g. panel invitations that are
// due); the worker runs every producer before it sends.
type Producer func(ctx context.Context) error

// Worker sends queued mail. Every instance may run one: claims keep them
// from sending the same mail twice.
type Worker struct {
	outbox    *Outbox
	sender    Sender
	log       *slog.Logger
	mu        sync.Mutex
	producers []namedProducer
	wake      chan struct{}
	// Interval is the pause between rounds when nothing wakes the worker.
	Interval time.Duration
	// Batch is how many mails one claim takes.
	Batch int

	// sent, failed and givenUp count this worker's sends, failed attempts
	// and mails given up since start, for the operations metrics.
	sent, failed, givenUp atomic.Uint64
}

// Stats tells how many mails this worker sent, how many attempts failed
// since it started, and how many of those gave the mail up for good.
func (w *Worker) Stats() (sent, failed, givenUp uint64) {
	return w.sent.Load(), w.failed.Load(), w.givenUp.Load()
}

type namedProducer struct {
	name string
	fn   Producer
}

// NewWorker returns a worker that sends o's mail through s.
func NewWorker(o *Outbox, s Sender, log *slog.Logger) *Worker {
	return &Worker{outbox: o, sender: s, log: log, wake: make(chan struct{}, 1), Interval: 5 * time.Second, Batch: 20}
}

// Outbox is the worker's queue.
func (w *Worker) Outbox() *Outbox { return w.outbox }

// AddProducer registers a producer.
func (w *Worker) AddProducer(name string, p Producer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.producers = append(w.producers, namedProducer{name, p})
}

// Notify asks the worker for a round now (e.g. after queueing a mail).
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends; the mail being sent then is finished first,
// claims not yet sent are handed back.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		sent, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("mail worker", "err", err)
		}
		if sent > 0 && err == nil && ctx.Err() == nil {
			// A round ends after 1000 claims; with a long queue (a large
			// panel invited) more mail is due at once.
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// RunOnce runs the producers, then sends due mail until none is left (or
// ctx ends), and reports how many mails went out.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.mu.Lock()
	producers := append([]namedProducer(nil), w.producers...)
	w.mu.Unlock()
	for _, p := range producers {
		if err := p.fn(ctx); err != nil {
			w.log.Warn("mail producer", "producer", p.name, "err", err)
		}
	}
	claim := models.NewID()
	sent := 0
	for round := 0; round < 1000 && ctx.Err() == nil; round++ {
		batch, err := w.outbox.Claim(ctx, claim, w.Batch)
		if err != nil {
			return sent, err
		}
		if len(batch) == 0 {
			break
		}
		for i, m := range batch {
			if ctx.Err() != nil {
				w.release(batch[i:], claim)
				return sent, ctx.Err()
			}
			if w.deliver(ctx, m, claim) {
				sent++
			}
		}
	}
	return sent, nil
}

// deliver sends one claimed mail and records the outcome. The claim covers
// a whole batch, so before each send the mail's own lease is renewed; if
// it ran out meanwhile (another worker may hold the mail now) or the mail
// is gone, it is not sent.
func (w *Worker) deliver(ctx context.Context, m models.OutboxMail, claim string) bool {
	// The send may finish although shutdown began: a mail half-sent is worse.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), SendTimeout)
	defer cancel()
	ok, err := w.outbox.Renew(sctx, m.ID, claim)
	if err != nil {
		w.log.Warn("renew mail lease", "mail", m.ID, "err", err)
		return false
	}
	if !ok {
		w.log.Info("mail skipped: its lease ran out or it was withdrawn", "mail", m.ID)
		return false
	}
	err = w.sender.Send(sctx, m)
	if err != nil {
		w.log.Warn("mail not sent", "mail", m.ID, "attempt", m.Attempts, "err", err)
		w.failed.Add(1)
		if IsPermanent(err) || (m.FirstFailedAt != nil && w.outbox.now().Sub(*m.FirstFailedAt) >= RetryFor) {
			w.givenUp.Add(1)
		}
		if ferr := w.outbox.MarkFailed(sctx, m, claim, err); ferr != nil {
			w.log.Error("record mail failure", "mail", m.ID, "err", ferr)
		}
		return false
	}
	if err := w.outbox.MarkSent(sctx, m.ID, claim); err != nil {
		// It went out; should this record fail, the lease runs out and the
		// mail is sent again: twice is better than never.
		w.log.Error("record mail sent", "mail", m.ID, "err", err)
	}
	w.sent.Add(1)
	return true
}

// release hands claimed, unsent mails back without counting the attempt.
func (w *Worker) release(ms []models.OutboxMail, claim string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, m := range ms {
		w.outbox.db.WithContext(ctx).Model(&models.OutboxMail{}).Where("id = ? AND claim = ? AND status = ?", m.ID, claim, models.MailSending).
			Updates(map[string]any{"status": models.MailQueued, "lease_until": nil, "attempts": m.Attempts - 1})
	}
}
