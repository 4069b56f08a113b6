package results

import (
	"context"

	"github.com/inspraak/inspraak/models"
)

// Weigher gives a response its weight from the categories it falls in.
// It is nil when the survey is not weighted.
type Weigher struct {
	// TODO(results): filled in with the raking result.
}

// Weight is the weight of a response whose single-choice answers
// (question key -> option key) and profile attributes (field -> value) are
// given.
func (w *Weigher) Weight(answers, attributes map[string]string) float64 {
	return 1
}

// Weigher returns sv's weigher, or nil when sv has no weighting.
func (s *Store) Weigher(ctx context.Context, sv *models.Survey) (*Weigher, error) {
	return nil, nil
}
