package models

import "time"

// Outgoing mail statuses.
const (
	MailQueued  = "queued"
	MailSending = "sending"
	MailSent    = "sent"
	MailFailed  = "failed"
)

// OutboxMail is one mail in the outgoing queue. DedupeKey names the logical
// mail (e.g. "invite:<invitation id>"), so it is never queued twice.
type OutboxMail struct {
	ID            string `gorm:"primaryKey"`
	DedupeKey     string
	MemberID      *string // the panel member the mail is for, if any
	CitizenID     *string // the citizen the mail is for, if any
	ToAddr        string
	Language      string
	Subject       string
	TextBody      string
	HTMLBody      string `gorm:"column:html_body"`
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LeaseUntil    *time.Time
	Claim         string
	LastError     string
	FirstFailedAt *time.Time // when the current run of failed attempts began
	CreatedAt     time.Time
	SentAt        *time.Time
}

// TableName is the outbox table.
func (OutboxMail) TableName() string { return "mail_outbox" }
