package results

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
	"gorm.io/gorm"
)

// TextsPerPage is how many free-text answers a page lists.
const TextsPerPage = 50

// maxSearch bounds a search in free-text answers.
const maxSearch = 200

// TextPage is one page of a question's free-text answers.
type TextPage struct {
	Question surveys.Question
	Answers  []TextAnswer
	Total    int64
	Page     int
	Pages    int
}

// Texts lists question's free-text answers (or "other" texts) in scope.
func (s *Store) Texts(ctx context.Context, sv *models.Survey, f Filter, question, search string, page int) (*TextPage, error) {
	def, err := s.surveys.Definition(sv)
	if err != nil {
		return nil, err
	}
	q, ok := def.Question(question)
	if !ok || !(q.Type == surveys.Text || q.Type == surveys.LongText || q.AllowOther) {
		return nil, apperr.ErrNotFound
	}
	search = strings.TrimSpace(search)
	if utf8.RuneCountInString(search) > maxSearch {
		return nil, apperr.Invalid("q", "validation.too_long")
	}
	page = max(page, 1)
	var answers []TextAnswer
	var total int64
	err = s.read(ctx, func(db *gorm.DB) (err error) {
		answers, total, err = scope{surveyID: sv.ID, filter: f}.texts(db, question, search, TextsPerPage, (page-1)*TextsPerPage)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &TextPage{Question: q, Answers: answers, Total: total, Page: page, Pages: int((total + TextsPerPage - 1) / TextsPerPage)}, nil
}

// CrossTab counts respondents by two single-choice questions; row
// percentages are of the row's respondents.
type CrossTab struct {
	Row, Col surveys.Question
	RowKeys  []string
	ColKeys  []string
	Cells    map[string]map[string]Estimate // row -> col -> share of the row
	WCells   map[string]map[string]*Estimate
	RowTotal map[string]int64
	ColTotal map[string]int64
	Total    int64
	Weighted bool
}

// CrossTab works out the cross-tab of two single-choice questions.
func (s *Store) CrossTab(ctx context.Context, sv *models.Survey, f Filter, rowQ, colQ string, weighted bool) (*CrossTab, error) {
	def, err := s.surveys.Definition(sv)
	if err != nil {
		return nil, err
	}
	v := &apperr.Validation{}
	rq, ok := def.Question(rowQ)
	if !ok || rq.Type != surveys.Single {
		v.Add("rows", "results.crosstab_single")
	}
	cq, ok := def.Question(colQ)
	if !ok || cq.Type != surveys.Single {
		v.Add("cols", "results.crosstab_single")
	}
	if rowQ == colQ {
		v.Add("cols", "results.crosstab_same")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sc, _, err := s.scope(ctx, sv, f, weighted)
	if err != nil {
		return nil, err
	}
	ct := &CrossTab{Row: rq, Col: cq, RowKeys: optionKeys(rq), ColKeys: optionKeys(cq), Weighted: weighted,
		Cells: map[string]map[string]Estimate{}, WCells: map[string]map[string]*Estimate{},
		RowTotal: map[string]int64{}, ColTotal: map[string]int64{}}
	var rows []crossRow
	err = s.read(ctx, func(db *gorm.DB) (err error) {
		rows, err = sc.cross(db, rowQ, colQ)
		return err
	})
	if err != nil {
		return nil, err
	}
	rowW := map[string]totals{}
	for _, r := range rows {
		ct.RowTotal[r.RowKey] += r.N
		ct.ColTotal[r.ColKey] += r.N
		ct.Total += r.N
		t := rowW[r.RowKey]
		t.N += r.N
		t.W += r.W
		t.W2 += r.W2
		rowW[r.RowKey] = t
	}
	for _, rk := range ct.RowKeys {
		ct.Cells[rk] = map[string]Estimate{}
		ct.WCells[rk] = map[string]*Estimate{}
		for _, ck := range ct.ColKeys {
			var cell crossRow
			for _, r := range rows {
				if r.RowKey == rk && r.ColKey == ck {
					cell = r
				}
			}
			ct.Cells[rk][ck] = estimate(cell.N, ct.RowTotal[rk])
			if ct.Weighted {
				ct.WCells[rk][ck] = weightedEstimate(cell.N, cell.W, rowW[rk])
			}
		}
	}
	return ct, nil
}
