package results

import (
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

// QuestionView is one question's figures with labels in one language,
// ready for a page.
type QuestionView struct {
	Key, Type, Text string
	Answered        int64
	Effective       float64
	Bars            []BarView // choice, scale points or number intervals
	Ranks           []RankView
	Matrix          *MatrixView
	Numbers         *NumberSummary
	Texts           int64
	TextQuestion    bool // a text question, or choice with "other"
}

// BarView is one labelled share, with its weighted twin when weighted.
type BarView struct {
	Label string
	Share Estimate
	W     *Estimate
}

// RankView is one option of a ranking question.
type RankView struct {
	Label               string
	MeanRank, WMeanRank float64
	First               Estimate
	WFirst              *Estimate
}

// MatrixView is a matrix question as a table with a stacked bar per row.
type MatrixView struct {
	Options []string
	Rows    []MatrixRowView
}

// MatrixRowView is one row: its shares and the stacked bar's segments.
type MatrixRowView struct {
	Label    string
	Answered int64
	Cells    []BarView
	Segments []Segment
}

// Segment is a piece of a stacked bar, in percent of its width.
type Segment struct {
	X, Width float64
	Class    string
}

// segmentClasses colour stacked bars; the legend uses the same classes.
var segmentClasses = []string{"seg-0", "seg-1", "seg-2", "seg-3", "seg-4", "seg-5", "seg-6", "seg-7"}

// SegmentClass is the colour class of a matrix option by position.
func SegmentClass(i int) string { return segmentClasses[i%len(segmentClasses)] }

// Views labels the results in lang (falling back to the survey's main
// language); l names "other" and formats number intervals.
func (r *Results) Views(l *i18n.L, lang string) []QuestionView {
	main := ""
	if langs := surveys.Languages(r.Survey); len(langs) > 0 {
		main = langs[0]
	}
	t := func(x models.Text) string { return x.In(lang, main) }
	out := make([]QuestionView, 0, len(r.Questions))
	for _, q := range r.Questions {
		v := QuestionView{Key: q.Question.Key, Type: q.Question.Type, Text: t(q.Question.Text), Answered: q.Answered,
			Effective: q.Effective, Numbers: q.Numbers, Texts: q.Texts,
			TextQuestion: q.Question.Type == surveys.Text || q.Question.Type == surveys.LongText || q.Question.AllowOther}
		label := func(key string) string {
			if key == surveys.OtherKey && q.Question.AllowOther {
				return l.T("results.other_option")
			}
			for _, o := range q.Question.Options {
				if o.Key == key {
					return t(o.Text)
				}
			}
			return key
		}
		switch q.Question.Type {
		case surveys.Single, surveys.Multiple:
			for _, o := range q.Options {
				v.Bars = append(v.Bars, BarView{Label: label(o.Key), Share: o.Share, W: o.WShare})
			}
		case surveys.Scale:
			for i, o := range q.Options {
				lbl := o.Key
				if sc := q.Question.Scale; sc != nil {
					if i == 0 && t(sc.MinLabel) != "" {
						lbl += " – " + t(sc.MinLabel)
					}
					if i == len(q.Options)-1 && t(sc.MaxLabel) != "" {
						lbl += " – " + t(sc.MaxLabel)
					}
				}
				v.Bars = append(v.Bars, BarView{Label: lbl, Share: o.Share, W: o.WShare})
			}
		case surveys.Number:
			if q.Numbers != nil {
				for _, b := range q.Numbers.Bins {
					lbl := l.Number(b.Low)
					if b.High != b.Low {
						lbl = l.T("results.interval", "Low", l.Number(b.Low), "High", l.Number(b.High))
					}
					v.Bars = append(v.Bars, BarView{Label: lbl, Share: b.Share, W: b.WShare})
				}
			}
		case surveys.Ranking:
			for _, o := range q.Options {
				v.Ranks = append(v.Ranks, RankView{Label: label(o.Key), MeanRank: o.MeanRank, WMeanRank: o.WMeanRank, First: o.First, WFirst: o.WFirst})
			}
		case surveys.Matrix:
			m := &MatrixView{}
			for _, k := range optionKeys(q.Question) {
				m.Options = append(m.Options, label(k))
			}
			for i, row := range q.Rows {
				rv := MatrixRowView{Label: t(q.Question.Rows[i].Text), Answered: row.Answered}
				x := 0.0
				for j, o := range row.Options {
					rv.Cells = append(rv.Cells, BarView{Label: m.Options[j], Share: o.Share, W: o.WShare})
					p := o.Share.Percent
					if o.WShare != nil {
						p = o.WShare.Percent
					}
					if p > 0 {
						rv.Segments = append(rv.Segments, Segment{X: x, Width: p, Class: SegmentClass(j)})
					}
					x += p
				}
				m.Rows = append(m.Rows, rv)
			}
			v.Matrix = m
		}
		out = append(out, v)
	}
	return out
}

// Legend lists a matrix's options with their colour classes.
func (m *MatrixView) Legend() []Segment {
	out := make([]Segment, len(m.Options))
	for i := range m.Options {
		out[i] = Segment{Class: SegmentClass(i)}
	}
	return out
}
