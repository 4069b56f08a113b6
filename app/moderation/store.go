// Package moderation holds what every feature with citizen text shares:
// the published house rules that moderators name as their reason, the log of
// every moderation action (who, when, what, on what, by which rule, why) and
// bans of participants from one scope (a town hall, an idea call). Features
// write log entries and bans inside their own transactions.
package moderation

import (
	"context"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Store reads and writes house rules, the log and bans.
type Store struct {
	db  *gorm.DB
	now func() time.Time
}

// NewStore returns a Store; now may be nil (time.Now).
func NewStore(gdb *gorm.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: gdb, now: func() time.Time { return now().UTC() }}
}

// Rules lists the house rules in their order.
func (s *Store) Rules(ctx context.Context) ([]models.HouseRule, error) {
	var out []models.HouseRule
	err := s.db.WithContext(ctx).Order("position, key").Find(&out).Error
	return out, err
}

// RuleInput is a rule as staff write it.
type RuleInput struct {
	Key      string      `json:"key"`
	Position int         `json:"position"`
	Title    models.Text `json:"title"`
	Body     models.Text `json:"body"`
}

var keyRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// SaveRule adds or changes a rule.
func (s *Store) SaveRule(ctx context.Context, in RuleInput, by *string) error {
	v := &apperr.Validation{}
	in.Key = strings.TrimSpace(in.Key)
	if !keyRe.MatchString(in.Key) {
		v.Add("key", "moderation.key_invalid")
	}
	any := false
	for _, lang := range []string{"da", "nl", "en"} {
		if id := textcheck.Line(in.Title[lang], 120, false); id != "" {
			v.Add("title."+lang, id)
		}
		if id := textcheck.Block(in.Body[lang], 2000, false); id != "" {
			v.Add("body."+lang, id)
		}
		any = any || strings.TrimSpace(in.Title[lang]) != ""
	}
	if !any {
		v.Add("title", "validation.required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	r := models.HouseRule{Key: in.Key, Position: in.Position, Title: in.Title, Body: in.Body, UpdatedBy: by, UpdatedAt: s.now()}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"position", "title", "body", "updated_by", "updated_at"}),
	}).Create(&r).Error
}

// DeleteRule removes a rule; log entries keep its key.
func (s *Store) DeleteRule(ctx context.Context, key string) error {
	res := s.db.WithContext(ctx).Where("key = ?", key).Delete(&models.HouseRule{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return apperr.ErrNotFound
	}
	return nil
}

// CheckReason checks that rule names a published house rule and that the
// note is fine; the field names are "reason" and "note".
func CheckReason(tx *gorm.DB, rule, note string) error {
	v := &apperr.Validation{}
	if id := textcheck.Block(note, 1000, false); id != "" {
		v.Add("note", id)
	}
	if strings.TrimSpace(rule) == "" {
		v.Add("reason", "moderation.reason_required")
	} else {
		var n int64
		if err := tx.Model(&models.HouseRule{}).Where("key = ?", rule).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			v.Add("reason", "moderation.reason_unknown")
		}
	}
	return v.Err()
}

// Entry is one action to log.
type Entry struct {
	Scope      string // e.g. "townhall:<id>"
	Actor      *models.Account
	Action     string // e.g. "approve", "hide", "ban"
	TargetType string // e.g. "question", "participant"
	TargetID   string
	Rule       string
	Note       string
}

// Log writes an entry inside the caller's transaction.
func (s *Store) Log(tx *gorm.DB, e Entry) error {
	row := models.ModerationLogEntry{ID: models.NewID(), Scope: e.Scope, Action: e.Action, TargetType: e.TargetType,
		TargetID: e.TargetID, RuleKey: e.Rule, Note: e.Note, CreatedAt: s.now()}
	if e.Actor != nil {
		row.ActorID, row.ActorName = &e.Actor.ID, e.Actor.Name
	}
	return tx.Create(&row).Error
}

// Entries lists the newest entries of a scope first.
func (s *Store) Entries(ctx context.Context, scope string, limit int) ([]models.ModerationLogEntry, error) {
	var out []models.ModerationLogEntry
	err := s.db.WithContext(ctx).Where("scope = ?", scope).Order("created_at DESC, id").Limit(limit).Find(&out).Error
	return out, err
}

// Ban bars a participant from a scope (again: no change) inside tx.
func (s *Store) Ban(tx *gorm.DB, scope, participant, rule, note string, by *models.Account) error {
	b := models.ModerationBan{Scope: scope, Participant: participant, RuleKey: rule, Note: note, CreatedAt: s.now()}
	if by != nil {
		b.BannedBy = &by.ID
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&b).Error
}

// Banned tells whether a participant is barred from a scope.
func (s *Store) Banned(ctx context.Context, db *gorm.DB, scope, participant string) (bool, error) {
	if db == nil {
		db = s.db.WithContext(ctx)
	}
	var n int64
	err := db.Model(&models.ModerationBan{}).Where("scope = ? AND participant = ?", scope, participant).Count(&n).Error
	return n > 0, err
}
