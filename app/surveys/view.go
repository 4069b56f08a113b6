package surveys

import (
	"strconv"
	"strings"

	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/models"
)

// QuestionView is a question prepared for a page in one language, with
// the respondent's current answer and error.
type QuestionView struct {
	Key, Type, Text, Help string
	Required              bool
	Options               []ChoiceView
	Rows                  []RowView
	Value                 string // text, number or scale value
	OtherText             string
	AllowOther            bool
	MinLabel, MaxLabel    string
	Min, Max              string
	MaxLength             int
	MaxSelections         int
	Error                 string
	OtherError            string
	// Condition, when set, says which earlier answer shows this question
	// (data for the small script, and a hint for pages without it).
	CondQuestion string
	CondOptions  string
	CondHint     string
}

// ChoiceView is one option (or scale point, or rank) with its state.
type ChoiceView struct {
	Key, Text string
	Checked   bool
	Rank      int // ranking: the chosen position
}

// RowView is a matrix row with its options.
type RowView struct {
	Key, Text string
	Options   []ChoiceView
}

// FieldName is the form field of a question ("q.<key>").
func FieldName(key string) string { return "q." + key }

// view prepares q for a page; samePage says its condition's question is on
// the same page (so the page shows it with a hint and the script toggles it).
func view(q Question, a Answers, lang, main string, l *i18n.L, errs map[string]string, def Definition, samePage bool) QuestionView {
	t := func(x models.Text) string { return x.In(lang, main) }
	v := QuestionView{Key: q.Key, Type: q.Type, Text: t(q.Text), Help: t(q.Help), Required: q.Required, AllowOther: q.AllowOther,
		MaxLength: q.MaxLength(), MaxSelections: q.MaxSelections, Error: translate(l, errs[q.Key]), OtherError: translate(l, errs[otherKey(q.Key)])}
	picked := map[string]int{}
	for i, k := range chosen(a[q.Key]) {
		picked[k] = i + 1
	}
	switch q.Type {
	case Single, Multiple, Ranking:
		for _, o := range q.Options {
			v.Options = append(v.Options, ChoiceView{Key: o.Key, Text: t(o.Text), Checked: picked[o.Key] > 0, Rank: picked[o.Key]})
		}
		if q.AllowOther {
			v.Options = append(v.Options, ChoiceView{Key: OtherKey, Text: l.T("survey.other_option"), Checked: picked[OtherKey] > 0})
			v.OtherText, _ = a[otherKey(q.Key)].(string)
		}
	case Matrix:
		cells, _ := a[q.Key].(map[string]any)
		for _, r := range q.Rows {
			rv := RowView{Key: r.Key, Text: t(r.Text)}
			for _, o := range q.Options {
				rv.Options = append(rv.Options, ChoiceView{Key: o.Key, Text: t(o.Text), Checked: cells[r.Key] == o.Key})
			}
			v.Rows = append(v.Rows, rv)
		}
	case Scale:
		cur, _ := a[q.Key].(float64)
		_, has := a[q.Key]
		for p := q.Scale.Min; p <= q.Scale.Max; p++ {
			v.Options = append(v.Options, ChoiceView{Key: strconv.Itoa(p), Text: strconv.Itoa(p), Checked: has && cur == float64(p)})
		}
		v.MinLabel, v.MaxLabel = t(q.Scale.MinLabel), t(q.Scale.MaxLabel)
	case Number:
		if n, ok := a[q.Key].(float64); ok {
			v.Value = strconv.FormatFloat(n, 'f', -1, 64)
		} else if s, ok := a[q.Key].(string); ok {
			v.Value = s
		}
		if q.Min != nil {
			v.Min = strconv.FormatFloat(*q.Min, 'f', -1, 64)
		}
		if q.Max != nil {
			v.Max = strconv.FormatFloat(*q.Max, 'f', -1, 64)
		}
	default:
		v.Value, _ = a[q.Key].(string)
	}
	if q.ShowIf != nil && samePage {
		v.CondQuestion = q.ShowIf.Question
		v.CondOptions = strings.Join(q.ShowIf.AnyOf, " ")
		if src, ok := def.Question(q.ShowIf.Question); ok {
			var names []string
			for _, o := range q.ShowIf.AnyOf {
				for _, so := range src.Options {
					if so.Key == o {
						names = append(names, "“"+t(so.Text)+"”")
					}
				}
			}
			v.CondHint = l.T("survey.condition_hint", "Question", t(src.Text), "Options", strings.Join(names, ", "))
		}
	}
	return v
}

func translate(l *i18n.L, id string) string {
	if id == "" {
		return ""
	}
	return l.T(id)
}
