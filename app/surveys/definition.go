// Package surveys holds questionnaires: their definition (sections and
// questions), the builder pages for staff, the answering flow for citizens
// and the API.
package surveys

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Question types.
const (
	Single   = "single"
	Multiple = "multiple"
	Scale    = "scale"
	Text     = "text"
	LongText = "longtext"
	Number   = "number"
	Matrix   = "matrix"
	Ranking  = "ranking"
)

// Types lists the question types in the order the builder offers them.
var Types = []string{Single, Multiple, Scale, Text, LongText, Number, Matrix, Ranking}

// OtherKey is the option key of "other, please specify".
const OtherKey = "other"

// Limits on what staff may build and citizens may write.
const (
	MaxSections      = 30
	MaxQuestions     = 200
	MaxOptions       = 50
	MaxTextLen       = 2000 // a question text, an option, a title
	MaxShortAnswer   = 300
	MaxLongAnswer    = 5000
	MaxScalePoints   = 11
	maxKeyLen        = 40
	defaultMaxLength = 0
)

var keyRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

// Definition is a survey's questionnaire: sections (pages) of questions.
type Definition struct {
	Sections []Section `json:"sections"`
}

// Section is one page of the questionnaire.
type Section struct {
	Key       string      `json:"key"`
	Title     models.Text `json:"title,omitempty"`
	ShowIf    *Condition  `json:"show_if,omitempty"`
	Questions []Question  `json:"questions"`
}

// Condition shows a question or section only when an earlier single or
// multiple choice answer is one of AnyOf.
type Condition struct {
	Question string   `json:"question"`
	AnyOf    []string `json:"any_of"`
}

// Question is one question. Which fields matter depends on Type.
type Question struct {
	Key           string      `json:"key"`
	Type          string      `json:"type"`
	Text          models.Text `json:"text"`
	Help          models.Text `json:"help,omitempty"`
	Required      bool        `json:"required,omitempty"`
	Options       []Option    `json:"options,omitempty"`
	Rows          []Option    `json:"rows,omitempty"`
	Scale         *ScaleSpec  `json:"scale,omitempty"`
	Min           *float64    `json:"min,omitempty"`
	Max           *float64    `json:"max,omitempty"`
	MaxSelections int         `json:"max_selections,omitempty"`
	AllowOther    bool        `json:"allow_other,omitempty"`
	ShowIf        *Condition  `json:"show_if,omitempty"`
}

// Option is a choice, or a matrix row.
type Option struct {
	Key  string      `json:"key"`
	Text models.Text `json:"text"`
}

// ScaleSpec is a rating scale such as 1-5 or 0-10 with end labels.
type ScaleSpec struct {
	Min      int         `json:"min"`
	Max      int         `json:"max"`
	MinLabel models.Text `json:"min_label,omitempty"`
	MaxLabel models.Text `json:"max_label,omitempty"`
}

// Parse reads a stored definition.
func Parse(s string) (Definition, error) {
	var d Definition
	err := json.Unmarshal([]byte(s), &d)
	return d, err
}

// JSON returns the definition as stored.
func (d Definition) JSON() string {
	b, _ := json.Marshal(d)
	return string(b)
}

// Questions lists every question in order.
func (d Definition) Questions() []Question {
	var out []Question
	for _, s := range d.Sections {
		out = append(out, s.Questions...)
	}
	return out
}

// Question finds a question by key.
func (d Definition) Question(key string) (Question, bool) {
	for _, s := range d.Sections {
		for _, q := range s.Questions {
			if q.Key == key {
				return q, true
			}
		}
	}
	return Question{}, false
}

// HasOption tells whether key is one of q's options (or "other" when allowed).
func (q Question) HasOption(key string) bool {
	if q.AllowOther && key == OtherKey && (q.Type == Single || q.Type == Multiple) {
		return true
	}
	for _, o := range q.Options {
		if o.Key == key {
			return true
		}
	}
	return false
}

// HasRow tells whether key is one of a matrix question's rows.
func (q Question) HasRow(key string) bool {
	for _, r := range q.Rows {
		if r.Key == key {
			return true
		}
	}
	return false
}

// MaxLength is the longest answer a text question takes.
func (q Question) MaxLength() int {
	if q.Type == LongText {
		return MaxLongAnswer
	}
	return MaxShortAnswer
}

// Choice tells whether answers are option keys.
func (q Question) Choice() bool {
	switch q.Type {
	case Single, Multiple, Ranking, Matrix:
		return true
	}
	return false
}

// Validate checks a definition: keys unique and well-formed, types known,
// options where needed, conditions that refer to earlier choice questions.
// Field names in the error are paths such as "questions.age.options".
func (d Definition) Validate() error {
	v := &apperr.Validation{}
	if len(d.Sections) > MaxSections {
		v.Add("sections", "survey.too_many")
	}
	seen := map[string]Question{}
	sectionKeys := map[string]bool{}
	count := 0
	for _, s := range d.Sections {
		if !keyRe.MatchString(s.Key) || len(s.Key) > maxKeyLen || sectionKeys[s.Key] {
			v.Add("sections."+s.Key, "survey.key_invalid")
		}
		sectionKeys[s.Key] = true
		checkText(v, "sections."+s.Key+".title", s.Title, false)
		checkCondition(v, "sections."+s.Key+".show_if", s.ShowIf, seen)
		for _, q := range s.Questions {
			count++
			f := "questions." + q.Key
			if !keyRe.MatchString(q.Key) || len(q.Key) > maxKeyLen {
				v.Add(f+".key", "survey.key_invalid")
			}
			if _, dup := seen[q.Key]; dup {
				v.Add(f+".key", "survey.key_taken")
			}
			checkText(v, f+".text", q.Text, true)
			checkText(v, f+".help", q.Help, false)
			checkCondition(v, f+".show_if", q.ShowIf, seen)
			validateQuestion(v, f, q)
			seen[q.Key] = q
		}
	}
	if count > MaxQuestions {
		v.Add("questions", "survey.too_many")
	}
	return v.Err()
}

func validateQuestion(v *apperr.Validation, f string, q Question) {
	switch q.Type {
	case Single, Multiple, Ranking:
		checkOptions(v, f+".options", q.Options, 2)
		choices := len(q.Options)
		if q.AllowOther {
			choices++
		}
		if q.Type == Multiple && (q.MaxSelections < 0 || q.MaxSelections > choices) {
			v.Add(f+".max_selections", "survey.max_selections_invalid")
		}
	case Matrix:
		checkOptions(v, f+".options", q.Options, 2)
		checkOptions(v, f+".rows", q.Rows, 1)
	case Scale:
		if q.Scale == nil || q.Scale.Min >= q.Scale.Max || q.Scale.Max-q.Scale.Min+1 > MaxScalePoints || q.Scale.Min < -10 || q.Scale.Max > 100 {
			v.Add(f+".scale", "survey.scale_invalid")
		} else {
			checkText(v, f+".scale.min_label", q.Scale.MinLabel, false)
			checkText(v, f+".scale.max_label", q.Scale.MaxLabel, false)
		}
	case Number:
		for _, b := range []*float64{q.Min, q.Max} {
			if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0) || math.Abs(*b) > 1e12) {
				v.Add(f+".max", "survey.range_invalid")
			}
		}
		if q.Min != nil && q.Max != nil && *q.Min > *q.Max {
			v.Add(f+".max", "survey.range_invalid")
		}
	case Text, LongText:
	default:
		v.Add(f+".type", "survey.type_invalid")
	}
	if q.AllowOther && q.Type != Single && q.Type != Multiple {
		v.Add(f+".allow_other", "survey.other_not_allowed")
	}
}

func checkOptions(v *apperr.Validation, f string, opts []Option, min int) {
	if len(opts) < min || len(opts) > MaxOptions {
		v.Add(f, "survey.options_count")
		return
	}
	keys := map[string]bool{}
	for _, o := range opts {
		if !keyRe.MatchString(o.Key) || len(o.Key) > maxKeyLen || keys[o.Key] || o.Key == OtherKey {
			v.Add(f, "survey.option_key_invalid")
		}
		keys[o.Key] = true
		checkText(v, f, o.Text, true)
	}
}

func checkText(v *apperr.Validation, f string, t models.Text, required bool) {
	if required && t.In("") == "" {
		v.Add(f, "validation.required")
	}
	for lang, s := range t {
		if len(lang) != 2 {
			v.Add(f, "validation.choice_invalid")
		}
		if id := textcheck.Block(s, MaxTextLen, false); id != "" {
			v.Add(f, id)
		}
	}
}

func checkCondition(v *apperr.Validation, f string, c *Condition, earlier map[string]Question) {
	if c == nil {
		return
	}
	q, ok := earlier[c.Question]
	if !ok || (q.Type != Single && q.Type != Multiple) || len(c.AnyOf) == 0 {
		v.Add(f, "survey.condition_invalid")
		return
	}
	for _, o := range c.AnyOf {
		if !q.HasOption(o) {
			v.Add(f, "survey.condition_invalid")
		}
	}
}

// Languages splits a survey's comma-separated languages.
func Languages(s *models.Survey) []string {
	var out []string
	for _, l := range strings.Split(s.Languages, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// MissingText is one text not yet written in a language: what kind of
// text (a message id suffix) and where (a section, question or option key).
type MissingText struct{ Kind, Where string }

// Missing lists, per enabled language, the texts not yet written in it.
func Missing(s *models.Survey, d Definition) map[string][]MissingText {
	out := map[string][]MissingText{}
	for _, lang := range Languages(s) {
		var miss []MissingText
		add := func(kind, where string, t models.Text, required bool) {
			if (required || len(t) > 0 && t.In("") != "") && t[lang] == "" {
				miss = append(miss, MissingText{kind, where})
			}
		}
		add("title", "", s.Title, true)
		add("description", "", s.Description, false)
		add("thanks", "", s.Thanks, false)
		for _, sec := range d.Sections {
			add("page_title", sec.Key, sec.Title, false)
			for _, q := range sec.Questions {
				add("question", q.Key, q.Text, true)
				add("help", q.Key, q.Help, false)
				for _, o := range q.Options {
					add("option", q.Key+": "+o.Key, o.Text, true)
				}
				for _, r := range q.Rows {
					add("row", q.Key+": "+r.Key, r.Text, true)
				}
				if q.Scale != nil {
					add("min_label", q.Key, q.Scale.MinLabel, false)
					add("max_label", q.Key, q.Scale.MaxLabel, false)
				}
			}
		}
		if len(miss) > 0 {
			out[lang] = miss
		}
	}
	return out
}
