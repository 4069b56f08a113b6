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
	"github.com/inspraak/inspraak/app/idem"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// idempotent answers a retried API POST (same caller, same Idempotency-Key)
// with the stored first answer instead of running it again.
//
// The first attempt claims the key with a lease; a retry that arrives
// while it runs gets 409. An attempt that outlives its lease (its process
// was killed, or lost the database before it could record its answer) may
// be taken over by a retry, which first looks whether the attempt's work
// committed: stores that create something (survey responses) record the
// key in the same transaction (idem.Commit), and such a retry is answered
// "201 {"id": ...}" as the first attempt would have been.
func (s *Server) idempotent(c *fiber.Ctx) error {
	sent := c.Get("Idempotency-Key")
	if c.Method() != fiber.MethodPost || sent == "" {
		return c.Next()
	}
	if textcheck.Line(sent, 200, true) != "" {
		return apperr.Invalid("Idempotency-Key", "validation.invalid_text")
	}
	k := s.idemKeys(c, sent)
	if first, ok := s.firstWithoutCookie(c, k, sent); ok {
		k = first
	}
	db := s.db.WithContext(c.UserContext())
	now := time.Now().UTC()
	lease := now.Add(s.idemLease())
	attempt := models.NewID()
	row := models.IdempotencyKey{Caller: k.caller, Key: k.row, Method: c.Method(), Path: utils.CopyString(c.Path()), CreatedAt: now, Attempt: attempt, LeaseUntil: &lease}
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		var prev models.IdempotencyKey
		err := db.Where("caller = ? AND key = ?", k.caller, k.row).Take(&prev).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			return &apperr.Conflict{MessageID: "error.idempotency_in_progress"}
		case err != nil:
			return err
		case prev.Path != c.Path():
			return &apperr.Conflict{MessageID: "error.idempotency_in_progress"}
		case prev.Status != 0:
			body, err := openBody(k.seal, prev.Body)
			if err != nil {
				return err
			}
			return replay(c, prev.Status, prev.ContentType, body)
		case now.Before(leaseEnd(prev, s.idemLease())):
			return &apperr.Conflict{MessageID: "error.idempotency_in_progress"}
		}
		// The attempt is gone. If its work committed, answer as it would have.
		if done, err := s.answerCommitted(c, k, prev.Attempt); done || err != nil {
			return err
		}
		took := db.Model(&models.IdempotencyKey{}).Where("caller = ? AND key = ? AND status = 0 AND attempt = ?", k.caller, k.row, prev.Attempt).
			Updates(map[string]any{"attempt": attempt, "lease_until": lease})
		if took.Error != nil {
			return took.Error
		}
		if took.RowsAffected == 0 {
			return &apperr.Conflict{MessageID: "error.idempotency_in_progress"}
		}
	}
	c.SetUserContext(idem.WithCommit(c.UserContext(), k.commit))
	err := c.Next()
	status := c.Response().StatusCode()
	// Recording the outcome must not fail because the request's deadline
	// (REQUEST_TIMEOUT) passed: the key would wait for its lease to end.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), 5*time.Second)
	defer cancel()
	mine := s.db.WithContext(dctx).Model(&models.IdempotencyKey{}).Where("caller = ? AND key = ? AND attempt = ?", k.caller, k.row, attempt)
	if err != nil || status >= 300 {
		// An earlier attempt that outlived its lease may have done the
		// work meanwhile (this one then failed on its commit row, or on
		// what that attempt used up, such as an invitation token).
		c.SetUserContext(dctx)
		if done, cerr := s.answerCommitted(c, k, attempt); done {
			return cerr
		} else if cerr != nil {
			s.log.Error("look up idempotent commit", "id", requestID(c), "err", cerr)
		}
		// Nothing was created: let a retry run for real.
		mine.Delete(&models.IdempotencyKey{})
		return err
	}
	body, serr := sealBody(k.seal, c.Response().Body())
	if serr != nil {
		s.log.Error("seal idempotent answer", "id", requestID(c), "err", serr)
		mine.Delete(&models.IdempotencyKey{})
		return nil
	}
	if uerr := mine.Updates(map[string]any{
		"status": status, "content_type": string(c.Response().Header.ContentType()), "body": body, "lease_until": nil,
	}).Error; uerr != nil {
		s.log.Error("store idempotent answer", "id", requestID(c), "err", uerr)
	}
	return nil
}

// answerCommitted answers the request from its commit row, if the work of
// the key committed, and stores that answer for later retries (when the
// key's row is still held by attempt).
func (s *Server) answerCommitted(c *fiber.Ctx, k idemKeys, attempt string) (bool, error) {
	id, ok, err := idem.Lookup(c.UserContext(), s.db, k.commit)
	if err != nil || !ok {
		return false, err
	}
	c.Status(fiber.StatusCreated)
	if err := c.JSON(fiber.Map{"id": id}); err != nil {
		return true, err
	}
	if body, err := sealBody(k.seal, c.Response().Body()); err == nil {
		s.db.WithContext(c.UserContext()).Model(&models.IdempotencyKey{}).Where("caller = ? AND key = ? AND attempt = ?", k.caller, k.row, attempt).
			Updates(map[string]any{"status": fiber.StatusCreated, "content_type": fiber.MIMEApplicationJSON, "body": body, "lease_until": nil})
	}
	c.Set("Idempotent-Replayed", "true")
	return true, nil
}

func replay(c *fiber.Ctx, status int, contentType, body string) error {
	c.Set("Idempotent-Replayed", "true")
	c.Set(fiber.HeaderContentType, contentType)
	return c.Status(status).SendString(body)
}

// idemLease is how long an attempt holds its key: the longest a request
// may run (REQUEST_TIMEOUT), and some.
func (s *Server) idemLease() time.Duration {
	if s.cfg.RequestTimeout <= 0 {
		return time.Minute
	}
	return s.cfg.RequestTimeout + 10*time.Second
}

// leaseEnd is when prev's attempt loses its key; rows from before leases
// hold it for one lease from their creation.
func leaseEnd(prev models.IdempotencyKey, lease time.Duration) time.Time {
	if prev.LeaseUntil != nil {
		return *prev.LeaseUntil
	}
	return prev.CreatedAt.Add(lease)
}

// purgeIdempotency drops stored answers older than a day.
func (s *Server) purgeIdempotency(ctx context.Context) error {
	err := s.db.WithContext(ctx).Where("created_at < ?", time.Now().UTC().Add(-24*time.Hour)).Delete(&models.IdempotencyKey{}).Error
	return errors.Join(err, idem.Purge(ctx, s.db))
}

// idemKeys are what a request's Idempotency-Key is stored under. Each is
// derived from the caller and the key as sent, which is stored nowhere:
// the database (even with the secret) cannot tie the key's row, with its
// precise time, to the commit row written with what the request created,
// nor read the row's sealed answer.
type idemKeys struct {
	caller, row, commit string
	seal                []byte
}

func (s *Server) idemKeys(c *fiber.Ctx, sent string) idemKeys {
	return s.keysOf(s.idemWho(c), sent)
}

func (s *Server) keysOf(who, sent string) idemKeys {
	base := derive(s.idemKey, "keys\x00"+who)
	return idemKeys{
		caller: hex.EncodeToString(derive(s.idemKey, who)),
		row:    hex.EncodeToString(derive(base, "row\x00"+sent)),
		commit: hex.EncodeToString(derive(base, "commit\x00"+sent)),
		seal:   derive(base, "seal\x00"+sent),
	}
}

// newVisitor names callers without a participant cookie yet: they get a
// new participant on every request, so their retries are matched by the
// key alone.
const newVisitor = "new-visitor"

// idemWho names the caller of an idempotent request, before it is derived
// into the caller its rows are stored under and the secret its keys are
// derived from.
//
// The caller is stored as an HMAC: the row must not name the person who
// sent, say, an anonymous survey response. Visitors and signed-in citizens
// are named by their anonymous participant id, which lives only in their
// cookie (it is renewed at sign-in and sign-out); the stored answer, which
// may hold a citizen's name, is encrypted with a key derived from that id
// and the key as sent, so the database (with the secret) can neither tie a
// row to a person nor read it.
func (s *Server) idemWho(c *fiber.Ctx) string {
	if a := page.Account(c); a != nil {
		return "account:" + a.ID
	}
	if sess := page.Sess(c); sess != nil && sess.ParticipantKnown() {
		return "participant:" + page.Participant(c)
	}
	return newVisitor
}

// firstWithoutCookie tells whether a participant's key was first sent
// before the browser had its participant cookie (which the first answer
// set): the retry then continues under that first caller.
func (s *Server) firstWithoutCookie(c *fiber.Ctx, k idemKeys, sent string) (idemKeys, bool) {
	if strings.HasPrefix(s.idemWho(c), "account:") {
		return k, false
	}
	first := s.keysOf(newVisitor, sent)
	if first.caller == k.caller {
		return k, false
	}
	var n int64
	s.db.WithContext(c.UserContext()).Model(&models.IdempotencyKey{}).Where("caller = ? AND key = ?", first.caller, first.row).Count(&n)
	return first, n > 0
}

// forgetCaller deletes the stored answers of the request's caller (when a
// citizen deletes their account). Answers stored for the citizen's other
// browsers are sealed with those browsers' participant ids and are purged
// within a day.
func (s *Server) forgetCaller(c *fiber.Ctx) {
	caller := s.idemKeys(c, "").caller
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
