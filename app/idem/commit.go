// Package idem lets a store record, in the very transaction that creates
// something, that an idempotent API request was carried out. The web
// layer's Idempotency-Key handling stores the request's answer only after
// the handler returns; a process killed in between (or a database lost in
// between) would otherwise leave a retry unable to tell whether to run the
// request again.
package idem

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/models"
)

type ctxKey struct{}

// ErrCommitted means another attempt of the same request committed first.
var ErrCommitted = &apperr.Conflict{MessageID: "error.idempotency_in_progress"}

// WithCommit returns a context whose creating transactions record commit
// id (an HMAC the caller's retry can compute again, and nobody else).
func WithCommit(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// Commit records, inside tx, that the request behind ctx created resource
// id, on day (as the resource stores it). Without an idempotency key in
// ctx it does nothing. Only the day is kept: the row shares its
// transaction (and so, on PostgreSQL, its xmin) with what was created,
// which may be an anonymous response.
func Commit(ctx context.Context, tx *gorm.DB, resourceID, day string) error {
	id, _ := ctx.Value(ctxKey{}).(string)
	if id == "" {
		return nil
	}
	err := tx.Create(&models.IdempotencyCommit{ID: id, ResourceID: resourceID, CreatedOn: day}).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrCommitted
	}
	return err
}

// Lookup tells what the request of commit id created, if it committed.
func Lookup(ctx context.Context, db *gorm.DB, id string) (resourceID string, ok bool, err error) {
	var c models.IdempotencyCommit
	err = db.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", false, nil
	}
	return c.ResourceID, err == nil, err
}

// Purge drops the commit rows of days before day.
func Purge(ctx context.Context, db *gorm.DB, day string) error {
	return db.WithContext(ctx).Where("created_on < ?", day).Delete(&models.IdempotencyCommit{}).Error
}
