package townhall

import (
	"context"
	"time"

	"github.com/inspraak/inspraak/models"
)

// AnswerCase is a published question seen as a case of the town hall
// channel: from its publication to its first answer (nil while none).
type AnswerCase struct {
	ID, TownHallID, Text string
	Published            time.Time
	Answered             *time.Time
}

// AnswerCases lists the published questions published in [from, to), and
// every one still unanswered that was published before to, with the time of
// its first answer. The channel policy measures its answer-time promise on
// them.
func (s *Store) AnswerCases(ctx context.Context, from, to time.Time) ([]AnswerCase, error) {
	var rows []struct {
		ID         string
		TownHallID string `gorm:"column:townhall_id"`
		Text       string
		ApprovedAt time.Time
		AnsweredAt *time.Time
	}
	err := s.db.WithContext(ctx).Raw(`SELECT q.id, q.townhall_id, q.text, q.approved_at, a.created_at AS answered_at
		FROM townhall_questions q LEFT JOIN townhall_answers a ON a.question_id = q.id
		WHERE q.status = ? AND q.approved_at IS NOT NULL AND q.approved_at < ?
		  AND (q.approved_at >= ? OR NOT EXISTS (SELECT 1 FROM townhall_answers x WHERE x.question_id = q.id))
		ORDER BY q.approved_at, q.id`, models.QuestionApproved, to.UTC(), from.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := []AnswerCase{}
	at := map[string]int{}
	for _, r := range rows {
		i, seen := at[r.ID]
		if !seen {
			i = len(out)
			at[r.ID] = i
			out = append(out, AnswerCase{ID: r.ID, TownHallID: r.TownHallID, Text: r.Text, Published: r.ApprovedAt})
		}
		if a := r.AnsweredAt; a != nil && (out[i].Answered == nil || a.Before(*out[i].Answered)) {
			t := *a
			out[i].Answered = &t
		}
	}
	return out, nil
}
