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
	// Anonymous: a session's anonymous participant (see Handlers.post).
	Anonymous bool
	// Name is their profile name (a citizen's display name, a staff
	// member's name). A post never takes it by itself: it carries the name
	// sent with it, or none (the forms pre-fill the profile name).
	Name string
}

// Viewer is who reads or manages posts in one consultation: their
// participant key there ("" for a first-time visitor) and, when signed in,
// their citizen id.
type Viewer struct {
	Key       string
	CitizenID string
}

// Owns tells whether the viewer wrote a post: the same participant key in
// its consultation, or the same signed-in citizen.
func (v Viewer) Owns(participant string, citizenID *string) bool {
	return (v.Key != "" && v.Key == participant) || (v.CitizenID != "" && citizenID != nil && *citizenID == v.CitizenID)
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

// lockIdeas locks the ideas that where selects FOR UPDATE, in id order, on
// PostgreSQL (SQLite write transactions hold the database lock from
// BEGIN). Every transaction here that locks rows of ideas and comments
// takes them in one order: the ideas first, by id, then the comments. A
// new comment locks its idea and then (by its foreign key) takes a key
// share of the comment it replies to, so a transaction that held a comment
// while waiting for an idea could deadlock with it.
func (s *Store) lockIdeas(tx *gorm.DB, where string, args ...any) error {
	if !s.pg {
		return nil
	}
	var ids []string
	return tx.Raw("SELECT id FROM ideas WHERE "+where+" ORDER BY id FOR UPDATE", args...).Scan(&ids).Error
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
