package results

import (
	"context"
	"database/sql"
	"time"

	"github.com/inspraak/inspraak/app/surveys"
)

// exportSQL reads a survey's responses with their answers in one pass,
// sorted by response id (random, so the order tells nothing) and, within a
// response, as the answers' primary key: both databases can walk their
// indexes in that order instead of sorting. A response without answers
// still gives one row (LEFT JOIN).
const exportSQL = `SELECT r.id, r.channel, r.submitted_on, r.submitted_at, 1 AS kind,
	a.question_key, a.seq, a.option_key, a.row_key, a.number, a.text, a.rank
FROM responses r LEFT JOIN response_answers a ON a.response_id = r.id
WHERE r.survey_id = ?
ORDER BY r.id, a.question_key, a.seq`

// exportWithAttributesSQL adds the profile values (kind 0, field in
// question_key, value in text) into the same sorted stream.
const exportWithAttributesSQL = `SELECT r.id, r.channel, r.submitted_on, r.submitted_at, 1 AS kind,
	a.question_key, a.seq, a.option_key, a.row_key, a.number, a.text, a.rank
FROM responses r LEFT JOIN response_answers a ON a.response_id = r.id
WHERE r.survey_id = ?
UNION ALL
SELECT r.id, r.channel, r.submitted_on, r.submitted_at, 0, t.field, 0, '', '', NULL, t.value, 0
FROM response_attributes t JOIN responses r ON r.id = t.response_id
WHERE r.survey_id = ?
ORDER BY 1, 5, 6, 7`

// attributeFields lists the profile fields stored with sv's responses.
func (s *Store) attributeFields(ctx context.Context, surveyID string) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT t.field FROM response_attributes t JOIN responses r ON r.id = t.response_id
		WHERE r.survey_id = ? ORDER BY t.field`, surveyID).Scan(&out).Error
	return out, err
}

// responseState is the response being assembled: what weighting needs.
type responseState struct {
	id      string
	singles map[string]string // single-choice answers: question -> option
	attrs   map[string]string // profile values: field -> value
}

// eachResponse reads the survey's responses through one database cursor
// and calls fn once per response, with cells filled in. Only the current
// response is held: memory does not grow with the number of responses.
func (s *Store) eachResponse(ctx context.Context, surveyID string, withAttrs bool, lay *layout, cells []cell, fn func(*responseState) error) error {
	q, args := exportSQL, []any{surveyID}
	if withAttrs {
		q, args = exportWithAttributesSQL, []any{surveyID, surveyID}
	}
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		id, channel, on, key, option, rowKey, text sql.RawBytes
		at                                         any
		kind                                       int64
		seq, rank                                  sql.NullInt64
		num                                        sql.NullFloat64
	)
	st := &responseState{singles: map[string]string{}, attrs: map[string]string{}}
	started := false
	for rows.Next() {
		if err := rows.Scan(&id, &channel, &on, &at, &kind, &key, &seq, &option, &rowKey, &num, &text, &rank); err != nil {
			return err
		}
		if !started || string(id) != st.id {
			if started {
				if err := fn(st); err != nil {
					return err
				}
			}
			started = true
			st.id = string(id)
			clear(st.singles)
			clear(st.attrs)
			clear(cells)
			cells[responseCol] = textCell(st.id)
			cells[channelCol] = textCell(string(channel))
			cells[dateCol] = cell{kind: cellDate, s: string(on)}
			if lay.timeCol >= 0 {
				if t := timeOf(at); t != "" {
					cells[lay.timeCol] = cell{kind: cellTime, s: t}
				}
			}
		}
		if key == nil { // a response without answers
			continue
		}
		if kind == 0 {
			f := string(key)
			if c, ok := lay.attrCol[f]; ok {
				st.attrs[f] = string(text)
				cells[c] = textCell(st.attrs[f])
			}
			continue
		}
		lay.put(cells, st, key, option, rowKey, num, text, rank)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if started {
		return fn(st)
	}
	return nil
}

// put places one answer row in cells.
func (lay *layout) put(cells []cell, st *responseState, key, option, rowKey sql.RawBytes, num sql.NullFloat64, text sql.RawBytes, rank sql.NullInt64) {
	sl := lay.questions[string(key)]
	if sl == nil {
		return // not in the questionnaire (any more)
	}
	label := func(opt sql.RawBytes) string {
		if s, ok := sl.labels[string(opt)]; ok {
			return s
		}
		return string(opt)
	}
	switch sl.q.Type {
	case surveys.Single:
		cells[sl.col] = textCell(label(option))
		k, ok := sl.keys[string(option)]
		if !ok {
			k = string(option)
		}
		st.singles[sl.q.Key] = k
		if k == surveys.OtherKey && sl.other >= 0 {
			cells[sl.other] = textCell(string(text))
		}
	case surveys.Multiple:
		// The first row of the question in this response: answered, so
		// every option not chosen is a 0, not a blank.
		if len(sl.cols) > 0 && cells[sl.cols[0]].kind == cellEmpty {
			for _, c := range sl.cols {
				cells[c] = numberCell(0)
			}
		}
		if c, ok := sl.opts[string(option)]; ok {
			cells[c] = numberCell(1)
		}
		if string(option) == surveys.OtherKey && sl.other >= 0 {
			cells[sl.other] = textCell(string(text))
		}
	case surveys.Ranking:
		if c, ok := sl.opts[string(option)]; ok && rank.Valid {
			cells[c] = numberCell(float64(rank.Int64))
		}
	case surveys.Matrix:
		if c, ok := sl.opts[string(rowKey)]; ok {
			cells[c] = textCell(label(option))
		}
	case surveys.Scale, surveys.Number:
		if num.Valid {
			cells[sl.col] = numberCell(num.Float64)
		}
	default:
		cells[sl.col] = textCell(string(text))
	}
}

// timeOf formats a submitted_at value as the driver gives it: a time
// (PostgreSQL, SQLite for a DATETIME column) or text.
func timeOf(v any) string {
	switch t := v.(type) {
	case time.Time:
		return t.UTC().Format(time.RFC3339)
	case string:
		return parseTime(t)
	case []byte:
		return parseTime(string(t))
	}
	return ""
}

func parseTime(s string) string {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	return s
}
