package policy

import (
	"context"
	"time"
)

// Timing is one case on a channel measured on the platform: a town hall
// question from its publication to its first answer, or an idea from its
// submission to the city's first status. End is nil while it is open.
type Timing struct {
	ID, Label, Link string
	Start           time.Time
	End             *time.Time
}

// TimingSource lists a platform channel's cases that started in [from, to),
// and every case still open that started before to.
type TimingSource func(ctx context.Context, from, to time.Time) ([]Timing, error)

// WithTimings sets where the cases of a platform channel come from.
func (s *Store) WithTimings(channel string, src TimingSource) *Store {
	s.timings[channel] = src
	return s
}
