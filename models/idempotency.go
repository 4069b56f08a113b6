package models

import "time"

// IdempotencyKey stores the first answer to a POST sent with an
// Idempotency-Key, per caller. Status 0 means the first request is still running.
type IdempotencyKey struct {
	Caller      string `gorm:"primaryKey"`
	Key         string `gorm:"primaryKey"`
	Method      string
	Path        string
	Status      int
	ContentType string
	Body        string
	CreatedAt   time.Time
}
