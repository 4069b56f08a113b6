package results

import (
	"strconv"
	"strings"

	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

// The columns of an export, in order:
//
//	response      the response's random id (rows are sorted by it, so the
//	              order says nothing about when people answered)
//	channel       where the respondent came from (a channel key)
//	date          the day of the answer, YYYY-MM-DD
//	submitted_at  the time, UTC - only for surveys that are not anonymous
//	weight        only when the survey is weighted
//	profile.F     one per profile field F stored with the responses
//	then per question Q, in the questionnaire's order:
//	  single      Q (the option's label) and, with "other", Q.other.text
//	  multiple    Q.O per option O (1 chosen, 0 not, empty: not answered),
//	              with "other" also Q.other (1/0) and Q.other.text
//	  ranking     Q.O per option O: its rank, 1 = first
//	  matrix      Q.R per row R: the label of the option chosen in it
//	  scale, number  Q: the number
//	  text, longtext Q: the text
//
// A header cell reads "key: label", e.g. "where.facebook: Where? - Facebook":
// the key stays the same in every language and splits off at the first
// colon; the label is in the export's language. The codebook sheet lists
// every column with its question, type, options and values.

// Column kinds.
const (
	colResponse = "response"
	colChannel  = "channel"
	colDate     = "date"
	colTime     = "submitted_at"
	colWeight   = "weight"
	colProfile  = "profile"
	colQuestion = "question"  // single, scale, number, text, longtext
	colOption   = "option"    // multiple (1/0) and ranking (rank)
	colOther    = "other"     // multiple: "other" chosen (1/0)
	colOtherTxt = "othertext" // single, multiple: the text under "other"
	colRow      = "row"       // matrix
)

// column is one column of the export.
type column struct {
	key    string // stable, e.g. "where.facebook"
	label  string // in the export's language
	kind   string
	q      *surveys.Question // question columns
	option string            // option or row key
	values string            // what the values mean, for the codebook
}

func (c column) header() string { return c.key + ": " + c.label }

// qslots are where a question's answers go.
type qslots struct {
	q      *surveys.Question
	text   string         // the question in the export's language
	col    int            // single, scale, number, text, matrix: -1 otherwise
	other  int            // text under "other", or -1
	chosen int            // multiple: "other" chosen (1/0), or -1
	opts   map[string]int // multiple, ranking: option -> column; matrix: row -> column
	labels map[string]string
	keys   map[string]string // option key -> the same key, to look up without allocating
	cols   []int             // multiple: every 1/0 column
}

// layout is the columns of one export and where each answer goes.
type layout struct {
	cols      []column
	anonymous bool
	timeCol   int // -1 when anonymous
	weightCol int // -1 when not weighted
	fields    []string
	attrCol   map[string]int
	questions map[string]*qslots
	// l is the export's translator, lang its language.
	l *i18n.L
}

// Fixed columns come first, in this order.
const (
	responseCol = 0
	channelCol  = 1
	dateCol     = 2
)

func newLayout(sv *models.Survey, def surveys.Definition, l *i18n.L, fields []string, weighted bool) *layout {
	langs := surveys.Languages(sv)
	in := func(t models.Text) string { return t.In(l.Lang, langs...) }
	lay := &layout{anonymous: sv.Anonymous, timeCol: -1, weightCol: -1, fields: fields,
		attrCol: map[string]int{}, questions: map[string]*qslots{}, l: l}
	add := func(c column) int {
		lay.cols = append(lay.cols, c)
		return len(lay.cols) - 1
	}
	add(column{key: colResponse, kind: colResponse, label: l.T("export.col_response"), values: l.T("export.values_response")})
	add(column{key: colChannel, kind: colChannel, label: l.T("export.col_channel"), values: channelValues(l)})
	add(column{key: colDate, kind: colDate, label: l.T("export.col_date"), values: l.T("export.values_date")})
	if !sv.Anonymous {
		lay.timeCol = add(column{key: colTime, kind: colTime, label: l.T("export.col_time"), values: l.T("export.values_time")})
	}
	if weighted {
		lay.weightCol = add(column{key: colWeight, kind: colWeight, label: l.T("export.col_weight"), values: l.T("export.values_weight")})
	}
	for _, f := range fields {
		lay.attrCol[f] = add(column{key: colProfile + "." + f, kind: colProfile, option: f,
			label: l.T("export.col_profile", "Field", f), values: l.T("export.values_profile")})
	}
	other := l.T("survey.other_option")
	otherText := l.T("survey.other_specify")
	for _, q := range def.Questions() {
		text := in(q.Text)
		sub := func(s string) string { return text + " - " + s }
		slots := &qslots{q: &q, text: text, col: -1, other: -1, chosen: -1, opts: map[string]int{}, labels: map[string]string{}, keys: map[string]string{}}
		lay.questions[q.Key] = slots
		for _, o := range q.Options {
			slots.labels[o.Key], slots.keys[o.Key] = in(o.Text), o.Key
		}
		if q.AllowOther {
			slots.labels[surveys.OtherKey], slots.keys[surveys.OtherKey] = other, surveys.OtherKey
		}
		qc := column{key: q.Key, kind: colQuestion, q: &q, label: text}
		switch q.Type {
		case surveys.Single:
			qc.values = optionValues(q, slots.labels)
			slots.col = add(qc)
			if q.AllowOther {
				slots.other = add(column{key: q.Key + ".other.text", kind: colOtherTxt, q: &q, option: surveys.OtherKey,
					label: sub(otherText), values: l.T("export.values_other_text")})
			}
		case surveys.Multiple:
			for _, o := range q.Options {
				slots.opts[o.Key] = add(column{key: q.Key + "." + o.Key, kind: colOption, q: &q, option: o.Key,
					label: sub(slots.labels[o.Key]), values: l.T("export.values_multiple")})
			}
			if q.AllowOther {
				slots.chosen = add(column{key: q.Key + ".other", kind: colOther, q: &q, option: surveys.OtherKey,
					label: sub(other), values: l.T("export.values_multiple")})
				slots.opts[surveys.OtherKey] = slots.chosen
				slots.other = add(column{key: q.Key + ".other.text", kind: colOtherTxt, q: &q, option: surveys.OtherKey,
					label: sub(otherText), values: l.T("export.values_other_text")})
			}
			for _, c := range slots.opts {
				slots.cols = append(slots.cols, c)
			}
		case surveys.Ranking:
			for _, o := range q.Options {
				slots.opts[o.Key] = add(column{key: q.Key + "." + o.Key, kind: colOption, q: &q, option: o.Key,
					label: sub(slots.labels[o.Key]), values: l.Tn("export.values_ranking", len(q.Options))})
			}
		case surveys.Matrix:
			vals := optionValues(q, slots.labels)
			for _, r := range q.Rows {
				slots.opts[r.Key] = add(column{key: q.Key + "." + r.Key, kind: colRow, q: &q, option: r.Key,
					label: sub(in(r.Text)), values: vals})
			}
		case surveys.Scale:
			if q.Scale != nil {
				qc.values = l.T("export.values_scale", "Min", q.Scale.Min, "Max", q.Scale.Max)
				if lo, hi := in(q.Scale.MinLabel), in(q.Scale.MaxLabel); lo != "" || hi != "" {
					qc.values += "\n" + strconv.Itoa(q.Scale.Min) + " = " + lo + "\n" + strconv.Itoa(q.Scale.Max) + " = " + hi
				}
			}
			slots.col = add(qc)
		case surveys.Number:
			qc.values = l.T("export.values_number")
			if q.Min != nil || q.Max != nil {
				qc.values += " [" + bound(q.Min) + ", " + bound(q.Max) + "]"
			}
			slots.col = add(qc)
		default: // text, longtext
			qc.values = l.T("export.values_text")
			slots.col = add(qc)
		}
	}
	return lay
}

func bound(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// optionValues lists "key = label" per option, for the codebook.
func optionValues(q surveys.Question, labels map[string]string) string {
	var b strings.Builder
	for _, o := range q.Options {
		b.WriteString(o.Key + " = " + labels[o.Key] + "\n")
	}
	if q.AllowOther {
		b.WriteString(surveys.OtherKey + " = " + labels[surveys.OtherKey] + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func channelValues(l *i18n.L) string {
	var b strings.Builder
	b.WriteString(l.T("export.values_channel"))
	for _, ch := range surveys.Channels {
		b.WriteString("\n" + ch + " = " + l.TOr("channel."+ch, ch))
	}
	return b.String()
}

// cell is one value of a row.
type cell struct {
	kind cellKind
	s    string
	n    float64
}

type cellKind uint8

const (
	cellEmpty cellKind = iota
	cellText
	cellNumber
	cellDate // s is YYYY-MM-DD
	cellTime // s is RFC 3339, UTC
)

func textCell(s string) cell        { return cell{kind: cellText, s: s} }
func numberCell(n float64) cell     { return cell{kind: cellNumber, n: n} }
func formatNumber(n float64) string { return strconv.FormatFloat(n, 'f', -1, 64) }

// escapeText keeps a spreadsheet from reading text as a formula: text that
// starts with =, +, -, @, a tab or a carriage return gets a leading '.
// Only text cells are escaped; numbers (a -2 answered to a number question)
// are written as numbers.
func escapeText(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
