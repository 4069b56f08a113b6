package results

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

// Kinds of weighting variable.
const (
	KindQuestion = "question" // a single-choice question of the survey
	KindProfile  = "profile"  // a profile field stored with the responses
)

// Limits on weighting.
const (
	maxVariables = 5
	minCap       = 1.5
	maxCap       = 50
	DefaultCap   = 5
	shareSlack   = 0.5 // shares may add up to 100 ± this, for rounded statistics
)

// Weighting is what staff enter: population shares per variable (in
// percent) and the cap on a single weight.
type Weighting struct {
	Variables []Variable `json:"variables"`
	Source    string     `json:"source,omitempty"` // where the figures come from
	Cap       float64    `json:"cap"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Variable is one weighting variable and its population shares.
type Variable struct {
	Kind   string             `json:"kind"`
	Key    string             `json:"key"`
	Shares map[string]float64 `json:"shares"`
}

// storedMargins is the JSON kept in survey_weightings.margins.
type storedMargins struct {
	Variables []Variable `json:"variables"`
	Source    string     `json:"source,omitempty"`
}

// Weighting returns the survey's weighting, or nil when it has none.
func (s *Store) Weighting(ctx context.Context, surveyID string) (*Weighting, error) {
	var row models.SurveyWeighting
	err := s.db.WithContext(ctx).Where("survey_id = ?", surveyID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m storedMargins
	if err := json.Unmarshal([]byte(row.Margins), &m); err != nil {
		return nil, err
	}
	return &Weighting{Variables: m.Variables, Source: m.Source, Cap: row.WeightCap, UpdatedAt: row.UpdatedAt}, nil
}

// SaveWeighting checks w against the survey and stores it.
func (s *Store) SaveWeighting(ctx context.Context, sv *models.Survey, w Weighting, by *string) error {
	def, err := s.surveys.Definition(sv)
	if err != nil {
		return err
	}
	profile, err := s.ProfileValues(ctx, sv.ID)
	if err != nil {
		return err
	}
	if err := w.validate(def, profile); err != nil {
		return err
	}
	b, err := json.Marshal(storedMargins{Variables: w.Variables, Source: strings.TrimSpace(w.Source)})
	if err != nil {
		return err
	}
	row := models.SurveyWeighting{SurveyID: sv.ID, Margins: string(b), WeightCap: w.Cap, UpdatedBy: by, UpdatedAt: time.Now().UTC()}
	return s.db.WithContext(ctx).Save(&row).Error
}

// DeleteWeighting removes the survey's weighting.
func (s *Store) DeleteWeighting(ctx context.Context, surveyID string) error {
	return s.db.WithContext(ctx).Where("survey_id = ?", surveyID).Delete(&models.SurveyWeighting{}).Error
}

// validate checks variables against the survey's questions and the
// profile values on its responses. Field names: "variables.<key>", "cap".
func (w Weighting) validate(def surveys.Definition, profile map[string]map[string]bool) error {
	v := &apperr.Validation{}
	if len(w.Variables) == 0 {
		v.Add("variables", "results.weighting_no_variables")
	}
	if len(w.Variables) > maxVariables {
		v.Add("variables", "results.weighting_too_many")
	}
	if math.IsNaN(w.Cap) || w.Cap < minCap || w.Cap > maxCap {
		v.Add("cap", "results.weighting_bad_cap")
	}
	if len(w.Source) > surveys.MaxShortAnswer {
		v.Add("source", "validation.too_long")
	}
	seen := map[string]bool{}
	for _, va := range w.Variables {
		field := "variables." + va.Key
		if seen[va.Kind+":"+va.Key] {
			v.Add(field, "results.weighting_duplicate")
		}
		seen[va.Kind+":"+va.Key] = true
		known := func(string) bool { return false }
		switch va.Kind {
		case KindQuestion:
			q, ok := def.Question(va.Key)
			if !ok || q.Type != surveys.Single {
				v.Add(field, "results.weighting_not_single")
				continue
			}
			known = q.HasOption
		case KindProfile:
			if profile[va.Key] == nil {
				v.Add(field, "results.unknown_segment")
				continue
			}
			known = func(k string) bool { return profile[va.Key][k] }
		default:
			v.Add(field, "results.unknown_segment")
			continue
		}
		var sum float64
		for cat, share := range va.Shares {
			if !known(cat) {
				v.Add(field, "results.unknown_segment")
			}
			if math.IsNaN(share) || share < 0 || share > 100 {
				v.Add(field+"."+cat, "results.weighting_bad_share")
			}
			sum += share
		}
		if math.Abs(sum-100) > shareSlack {
			v.Add(field, "results.weighting_sum")
		}
	}
	return v.Err()
}

// Weigher holds a survey's weights: one per combination of categories on
// the weighting variables, computed by raking over all its responses.
// Filters then use these weights; they are not re-raked per cut.
type Weigher struct {
	Variables []Variable
	Cap       float64
	Source    string
	Result    RakeResult
	Cells     []Cell
	// Responses is the number of responses raked; Effective their Kish
	// effective sample size; MinWeight and MaxWeight the extremes.
	Responses            int64
	Effective            float64
	MinWeight, MaxWeight float64
	byCell               map[string]float64
}

// cellKey names a cell; cellExpr computes the same name in SQL.
func cellKey(cats []string) string { return strings.Join(cats, "\x1f") }

// cellExpr is the SQL for the cell of the categories cols (” without any).
func cellExpr(cols []string) string {
	if len(cols) == 0 {
		return "''"
	}
	return strings.Join(cols, " || CHR(31) || ")
}

// splitBy names a weighting's variables, as the running totals record them.
func splitBy(vars []Variable) string {
	parts := make([]string, len(vars))
	for i, v := range vars {
		parts[i] = v.Kind + ":" + v.Key
	}
	return strings.Join(parts, "|")
}

// Weight is the weight of a response whose single-choice answers
// (question key -> option key) and profile attributes (field -> value)
// are given. A combination unseen when the weights were computed gets 1.
func (w *Weigher) Weight(answers, attributes map[string]string) float64 {
	cats := make([]string, len(w.Variables))
	for j, v := range w.Variables {
		if v.Kind == KindQuestion {
			cats[j] = answers[v.Key]
		} else {
			cats[j] = attributes[v.Key]
		}
	}
	if x, ok := w.byCell[cellKey(cats)]; ok {
		return x
	}
	return 1
}

type cachedWeigher struct {
	updated   time.Time
	responses int64
	weigher   *Weigher
}

// Weigher returns sv's weigher, or nil when sv has no weighting. It is
// recomputed when the margins change or responses arrive.
func (s *Store) Weigher(ctx context.Context, sv *models.Survey) (*Weigher, error) {
	w, err := s.Weighting(ctx, sv.ID)
	if err != nil || w == nil {
		return nil, err
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.Response{}).Where("survey_id = ?", sv.ID).Count(&n).Error; err != nil {
		return nil, err
	}
	if c, ok := s.weighers.Load(sv.ID); ok {
		if c := c.(cachedWeigher); c.updated.Equal(w.UpdatedAt) && c.responses == n {
			return c.weigher, nil
		}
	}
	cells, err := s.cells(ctx, sv.ID, w.Variables)
	if err != nil {
		return nil, err
	}
	out := newWeigher(w, cells)
	s.weighers.Store(sv.ID, cachedWeigher{updated: w.UpdatedAt, responses: n, weigher: out})
	return out, nil
}

// newWeigher rakes the cells to w's margins.
func newWeigher(w *Weighting, cells []Cell) *Weigher {
	targets := make([]Target, len(w.Variables))
	for j, v := range w.Variables {
		targets[j] = v.Shares
	}
	res := Rake(cells, targets, w.Cap)
	out := &Weigher{Variables: w.Variables, Cap: w.Cap, Source: w.Source, Result: res, Cells: cells, byCell: map[string]float64{}, MinWeight: math.Inf(1)}
	var sum, sq float64
	for i, c := range cells {
		x := res.Weights[i]
		out.byCell[cellKey(c.Cats)] = x
		out.Responses += int64(c.N)
		sum += c.N * x
		sq += c.N * x * x
		out.MinWeight, out.MaxWeight = math.Min(out.MinWeight, x), math.Max(out.MaxWeight, x)
	}
	if len(cells) == 0 {
		out.MinWeight = 0
	}
	out.Effective = Kish(sum, sq)
	return out
}

// categoryJoins joins, for each weighting variable j, the category of the
// response r as v<j>; the variable keys are parameters.
func categoryJoins(vars []Variable) (joins string, cols []string, args []any) {
	return categoryJoinsOn(vars, "r.id", "r.survey_id")
}

// categoryJoinsOn is categoryJoins for the response whose id and survey id
// are the given expressions.
func categoryJoinsOn(vars []Variable, id, survey string) (joins string, cols []string, args []any) {
	var b strings.Builder
	for j, v := range vars {
		alias := "v" + strconv.Itoa(j)
		if v.Kind == KindQuestion {
			fmt.Fprintf(&b, " LEFT JOIN response_answers %[1]s ON %[1]s.survey_id = %[2]s AND %[1]s.response_id = %[3]s AND %[1]s.question_key = ? AND %[1]s.seq = 0", alias, survey, id)
			cols = append(cols, "COALESCE("+alias+".option_key, '')")
		} else {
			fmt.Fprintf(&b, " LEFT JOIN response_attributes %[1]s ON %[1]s.response_id = %[2]s AND %[1]s.field = ?", alias, id)
			cols = append(cols, "COALESCE("+alias+".value, '')")
		}
		args = append(args, v.Key)
	}
	return b.String(), cols, args
}

// cells counts the survey's responses per combination of categories.
func (s *Store) cells(ctx context.Context, surveyID string, vars []Variable) ([]Cell, error) {
	joins, cols, args := categoryJoins(vars)
	var sel, group []string
	for j, c := range cols {
		sel = append(sel, c+" AS c"+strconv.Itoa(j))
		group = append(group, c)
	}
	q := "SELECT " + strings.Join(sel, ", ") + ", COUNT(*) AS n FROM responses r" + joins +
		" WHERE r.survey_id = ? GROUP BY " + strings.Join(group, ", ")
	var out []Cell
	err := s.read(ctx, func(db *gorm.DB) error {
		rows, err := db.Raw(q, append(args, surveyID)...).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			cats := make([]string, len(vars))
			dest := make([]any, len(vars)+1)
			for j := range cats {
				dest[j] = &cats[j]
			}
			var n int64
			dest[len(vars)] = &n
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			out = append(out, Cell{Cats: cats, N: float64(n)})
		}
		return rows.Err()
	})
	return out, err
}

// weightCTE is a WITH entry "wcells(c0, …, weight)" listing each cell's
// weight, and the join that gives each response r its weight as wc.weight.
func (w *Weigher) weightCTE() (cte string, ctArgs []any, joins string, joinArgs []any) {
	joins, cols, joinArgs := categoryJoins(w.Variables)
	names := make([]string, len(w.Variables))
	on := make([]string, len(w.Variables))
	for j := range w.Variables {
		names[j] = "c" + strconv.Itoa(j)
		on[j] = "wc." + names[j] + " = " + cols[j]
	}
	var values []string
	for i, c := range w.Cells {
		ph := make([]string, len(c.Cats))
		for j, cat := range c.Cats {
			ph[j] = "CAST(? AS TEXT)"
			ctArgs = append(ctArgs, cat)
		}
		// The weight is our own float, written as a literal; everything
		// from outside goes in as a parameter.
		values = append(values, "("+strings.Join(ph, ", ")+", CAST("+strconv.FormatFloat(w.Result.Weights[i], 'g', -1, 64)+" AS DOUBLE PRECISION))")
	}
	cte = "wcells(" + strings.Join(names, ", ") + ", weight) AS (VALUES " + strings.Join(values, ", ") + ")"
	joins += " LEFT JOIN wcells wc ON " + strings.Join(on, " AND ")
	return cte, ctArgs, joins, joinArgs
}

// Warnings says, in l's language, what staff should know about the
// weights: categories nobody in the sample stands for, respondents without
// a value, weights at the cap, margins not met.
func (w *Weigher) Warnings(l interface{ T(string, ...any) string }) []string {
	var out []string
	r := w.Result
	for _, e := range r.Empty {
		out = append(out, l.T("results.warn_empty", "Variable", w.Variables[e.Variable].Key, "Category", e.Category))
	}
	for j, n := range r.Missing {
		if n > 0 {
			out = append(out, l.T("results.warn_missing", "Variable", w.Variables[j].Key, "N", int64(n)))
		}
	}
	if r.Capped > 0 {
		out = append(out, l.T("results.warn_capped", "N", int64(r.Capped), "Cap", w.Cap))
	}
	if !r.Converged {
		out = append(out, l.T("results.warn_not_converged", "Iterations", r.Iterations, "Gap", strconv.FormatFloat(100*r.MaxGap, 'f', 2, 64)))
	}
	if len(w.Cells) == 0 {
		out = append(out, l.T("results.warn_no_responses"))
	}
	return out
}
