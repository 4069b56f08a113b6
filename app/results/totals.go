package results

import (
	"context"

	"gorm.io/gorm"
)

// foldAt is how many new responses make a results request first add them
// to the running totals (PostgreSQL). Fewer are simply counted afresh.
const foldAt = 200

// aggCols are the sums the results query takes over answer rows; the
// running totals keep the same sums.
const aggCols = `COUNT(*) AS n, SUM(CASE WHEN a.seq = 0 THEN 1 ELSE 0 END) AS first,
		SUM(CASE WHEN a.rank = 1 THEN 1 ELSE 0 END) AS top, SUM(a.rank) AS rank_sum,
		SUM(CASE WHEN a.text <> '' THEN 1 ELSE 0 END) AS texts`

// usesTotals tells whether the running totals serve this database.
func usesTotals(db *gorm.DB) bool { return db.Dialector.Name() == "postgres" }

// fold adds the answers of responses not yet counted to the survey's
// running totals, in one statement: the UPDATE that marks them returns
// exactly the responses it marked, so a response is added once even when
// two requests fold at the same time (the second waits for the first's
// row locks, then finds them marked and skips them).
func (s *Store) fold(ctx context.Context, surveyID string, matrices []string) error {
	db := s.db.WithContext(ctx)
	if err := db.Exec("INSERT INTO survey_totals (survey_id, responses) VALUES (?, 0) ON CONFLICT (survey_id) DO NOTHING", surveyID).Error; err != nil {
		return err
	}
	return db.Exec(`WITH f AS (
			UPDATE responses SET folded = TRUE WHERE survey_id = @survey AND NOT folded RETURNING id
		), answers AS (
			INSERT INTO answer_totals (survey_id, kind, question_key, row_key, option_key, has_number, number, n, first, top, rank_sum, texts)
			SELECT @survey, 'answers', a.question_key, a.row_key, a.option_key, a.number IS NOT NULL, COALESCE(a.number, 0), `+aggCols+`
			FROM response_answers a JOIN f ON f.id = a.response_id
			WHERE a.survey_id = @survey
			GROUP BY a.question_key, a.row_key, a.option_key, a.number IS NOT NULL, COALESCE(a.number, 0)
			ON CONFLICT (survey_id, kind, question_key, row_key, option_key, has_number, number) DO UPDATE SET
				n = answer_totals.n + EXCLUDED.n, first = answer_totals.first + EXCLUDED.first, top = answer_totals.top + EXCLUDED.top,
				rank_sum = answer_totals.rank_sum + EXCLUDED.rank_sum, texts = answer_totals.texts + EXCLUDED.texts
		), respondents AS (
			INSERT INTO answer_totals (survey_id, kind, question_key, row_key, option_key, has_number, number, n, first, top, rank_sum, texts)
			SELECT @survey, 'respondents', a.question_key, '', '', FALSE, 0, COUNT(DISTINCT a.response_id), 0, 0, 0, 0
			FROM response_answers a JOIN f ON f.id = a.response_id
			WHERE a.survey_id = @survey AND a.question_key IN @matrices
			GROUP BY a.question_key
			ON CONFLICT (survey_id, kind, question_key, row_key, option_key, has_number, number) DO UPDATE SET n = answer_totals.n + EXCLUDED.n
		)
		-- Statements in WITH that change data run once, to completion,
		-- whether or not the main statement reads them.
		UPDATE survey_totals SET responses = responses + (SELECT COUNT(*) FROM f) WHERE survey_id = @survey`,
		map[string]any{"survey": surveyID, "matrices": matrices}).Error
}

// unfold forgets the running totals, so they are built again from all
// responses (when they no longer match, e.g. a counted response was
// deleted).
func (s *Store) unfold(ctx context.Context, surveyID string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, q := range []string{
			"DELETE FROM answer_totals WHERE survey_id = ?",
			"DELETE FROM survey_totals WHERE survey_id = ?",
			"UPDATE responses SET folded = FALSE WHERE survey_id = ? AND folded",
		} {
			if err := tx.Exec(q, surveyID).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// fromTotals reads the results of every response, unweighted: the running
// totals plus the responses not yet folded, in the read transaction's one
// snapshot. ok is false when the totals do not match the responses they
// claim to count; the caller then counts afresh.
func (s *Store) fromTotals(db *gorm.DB, surveyID string, matrices []string) (rows []aggRow, matrix map[string]totals, responses int64, ok bool, err error) {
	var counted struct{ Totals, Folded, Unfolded int64 }
	err = db.Raw(`SELECT COALESCE((SELECT responses FROM survey_totals WHERE survey_id = @s), 0) AS totals,
		(SELECT COUNT(*) FROM responses WHERE survey_id = @s AND folded) AS folded,
		(SELECT COUNT(*) FROM responses WHERE survey_id = @s AND NOT folded) AS unfolded`, map[string]any{"s": surveyID}).Scan(&counted).Error
	if err != nil || counted.Totals != counted.Folded {
		return nil, nil, 0, false, err
	}
	var stored []struct {
		Kind, QuestionKey, RowKey, OptionKey string
		HasNumber                            bool
		Num                                  float64
		N, First, Top, RankSum, Texts        int64
	}
	err = db.Raw(`SELECT kind, question_key, row_key, option_key, has_number, number AS num, n, first, top, rank_sum, texts
		FROM answer_totals WHERE survey_id = ?`, surveyID).Scan(&stored).Error
	if err != nil {
		return nil, nil, 0, false, err
	}
	var fresh []aggRow
	if counted.Unfolded > 0 {
		err = db.Raw(`SELECT a.question_key AS question_key, a.row_key AS row_key, a.option_key AS option_key, a.number AS number, `+aggCols+`
			FROM responses r JOIN response_answers a ON a.response_id = r.id
			WHERE r.survey_id = ? AND NOT r.folded
			GROUP BY a.question_key, a.row_key, a.option_key, a.number`, surveyID).Scan(&fresh).Error
		if err != nil {
			return nil, nil, 0, false, err
		}
	}
	matrix = map[string]totals{}
	type key struct {
		q, r, o string
		has     bool
		num     float64
	}
	merged := map[key]*aggRow{}
	add := func(k key, r aggRow) {
		m, ok := merged[k]
		if !ok {
			r.Number = nil
			if k.has {
				r.Number = &k.num
			}
			merged[k] = &r
			return
		}
		m.N, m.First, m.Top, m.RankSum, m.Texts = m.N+r.N, m.First+r.First, m.Top+r.Top, m.RankSum+r.RankSum, m.Texts+r.Texts
	}
	for _, st := range stored {
		if st.Kind == "respondents" {
			t := matrix[st.QuestionKey]
			t.N += st.N
			matrix[st.QuestionKey] = t
			continue
		}
		add(key{st.QuestionKey, st.RowKey, st.OptionKey, st.HasNumber, st.Num},
			aggRow{QuestionKey: st.QuestionKey, RowKey: st.RowKey, OptionKey: st.OptionKey, N: st.N, First: st.First, Top: st.Top, RankSum: st.RankSum, Texts: st.Texts})
	}
	for _, r := range fresh {
		k := key{q: r.QuestionKey, r: r.RowKey, o: r.OptionKey}
		if r.Number != nil {
			k.has, k.num = true, *r.Number
		}
		add(k, r)
	}
	if counted.Unfolded > 0 && len(matrices) > 0 {
		var extra []struct {
			QuestionKey string
			N           int64
		}
		err = db.Raw(`SELECT a.question_key AS question_key, COUNT(DISTINCT a.response_id) AS n
			FROM responses r JOIN response_answers a ON a.response_id = r.id
			WHERE r.survey_id = ? AND NOT r.folded AND a.question_key IN ? GROUP BY a.question_key`, surveyID, matrices).Scan(&extra).Error
		if err != nil {
			return nil, nil, 0, false, err
		}
		for _, e := range extra {
			t := matrix[e.QuestionKey]
			t.N += e.N
			matrix[e.QuestionKey] = t
		}
	}
	for k, t := range matrix {
		t.W, t.W2 = float64(t.N), float64(t.N)
		matrix[k] = t
	}
	rows = make([]aggRow, 0, len(merged))
	for _, r := range merged {
		r.W, r.W2, r.WFirst, r.W2First, r.WTop, r.WRank = float64(r.N), float64(r.N), float64(r.First), float64(r.First), float64(r.Top), float64(r.RankSum)
		rows = append(rows, *r)
	}
	return rows, matrix, counted.Totals + counted.Unfolded, true, nil
}

// unfoldedCount is how many of the survey's responses are not yet in its
// running totals.
func (s *Store) unfoldedCount(ctx context.Context, surveyID string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM responses WHERE survey_id = ? AND NOT folded", surveyID).Scan(&n).Error
	return n, err
}
