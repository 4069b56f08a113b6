package surveys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/models"
)

// draftLife is how long a resume link keeps working after the last save.
const draftLife = 30 * 24 * time.Hour

// Draft is a response in progress.
type Draft struct {
	Answers Answers
	Section int
	Channel string
}

// NewDraftToken returns a random resume token; only its hash is stored.
func NewDraftToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func draftHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// SaveDraft stores the answers so far under token.
func (s *Store) SaveDraft(ctx context.Context, token, surveyID string, d Draft) error {
	b, err := json.Marshal(d.Answers)
	if err != nil {
		return err
	}
	now := s.now()
	row := models.ResponseDraft{TokenHash: draftHash(token), SurveyID: surveyID, Answers: string(b), Section: d.Section, Channel: d.Channel, UpdatedAt: now, ExpiresAt: now.Add(draftLife)}
	// A draft claimed for submission (section -1) is not overwritten.
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "token_hash"}},
		DoUpdates: clause.AssignmentColumns([]string{"answers", "section", "channel", "updated_at", "expires_at"}),
		Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "response_drafts.section >= 0"}}},
	}).Create(&row).Error
}

// LoadDraft finds the draft of token for a survey.
func (s *Store) LoadDraft(ctx context.Context, token, surveyID string) (*Draft, error) {
	var row models.ResponseDraft
	err := s.db.WithContext(ctx).Where("token_hash = ? AND survey_id = ? AND expires_at > ? AND section <> -2", draftHash(token), surveyID, s.now()).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	d := &Draft{Section: row.Section, Channel: row.Channel}
	if err := json.Unmarshal([]byte(row.Answers), &d.Answers); err != nil {
		return nil, err
	}
	return d, nil
}

// FinishDraft empties a draft once its response is stored. The row stays
// (answers gone, section -2) until it expires, so that a late second post
// of the same draft finds it finished instead of starting it again.
func (s *Store) FinishDraft(ctx context.Context, token string) error {
	return s.db.WithContext(ctx).Model(&models.ResponseDraft{}).Where("token_hash = ?", draftHash(token)).
		Updates(map[string]any{"answers": "{}", "section": -2, "channel": ""}).Error
}

// PurgeDrafts deletes expired drafts.
func (s *Store) PurgeDrafts(ctx context.Context) error {
	return s.db.WithContext(ctx).Where("expires_at <= ?", s.now()).Delete(&models.ResponseDraft{}).Error
}

// ClaimDraft marks a draft as being submitted and reports whether this
// caller got it; a second submission of the same draft (a double click)
// gets false. ReleaseDraft undoes the claim when the submission failed.
func (s *Store) ClaimDraft(ctx context.Context, token string) (bool, error) {
	res := s.db.WithContext(ctx).Model(&models.ResponseDraft{}).
		Where("token_hash = ? AND section >= 0", draftHash(token)).Update("section", -1)
	return res.RowsAffected == 1, res.Error
}

// ReleaseDraft makes a claimed draft editable again at section.
func (s *Store) ReleaseDraft(ctx context.Context, token string, section int) error {
	return s.db.WithContext(ctx).Model(&models.ResponseDraft{}).Where("token_hash = ?", draftHash(token)).Update("section", section).Error
}
