package ideas

import (
	"context"
	"time"

	"github.com/inspraak/inspraak/models"
)

// StatusCase is a published idea seen as a case of the ideas channel: from
// its submission to the city's first status (nil while none).
type StatusCase struct {
	ID, Title   string
	Submitted   time.Time
	FirstStatus *time.Time
}

// StatusCases lists the published ideas submitted in [from, to), and every
// one still without a status that was submitted before to. The channel
// policy measures its answer-time promise on them.
func (s *Store) StatusCases(ctx context.Context, from, to time.Time) ([]StatusCase, error) {
	var rows []models.Idea
	err := s.db.WithContext(ctx).Select("id, title, created_at, first_status_at").
		Where("visibility = ? AND created_at < ? AND (created_at >= ? OR first_status_at IS NULL)", models.PostPublished, to.UTC(), from.UTC()).
		Order("created_at, id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]StatusCase, len(rows))
	for i, r := range rows {
		out[i] = StatusCase{ID: r.ID, Title: r.Title, Submitted: r.CreatedAt, FirstStatus: r.FirstStatusAt}
	}
	return out, nil
}
