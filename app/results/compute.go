package results

import (
	"context"
	"math"
	"sort"
	"strconv"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

// Estimate is a share of respondents with its 95% interval. Percentages
// run 0..100. Base is the number it is a share of: respondents, or for a
// weighted estimate the Kish effective sample size.
type Estimate struct {
	Count   int64
	Percent float64
	Low     float64
	High    float64
	Base    float64
}

// estimate is the unweighted share k/n with its Wilson interval.
func estimate(k, n int64) Estimate {
	if n == 0 {
		return Estimate{}
	}
	p := float64(k) / float64(n)
	lo, hi := Wilson(p, float64(n))
	return Estimate{Count: k, Percent: 100 * p, Low: 100 * lo, High: 100 * hi, Base: float64(n)}
}

// weightedEstimate is the weighted share w/base with a Wilson interval on
// the base's effective sample size.
func weightedEstimate(k int64, w float64, base totals) *Estimate {
	if base.W <= 0 {
		return &Estimate{}
	}
	p := w / base.W
	n := Kish(base.W, base.W2)
	lo, hi := Wilson(p, n)
	return &Estimate{Count: k, Percent: 100 * p, Low: 100 * lo, High: 100 * hi, Base: n}
}

// Results are a survey's figures for one filter.
type Results struct {
	Survey    *models.Survey
	Def       surveys.Definition
	Filter    Filter
	Responses int64
	// Weighted: figures carry weighted estimates beside the unweighted.
	Weighted  bool
	Weigher   *Weigher
	Effective float64 // Kish effective size of the responses in scope
	Questions []QuestionResult
}

// QuestionResult is one question's figures.
type QuestionResult struct {
	Question  surveys.Question
	Answered  int64
	Effective float64 // weighted: Kish effective size of those who answered
	Options   []OptionResult
	Rows      []MatrixRow
	Numbers   *NumberSummary
	Texts     int64
}

// OptionResult is one option (or scale point): its share of those who
// answered; for a ranking also its mean rank and first-choice share.
type OptionResult struct {
	Key       string
	Share     Estimate
	WShare    *Estimate
	MeanRank  float64
	WMeanRank float64
	First     Estimate
	WFirst    *Estimate
}

// MatrixRow is one row of a matrix question.
type MatrixRow struct {
	Key      string
	Answered int64
	Options  []OptionResult
}

// NumberSummary describes the answers to a scale or number question.
type NumberSummary struct {
	N                      int64
	Mean, Median, Min, Max float64
	WMean                  float64
	Bins                   []Bin // number questions: the distribution
}

// Bin is one interval of a number question's distribution.
type Bin struct {
	Low, High float64
	Share     Estimate
	WShare    *Estimate
}

// scope is the responses of sv that f keeps, weighted when asked (an
// error when the survey has no weighting). A weighting with nothing to
// weigh yet leaves the responses unweighted, with the weigher still given.
func (s *Store) scope(ctx context.Context, sv *models.Survey, f Filter, weighted bool) (scope, *Weigher, error) {
	sc := scope{surveyID: sv.ID, filter: f}
	if !weighted {
		return sc, nil, nil
	}
	w, err := s.Weigher(ctx, sv)
	if err != nil {
		return sc, nil, err
	}
	if w == nil {
		return sc, nil, apperr.Invalid("weighted", "results.not_weighted")
	}
	if len(w.Cells) > 0 {
		sc.weigher = w
	}
	return sc, w, nil
}

// Compute works out the survey's results for filter f, weighted when
// asked (an error when the survey has no weighting).
func (s *Store) Compute(ctx context.Context, sv *models.Survey, f Filter, weighted bool) (*Results, error) {
	def, err := s.surveys.Definition(sv)
	if err != nil {
		return nil, err
	}
	res := &Results{Survey: sv, Def: def, Filter: f, Weighted: weighted}
	matrices := matrixKeys(def)
	var rows []aggRow
	var answeredMatrix map[string]totals
	served := false
	// Every response is the common case and the one large surveys make
	// slow: on PostgreSQL it comes from running totals, kept per cell of
	// the survey's weighting variables so weighted figures come from them too.
	if f.Empty() && usesTotals(s.db) {
		if served, err = s.computeFromTotals(ctx, sv, res, &rows, &answeredMatrix); err != nil {
			return nil, err
		}
	}
	if !served {
		sc, w, err := s.scope(ctx, sv, f, weighted)
		if err != nil {
			return nil, err
		}
		res.Weigher = w
		err = s.read(ctx, func(db *gorm.DB) error {
			t, err := sc.responses(db)
			if err != nil {
				return err
			}
			res.Responses, res.Effective = t.N, Kish(t.W, t.W2)
			if rows, err = sc.answers(db); err != nil {
				return err
			}
			answeredMatrix, err = sc.answeredMatrix(db, matrices)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	byQuestion := map[string][]aggRow{}
	for _, r := range rows {
		byQuestion[r.QuestionKey] = append(byQuestion[r.QuestionKey], r)
	}
	for _, q := range def.Questions() {
		res.Questions = append(res.Questions, questionResult(q, byQuestion[q.Key], answeredMatrix[q.Key], res.Weighted))
	}
	return res, nil
}

// optionKeys lists a choice question's option keys in order, with
// "other" when offered.
func optionKeys(q surveys.Question) []string {
	keys := make([]string, 0, len(q.Options)+1)
	for _, o := range q.Options {
		keys = append(keys, o.Key)
	}
	if q.AllowOther && (q.Type == surveys.Single || q.Type == surveys.Multiple) {
		keys = append(keys, surveys.OtherKey)
	}
	return keys
}

func questionResult(q surveys.Question, rows []aggRow, matrix totals, weighted bool) QuestionResult {
	out := QuestionResult{Question: q}
	var base totals
	for _, r := range rows {
		out.Texts += r.Texts
		base.N += r.First
		base.W += r.WFirst
		base.W2 += r.W2First
	}
	if q.Type == surveys.Matrix {
		base = matrix
	}
	out.Answered = base.N
	if weighted {
		out.Effective = Kish(base.W, base.W2)
	}
	switch q.Type {
	case surveys.Single, surveys.Multiple, surveys.Ranking:
		byOption := map[string]aggRow{}
		for _, r := range rows {
			byOption[r.OptionKey] = r
		}
		for _, k := range optionKeys(q) {
			r := byOption[k]
			o := OptionResult{Key: k, Share: estimate(r.N, base.N)}
			if weighted {
				o.WShare = weightedEstimate(r.N, r.W, base)
			}
			if q.Type == surveys.Ranking {
				o.First = estimate(r.Top, base.N)
				if r.N > 0 {
					o.MeanRank = float64(r.RankSum) / float64(r.N)
				}
				if weighted {
					o.WFirst = weightedEstimate(r.Top, r.WTop, base)
					if r.W > 0 {
						o.WMeanRank = r.WRank / r.W
					}
				}
			}
			out.Options = append(out.Options, o)
		}
	case surveys.Matrix:
		byRow := map[string]map[string]aggRow{}
		for _, r := range rows {
			if byRow[r.RowKey] == nil {
				byRow[r.RowKey] = map[string]aggRow{}
			}
			byRow[r.RowKey][r.OptionKey] = r
		}
		for _, row := range q.Rows {
			var rb totals
			for _, r := range byRow[row.Key] {
				rb.N += r.N
				rb.W += r.W
				rb.W2 += r.W2
			}
			mr := MatrixRow{Key: row.Key, Answered: rb.N}
			for _, k := range optionKeys(q) {
				r := byRow[row.Key][k]
				o := OptionResult{Key: k, Share: estimate(r.N, rb.N)}
				if weighted {
					o.WShare = weightedEstimate(r.N, r.W, rb)
				}
				mr.Options = append(mr.Options, o)
			}
			out.Rows = append(out.Rows, mr)
		}
	case surveys.Scale, surveys.Number:
		out.Numbers = numberSummary(q, rows, base, weighted)
		if q.Type == surveys.Scale && q.Scale != nil {
			byPoint := map[float64]aggRow{}
			for _, r := range rows {
				if r.Number != nil {
					byPoint[*r.Number] = r
				}
			}
			for p := q.Scale.Min; p <= q.Scale.Max; p++ {
				r := byPoint[float64(p)]
				o := OptionResult{Key: strconv.Itoa(p), Share: estimate(r.N, base.N)}
				if weighted {
					o.WShare = weightedEstimate(r.N, r.W, base)
				}
				out.Options = append(out.Options, o)
			}
		}
	}
	return out
}

// median of the grouped values (sorted): the middle one, or the mean of
// the two middle ones when the count is even.
func median(vals []aggRow, n int64) float64 {
	if n == 0 {
		return math.NaN()
	}
	at := func(k int64) float64 { // the k-th value (0-based) in order
		var cum int64
		for _, r := range vals {
			cum += r.N
			if k < cum {
				return *r.Number
			}
		}
		return *vals[len(vals)-1].Number
	}
	if n%2 == 1 {
		return at(n / 2)
	}
	return (at(n/2-1) + at(n/2)) / 2
}

// maxExactBins: a number question with at most this many distinct answers
// shows each of them; more are grouped into numberBins intervals.
const (
	maxExactBins = 12
	numberBins   = 8
)

func numberSummary(q surveys.Question, rows []aggRow, base totals, weighted bool) *NumberSummary {
	var vals []aggRow
	for _, r := range rows {
		if r.Number != nil {
			vals = append(vals, r)
		}
	}
	if len(vals) == 0 {
		return &NumberSummary{}
	}
	sort.Slice(vals, func(i, j int) bool { return *vals[i].Number < *vals[j].Number })
	ns := &NumberSummary{N: base.N, Min: *vals[0].Number, Max: *vals[len(vals)-1].Number}
	var sum, wsum float64
	for _, r := range vals {
		sum += *r.Number * float64(r.N)
		wsum += *r.Number * r.W
	}
	ns.Median = median(vals, base.N)
	ns.Mean = sum / float64(base.N)
	if weighted && base.W > 0 {
		ns.WMean = wsum / base.W
	}
	if q.Type != surveys.Number {
		return ns
	}
	// The distribution: each value, or equal intervals from min to max.
	type acc struct {
		n int64
		w float64
	}
	bins := []Bin{}
	counts := []acc{}
	if len(vals) <= maxExactBins {
		for _, r := range vals {
			bins = append(bins, Bin{Low: *r.Number, High: *r.Number})
			counts = append(counts, acc{r.N, r.W})
		}
	} else {
		width := (ns.Max - ns.Min) / numberBins
		for i := 0; i < numberBins; i++ {
			bins = append(bins, Bin{Low: ns.Min + float64(i)*width, High: ns.Min + float64(i+1)*width})
			counts = append(counts, acc{})
		}
		for _, r := range vals {
			i := min(int((*r.Number-ns.Min)/width), numberBins-1)
			counts[i].n += r.N
			counts[i].w += r.W
		}
	}
	for i := range bins {
		bins[i].Share = estimate(counts[i].n, base.N)
		if weighted {
			bins[i].WShare = weightedEstimate(counts[i].n, counts[i].w, base)
		}
	}
	ns.Bins = bins
	return ns
}

// computeFromTotals fills res from the running totals (folding new
// responses first when enough came in). It returns false when the totals
// cannot serve; stale totals are then dropped to be built again.
func (s *Store) computeFromTotals(ctx context.Context, sv *models.Survey, res *Results, rows *[]aggRow, matrix *map[string]totals) (bool, error) {
	wt, err := s.Weighting(ctx, sv.ID)
	if err != nil {
		return false, err
	}
	if res.Weighted && wt == nil {
		return false, apperr.Invalid("weighted", "results.not_weighted")
	}
	var vars []Variable
	if wt != nil {
		vars = wt.Variables
	}
	n, err := s.unfoldedCount(ctx, sv.ID)
	if err != nil {
		return false, err
	}
	switch {
	case n > maxFresh:
		// A large backlog (a survey nobody looked at yet): count afresh
		// now; the background fold builds the totals within a minute.
		return false, nil
	case n >= int64(s.foldAt):
		if err := s.fold(ctx, sv.ID, vars); err != nil {
			return false, err
		}
	}
	var cells []cellRow
	var ok, stale bool
	err = s.read(ctx, func(db *gorm.DB) (err error) {
		cells, ok, stale, err = s.totalsCells(db, sv.ID, vars)
		return err
	})
	if err != nil || !ok {
		if stale {
			err = s.unfold(ctx, sv.ID)
		}
		return false, err
	}
	var w *Weigher
	if res.Weighted {
		// The totals hold the responses per cell: the weights are raked
		// from them, and kept for the exports and the weighting page.
		w = newWeigher(wt, cellCounts(cells, vars))
		s.weighers.Store(sv.ID, cachedWeigher{updated: wt.UpdatedAt, responses: w.Responses, weigher: w})
		res.Weigher = w
	}
	var all totals
	*rows, *matrix, all = combineCells(cells, w)
	res.Responses, res.Effective = all.N, Kish(all.W, all.W2)
	return true, nil
}
