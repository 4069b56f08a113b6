package web

import (
	"encoding/hex"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// idempotent answers a retried API POST (same caller, same Idempotency-Key)
// with the stored first answer instead of running it again. A retry that
// arrives while the first is still running gets 409.
func (s *Server) idempotent(c *fiber.Ctx) error {
	key := c.Get("Idempotency-Key")
	if c.Method() != fiber.MethodPost || key == "" {
		return c.Next()
	}
	if textcheck.Line(key, 200, true) != "" {
		return apperr.Invalid("Idempotency-Key", "validation.invalid_text")
	}
	// The caller is stored as an HMAC: the row must not name the person who
	// sent, say, an anonymous survey response. A caller without a session yet
	// gets a new participant on every request, so its retries are matched by
	// the key alone.
	caller := "participant:" + page.Participant(c)
	if a := page.Account(c); a != nil {
		caller = "account:" + a.ID
	} else if sess := page.Sess(c); sess == nil || sess.Gorilla().IsNew {
		caller = "new-visitor"
	}
	caller = hex.EncodeToString(derive(s.idemKey, caller))
	row := models.IdempotencyKey{Caller: caller, Key: utils.CopyString(key), Method: c.Method(), Path: utils.CopyString(c.Path()), CreatedAt: time.Now().UTC()}
	res := s.db.WithContext(c.UserContext()).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		var prev models.IdempotencyKey
		err := s.db.WithContext(c.UserContext()).Where("caller = ? AND key = ?", caller, key).Take(&prev).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return &apperr.Conflict{MessageID: "error.idempotency_in_progress"}
		}
		if err != nil {
			return err
		}
		if prev.Status == 0 || prev.Path != c.Path() {
			return &apperr.Conflict{MessageID: "error.idempotency_in_progress"}
		}
		c.Set("Idempotent-Replayed", "true")
		c.Set(fiber.HeaderContentType, prev.ContentType)
		return c.Status(prev.Status).SendString(prev.Body)
	}
	err := c.Next()
	status := c.Response().StatusCode()
	done := s.db.WithContext(c.UserContext()).Model(&models.IdempotencyKey{}).Where("caller = ? AND key = ?", caller, row.Key)
	if err != nil || status >= 300 {
		// Nothing was created: let a retry run for real.
		done.Delete(&models.IdempotencyKey{})
		return err
	}
	if uerr := done.Updates(map[string]any{
		"status": status, "content_type": string(c.Response().Header.ContentType()), "body": string(c.Response().Body()),
	}).Error; uerr != nil {
		s.log.Error("store idempotent answer", "id", requestID(c), "err", uerr)
	}
	return nil
}

// purgeIdempotency drops stored answers older than a day.
func (s *Server) purgeIdempotency() error {
	return s.db.Where("created_at < ?", time.Now().UTC().Add(-24*time.Hour)).Delete(&models.IdempotencyKey{}).Error
}
