package surveys

import (
	"math"
	"strings"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Answers are a respondent's answers by question key, in JSON's shapes:
// an option key (single), a list of option keys (multiple, ranking), a
// number (scale, number), a string (text), {row key: option key} (matrix).
// The text of "other, please specify" goes under "<key>.other".
type Answers map[string]any

func otherKey(q string) string { return q + ".other" }

// answered tells whether a value counts as an answer.
func answered(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(x) != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// chosen lists the option keys an answer to a choice question holds.
func chosen(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func met(c *Condition, a Answers) bool {
	if c == nil {
		return true
	}
	for _, got := range chosen(a[c.Question]) {
		for _, want := range c.AnyOf {
			if got == want {
				return true
			}
		}
	}
	return false
}

// Visible returns the keys of the sections and questions shown for these
// answers: a condition is met when the earlier answer is one of its options.
func (d Definition) Visible(a Answers) (sections, questions map[string]bool) {
	sections, questions = map[string]bool{}, map[string]bool{}
	for _, s := range d.Sections {
		if !met(s.ShowIf, a) || (s.ShowIf != nil && !questions[s.ShowIf.Question]) {
			continue
		}
		sections[s.Key] = true
		for _, q := range s.Questions {
			if met(q.ShowIf, a) && (q.ShowIf == nil || questions[q.ShowIf.Question]) {
				questions[q.Key] = true
			}
		}
	}
	return sections, questions
}

// CheckSection validates the answers of one section (for the page flow).
func (d Definition) CheckSection(index int, a Answers) error {
	v := &apperr.Validation{}
	_, visible := d.Visible(a)
	for _, q := range d.Sections[index].Questions {
		if visible[q.Key] {
			checkAnswer(v, q, a)
		}
	}
	return v.Err()
}

// Check validates a whole response and turns it into answer rows. Unknown
// keys, answers to hidden questions, wrong types and missing required
// answers are errors on the question's key.
func (d Definition) Check(a Answers) ([]models.Answer, error) {
	v := &apperr.Validation{}
	_, visible := d.Visible(a)
	for key := range a {
		base, isOther := strings.CutSuffix(key, ".other")
		q, ok := d.Question(base)
		switch {
		case !ok || (isOther && !q.AllowOther):
			v.Add(key, "survey.unknown_question")
		case !visible[base] && answered(a[key]):
			v.Add(key, "survey.hidden_answered")
		}
	}
	var rows []models.Answer
	for _, q := range d.Questions() {
		if visible[q.Key] {
			rows = append(rows, checkAnswer(v, q, a)...)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return rows, nil
}

// checkAnswer validates one visible question's answer and returns its rows.
func checkAnswer(v *apperr.Validation, q Question, a Answers) []models.Answer {
	val, present := a[q.Key]
	if !present || !answered(val) {
		if q.Required {
			v.Add(q.Key, "validation.required")
		}
		return nil
	}
	row := func(seq int) models.Answer { return models.Answer{QuestionKey: q.Key, Seq: seq} }
	wrong := func() []models.Answer { v.Add(q.Key, "validation.wrong_type"); return nil }
	switch q.Type {
	case Single:
		s, ok := val.(string)
		if !ok {
			return wrong()
		}
		if !q.HasOption(s) {
			v.Add(q.Key, "survey.unknown_option")
			return nil
		}
		r := row(0)
		r.OptionKey = s
		if s == OtherKey {
			r.Text = otherText(v, q, a)
		}
		return []models.Answer{r}
	case Multiple:
		list, ok := val.([]any)
		if !ok {
			return wrong()
		}
		keys := chosen(list)
		if len(keys) != len(list) {
			return wrong()
		}
		if q.MaxSelections > 0 && len(keys) > q.MaxSelections {
			v.Add(q.Key, "survey.too_many_choices")
			return nil
		}
		seen := map[string]bool{}
		var out []models.Answer
		for i, k := range keys {
			if !q.HasOption(k) || seen[k] {
				v.Add(q.Key, "survey.unknown_option")
				return nil
			}
			seen[k] = true
			r := row(i)
			r.OptionKey = k
			if k == OtherKey {
				r.Text = otherText(v, q, a)
			}
			out = append(out, r)
		}
		return out
	case Ranking:
		list, ok := val.([]any)
		keys := chosen(list)
		if !ok || len(keys) != len(list) {
			return wrong()
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if !q.HasOption(k) || seen[k] {
				v.Add(q.Key, "survey.ranking_invalid")
				return nil
			}
			seen[k] = true
		}
		if len(keys) != len(q.Options) {
			v.Add(q.Key, "survey.ranking_invalid")
			return nil
		}
		out := make([]models.Answer, len(keys))
		for i, k := range keys {
			out[i] = row(i)
			out[i].OptionKey, out[i].Rank = k, i+1
		}
		return out
	case Matrix:
		m, ok := val.(map[string]any)
		if !ok {
			return wrong()
		}
		var out []models.Answer
		for i, r := range q.Rows {
			cell, present := m[r.Key]
			if !present {
				if q.Required {
					v.Add(q.Key, "validation.required")
					return nil
				}
				continue
			}
			s, ok := cell.(string)
			if !ok || !q.HasOption(s) {
				v.Add(q.Key, "survey.unknown_option")
				return nil
			}
			a := row(i)
			a.RowKey, a.OptionKey = r.Key, s
			out = append(out, a)
		}
		for k := range m {
			if !q.HasRow(k) {
				v.Add(q.Key, "survey.unknown_option")
				return nil
			}
		}
		return out
	case Scale, Number:
		n, ok := val.(float64)
		if !ok || math.IsNaN(n) || math.IsInf(n, 0) {
			return wrong()
		}
		if q.Type == Scale && (n != math.Trunc(n) || n < float64(q.Scale.Min) || n > float64(q.Scale.Max)) ||
			q.Min != nil && n < *q.Min || q.Max != nil && n > *q.Max || math.Abs(n) > 1e12 {
			v.Add(q.Key, "survey.out_of_range")
			return nil
		}
		r := row(0)
		r.Number = &n
		return []models.Answer{r}
	case Text, LongText:
		s, ok := val.(string)
		if !ok {
			return wrong()
		}
		check := textcheck.Line
		if q.Type == LongText {
			check = textcheck.Block
		}
		if id := check(s, q.MaxLength(), q.Required); id != "" {
			v.Add(q.Key, id)
			return nil
		}
		r := row(0)
		r.Text = strings.TrimSpace(s)
		return []models.Answer{r}
	}
	return wrong()
}

func otherText(v *apperr.Validation, q Question, a Answers) string {
	s, _ := a[otherKey(q.Key)].(string)
	if id := textcheck.Line(s, MaxShortAnswer, true); id != "" {
		v.Add(otherKey(q.Key), id)
	}
	return strings.TrimSpace(s)
}
