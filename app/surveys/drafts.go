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
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "token_hash"}},
		DoUpdates: clause.AssignmentColumns([]string{"answers", "section", "channel", "updated_at", "expires_at"}),
	}).Create(&row).Error
}

// LoadDraft finds the draft of token for a survey.
func (s *Store) LoadDraft(ctx context.Context, token, surveyID string) (*Draft, error) {
	var row models.ResponseDraft
	err := s.db.WithContext(ctx).Where("token_hash = ? AND survey_id = ? AND expires_at > ?", draftHash(token), surveyID, s.now()).Take(&row).Error
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

// DeleteDraft removes a draft once its response is stored.
func (s *Store) DeleteDraft(ctx context.Context, token string) error {
	return s.db.WithContext(ctx).Where("token_hash = ?", draftHash(token)).Delete(&models.ResponseDraft{}).Error
}

// PurgeDrafts deletes expired drafts.
func (s *Store) PurgeDrafts(ctx context.Context) error {
	return s.db.WithContext(ctx).Where("expires_at <= ?", s.now()).Delete(&models.ResponseDraft{}).Error
}
