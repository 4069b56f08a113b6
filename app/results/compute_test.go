package results

import (
	"context"
	"errors"
	"math"
	"testing"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

func txt(en string) models.Text { return models.Text{"en": en, "da": "da " + en} }

func opts(keys ...string) []surveys.Option {
	var out []surveys.Option
	for _, k := range keys {
		out = append(out, surveys.Option{Key: k, Text: txt(k)})
	}
	return out
}

// fixture is a survey with one question of every type and four responses
// whose figures are worked out by hand in the tests below.
func fixture(t *testing.T, gdb *gorm.DB) (*Store, *models.Survey) {
	t.Helper()
	ctx := context.Background()
	ss := surveys.NewStore(gdb)
	def := surveys.Definition{Sections: []surveys.Section{{Key: "main", Questions: []surveys.Question{
		{Key: "who", Type: surveys.Single, Text: txt("Who are you?"), Options: opts("citizen", "business"), AllowOther: true},
		{Key: "gender", Type: surveys.Single, Text: txt("Gender"), Options: opts("man", "woman")},
		{Key: "channels", Type: surveys.Multiple, Text: txt("Channels"), Options: opts("facebook", "instagram", "x")},
		{Key: "speed", Type: surveys.Scale, Text: txt("Speed"), Scale: &surveys.ScaleSpec{Min: 1, Max: 5}},
		{Key: "age", Type: surveys.Number, Text: txt("Age")},
		{Key: "rank", Type: surveys.Ranking, Text: txt("Rank"), Options: opts("a", "b", "c")},
		{Key: "grid", Type: surveys.Matrix, Text: txt("Grid"), Rows: opts("r1", "r2"), Options: opts("yes", "no")},
		{Key: "note", Type: surveys.Text, Text: txt("Note")},
	}}}}
	sv, err := ss.Create(ctx, surveys.Meta{Title: txt("Results"), Languages: []string{"en", "da"}, AllowMultiple: true}, def, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if sv, err = ss.SetStatus(ctx, sv.ID, models.SurveyOpen); err != nil {
		t.Fatal(err)
	}
	list := func(keys ...string) []any {
		var out []any
		for _, k := range keys {
			out = append(out, k)
		}
		return out
	}
	subs := []surveys.Submission{
		{Channel: "facebook", Attributes: map[string]string{"band": "young"}, Answers: surveys.Answers{
			"who": "citizen", "gender": "man", "channels": list("facebook", "x"), "speed": 5.0, "age": 30.0,
			"rank": list("a", "b", "c"), "grid": map[string]any{"r1": "yes", "r2": "no"}, "note": "Fint"}},
		{Channel: "web", Attributes: map[string]string{"band": "old"}, Answers: surveys.Answers{
			"who": "citizen", "gender": "woman", "channels": list("facebook"), "speed": 3.0, "age": 40.0,
			"rank": list("b", "a", "c"), "grid": map[string]any{"r1": "yes"}}},
		{Channel: "web", Attributes: map[string]string{"band": "old"}, Answers: surveys.Answers{
			"who": "business", "gender": "woman", "channels": list("instagram"), "speed": 4.0,
			"rank": list("a", "c", "b")}},
		{Channel: "facebook", Answers: surveys.Answers{
			"who": "other", "who.other": "Forening", "gender": "woman", "speed": 2.0, "age": 50.0,
			"rank": list("a", "b", "c"), "grid": map[string]any{"r1": "no", "r2": "no"}, "note": "Hurtigt svar, tak"}},
	}
	for i, sub := range subs {
		id, err := ss.Submit(ctx, sv, sub)
		if err != nil {
			t.Fatalf("response %d: %v", i+1, err)
		}
		if i >= 2 { // responses 3 and 4 came in January
			gdb.Model(&models.Response{}).Where("id = ?", id).Update("submitted_on", "2026-01-10")
		}
	}
	return NewStore(gdb, ss), sv
}

func option(t *testing.T, q QuestionResult, key string) OptionResult {
	t.Helper()
	for _, o := range q.Options {
		if o.Key == key {
			return o
		}
	}
	t.Fatalf("%s has no option %s", q.Question.Key, key)
	return OptionResult{}
}

func question(t *testing.T, r *Results, key string) QuestionResult {
	t.Helper()
	for _, q := range r.Questions {
		if q.Question.Key == key {
			return q
		}
	}
	t.Fatalf("no question %s", key)
	return QuestionResult{}
}

func share(t *testing.T, what string, e Estimate, count int64, pct float64) {
	t.Helper()
	if e.Count != count || math.Abs(e.Percent-pct) > 0.05 {
		t.Errorf("%s: %d = %.2f%%, want %d = %.2f%%", what, e.Count, e.Percent, count, pct)
	}
	if e.Count > 0 && !(e.Low < e.Percent && e.Percent <= e.High || e.Percent == 100 && e.High == 100) {
		t.Errorf("%s: interval %.1f..%.1f does not hold %.1f", what, e.Low, e.High, e.Percent)
	}
}

func TestResultsPerQuestionType(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		s, sv := fixture(t, gdb)
		r, err := s.Compute(context.Background(), sv, Filter{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if r.Responses != 4 {
			t.Fatalf("responses = %d", r.Responses)
		}
		who := question(t, r, "who")
		share(t, "citizen", option(t, who, "citizen").Share, 2, 50)
		share(t, "business", option(t, who, "business").Share, 1, 25)
		share(t, "other", option(t, who, "other").Share, 1, 25)
		if who.Answered != 4 || who.Texts != 1 {
			t.Errorf("who answered %d, texts %d", who.Answered, who.Texts)
		}

		// Multiple choice: respondents per option over the 3 who answered,
		// so the shares add up to more than 100%.
		ch := question(t, r, "channels")
		if ch.Answered != 3 {
			t.Errorf("channels answered by %d, want 3", ch.Answered)
		}
		share(t, "facebook", option(t, ch, "facebook").Share, 2, 66.67)
		share(t, "instagram", option(t, ch, "instagram").Share, 1, 33.33)
		share(t, "x", option(t, ch, "x").Share, 1, 33.33)

		speed := question(t, r, "speed")
		// 2, 3, 4, 5: an even count, so the median is between 3 and 4.
		if speed.Numbers.Mean != 3.5 || speed.Numbers.Median != 3.5 || len(speed.Options) != 5 {
			t.Errorf("speed mean %.2f, median %.2f with %d points", speed.Numbers.Mean, speed.Numbers.Median, len(speed.Options))
		}
		share(t, "speed 1", option(t, speed, "1").Share, 0, 0)
		share(t, "speed 5", option(t, speed, "5").Share, 1, 25)

		age := question(t, r, "age").Numbers
		if age.N != 3 || age.Mean != 40 || age.Median != 40 || age.Min != 30 || age.Max != 50 || len(age.Bins) != 3 {
			t.Errorf("age: %+v", age)
		}

		rank := question(t, r, "rank")
		a, b := option(t, rank, "a"), option(t, rank, "b")
		if a.MeanRank != 1.25 || b.MeanRank != 2 {
			t.Errorf("mean ranks a %.2f b %.2f, want 1.25 and 2", a.MeanRank, b.MeanRank)
		}
		share(t, "a first", a.First, 3, 75)
		share(t, "b first", b.First, 1, 25)

		grid := question(t, r, "grid")
		if grid.Answered != 3 || grid.Rows[0].Answered != 3 || grid.Rows[1].Answered != 2 {
			t.Errorf("grid answered %d, rows %d and %d", grid.Answered, grid.Rows[0].Answered, grid.Rows[1].Answered)
		}
		share(t, "r1 yes", grid.Rows[0].Options[0].Share, 2, 66.67)
		share(t, "r2 no", grid.Rows[1].Options[1].Share, 2, 100)

		if n := question(t, r, "note"); n.Answered != 2 || n.Texts != 2 {
			t.Errorf("note answered %d, texts %d", n.Answered, n.Texts)
		}
	})
}

func TestResultsFilters(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s, sv := fixture(t, gdb)
		def, _ := s.surveys.Definition(sv)
		compute := func(q Query) *Results {
			t.Helper()
			f, err := s.ParseFilter(ctx, sv.ID, def, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			r, err := s.Compute(ctx, sv, f, false)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		r := compute(Query{Channel: "facebook"})
		if r.Responses != 2 {
			t.Errorf("facebook: %d responses", r.Responses)
		}
		share(t, "facebook citizen", option(t, question(t, r, "who"), "citizen").Share, 1, 50)

		r = compute(Query{Segments: []string{"who:citizen"}})
		share(t, "citizens on facebook", option(t, question(t, r, "channels"), "facebook").Share, 2, 100)

		r = compute(Query{Segments: []string{"band:old"}})
		if r.Responses != 2 {
			t.Errorf("profile band old: %d responses", r.Responses)
		}
		r = compute(Query{Segments: []string{"profile.band:old", "who:business"}})
		if r.Responses != 1 {
			t.Errorf("old businesses: %d responses", r.Responses)
		}
		r = compute(Query{From: "2026-01-01", To: "2026-01-31"})
		if r.Responses != 2 {
			t.Errorf("January: %d responses", r.Responses)
		}

		// Unknown fields and values are refused by name, before any SQL.
		for _, q := range []Query{
			{Channel: "myspace"}, {From: "2026-13-01"}, {From: "2026-02-01", To: "2026-01-01"},
			{Segments: []string{"who:alien"}}, {Segments: []string{"channels:facebook"}},
			{Segments: []string{"band:ancient"}}, {Segments: []string{"nokey"}},
			{Segments: []string{"x' OR '1'='1:y"}},
		} {
			_, err := s.ParseFilter(ctx, sv.ID, def, q)
			var v *apperr.Validation
			if !errors.As(err, &v) {
				t.Errorf("%+v: got %v, want a validation error", q, err)
			}
		}
	})
}

// Weighting by gender (man 50%, woman 50%): the sample has 1 man and 3
// women, so the man weighs 2 and each woman 2/3 (total 4). Citizens are
// the man and one woman: 2 + 2/3 = 8/3 of 4 = 66.7% (unweighted 50%).
// Effective n: (Σw)² / Σw² = 16 / (4 + 3·4/9) = 3.
func TestWeightedResults(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s, sv := fixture(t, gdb)
		if _, err := s.Compute(ctx, sv, Filter{}, true); err == nil {
			t.Fatal("weighted results without weighting must be refused")
		}
		w := Weighting{Cap: 5, Variables: []Variable{{Kind: KindQuestion, Key: "gender", Shares: map[string]float64{"man": 50, "woman": 50}}}}
		if err := s.SaveWeighting(ctx, sv, w, nil); err != nil {
			t.Fatal(err)
		}
		r, err := s.Compute(ctx, sv, Filter{}, true)
		if err != nil {
			t.Fatal(err)
		}
		who := question(t, r, "who")
		cit := option(t, who, "citizen")
		share(t, "unweighted citizen", cit.Share, 2, 50)
		if cit.WShare == nil || math.Abs(cit.WShare.Percent-200.0/3) > 1e-6 {
			t.Fatalf("weighted citizen share %+v, want 66.67%%", cit.WShare)
		}
		if math.Abs(cit.WShare.Base-3) > 1e-9 || math.Abs(who.Effective-3) > 1e-9 {
			t.Errorf("effective n %.4f / %.4f, want 3", cit.WShare.Base, who.Effective)
		}
		lo, hi := Wilson(2.0/3, 3)
		if math.Abs(cit.WShare.Low-100*lo) > 1e-9 || math.Abs(cit.WShare.High-100*hi) > 1e-9 {
			t.Errorf("weighted interval %.2f..%.2f, want Wilson on n=3", cit.WShare.Low, cit.WShare.High)
		}
		// A weighted filter keeps the whole sample's weights: the citizens
		// (man 2, woman 2/3) use Facebook: 100% either way.
		f := Filter{Answers: []Cond{{"who", "citizen"}}}
		r, err = s.Compute(ctx, sv, f, true)
		if err != nil {
			t.Fatal(err)
		}
		fb := option(t, question(t, r, "channels"), "facebook")
		if math.Abs(fb.WShare.Percent-100) > 1e-9 {
			t.Errorf("weighted citizens on facebook %.2f", fb.WShare.Percent)
		}
		// x: only the man (2 of 8/3) = 75% weighted, 50% unweighted.
		x := option(t, question(t, r, "channels"), "x")
		if math.Abs(x.WShare.Percent-75) > 1e-9 || x.Share.Percent != 50 {
			t.Errorf("x among citizens: weighted %.2f, unweighted %.2f", x.WShare.Percent, x.Share.Percent)
		}

		// Bad margins change nothing.
		bad := []Weighting{
			{Cap: 5},
			{Cap: 0.5, Variables: w.Variables},
			{Cap: 5, Variables: []Variable{{Kind: KindQuestion, Key: "gender", Shares: map[string]float64{"man": 50, "woman": 40}}}},
			{Cap: 5, Variables: []Variable{{Kind: KindQuestion, Key: "channels", Shares: map[string]float64{"x": 100}}}},
			{Cap: 5, Variables: []Variable{{Kind: KindQuestion, Key: "gender", Shares: map[string]float64{"man": 50, "alien": 50}}}},
			{Cap: 5, Variables: []Variable{{Kind: KindProfile, Key: "band", Shares: map[string]float64{"young": 50, "ancient": 50}}}},
		}
		for i, b := range bad {
			var v *apperr.Validation
			if err := s.SaveWeighting(ctx, sv, b, nil); !errors.As(err, &v) {
				t.Errorf("bad weighting %d: %v", i, err)
			}
		}
		got, _ := s.Weighting(ctx, sv.ID)
		if got == nil || got.Variables[0].Shares["man"] != 50 {
			t.Errorf("weighting changed by refused input: %+v", got)
		}

		// Weighting by a profile field works too: band young 50, old 50.
		// Response 4 has no band and keeps weight 1 there.
		pw := Weighting{Cap: 5, Variables: []Variable{{Kind: KindProfile, Key: "band", Shares: map[string]float64{"young": 50, "old": 50}}}}
		if err := s.SaveWeighting(ctx, sv, pw, nil); err != nil {
			t.Fatal(err)
		}
		wr, err := s.Weigher(ctx, sv)
		if err != nil {
			t.Fatal(err)
		}
		if got := wr.Weight(nil, map[string]string{"band": "young"}); math.Abs(got-1.5) > 1e-9 {
			t.Errorf("young weight %.4f, want 1.5 (3 banded respondents, 1 young for half)", got)
		}
		if got := wr.Weight(nil, nil); got != 1 {
			t.Errorf("no band: weight %.4f, want 1", got)
		}
	})
}

func TestCrossTabAndTexts(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s, sv := fixture(t, gdb)
		ct, err := s.CrossTab(ctx, sv, Filter{}, "who", "gender", false)
		if err != nil {
			t.Fatal(err)
		}
		share(t, "citizen men", ct.Cells["citizen"]["man"], 1, 50)
		share(t, "business women", ct.Cells["business"]["woman"], 1, 100)
		if ct.Total != 4 || ct.ColTotal["woman"] != 3 {
			t.Errorf("totals %d, women %d", ct.Total, ct.ColTotal["woman"])
		}
		if _, err := s.CrossTab(ctx, sv, Filter{}, "who", "channels", false); err == nil {
			t.Error("a cross-tab with a multiple-choice question must be refused")
		}

		p, err := s.Texts(ctx, sv, Filter{}, "note", "", 1)
		if err != nil || p.Total != 2 {
			t.Fatalf("texts %v, %v", p, err)
		}
		p, _ = s.Texts(ctx, sv, Filter{}, "note", "TAK", 1)
		if p.Total != 1 || p.Answers[0].Text != "Hurtigt svar, tak" {
			t.Errorf("search: %+v", p)
		}
		p, _ = s.Texts(ctx, sv, Filter{}, "note", "%", 1)
		if p.Total != 0 {
			t.Errorf("a %% search matched %d answers; it must be literal", p.Total)
		}
		p, _ = s.Texts(ctx, sv, Filter{}, "who", "", 1)
		if p.Total != 1 || p.Answers[0].Text != "Forening" {
			t.Errorf("other texts: %+v", p)
		}
		if _, err := s.Texts(ctx, sv, Filter{}, "gender", "", 1); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("texts of a question without text: %v", err)
		}
	})
}
