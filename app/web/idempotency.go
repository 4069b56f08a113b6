package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
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
	caller, seal := s.idemCaller(c)
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
		body, err := openBody(seal, prev.Body)
		if err != nil {
			return err
		}
		c.Set("Idempotent-Replayed", "true")
		c.Set(fiber.HeaderContentType, prev.ContentType)
		return c.Status(prev.Status).SendString(body)
	}
	err := c.Next()
	status := c.Response().StatusCode()
	// Recording the outcome must not fail because the request's deadline
	// (REQUEST_TIMEOUT) passed: a row left "in progress" would answer every
	// retry with that key 409.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), 5*time.Second)
	defer cancel()
	done := s.db.WithContext(dctx).Model(&models.IdempotencyKey{}).Where("caller = ? AND key = ?", caller, row.Key)
	if err != nil || status >= 300 {
		// Nothing was created: let a retry run for real.
		done.Delete(&models.IdempotencyKey{})
		return err
	}
	body, serr := sealBody(seal, c.Response().Body())
	if serr != nil {
		s.log.Error("seal idempotent answer", "id", requestID(c), "err", serr)
		done.Delete(&models.IdempotencyKey{})
		return nil
	}
	if uerr := done.Updates(map[string]any{
		"status": status, "content_type": string(c.Response().Header.ContentType()), "body": body,
	}).Error; uerr != nil {
		s.log.Error("store idempotent answer", "id", requestID(c), "err", uerr)
	}
	return nil
}

// purgeIdempotency drops stored answers older than a day.
func (s *Server) purgeIdempotency() error {
	return s.db.Where("created_at < ?", time.Now().UTC().Add(-24*time.Hour)).Delete(&models.IdempotencyKey{}).Error
}

// idemCaller names the caller of an idempotent request: the key its rows
// are stored under, and the key that seals their stored answers.
//
// The caller is stored as an HMAC: the row must not name the person who
// sent, say, an anonymous survey response. Visitors and signed-in citizens
// are named by their anonymous participant id, which lives only in their
// cookie (it is renewed at sign-in and sign-out); the stored answer, which
// may hold a citizen's name, is encrypted with a key derived from that id,
// so the database (with the secret) can neither tie a row to a person nor
// read it without the browser's cookie. A caller without a participant
// cookie yet gets a new participant on every request, so its retries are
// matched by the key alone.
func (s *Server) idemCaller(c *fiber.Ctx) (caller string, seal []byte) {
	who := "new-visitor"
	if a := page.Account(c); a != nil {
		who = "account:" + a.ID
	} else if sess := page.Sess(c); sess != nil && sess.ParticipantKnown() {
		who = "participant:" + page.Participant(c)
	}
	return hex.EncodeToString(derive(s.idemKey, who)), derive(s.idemKey, "seal\x00"+who)
}

// forgetCaller deletes the stored answers of the request's caller (when a
// citizen deletes their account). Answers stored for the citizen's other
// browsers are sealed with those browsers' participant ids and are purged
// within a day.
func (s *Server) forgetCaller(c *fiber.Ctx) {
	caller, _ := s.idemCaller(c)
	if err := s.db.WithContext(c.UserContext()).Where("caller = ?", caller).Delete(&models.IdempotencyKey{}).Error; err != nil {
		s.log.Error("forget idempotent answers", "id", requestID(c), "err", err)
	}
}

// sealedPrefix marks a stored answer sealed with AES-GCM (rows from before
// sealing hold the answer as it was sent).
const sealedPrefix = "sealed:v1:"

// sealBody encrypts an answer to store it.
func sealBody(key, body []byte) (string, error) {
	gcm, err := idemAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(gcm.Seal(nonce, nonce, body, nil)), nil
}

// openBody decrypts a stored answer.
func openBody(key []byte, stored string) (string, error) {
	enc, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return "", err
	}
	gcm, err := idemAEAD(key)
	if err != nil {
		return "", err
	}
	if len(raw) < gcm.NonceSize() {
		return "", errors.New("idempotency: sealed answer too short")
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
	return string(plain), err
}

func idemAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
