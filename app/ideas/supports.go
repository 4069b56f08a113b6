package ideas

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/models"
)

// Support counts p's support for a published idea once (a second support
// changes nothing) and returns the idea's supports.
func (s *Store) Support(ctx context.Context, c *models.Consultation, ideaID string, p Participant) (int, error) {
	return s.support(ctx, c, ideaID, p, 1)
}

// Unsupport withdraws p's support (none: no change) and returns the supports.
func (s *Store) Unsupport(ctx context.Context, c *models.Consultation, ideaID string, p Participant) (int, error) {
	return s.support(ctx, c, ideaID, p, -1)
}

// support inserts (or deletes) the support row and, only if a row changed,
// moves the count on the idea in the same transaction with one UPDATE that
// also checks the idea is still published, so the count always equals the
// rows.
func (s *Store) support(ctx context.Context, c *models.Consultation, ideaID string, p Participant, delta int) (int, error) {
	if err := s.open(c); err != nil {
		return 0, err
	}
	if p.Key == "" {
		return 0, apperr.ErrForbidden
	}
	if err := s.checkBan(ctx, nil, c.ID, p.Key); err != nil {
		return 0, err
	}
	var supports int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		idea, err := s.visibleIdea(tx, ideaID)
		if err != nil {
			return err
		}
		if idea.ConsultationID != c.ID {
			return apperr.ErrNotFound
		}
		var res *gorm.DB
		if delta > 0 {
			res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.IdeaSupport{IdeaID: ideaID, Participant: p.Key, CitizenID: p.CitizenID})
		} else {
			res = tx.Where("idea_id = ? AND participant = ?", ideaID, p.Key).Delete(&models.IdeaSupport{})
		}
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			supports = idea.Supports
			return nil
		}
		var out []int
		if err := tx.Raw("UPDATE ideas SET supports = supports + ? WHERE id = ? AND visibility = ? RETURNING supports",
			delta, ideaID, models.PostPublished).Scan(&out).Error; err != nil {
			return err
		}
		if len(out) == 0 {
			return apperr.ErrNotFound // hidden meanwhile: roll the support back
		}
		supports = out[0]
		return nil
	})
	return supports, err
}

// SupportedBy returns which of ids p supports.
func (s *Store) SupportedBy(ctx context.Context, key string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if key == "" || len(ids) == 0 {
		return out, nil
	}
	var got []string
	err := s.db.WithContext(ctx).Model(&models.IdeaSupport{}).Where("participant = ? AND idea_id IN ?", key, ids).
		Pluck("idea_id", &got).Error
	for _, id := range got {
		out[id] = true
	}
	return out, err
}
