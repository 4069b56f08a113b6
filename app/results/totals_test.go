package results

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

// sameAsCountingAfresh checks that results from the running totals equal
// those counted from every answer row (a filter that keeps everything
// makes Compute count afresh).
func sameAsCountingAfresh(t *testing.T, s *Store, sv *models.Survey, what string) *Results {
	t.Helper()
	ctx := context.Background()
	got, err := s.Compute(ctx, sv, Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Compute(ctx, sv, Filter{From: "2000-01-01"}, false)
	if err != nil {
		t.Fatal(err)
	}
	want.Filter = Filter{}
	if got.Responses != want.Responses {
		t.Fatalf("%s: running totals give %d responses, counting afresh %d", what, got.Responses, want.Responses)
	}
	for i := range want.Questions {
		if !reflect.DeepEqual(got.Questions[i], want.Questions[i]) {
			t.Fatalf("%s: question %s from running totals %+v\ncounted afresh %+v", what, want.Questions[i].Question.Key, got.Questions[i], want.Questions[i])
		}
	}
	return got
}

func TestRunningTotalsEqualCountingAfresh(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		if !usesTotals(gdb) {
			t.Skip("running totals are kept on PostgreSQL only")
		}
		ctx := context.Background()
		s, sv := fixture(t, gdb)
		matrices := []string{"grid"}
		more := func(n int) {
			t.Helper()
			for i := 0; i < n; i++ {
				a := surveys.Answers{"who": "business", "gender": "man", "channels": []any{"x"}, "speed": float64(1 + i%5), "age": float64(20 + i),
					"rank": []any{"c", "b", "a"}, "grid": map[string]any{"r2": "yes"}, "note": "mere"}
				if _, err := s.surveys.Submit(ctx, sv, surveys.Submission{Answers: a, Channel: "web"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		sameAsCountingAfresh(t, s, sv, "nothing folded")
		if err := s.fold(ctx, sv.ID, matrices); err != nil {
			t.Fatal(err)
		}
		var unfolded int64
		gdb.Model(&models.Response{}).Where("survey_id = ? AND NOT folded", sv.ID).Count(&unfolded)
		if unfolded != 0 {
			t.Fatalf("%d responses left unfolded", unfolded)
		}
		sameAsCountingAfresh(t, s, sv, "all folded")

		// New responses: part totals, part fresh.
		more(3)
		r := sameAsCountingAfresh(t, s, sv, "folded plus new")
		if r.Responses != 7 {
			t.Fatalf("%d responses, want 7", r.Responses)
		}

		// Folds racing each other and new responses count each response once.
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(2)
			go func() { defer wg.Done(); more(5) }()
			go func() {
				defer wg.Done()
				if err := s.fold(ctx, sv.ID, matrices); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := s.fold(ctx, sv.ID, matrices); err != nil {
			t.Fatal(err)
		}
		r = sameAsCountingAfresh(t, s, sv, "after racing folds")
		if r.Responses != 27 {
			t.Fatalf("%d responses, want 27", r.Responses)
		}

		// A counted response that goes away makes the totals wrong: they
		// are noticed, not used, and built again.
		var victim models.Response
		gdb.Where("survey_id = ? AND folded", sv.ID).Take(&victim)
		gdb.Where("id = ?", victim.ID).Delete(&models.Response{})
		r = sameAsCountingAfresh(t, s, sv, "after a deletion")
		if r.Responses != 26 {
			t.Fatalf("%d responses, want 26", r.Responses)
		}
		var folded int64
		gdb.Model(&models.Response{}).Where("survey_id = ? AND folded", sv.ID).Count(&folded)
		if folded != 0 {
			t.Fatalf("stale totals kept: %d responses still marked folded", folded)
		}
		if _, err := s.Compute(ctx, sv, Filter{}, false); err != nil {
			t.Fatal(err)
		}
	})
}
