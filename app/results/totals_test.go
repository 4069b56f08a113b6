package results

import (
	"context"
	"math"
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
	return sameAsAfresh(t, s, sv, what, false)
}

func sameAsAfresh(t *testing.T, s *Store, sv *models.Survey, what string, weighted bool) *Results {
	t.Helper()
	ctx := context.Background()
	got, err := s.Compute(ctx, sv, Filter{}, weighted)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Compute(ctx, sv, Filter{From: "2000-01-01"}, weighted)
	if err != nil {
		t.Fatal(err)
	}
	want.Filter = Filter{}
	if got.Responses != want.Responses || math.Abs(got.Effective-want.Effective) > 1e-9 {
		t.Fatalf("%s: running totals give %d responses, counting afresh %d", what, got.Responses, want.Responses)
	}
	for i := range want.Questions {
		if !similar(got.Questions[i], want.Questions[i]) {
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
		if err := s.foldBulk(ctx, sv.ID, nil); err != nil {
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
				if err := s.fold(ctx, sv.ID, nil); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := s.fold(ctx, sv.ID, nil); err != nil {
			t.Fatal(err)
		}
		r = sameAsCountingAfresh(t, s, sv, "after racing folds")
		if r.Responses != 27 {
			t.Fatalf("%d responses, want 27", r.Responses)
		}

		// A matrix question added later is counted by the totals too (a
		// fold counts the respondents of every question with rows).
		def, _ := s.surveys.Definition(sv)
		def.Sections[0].Questions = append(def.Sections[0].Questions, surveys.Question{Key: "grid2", Type: surveys.Matrix, Text: txt("Grid 2"), Rows: opts("r1"), Options: opts("yes", "no")})
		if err := s.surveys.UpdateDefinition(ctx, sv.ID, def); err != nil {
			t.Fatal(err)
		}
		fresh, err := s.surveys.Get(ctx, sv.ID)
		if err != nil {
			t.Fatal(err)
		}
		sv = fresh
		for i := 0; i < 3; i++ {
			if _, err := s.surveys.Submit(ctx, sv, surveys.Submission{Channel: "web", Answers: surveys.Answers{"grid2": map[string]any{"r1": "no"}}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.fold(ctx, sv.ID, nil); err != nil {
			t.Fatal(err)
		}
		r = sameAsCountingAfresh(t, s, sv, "a matrix added later")
		if q := r.Questions[len(r.Questions)-1]; q.Question.Key != "grid2" || q.Answered != 3 {
			t.Fatalf("grid2 answered by %d, want 3", q.Answered)
		}

		// Pending responses are folded in the background once enough came.
		s.foldAt = 3
		more(3)
		if n, err := s.FoldPending(ctx); err != nil || n != 1 {
			t.Fatalf("fold pending: %d surveys, %v", n, err)
		}
		if n, _ := s.unfoldedCount(ctx, sv.ID); n != 0 {
			t.Fatalf("%d responses left after folding pending ones", n)
		}
		more(2)
		if n, err := s.FoldPending(ctx); err != nil || n != 0 {
			t.Fatalf("fold pending below the threshold: %d surveys, %v", n, err)
		}
		s.foldAt = defaultFoldAt
		r = sameAsCountingAfresh(t, s, sv, "after background folds")
		if r.Responses != 35 {
			t.Fatalf("%d responses, want 35", r.Responses)
		}

		// A counted response that goes away makes the totals wrong: they
		// are noticed, not used, and built again.
		var victim models.Response
		gdb.Where("survey_id = ? AND folded", sv.ID).Take(&victim)
		gdb.Where("id = ?", victim.ID).Delete(&models.Response{})
		r = sameAsCountingAfresh(t, s, sv, "after a deletion")
		if r.Responses != 34 {
			t.Fatalf("%d responses, want 34", r.Responses)
		}
		var folded int64
		gdb.Model(&models.Response{}).Where("survey_id = ? AND folded", sv.ID).Count(&folded)
		if folded != 0 {
			t.Fatalf("stale totals kept: %d responses still marked folded", folded)
		}
		if _, err := s.Compute(ctx, sv, Filter{}, false); err != nil {
			t.Fatal(err)
		}

		// Weighted: totals split by the weighting's cells give the weighted
		// figures too; a new weighting splits them anew.
		w := Weighting{Cap: 5, Variables: []Variable{{Kind: KindQuestion, Key: "gender", Shares: map[string]float64{"man": 50, "woman": 50}}}}
		if err := s.SaveWeighting(ctx, sv, w, nil); err != nil {
			t.Fatal(err)
		}
		sameAsAfresh(t, s, sv, "weighted, nothing folded", true)
		if err := s.fold(ctx, sv.ID, w.Variables); err != nil {
			t.Fatal(err)
		}
		more(2)
		r = sameAsAfresh(t, s, sv, "weighted, folded by gender plus new", true)
		if r.Questions[0].Options[0].WShare == nil {
			t.Fatal("no weighted shares")
		}
		sameAsAfresh(t, s, sv, "unweighted, folded by gender", false)
		w2 := Weighting{Cap: 5, Variables: []Variable{{Kind: KindQuestion, Key: "who", Shares: map[string]float64{"citizen": 60, "business": 40}}, w.Variables[0]}}
		if err := s.SaveWeighting(ctx, sv, w2, nil); err != nil {
			t.Fatal(err)
		}
		sameAsAfresh(t, s, sv, "weighting changed", true)
		// The first fold after the change only resets the totals; the next
		// one builds them split by the new variables.
		for i := 0; i < 2; i++ {
			if err := s.fold(ctx, sv.ID, w2.Variables); err != nil {
				t.Fatal(err)
			}
			sameAsAfresh(t, s, sv, "folded by the new weighting", true)
		}
		var split string
		gdb.Raw("SELECT split_by FROM survey_totals WHERE survey_id = ?", sv.ID).Scan(&split)
		if n, _ := s.unfoldedCount(ctx, sv.ID); n != 0 || split != splitBy(w2.Variables) {
			t.Fatalf("after two folds: %d unfolded, split by %q", n, split)
		}
	})
}

// similar compares question results, allowing for the rounding of sums
// added up in another order.
func similar(a, b QuestionResult) bool {
	if a.Answered != b.Answered || a.Texts != b.Texts || math.Abs(a.Effective-b.Effective) > 1e-9 || len(a.Options) != len(b.Options) || len(a.Rows) != len(b.Rows) {
		return false
	}
	est := func(x, y *Estimate) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Count == y.Count && math.Abs(x.Percent-y.Percent) < 1e-9 && math.Abs(x.Low-y.Low) < 1e-9 && math.Abs(x.High-y.High) < 1e-9
	}
	opts := func(x, y []OptionResult) bool {
		for i := range x {
			if x[i].Key != y[i].Key || !est(&x[i].Share, &y[i].Share) || !est(x[i].WShare, y[i].WShare) ||
				math.Abs(x[i].MeanRank-y[i].MeanRank) > 1e-9 || math.Abs(x[i].WMeanRank-y[i].WMeanRank) > 1e-9 || !est(&x[i].First, &y[i].First) {
				return false
			}
		}
		return true
	}
	if !opts(a.Options, b.Options) {
		return false
	}
	for i := range a.Rows {
		if a.Rows[i].Answered != b.Rows[i].Answered || !opts(a.Rows[i].Options, b.Rows[i].Options) {
			return false
		}
	}
	if (a.Numbers == nil) != (b.Numbers == nil) {
		return false
	}
	if a.Numbers != nil {
		x, y := *a.Numbers, *b.Numbers
		if x.N != y.N || math.Abs(x.Mean-y.Mean) > 1e-9 || math.Abs(x.WMean-y.WMean) > 1e-9 || x.Median != y.Median || len(x.Bins) != len(y.Bins) {
			return false
		}
	}
	return reflect.DeepEqual(a.Question.Key, b.Question.Key)
}
