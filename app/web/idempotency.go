package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
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
// with the first answer instead of running it again. inTx matches the
// paths whose store records the key in the transaction that creates what
// they create (idem.Commit); see idempotentInTx. For the others:
//
// The first attempt claims the key with a lease; a retry that arrives
// while it runs gets 409, and one that arrives after it gets the stored
// answer. An attempt that outlives its lease (its process was killed, or
// lost the database before it could record its answer) may be taken over
// by a retry, which runs the request again: whether the dead attempt's
// work committed cannot be known there, and the client's only other way
// out, a new key, would run it again too.
func (s *Server) idempotent(inTx *regexp.Regexp) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sent := c.Get("Idempotency-Key")
		if c.Method() != fiber.MethodPost || sent == "" {
			return c.Next()
		}
		if textcheck.Line(sent, 200, true) != "" {
			return apperr.Invalid("Idempotency-Key", "validation.invalid_text")
		}
		if inTx.MatchString(c.Path()) {
			return s.idempotentInTx(c, sent)
		}
		return s.idempotentRow(c, sent)
	}
}

func (s *Server) idempotentRow(c *fiber.Ctx, sent string) error {
	k := s.keysOf(s.idemWho(c), sent)
	if first, ok, err := s.firstWithoutCookie(c, k, sent); err != nil {
		return err
	} else if ok {
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
		took := db.Model(&models.IdempotencyKey{}).Where("caller = ? AND key = ? AND status = 0 AND attempt = ?", k.caller, k.row, prev.Attempt).
			Updates(map[string]any{"attempt": attempt, "lease_until": lease})
		if took.Error != nil {
			return took.Error
		}
		if took.RowsAffected == 0 {
			return &apperr.Conflict{MessageID: "error.idempotency_in_progress"}
		}
	}
	err := c.Next()
	status := c.Response().StatusCode()
	// Recording the outcome must not fail because the request's deadline
	// (REQUEST_TIMEOUT) passed: the key would wait for its lease to end.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), 5*time.Second)
	defer cancel()
	mine := s.db.WithContext(dctx).Model(&models.IdempotencyKey{}).Where("caller = ? AND key = ? AND attempt = ?", k.caller, k.row, attempt)
	if err != nil || status >= 300 {
		// Nothing was created: let a retry run for real.
		if derr := mine.Delete(&models.IdempotencyKey{}).Error; derr != nil {
			s.log.Warn("free idempotency key", "id", requestID(c), "err", derr)
		}
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

// idempotentInTx serves a POST whose store writes the key's commit row in
// the transaction that creates what the POST creates, and answers "201
// {"id": ...}". No row is written before or after that transaction: a
// survey response may be anonymous, and a row of its own, with its precise
// time, written just before or after it could be paired with it. The
// commit row settles everything: a retry after it committed gets the id;
// a retry while the first attempt runs waits on the commit row's unique
// key, then gets the id (or runs, when the first attempt failed); a retry
// after an attempt that died before committing runs again.
func (s *Server) idempotentInTx(c *fiber.Ctx, sent string) error {
	path := strings.ToLower(strings.TrimSuffix(c.Path(), "/"))
	own := s.commitOf(s.idemWho(c), path, sent)
	// A browser's first request may have come before it had its
	// participant cookie (which the answer set).
	ids := []string{own, s.commitOf(newVisitor, path, sent)}
	if done, err := s.answerCommitted(c, ids); done || err != nil {
		return err
	}
	c.SetUserContext(idem.WithCommit(c.UserContext(), own))
	err := c.Next()
	if err != nil {
		// Another attempt may have committed meanwhile: this one then
		// failed on the commit row (idem.ErrCommitted) or on what that
		// attempt used up (its invitation).
		if done, cerr := s.answerCommitted(c, ids); done {
			return cerr
		} else if cerr != nil {
			s.log.Warn("look up idempotent commit", "id", requestID(c), "err", cerr)
		}
	}
	return err
}

// answerCommitted answers the request from its commit row, if one of ids
// committed.
func (s *Server) answerCommitted(c *fiber.Ctx, ids []string) (bool, error) {
	for _, id := range ids {
		resource, ok, err := idem.Lookup(c.UserContext(), s.db, id)
		if err != nil {
			return false, err
		}
		if ok {
			c.Set("Idempotent-Replayed", "true")
			return true, c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": resource})
		}
	}
	return false, nil
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

// leaseEnd is when prev's attempt loses its key; a row without a lease
// (written by an older instance during a rolling deploy) holds it for one
// lease from its creation.
func leaseEnd(prev models.IdempotencyKey, lease time.Duration) time.Time {
	if prev.LeaseUntil != nil {
		return *prev.LeaseUntil
	}
	return prev.CreatedAt.Add(lease)
}

// purgeIdempotency drops stored answers older than a day, and commit rows
// from before yesterday.
func (s *Server) purgeIdempotency(ctx context.Context) error {
	err := s.db.WithContext(ctx).Where("created_at < ?", time.Now().UTC().Add(-24*time.Hour)).Delete(&models.IdempotencyKey{}).Error
	return errors.Join(err, idem.Purge(ctx, s.db, time.Now().In(s.zone).AddDate(0, 0, -1).Format(time.DateOnly)))
}

// idemKeys are what a request's Idempotency-Key is stored under. The row
// and the seal of its answer are derived from the caller and the key as
// sent, which is stored nowhere: the database (even with the secret)
// cannot read the row's sealed answer.
type idemKeys struct {
	caller, row string
	seal        []byte
}

func (s *Server) keysOf(who, sent string) idemKeys {
	base := derive(s.idemKey, "keys\x00"+who)
	return idemKeys{
		caller: hex.EncodeToString(derive(s.idemKey, who)),
		row:    hex.EncodeToString(derive(base, "row\x00"+sent)),
		seal:   derive(base, "seal\x00"+sent),
	}
}

// commitOf is the id of the commit row of a request to path with key sent.
func (s *Server) commitOf(who, path, sent string) string {
	base := derive(s.idemKey, "keys\x00"+who)
	return hex.EncodeToString(derive(base, "commit\x00"+path+"\x00"+sent))
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
// sent, say, an anonymous vote. Visitors and signed-in citizens
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
func (s *Server) firstWithoutCookie(c *fiber.Ctx, k idemKeys, sent string) (idemKeys, bool, error) {
	if strings.HasPrefix(s.idemWho(c), "account:") {
		return k, false, nil
	}
	first := s.keysOf(newVisitor, sent)
	if first.caller == k.caller {
		return k, false, nil
	}
	var n int64
	err := s.db.WithContext(c.UserContext()).Model(&models.IdempotencyKey{}).Where("caller = ? AND key = ?", first.caller, first.row).Count(&n).Error
	return first, n > 0, err
}

// forgetCaller deletes the stored answers of the request's caller (when a
// citizen deletes their account). Answers stored for the citizen's other
// browsers are sealed with those browsers' participant ids and are purged
// within a day.
func (s *Server) forgetCaller(c *fiber.Ctx) {
	caller := s.keysOf(s.idemWho(c), "").caller
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
