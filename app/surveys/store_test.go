package surveys

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/models"
)

// TestSubmitSeesChangesMadeMeanwhile: a response checked against a survey
// that was closed (or made anonymous) after it was read is judged against
// the survey as it is now.
func TestSubmitSeesChangesMadeMeanwhile(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := NewStore(gdb)
		m := Meta{Title: tx("Bikes"), Languages: []string{"en"}, AllowMultiple: true}
		sv, err := s.Create(ctx, m, sample(), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if sv, err = s.SetStatus(ctx, sv.ID, models.SurveyOpen); err != nil {
			t.Fatal(err)
		}
		answers := Answers{"who": "visitor"}
		stale := *sv
		if _, err := s.SetStatus(ctx, sv.ID, models.SurveyClosed); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Submit(ctx, &stale, Submission{Answers: answers, Participant: "p1"}); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("response to a survey closed meanwhile: %v", err)
		}
		// Reopened and made anonymous meanwhile: stored, and anonymously.
		if _, err := s.SetStatus(ctx, sv.ID, models.SurveyOpen); err != nil {
			t.Fatal(err)
		}
		stale2, _ := s.Get(ctx, sv.ID)
		m.Anonymous = true
		if err := s.UpdateMeta(ctx, sv.ID, m); err != nil {
			t.Fatal(err)
		}
		id, err := s.Submit(ctx, stale2, Submission{Answers: answers, Participant: "p2"})
		if err != nil {
			t.Fatal(err)
		}
		var r models.Response
		gdb.Where("id = ?", id).Take(&r)
		if r.ParticipantID != nil || r.SubmittedAt != nil {
			t.Fatalf("stored under the old, identified settings: %+v", r)
		}
		// An invitation used while the survey was identified (its profile
		// values all taken, its date kept) gives no response once the survey
		// is anonymous: the invitation path undoes the use on this refusal.
		identified := false
		if _, err := s.Submit(ctx, stale2, Submission{Answers: answers, Participant: "invitation:x", SkipMarker: true, Anonymous: &identified}); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("response through an invitation used under other settings: %v", err)
		}
	})
}
