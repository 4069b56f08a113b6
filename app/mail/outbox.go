// Package mail queues outgoing mail in the database and sends it with a
// background worker: over SMTP when SMTP_URL is set, else to the log (and
// the admin mail page). A mail is queued once per logical message (its
// dedupe key), claimed by one worker at a time for a lease, retried with
// exponential backoff and never sent again once marked sent.
package mail

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/models"
)

// Retry policy.
const (
	// MaxAttempts is how often a mail is tried before it is given up.
	MaxAttempts = 8
	// firstRetry doubles with every failed attempt, up to maxRetry.
	firstRetry = time.Minute
	maxRetry   = 6 * time.Hour
	// Lease is how long a claimed mail belongs to its worker. A worker that
	// dies leaves the mail to another after this long.
	Lease = 10 * time.Minute
	// keepSent is how long sent and failed mails stay listed.
	keepSent = 30 * 24 * time.Hour
)

// Mail is a message to queue.
type Mail struct {
	DedupeKey string
	To        string
	Language  string
	Subject   string
	Text      string
	HTML      string
}

// Outbox is the queue of outgoing mail.
type Outbox struct {
	db  *gorm.DB
	now func() time.Time
	// KeepBodies keeps a sent mail's text (when mail goes to the log, so an
	// admin can read it); over SMTP the bodies, which hold personal links,
	// are emptied once the mail is sent.
	KeepBodies bool
}

// NewOutbox returns the outbox on db; now is the clock (nil: time.Now).
func NewOutbox(db *gorm.DB, now func() time.Time) *Outbox {
	if now == nil {
		now = time.Now
	}
	return &Outbox{db: db, now: func() time.Time { return now().UTC() }}
}

// Now is the outbox's clock.
func (o *Outbox) Now() time.Time { return o.now() }

// Enqueue queues m inside tx (or the outbox's database when tx is nil) and
// reports whether it was new: a mail whose dedupe key is already queued or
// sent is not queued again.
func (o *Outbox) Enqueue(ctx context.Context, tx *gorm.DB, m Mail) (bool, error) {
	if tx == nil {
		tx = o.db
	}
	if m.DedupeKey == "" || m.To == "" {
		return false, errors.New("mail: dedupe key and recipient are required")
	}
	now := o.now()
	row := models.OutboxMail{
		ID: models.NewID(), DedupeKey: m.DedupeKey, ToAddr: m.To, Language: m.Language, Subject: m.Subject,
		TextBody: m.Text, HTMLBody: m.HTML, Status: models.MailQueued, NextAttemptAt: now, CreatedAt: now,
	}
	res := tx.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).Create(&row)
	return res.RowsAffected == 1, res.Error
}

// Claim takes up to n due mails for this worker until the lease ends: mails
// queued and due, and mails whose sender's lease has run out (it died
// mid-send). On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED,
// so several instances claim different mails; SQLite serialises writers.
// Each claim counts as an attempt.
func (o *Outbox) Claim(ctx context.Context, claim string, n int) ([]models.OutboxMail, error) {
	now := o.now()
	var out []models.OutboxMail
	err := o.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		pick := func(q *gorm.DB, limit int) ([]string, error) {
			if tx.Dialector.Name() == "postgres" {
				q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
			}
			var ids []string
			err := q.Limit(limit).Pluck("id", &ids).Error
			return ids, err
		}
		// Two queries, not one with OR: each is an ordered scan of the
		// index on (status, next_attempt_at) that stops after n rows, so a
		// claim costs the same with 100,000 mails queued as with 10. First
		// the mails whose sender's lease ran out (few, and the oldest),
		// then the due ones, oldest first.
		ids, err := pick(tx.Model(&models.OutboxMail{}).Select("id").
			Where("status = ? AND lease_until < ?", models.MailSending, now).Order("next_attempt_at"), n)
		if err != nil {
			return err
		}
		if len(ids) < n {
			due, err := pick(tx.Model(&models.OutboxMail{}).Select("id").
				Where("status = ? AND next_attempt_at <= ?", models.MailQueued, now).Order("next_attempt_at"), n-len(ids))
			if err != nil {
				return err
			}
			ids = append(ids, due...)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Model(&models.OutboxMail{}).Where("id IN ?", ids).Updates(map[string]any{
			"status": models.MailSending, "claim": claim, "lease_until": now.Add(Lease), "attempts": gorm.Expr("attempts + 1"),
		}).Error; err != nil {
			return err
		}
		return tx.Where("id IN ? AND claim = ?", ids, claim).Order("next_attempt_at").Find(&out).Error
	})
	return out, err
}

// MarkSent records that the mail went out. Only the worker holding the
// claim may mark it.
func (o *Outbox) MarkSent(ctx context.Context, id, claim string) error {
	now := o.now()
	up := map[string]any{"status": models.MailSent, "sent_at": now, "lease_until": nil, "last_error": ""}
	if !o.KeepBodies {
		up["text_body"], up["html_body"] = "", ""
	}
	return o.db.WithContext(ctx).Model(&models.OutboxMail{}).Where("id = ? AND claim = ? AND status = ?", id, claim, models.MailSending).Updates(up).Error
}

// MarkFailed records a failed attempt: the mail is tried again after a
// growing pause, or given up after MaxAttempts.
func (o *Outbox) MarkFailed(ctx context.Context, m models.OutboxMail, claim string, cause error) error {
	msg := cause.Error()
	if utf8.RuneCountInString(msg) > 500 {
		msg = string([]rune(msg)[:500])
	}
	up := map[string]any{"status": models.MailQueued, "lease_until": nil, "last_error": strings.ToValidUTF8(msg, "?"),
		"next_attempt_at": o.now().Add(Backoff(m.Attempts))}
	if m.Attempts >= MaxAttempts {
		up["status"] = models.MailFailed
	}
	return o.db.WithContext(ctx).Model(&models.OutboxMail{}).Where("id = ? AND claim = ? AND status = ?", m.ID, claim, models.MailSending).Updates(up).Error
}

// Backoff is the pause after the given number of failed attempts.
func Backoff(attempts int) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}

// List returns the newest mails, for the admin page.
func (o *Outbox) List(ctx context.Context, limit int) ([]models.OutboxMail, error) {
	var out []models.OutboxMail
	err := o.db.WithContext(ctx).Order("created_at DESC, id").Limit(limit).Find(&out).Error
	return out, err
}

// Get finds one mail.
func (o *Outbox) Get(ctx context.Context, id string) (*models.OutboxMail, error) {
	var m models.OutboxMail
	err := o.db.WithContext(ctx).Where("id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.ErrNotFound
	}
	return &m, err
}

// Forget removes every trace of an address inside tx: mails not yet sent
// are dropped, sent ones lose the address and their text (someone left).
func (o *Outbox) Forget(ctx context.Context, tx *gorm.DB, addr string) error {
	tx = tx.WithContext(ctx)
	if err := tx.Where("to_addr = ? AND status IN ?", addr, []string{models.MailQueued, models.MailFailed}).Delete(&models.OutboxMail{}).Error; err != nil {
		return err
	}
	return tx.Model(&models.OutboxMail{}).Where("to_addr = ?", addr).
		Updates(map[string]any{"to_addr": "", "text_body": "", "html_body": ""}).Error
}

// Purge deletes sent and given-up mails older than 30 days.
func (o *Outbox) Purge(ctx context.Context) (int64, error) {
	res := o.db.WithContext(ctx).Where("status IN ? AND created_at < ?", []string{models.MailSent, models.MailFailed}, o.now().Add(-keepSent)).Delete(&models.OutboxMail{})
	return res.RowsAffected, res.Error
}
