package results

import (
	"strings"

	"github.com/inspraak/inspraak/app/textcheck"
	"gorm.io/gorm"
)

// scope is the set of responses a results request covers: the survey,
// narrowed by a filter, each with its weight when weighted.
type scope struct {
	surveyID string
	filter   Filter
	weigher  *Weigher // nil: unweighted
}

// plain tells whether the scope is every response, unweighted, so answers
// can be aggregated straight from their index without a join.
func (sc scope) plain() bool { return sc.filter.Empty() && sc.weigher == nil }

// with returns the WITH clause defining "base(id, weight)" and its args.
func (sc scope) with() (string, []any) {
	var ctes []string
	var args []any
	joins := ""
	weight := "CAST(1 AS DOUBLE PRECISION)"
	if sc.weigher != nil {
		cte, cteArgs, j, jArgs := sc.weigher.weightCTE()
		ctes = append(ctes, cte)
		args = append(args, cteArgs...)
		joins = j
		args = append(args, jArgs...)
		weight = "COALESCE(wc.weight, CAST(1 AS DOUBLE PRECISION))"
	}
	where := []string{"r.survey_id = ?"}
	args = append(args, sc.surveyID)
	f := sc.filter
	if f.Channel != "" {
		where = append(where, "r.channel = ?")
		args = append(args, f.Channel)
	}
	if f.From != "" {
		where = append(where, "r.submitted_on >= ?")
		args = append(args, f.From)
	}
	if f.To != "" {
		where = append(where, "r.submitted_on <= ?")
		args = append(args, f.To)
	}
	for _, c := range f.Answers {
		where = append(where, "EXISTS (SELECT 1 FROM response_answers fa WHERE fa.response_id = r.id AND fa.question_key = ? AND fa.option_key = ?)")
		args = append(args, c.Key, c.Value)
	}
	for _, c := range f.Profile {
		where = append(where, "EXISTS (SELECT 1 FROM response_attributes fp WHERE fp.response_id = r.id AND fp.field = ? AND fp.value = ?)")
		args = append(args, c.Key, c.Value)
	}
	ctes = append(ctes, "base AS (SELECT r.id AS id, "+weight+" AS weight FROM responses r"+joins+" WHERE "+strings.Join(where, " AND ")+")")
	return "WITH " + strings.Join(ctes, ", ") + " ", args
}

// totals is a count with its weighted sums.
type totals struct {
	N     int64
	W, W2 float64
}

// responses counts the responses in scope.
func (sc scope) responses(db *gorm.DB) (totals, error) {
	var t totals
	if sc.plain() {
		err := db.Raw("SELECT COUNT(*) AS n FROM responses WHERE survey_id = ?", sc.surveyID).Scan(&t).Error
		t.W, t.W2 = float64(t.N), float64(t.N)
		return t, err
	}
	with, args := sc.with()
	err := db.Raw(with+"SELECT COUNT(*) AS n, COALESCE(SUM(weight), 0) AS w, COALESCE(SUM(weight * weight), 0) AS w2 FROM base", args...).Scan(&t).Error
	return t, err
}

// aggRow is one group of answers: a question, matrix row, option and
// number, with its counts and (when weighted) weighted sums.
type aggRow struct {
	QuestionKey string
	RowKey      string
	OptionKey   string
	Number      *float64
	N           int64   // answer rows
	First       int64   // rows with seq 0: one per respondent who answered (not matrix)
	Top         int64   // ranking: ranked first
	RankSum     int64   // ranking: sum of ranks
	Texts       int64   // rows with a text ("other" or a text answer)
	W, W2       float64 // weighted N and its squares
	WFirst      float64
	W2First     float64
	WTop        float64
	WRank       float64
}

// answers aggregates every answer of the survey in scope in one pass.
func (sc scope) answers(db *gorm.DB) ([]aggRow, error) {
	cols := `a.question_key AS question_key, a.row_key AS row_key, a.option_key AS option_key, a.number AS number,
		COUNT(*) AS n, SUM(CASE WHEN a.seq = 0 THEN 1 ELSE 0 END) AS first,
		SUM(CASE WHEN a.rank = 1 THEN 1 ELSE 0 END) AS top, SUM(a.rank) AS rank_sum,
		SUM(CASE WHEN a.text <> '' THEN 1 ELSE 0 END) AS texts`
	group := " WHERE a.survey_id = ? GROUP BY a.question_key, a.row_key, a.option_key, a.number"
	var out []aggRow
	if sc.plain() {
		err := db.Raw("SELECT "+cols+" FROM response_answers a"+group, sc.surveyID).Scan(&out).Error
		for i := range out {
			r := &out[i]
			r.W, r.W2, r.WFirst, r.W2First, r.WTop, r.WRank = float64(r.N), float64(r.N), float64(r.First), float64(r.First), float64(r.Top), float64(r.RankSum)
		}
		return out, err
	}
	cols += `, SUM(b.weight) AS w, SUM(b.weight * b.weight) AS w2,
		SUM(CASE WHEN a.seq = 0 THEN b.weight ELSE 0 END) AS w_first,
		SUM(CASE WHEN a.seq = 0 THEN b.weight * b.weight ELSE 0 END) AS w2_first,
		SUM(CASE WHEN a.rank = 1 THEN b.weight ELSE 0 END) AS w_top, SUM(a.rank * b.weight) AS w_rank`
	with, args := sc.with()
	err := db.Raw(with+"SELECT "+cols+" FROM response_answers a JOIN base b ON b.id = a.response_id"+group, append(args, sc.surveyID)...).Scan(&out).Error
	return out, err
}

// answeredMatrix counts the respondents who answered any row of each of
// the given matrix questions (a row each is counted by answers).
func (sc scope) answeredMatrix(db *gorm.DB, keys []string) (map[string]totals, error) {
	out := map[string]totals{}
	if len(keys) == 0 {
		return out, nil
	}
	var rows []struct {
		QuestionKey string
		N           int64
		W, W2       float64
	}
	inner := "(SELECT DISTINCT question_key, response_id FROM response_answers WHERE survey_id = ? AND question_key IN ?) m"
	var err error
	if sc.plain() {
		err = db.Raw("SELECT m.question_key AS question_key, COUNT(*) AS n, COUNT(*) AS w, COUNT(*) AS w2 FROM "+inner+" GROUP BY m.question_key", sc.surveyID, keys).Scan(&rows).Error
	} else {
		with, args := sc.with()
		err = db.Raw(with+"SELECT m.question_key AS question_key, COUNT(*) AS n, SUM(b.weight) AS w, SUM(b.weight * b.weight) AS w2 FROM "+inner+
			" JOIN base b ON b.id = m.response_id GROUP BY m.question_key", append(args, sc.surveyID, keys)...).Scan(&rows).Error
	}
	for _, r := range rows {
		out[r.QuestionKey] = totals{N: r.N, W: r.W, W2: r.W2}
	}
	return out, err
}

// TextAnswer is one free-text answer (or "other, please specify").
type TextAnswer struct {
	Text        string
	OptionKey   string
	SubmittedOn string
}

// texts lists a question's text answers in scope, newest day first,
// matching search when given.
func (sc scope) texts(db *gorm.DB, question, search string, limit, offset int) ([]TextAnswer, int64, error) {
	with, args := sc.with()
	where := " FROM response_answers a JOIN base b ON b.id = a.response_id JOIN responses r ON r.id = a.response_id WHERE a.survey_id = ? AND a.question_key = ? AND a.text <> ''"
	args = append(args, sc.surveyID, question)
	if search != "" {
		where += ` AND LOWER(a.text) LIKE ? ESCAPE '\'`
		args = append(args, textcheck.LikePattern(search))
	}
	var n int64
	if err := db.Raw(with+"SELECT COUNT(*)"+where, args...).Scan(&n).Error; err != nil {
		return nil, 0, err
	}
	var out []TextAnswer
	err := db.Raw(with+"SELECT a.text AS text, a.option_key AS option_key, r.submitted_on AS submitted_on"+where+
		" ORDER BY r.submitted_on DESC, a.response_id LIMIT ? OFFSET ?", append(args, limit, offset)...).Scan(&out).Error
	return out, n, err
}

// crossRow is one cell of a cross-tab.
type crossRow struct {
	RowKey, ColKey string
	N              int64
	W, W2          float64
}

// cross counts respondents by their answers to two single-choice
// questions.
func (sc scope) cross(db *gorm.DB, rowQ, colQ string) ([]crossRow, error) {
	with, args := sc.with()
	var out []crossRow
	err := db.Raw(with+`SELECT x.option_key AS row_key, y.option_key AS col_key, COUNT(*) AS n, SUM(b.weight) AS w, SUM(b.weight * b.weight) AS w2
		FROM response_answers x
		JOIN response_answers y ON y.response_id = x.response_id AND y.question_key = ? AND y.seq = 0
		JOIN base b ON b.id = x.response_id
		WHERE x.survey_id = ? AND x.question_key = ? AND x.seq = 0
		GROUP BY x.option_key, y.option_key`, append(args, colQ, sc.surveyID, rowQ)...).Scan(&out).Error
	return out, err
}
