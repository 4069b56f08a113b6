package models

import "time"

// IdempotencyKey stores the first answer to a POST sent with an
// Idempotency-Key, per caller. Status 0 means an attempt is running: the
// one named by Attempt, until LeaseUntil.
type IdempotencyKey struct {
	Caller      string `gorm:"primaryKey"`
	Key         string `gorm:"primaryKey"`
	Method      string
	Path        string
	Status      int
	ContentType string
	Body        string
	Attempt     string
	LeaseUntil  *time.Time
	CreatedAt   time.Time
}

// IdempotencyCommit records, in the transaction that created ResourceID,
// that the request of an idempotency key was carried out.
type IdempotencyCommit struct {
	ID         string `gorm:"primaryKey"`
	ResourceID string
	CreatedOn  string
}
