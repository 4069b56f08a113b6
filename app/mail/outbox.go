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

// Retry policy. A mail the server refuses for good (an SMTP 5xx answer) is
// given up at once; every other failure (4xx, a network error, a timeout)
// is tried again after 1, 2, 4, ... minutes, at most an hour apart, until
// the failures have lasted RetryFor.
const (
	// RetryFor is how long a mail is retried after its first failure.
	RetryFor = 72 * time.Hour
	// firstRetry doubles with every failed attempt, up to maxRetry.
	firstRetry = time.Minute
	maxRetry   = time.Hour
	// Lease is how long a claimed mail belongs to its worker. A worker that
	// dies leaves the mail to another after this long. The worker renews
	// the lease of each mail just before sending it, and one send is given
	// SendTimeout, well below the lease, so a lease never runs out during
	// a send.
	Lease = 10 * time.Minute
	// SendTimeout is the most one send may take.
	SendTimeout = time.Minute
	// keepSent is how long sent and failed mails stay listed.
	keepSent = 30 * 24 * time.Hour
)

// Mail is a message to queue.
type Mail struct {
	DedupeKey string
	// MemberID is the panel member the mail is for (empty: none); leaving
	// the panel forgets the member's mail by it.
	MemberID string
	// CitizenID is the citizen the mail is for (empty: none); deleting the
	// citizen forgets their mail by it.
	CitizenID string
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
	if m.MemberID != "" {
		row.MemberID = &m.MemberID
	}
	if m.CitizenID != "" {
		row.CitizenID = &m.CitizenID
	}
	res := tx.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).Create(&row)
	return res.RowsAffected == 1, res.Error
}

// EnqueueFailed records, inside tx, a mail that must not be sent (for
// example because its personal link would not work): it is listed as given
// up with reason, without its text, and is never sent. Like Enqueue it
// does nothing when the dedupe key is known.
func (o *Outbox) EnqueueFailed(ctx context.Context, tx *gorm.DB, m Mail, reason string) (bool, error) {
	if tx == nil {
		tx = o.db
	}
	if m.DedupeKey == "" {
		return false, errors.New("mail: dedupe key is required")
	}
	now := o.now()
	row := models.OutboxMail{
		ID: models.NewID(), DedupeKey: m.DedupeKey, ToAddr: m.To, Language: m.Language, Subject: m.Subject,
		Status: models.MailFailed, NextAttemptAt: now, CreatedAt: now, LastError: clip(reason), FirstFailedAt: &now,
	}
	if m.MemberID != "" {
		row.MemberID = &m.MemberID
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

// Renew extends the lease of one claimed mail just before it is sent, and
// reports whether the claim still holds: a mail whose lease ran out (and
// which another worker may have claimed and sent meanwhile), or which was
// deleted (its member left), must not be sent.
func (o *Outbox) Renew(ctx context.Context, id, claim string) (bool, error) {
	now := o.now()
	res := o.db.WithContext(ctx).Model(&models.OutboxMail{}).
		Where("id = ? AND claim = ? AND status = ? AND lease_until > ?", id, claim, models.MailSending, now).
		Update("lease_until", now.Add(Lease))
	return res.RowsAffected == 1, res.Error
}

// MarkSent records that the mail went out. Only the worker holding the
// claim may mark it. Over SMTP the address and the text (which holds
// personal links) are emptied at once.
func (o *Outbox) MarkSent(ctx context.Context, id, claim string) error {
	now := o.now()
	up := map[string]any{"status": models.MailSent, "sent_at": now, "lease_until": nil, "last_error": "", "first_failed_at": nil}
	if !o.KeepBodies {
		up["to_addr"], up["text_body"], up["html_body"] = "", "", ""
	}
	return o.db.WithContext(ctx).Model(&models.OutboxMail{}).Where("id = ? AND claim = ? AND status = ?", id, claim, models.MailSending).Updates(up).Error
}

// PermanentError is a failure that trying again cannot mend: the mail
// server refused the mail for good (an SMTP 5xx answer).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the server's error.
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent tells whether err is a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

func clip(msg string) string {
	if utf8.RuneCountInString(msg) > 500 {
		msg = string([]rune(msg)[:500])
	}
	return strings.ToValidUTF8(msg, "?")
}

// MarkFailed records a failed attempt: a permanent failure gives the mail
// up at once; any other is tried again after a growing pause (at most an
// hour) until the failures have lasted RetryFor.
func (o *Outbox) MarkFailed(ctx context.Context, m models.OutboxMail, claim string, cause error) error {
	now := o.now()
	first := now
	if m.FirstFailedAt != nil {
		first = *m.FirstFailedAt
	}
	up := map[string]any{"status": models.MailQueued, "lease_until": nil, "last_error": clip(cause.Error()),
		"next_attempt_at": now.Add(Backoff(m.Attempts)), "first_failed_at": first}
	if IsPermanent(cause) || now.Sub(first) >= RetryFor {
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

// Retry queues a given-up mail again, from scratch (the admin's retry
// button). Mails kept without their text (those never to be sent) cannot
// be retried.
func (o *Outbox) Retry(ctx context.Context, id string) error {
	res := o.db.WithContext(ctx).Model(&models.OutboxMail{}).
		Where("id = ? AND status = ? AND text_body <> '' AND to_addr <> ''", id, models.MailFailed).
		Updates(map[string]any{"status": models.MailQueued, "attempts": 0, "first_failed_at": nil, "next_attempt_at": o.now(),
			"last_error": "", "lease_until": nil, "claim": ""})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		if _, err := o.Get(ctx, id); err != nil {
			return err
		}
		return &apperr.Conflict{MessageID: "mail.retry_impossible"}
	}
	return nil
}

// Forget removes, inside tx, every trace of one panel member's mail (the
// member left, or never confirmed): mails not yet sent are dropped, also
// one being sent right now (its worker finds it gone and does not send
// it); sent ones lose the address, the text and the error.
func (o *Outbox) Forget(ctx context.Context, tx *gorm.DB, memberID string) error {
	if tx == nil {
		tx = o.db
	}
	tx = tx.WithContext(ctx)
	if err := tx.Where("member_id = ? AND status IN ?", memberID, []string{models.MailQueued, models.MailSending, models.MailFailed}).
		Delete(&models.OutboxMail{}).Error; err != nil {
		return err
	}
	return tx.Model(&models.OutboxMail{}).Where("member_id = ?", memberID).
		Updates(map[string]any{"to_addr": "", "text_body": "", "html_body": "", "last_error": ""}).Error
}

// ForgetCitizen removes, inside tx, every trace of one citizen's mail (the
// citizen deleted their account): mail for their citizen id, and mail to
// their address that belongs to no panel member (a panel membership is
// kept or left on its own), is dropped when not yet sent; sent mail loses
// the citizen id, the address, the subject, the text and the error.
func (o *Outbox) ForgetCitizen(ctx context.Context, tx *gorm.DB, citizenID, email string) error {
	if tx == nil {
		tx = o.db
	}
	tx = tx.WithContext(ctx)
	theirs := func() *gorm.DB {
		return tx.Where("citizen_id = ?", citizenID).Or("to_addr = ? AND member_id IS NULL", email)
	}
	if err := tx.Where(theirs()).Where("status IN ?", []string{models.MailQueued, models.MailSending, models.MailFailed}).
		Delete(&models.OutboxMail{}).Error; err != nil {
		return err
	}
	return tx.Model(&models.OutboxMail{}).Where(theirs()).
		Updates(map[string]any{"citizen_id": nil, "to_addr": "", "subject": "", "text_body": "", "html_body": "", "last_error": ""}).Error
}

// Purge deletes sent and given-up mails older than 30 days, with their
// text where it was kept (mail to the log).
func (o *Outbox) Purge(ctx context.Context) (int64, error) {
	res := o.db.WithContext(ctx).Where("status IN ? AND created_at < ?", []string{models.MailSent, models.MailFailed}, o.now().Add(-keepSent)).Delete(&models.OutboxMail{})
	return res.RowsAffected, res.Error
}
