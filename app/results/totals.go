package results

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

// defaultFoldAt is how many new responses make a results request first
// add them to the running totals (PostgreSQL). Fewer are counted afresh.
const defaultFoldAt = 200

// maxFresh is the most new responses the running totals are topped up
// with by id; with more (say, right after the totals were reset) the
// results are counted afresh.
const maxFresh = 5 * defaultFoldAt

// aggCols are the sums the results query takes over answer rows; the
// running totals keep the same sums.
const aggCols = `COUNT(*) AS n, SUM(CASE WHEN a.seq = 0 THEN 1 ELSE 0 END) AS first,
		SUM(CASE WHEN a.rank = 1 THEN 1 ELSE 0 END) AS top, SUM(a.rank) AS rank_sum,
		SUM(CASE WHEN a.text <> '' THEN 1 ELSE 0 END) AS texts`

const totalsConflict = `ON CONFLICT (survey_id, cell, kind, question_key, row_key, option_key, has_number, number) DO UPDATE SET
		n = answer_totals.n + EXCLUDED.n, first = answer_totals.first + EXCLUDED.first, top = answer_totals.top + EXCLUDED.top,
		rank_sum = answer_totals.rank_sum + EXCLUDED.rank_sum, texts = answer_totals.texts + EXCLUDED.texts`

// usesTotals tells whether the running totals serve this database.
func usesTotals(db *gorm.DB) bool { return db.Dialector.Name() == "postgres" }

// foldBatch is how many responses one fold transaction adds at most.
const foldBatch = 5000

// fold adds the answers of responses not yet counted to the survey's
// running totals, split by weighting cell (vars: the survey's weighting
// variables, none when it is not weighted), a batch per transaction.
func (s *Store) fold(ctx context.Context, surveyID string, vars []Variable) error {
	for {
		n, err := s.foldOnce(ctx, surveyID, vars)
		if err != nil || n < foldBatch {
			return err
		}
	}
}

// foldBulk folds a large backlog (a survey's first fold) in one
// statement: a hash join over all its answers beats looking up a hundred
// thousand responses by id.
func (s *Store) foldBulk(ctx context.Context, surveyID string, vars []Variable) error {
	_, err := s.foldWhere(ctx, surveyID, vars, nil)
	return err
}

// foldOnce folds one batch and says how many responses it held. Folds of
// one survey take turns on its survey_totals row; the statement that marks
// responses returns exactly those it marked, so each response is added
// once. Totals split by other variables than vars are dropped and built
// again. The batch is named by id, so the planner looks answers up by key
// even while its statistics still count most responses as new.
func (s *Store) foldOnce(ctx context.Context, surveyID string, vars []Variable) (int, error) {
	return s.foldWhere(ctx, surveyID, vars, func(tx *gorm.DB) ([]string, error) {
		var ids []string
		err := tx.Raw("SELECT id FROM responses WHERE survey_id = ? AND NOT folded LIMIT ?", surveyID, foldBatch).Scan(&ids).Error
		return ids, err
	})
}

// foldWhere folds, in one transaction, the responses pick names (all of
// the survey's new responses when pick is nil) and says how many it named.
func (s *Store) foldWhere(ctx context.Context, surveyID string, vars []Variable, pick func(tx *gorm.DB) ([]string, error)) (int, error) {
	var ids []string
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("INSERT INTO survey_totals (survey_id, split_by, responses) VALUES (?, ?, 0) ON CONFLICT (survey_id) DO NOTHING", surveyID, splitBy(vars)).Error; err != nil {
			return err
		}
		var st models.SurveyTotals
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("survey_id = ?", surveyID).Take(&st).Error; err != nil {
			return err
		}
		if st.SplitBy != splitBy(vars) {
			// Split by other variables: start again. Only the reset is
			// done here; building the totals anew is a bulk job for the
			// background fold (meanwhile results are counted afresh).
			return resetTotals(tx, surveyID, splitBy(vars))
		}
		marked := "survey_id = ? AND NOT folded"
		var args []any
		if pick != nil {
			var err error
			if ids, err = pick(tx); err != nil || len(ids) == 0 {
				return err
			}
			marked = "id IN (?) AND NOT folded"
			args = append(args, ids)
		} else {
			args = append(args, surveyID)
		}
		joins, cols, jargs := categoryJoinsOn(vars, "f.id", "f.survey_id")
		args = append(args, jargs...)           // fc
		args = append(args, surveyID, surveyID) // answers
		args = append(args, surveyID)           // responses
		args = append(args, surveyID, surveyID) // respondents
		args = append(args, surveyID)
		return tx.Exec(`WITH f AS (
				UPDATE responses SET folded = TRUE WHERE `+marked+` RETURNING id, survey_id
			), fc AS (
				SELECT f.id AS id, `+cellExpr(cols)+` AS cell FROM f`+joins+`
			), answers AS (
				INSERT INTO answer_totals (survey_id, cell, kind, question_key, row_key, option_key, has_number, number, n, first, top, rank_sum, texts)
				SELECT ?, fc.cell, 'answers', a.question_key, a.row_key, a.option_key, a.number IS NOT NULL, COALESCE(a.number, 0), `+aggCols+`
				FROM response_answers a JOIN fc ON fc.id = a.response_id
				WHERE a.survey_id = ?
				GROUP BY fc.cell, a.question_key, a.row_key, a.option_key, a.number IS NOT NULL, COALESCE(a.number, 0)
				`+totalsConflict+`
			), responses AS (
				INSERT INTO answer_totals (survey_id, cell, kind, question_key, row_key, option_key, has_number, number, n, first, top, rank_sum, texts)
				SELECT ?, fc.cell, 'responses', '', '', '', FALSE, 0, COUNT(*), 0, 0, 0, 0 FROM fc GROUP BY fc.cell
				`+totalsConflict+`
			), respondents AS (
				INSERT INTO answer_totals (survey_id, cell, kind, question_key, row_key, option_key, has_number, number, n, first, top, rank_sum, texts)
				SELECT ?, fc.cell, 'respondents', a.question_key, '', '', FALSE, 0, COUNT(DISTINCT a.response_id), 0, 0, 0, 0
				FROM response_answers a JOIN fc ON fc.id = a.response_id
				WHERE a.survey_id = ? AND a.row_key <> ''
				-- only matrix answers have rows: counted whatever the
				-- definition said when the fold began
				GROUP BY fc.cell, a.question_key
				`+totalsConflict+`
			)
			-- Statements in WITH that change data run once, to completion,
			-- whether or not the main statement reads them.
			UPDATE survey_totals SET responses = responses + (SELECT COUNT(*) FROM f) WHERE survey_id = ?`, args...).Error
	})
	return len(ids), err
}

// resetTotals forgets a survey's running totals, so they are built again.
func resetTotals(tx *gorm.DB, surveyID, split string) error {
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM answer_totals WHERE survey_id = ?", []any{surveyID}},
		{"UPDATE survey_totals SET responses = 0, split_by = ? WHERE survey_id = ?", []any{split, surveyID}},
		{"UPDATE responses SET folded = FALSE WHERE survey_id = ? AND folded", []any{surveyID}},
	} {
		if err := tx.Exec(q.sql, q.args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// unfold drops the running totals (when they no longer match the
// responses, e.g. a counted response was deleted).
func (s *Store) unfold(ctx context.Context, surveyID string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var st models.SurveyTotals
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("survey_id = ?", surveyID).Take(&st).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return resetTotals(tx, surveyID, st.SplitBy)
	})
}

// cellRow is a totals row: sums for one group in one weighting cell.
type cellRow struct {
	Cell, Kind, QuestionKey, RowKey, OptionKey string
	HasNumber                                  bool
	Num                                        float64
	N, First, Top, RankSum, Texts              int64
}

// totalsCells reads the sums of every response per weighting cell: the
// running totals plus the responses not yet folded, in the read
// transaction's snapshot. ok is false when the totals cannot serve: split
// by other variables than vars, not matching the responses they claim to
// count (stale), or too many responses not yet in them.
func (s *Store) totalsCells(db *gorm.DB, surveyID string, vars []Variable) (cells []cellRow, ok, stale bool, err error) {
	var counted struct {
		SplitBy                  string
		Totals, Folded, Unfolded int64
	}
	err = db.Raw(`SELECT COALESCE((SELECT split_by FROM survey_totals WHERE survey_id = @s), '') AS split_by,
		COALESCE((SELECT responses FROM survey_totals WHERE survey_id = @s), 0) AS totals,
		(SELECT COUNT(*) FROM responses WHERE survey_id = @s AND folded) AS folded,
		(SELECT COUNT(*) FROM responses WHERE survey_id = @s AND NOT folded) AS unfolded`, map[string]any{"s": surveyID}).Scan(&counted).Error
	if err != nil {
		return nil, false, false, err
	}
	if counted.Totals != counted.Folded || (counted.Folded > 0 && counted.SplitBy != splitBy(vars)) {
		return nil, false, true, nil
	}
	err = db.Raw(`SELECT cell, kind, question_key, row_key, option_key, has_number, number AS num, n, first, top, rank_sum, texts
		FROM answer_totals WHERE survey_id = ?`, surveyID).Scan(&cells).Error
	if err != nil {
		return nil, false, false, err
	}
	if counted.Unfolded > maxFresh {
		return nil, false, false, nil
	}
	if counted.Unfolded > 0 {
		// The few new responses are named by id, so the planner looks
		// their answers up by key even when its statistics still think
		// most responses are new (as they were before the first fold).
		var ids []string
		if err = db.Raw("SELECT id FROM responses WHERE survey_id = ? AND NOT folded", surveyID).Scan(&ids).Error; err != nil {
			return nil, false, false, err
		}
		joins, cols, jargs := categoryJoins(vars)
		fresh := "(SELECT r.id AS id, " + cellExpr(cols) + " AS cell FROM responses r" + joins + " WHERE r.id IN (?)) u"
		args := append(append([]any{}, jargs...), ids)
		var more []cellRow
		err = db.Raw(`SELECT u.cell AS cell, 'answers' AS kind, a.question_key AS question_key, a.row_key AS row_key, a.option_key AS option_key,
				a.number IS NOT NULL AS has_number, COALESCE(a.number, 0) AS num, `+aggCols+`
			FROM `+fresh+` JOIN response_answers a ON a.response_id = u.id
			GROUP BY u.cell, a.question_key, a.row_key, a.option_key, a.number IS NOT NULL, COALESCE(a.number, 0)
			UNION ALL
			SELECT u.cell, 'responses', '', '', '', FALSE, 0, COUNT(*), 0, 0, 0, 0 FROM `+fresh+` GROUP BY u.cell`,
			append(args, args...)...).Scan(&more).Error
		if err != nil {
			return nil, false, false, err
		}
		cells = append(cells, more...)
		{
			var resp []cellRow
			err = db.Raw(`SELECT u.cell AS cell, 'respondents' AS kind, a.question_key AS question_key, COUNT(DISTINCT a.response_id) AS n
				FROM `+fresh+` JOIN response_answers a ON a.response_id = u.id
				WHERE a.row_key <> '' GROUP BY u.cell, a.question_key`, args...).Scan(&resp).Error
			if err != nil {
				return nil, false, false, err
			}
			cells = append(cells, resp...)
		}
	}
	return cells, true, false, nil
}

// cellCounts turns the 'responses' sums into raking cells.
func cellCounts(cells []cellRow, vars []Variable) []Cell {
	n := map[string]float64{}
	for _, c := range cells {
		if c.Kind == "responses" {
			n[c.Cell] += float64(c.N)
		}
	}
	out := make([]Cell, 0, len(n))
	for _, k := range sortedKeys(n) {
		cats := strings.Split(k, "\x1f")
		if len(cats) != len(vars) {
			cats = make([]string, len(vars)) // only without variables
		}
		out = append(out, Cell{Cats: cats, N: n[k]})
	}
	return out
}

// combineCells adds up the cells' sums per group, each cell's counts
// multiplied by its weight (every response in a cell has the same one).
func combineCells(cells []cellRow, w *Weigher) (rows []aggRow, matrix map[string]totals, all totals) {
	type key struct {
		q, r, o string
		has     bool
		num     float64
	}
	merged := map[key]*aggRow{}
	matrix = map[string]totals{}
	for _, c := range cells {
		x := 1.0
		if w != nil {
			if v, ok := w.byCell[c.Cell]; ok {
				x = v
			}
		}
		n := float64(c.N)
		switch c.Kind {
		case "responses":
			all.N += c.N
			all.W += n * x
			all.W2 += n * x * x
			continue
		case "respondents":
			t := matrix[c.QuestionKey]
			t.N += c.N
			t.W += n * x
			t.W2 += n * x * x
			matrix[c.QuestionKey] = t
			continue
		}
		k := key{c.QuestionKey, c.RowKey, c.OptionKey, c.HasNumber, c.Num}
		m := merged[k]
		if m == nil {
			m = &aggRow{QuestionKey: c.QuestionKey, RowKey: c.RowKey, OptionKey: c.OptionKey}
			if c.HasNumber {
				num := c.Num
				m.Number = &num
			}
			merged[k] = m
		}
		m.N, m.First, m.Top, m.RankSum, m.Texts = m.N+c.N, m.First+c.First, m.Top+c.Top, m.RankSum+c.RankSum, m.Texts+c.Texts
		m.W += n * x
		m.W2 += n * x * x
		m.WFirst += float64(c.First) * x
		m.W2First += float64(c.First) * x * x
		m.WTop += float64(c.Top) * x
		m.WRank += float64(c.RankSum) * x
	}
	rows = make([]aggRow, 0, len(merged))
	for _, r := range merged {
		rows = append(rows, *r)
	}
	return rows, matrix, all
}

// unfoldedCount is how many of the survey's responses are not yet in its
// running totals.
func (s *Store) unfoldedCount(ctx context.Context, surveyID string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM responses WHERE survey_id = ? AND NOT folded", surveyID).Scan(&n).Error
	return n, err
}

// FoldPending adds the new responses of every survey that has at least
// s.foldAt of them to its running totals, so that results stay quick even
// when nobody has looked for a while. It returns how many surveys it
// folded. Only PostgreSQL keeps totals.
func (s *Store) FoldPending(ctx context.Context) (int, error) {
	if !usesTotals(s.db) {
		return 0, nil
	}
	var ids []string
	err := s.db.WithContext(ctx).Raw("SELECT survey_id FROM responses WHERE NOT folded GROUP BY survey_id HAVING COUNT(*) >= ?", s.foldAt).Scan(&ids).Error
	if err != nil {
		return 0, err
	}
	// One survey that cannot be folded does not hold up the others.
	var errs []error
	folded := 0
	for _, id := range ids {
		if err := s.foldPending(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("survey %s: %w", id, err))
			continue
		}
		folded++
	}
	return folded, errors.Join(errs...)
}

// foldPending folds one survey's new responses, all at once when there is
// a large backlog.
func (s *Store) foldPending(ctx context.Context, id string) error {
	var vars []Variable
	w, err := s.Weighting(ctx, id)
	if err != nil {
		return err
	}
	if w != nil {
		vars = w.Variables
	}
	n, err := s.unfoldedCount(ctx, id)
	if err != nil {
		return err
	}
	if n > maxFresh {
		return s.foldBulk(ctx, id, vars)
	}
	return s.fold(ctx, id, vars)
}

// matrixKeys lists the keys of a definition's matrix questions.
func matrixKeys(def surveys.Definition) []string {
	var out []string
	for _, q := range def.Questions() {
		if q.Type == surveys.Matrix {
			out = append(out, q.Key)
		}
	}
	return out
}
