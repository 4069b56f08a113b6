// Package ideas runs idea collection: consultations (an idea call such as
// input to a cycling strategy), citizens' ideas with supports and threaded
// comments, moderation by the published house rules (app/moderation), the
// city's status and explanation for each idea ("you said, we did") and the
// notices that tell authors and supporters about it.
package ideas

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/moderation"
)

// Limits of what people type, in characters.
const (
	MaxTitle       = 150
	MaxBody        = 5000
	MaxComment     = 2000
	MaxDisplayName = 60
	MaxPlace       = 200
	MaxReason      = 1000
)

// Flood limits per participant and consultation.
const (
	IdeaFloodLimit     = 5
	IdeaFloodWindow    = 10 * time.Minute
	CommentFloodLimit  = 10
	CommentFloodWindow = 5 * time.Minute
)

// Store reads and writes consultations, ideas, supports and comments.
type Store struct {
	db  *gorm.DB
	mod *moderation.Store
	now func() time.Time
	key []byte
	pg  bool
	// mailer sends the status mails (status.go); nil: none.
	mailer *Mailer
}

// NewStore returns a Store. key signs participant keys (see ParticipantKey);
// now may be nil (time.Now).
func NewStore(gdb *gorm.DB, mod *moderation.Store, key []byte, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: gdb, mod: mod, key: key, now: func() time.Time { return now().UTC() },
		pg: gdb.Dialector.Name() == "postgres"}
}

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// Scope is the moderation scope of a consultation (log, bans, reports).
func Scope(consultationID string) string { return "consultation:" + consultationID }

// Participant is who takes part in one consultation.
type Participant struct {
	// Key is stored with their ideas, supports and comments: an HMAC of the
	// consultation and the person (see ParticipantKey), never the raw id.
	Key string
	// CitizenID is set for a signed-in citizen, so that they can manage
	// their posts and be notified by mail.
	CitizenID *string
	// Name is the name shown when they give none (a citizen's profile name).
	Name string
}

// ParticipantKey is what is stored for a participant of a consultation: an
// HMAC of the consultation and the person (kind "p" anonymous session
// participant, "c" citizen, "a" staff account), so the raw session id is
// never stored and keys of different consultations cannot be joined.
func (s *Store) ParticipantKey(consultationID, kind, id string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("consultation\x00" + consultationID + "\x00" + kind + ":" + id))
	return hex.EncodeToString(m.Sum(nil))
}

// locked adds FOR UPDATE on PostgreSQL (SQLite write transactions hold the
// database lock from BEGIN).
func (s *Store) locked(tx *gorm.DB) *gorm.DB {
	if s.pg {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// serialize makes transactions about one key take turns on PostgreSQL, so
// that parallel requests cannot all pass a flood limit.
func (s *Store) serialize(tx *gorm.DB, key string) error {
	if !s.pg {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", key).Error
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.ErrNotFound
	}
	return err
}

// checkBan refuses a participant banned from the consultation.
func (s *Store) checkBan(ctx context.Context, tx *gorm.DB, consultationID, key string) error {
	banned, err := s.mod.Banned(ctx, tx, Scope(consultationID), key)
	if err != nil {
		return err
	}
	if banned {
		return &apperr.Refused{MessageID: "ideas.banned"}
	}
	return nil
}
