package citizens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	mailer "github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// LinkLife is how long a sign-in link works.
const LinkLife = 15 * time.Minute

// Sign-in link limits: per email address within LinkLife (counted in the
// database, so across instances), and per client address within LinkLife
// (in memory; a library or an office shares one address).
const (
	EmailLimit       = 3
	DefaultAddrLimit = 30
)

// Why a sign-in link does not work. Each offers to ask for a new link.
var (
	ErrLinkUnknown = &apperr.Gone{MessageID: "citizen.link_unknown", Next: "/signin", NextLabel: "citizen.new_link"}
	ErrLinkUsed    = &apperr.Gone{MessageID: "citizen.link_used", Next: "/signin", NextLabel: "citizen.new_link"}
	ErrLinkExpired = &apperr.Gone{MessageID: "citizen.link_expired", Next: "/signin", NextLabel: "citizen.new_link"}
)

// Rate limits of RequestSignIn.
var (
	ErrTooManyForEmail   = &apperr.Limited{MessageID: "citizen.too_many"}
	ErrTooManyForAddress = &apperr.Limited{MessageID: "citizen.too_many_address"}
)

// RequestSignIn mails a single-use sign-in link to email. The caller
// learns nothing about the address: known or not, a link is mailed (the
// citizen is made when the link is used). lang is the language of the
// page (the mail is in the citizen's own language when they chose one);
// next is where to go after signing in, kept only when it is a path on
// this site. At most EmailLimit links per address and a number per client
// address are sent within LinkLife; past that the answer is an
// *apperr.Limited.
func (s *Store) RequestSignIn(ctx context.Context, email, lang, next, clientIP string) error {
	v := &apperr.Validation{}
	email = normalEmail(v, "email", email)
	if err := v.Err(); err != nil {
		return err
	}
	if !slices.Contains(config.Languages, lang) {
		lang = ""
	}
	next = LocalPath(next)
	if !s.perAddr.Allow(clientIP, 1) {
		return ErrTooManyForAddress
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	hash := HashToken(token)
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if tx.Dialector.Name() == "postgres" {
			// Requests for one address take turns, so the count below holds.
			if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "citizen-signin:"+email).Error; err != nil {
				return err
			}
		}
		now := s.now()
		var recent int64
		if err := tx.Model(&models.CitizenSignIn{}).Where("email = ? AND created_at > ?", email, now.Add(-LinkLife)).Count(&recent).Error; err != nil {
			return err
		}
		if recent >= EmailLimit {
			return ErrTooManyForEmail
		}
		row := models.CitizenSignIn{TokenHash: hash, Email: email, Language: lang, NextPath: next, ExpiresAt: now.Add(LinkLife), CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		m := mailer.Mail{DedupeKey: "signin:" + hash, To: email, Language: lang}
		name := ""
		var c models.Citizen
		err := tx.Where("email = ?", email).Take(&c).Error
		switch {
		case err == nil:
			m.CitizenID, name = c.ID, c.DisplayName
			if c.Language != "" {
				m.Language = c.Language
			}
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		r, err := s.mails.Render("signin", m.Language, map[string]any{
			"Name": name, "Link": s.baseURL + "/signin/" + token, "Until": s.mails.Translator(m.Language).DateTime(row.ExpiresAt),
		})
		if err != nil {
			return err
		}
		m.Subject, m.Text, m.HTML = r.Subject, r.Text, r.HTML
		_, err = s.outbox.Enqueue(ctx, tx, m)
		return err
	})
	if err != nil {
		return err
	}
	s.notify()
	return nil
}

// Check tells whether token is a working sign-in link, without using it:
// nil, or ErrLinkUnknown, ErrLinkUsed or ErrLinkExpired.
func (s *Store) Check(ctx context.Context, token string) error {
	_, err := s.LinkEmail(ctx, token)
	return err
}

// LinkEmail returns the address that the working sign-in link of token
// signs in, without using it; or ErrLinkUnknown, ErrLinkUsed or
// ErrLinkExpired.
func (s *Store) LinkEmail(ctx context.Context, token string) (string, error) {
	db, hash := s.db.WithContext(ctx), HashToken(token)
	if err := s.why(db, hash, s.now()); err != nil {
		return "", err
	}
	var link models.CitizenSignIn
	if err := db.Select("email").Where("token_hash = ?", hash).Take(&link).Error; err != nil {
		return "", err
	}
	return link.Email, nil
}

// MaskEmail shows enough of an address for its owner to recognize it and
// little to anyone else: the first character of the name, dots, and the
// domain ("a•••@example.dk").
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return "•••"
	}
	r, _ := utf8.DecodeRuneInString(email)
	return string(r) + "•••" + email[at:]
}

// why says what is wrong with the link of hash at now, or nil.
func (s *Store) why(db *gorm.DB, hash string, now time.Time) error {
	var row models.CitizenSignIn
	err := db.Where("token_hash = ?", hash).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrLinkUnknown
	case err != nil:
		return err
	case row.UsedAt != nil:
		return ErrLinkUsed
	case !row.ExpiresAt.After(now):
		return ErrLinkExpired
	}
	return nil
}

// Consume uses the sign-in link of token: it works once, within LinkLife.
// The citizen with the link's address is made on their first sign-in. It
// returns the citizen and the path to go on to ("" for none), or
// ErrLinkUnknown, ErrLinkUsed or ErrLinkExpired.
func (s *Store) Consume(ctx context.Context, token string) (*models.Citizen, string, error) {
	hash := HashToken(token)
	var (
		out  models.Citizen
		next string
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&models.CitizenSignIn{}).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hash, now).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			if err := s.why(tx, hash, now); err != nil {
				return err
			}
			return ErrLinkUsed // used at this very moment by another request
		}
		var link models.CitizenSignIn
		if err := tx.Where("token_hash = ?", hash).Take(&link).Error; err != nil {
			return err
		}
		// A first sign-in makes the citizen; two first sign-ins at once
		// make one (the address is unique).
		fresh := models.Citizen{ID: models.NewID(), Email: link.Email, Language: link.Language, NotifyByEmail: true, CreatedAt: now}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}}, DoNothing: true}).Create(&fresh).Error; err != nil {
			return err
		}
		if err := tx.Where("email = ?", link.Email).Take(&out).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.Citizen{}).Where("id = ?", out.ID).Update("last_sign_in_at", now).Error; err != nil {
			return err
		}
		out.LastSignInAt = &now
		next = link.NextPath
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return &out, next, nil
}

// HashToken is what the database keeps of a sign-in token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// normalEmail checks an email address and returns it trimmed and
// lower-cased ("" with a message on field in v when it is not valid).
func normalEmail(v *apperr.Validation, field, raw string) string {
	e := strings.ToLower(strings.TrimSpace(raw))
	if id := textcheck.Line(e, 254, true); id != "" {
		v.Add(field, id)
		return ""
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		v.Add(field, "validation.email_invalid")
		return ""
	}
	return e
}

// LocalPath returns next when it is a path on this site to go on to after
// signing in, else "": it must start with one "/" and hold no backslash
// or control character (browsers drop tabs and newlines, which would turn
// "/\t/evil" into "//evil"), and it must not lead back to signing in.
func LocalPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') || utf8.RuneCountInString(next) > 1000 {
		return ""
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "/signin" || strings.HasPrefix(u.Path, "/signin/") || u.Path == "/signout" {
		return ""
	}
	return next
}
