package surveys

import (
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// textFrom reads a per-language text: name.da, name.nl, name.en.

// metaFrom reads the settings form.
func metaFrom(form url.Values, zone *time.Location) (Meta, error) {
	var langs []string
	for _, l := range []string{"da", "nl", "en"} {
		for _, v := range form["languages"] {
			if v == l {
				langs = append(langs, l)
			}
		}
	}
	all := []string{"da", "nl", "en"}
	m := Meta{
		Title: page.TextFrom(form, "title", ".", all), Description: page.TextFrom(form, "description", ".", all), Thanks: page.TextFrom(form, "thanks", ".", all),
		Languages: langs, Anonymous: form.Get("anonymous") == "on", AllowMultiple: form.Get("allow_multiple") == "on",
		PublishResults: form.Get("publish_results") == "on",
	}
	v := &apperr.Validation{}
	var err error
	if m.OpensAt, err = localTime(form.Get("opens_at"), zone); err != nil {
		v.Add("opens_at", "validation.date_invalid")
	}
	if m.ClosesAt, err = localTime(form.Get("closes_at"), zone); err != nil {
		v.Add("closes_at", "validation.date_invalid")
	}
	return m, v.Err()
}

// errBadTime: a date and time the form could not read.
var errBadTime = errors.New("unreadable date and time")

// localTime parses an <input type="datetime-local"> value in the platform's zone.
func localTime(s string, zone *time.Location) (*time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, zone); err == nil {
			u := t.UTC()
			return &u, nil
		}
	}
	return nil, errBadTime
}

// optionsFrom reads the option (or row) table: prefix.N.key, prefix.N.text.<lang>,
// prefix.N.remove. Blank new rows are skipped; new ones get keys o1, o2, ...
func optionsFrom(form url.Values, prefix string, langs []string, keyPrefix string) []Option {
	var out []Option
	used := map[string]bool{}
	for n := 0; n < MaxOptions+5; n++ {
		base := prefix + "." + strconv.Itoa(n)
		if _, ok := form[base+".key"]; !ok {
			if _, ok := form[base+".text."+langs[0]]; !ok {
				break
			}
		}
		if form.Get(base+".remove") == "on" {
			continue
		}
		o := Option{Key: strings.TrimSpace(form.Get(base + ".key")), Text: page.TextFrom(form, base+".text", ".", langs)}
		if o.Key == "" && len(o.Text) == 0 {
			continue
		}
		out = append(out, o)
		used[o.Key] = true
	}
	for i := range out {
		if out[i].Key == "" {
			for k := 1; ; k++ {
				if c := keyPrefix + strconv.Itoa(k); !used[c] {
					out[i].Key, used[c] = c, true
					break
				}
			}
		}
	}
	return out
}

// questionFrom reads the question form.
func questionFrom(form url.Values, langs []string) (Question, error) {
	v := &apperr.Validation{}
	q := Question{
		Key: strings.TrimSpace(form.Get("key")), Type: form.Get("type"),
		Text: page.TextFrom(form, "text", ".", langs), Help: page.TextFrom(form, "help", ".", langs),
		Required: form.Get("required") == "on", AllowOther: form.Get("allow_other") == "on",
	}
	switch q.Type {
	case Single, Multiple, Ranking, Matrix:
		q.Options = optionsFrom(form, "opt", langs, "o")
	}
	if q.Type == Matrix {
		q.Rows = optionsFrom(form, "row", langs, "r")
	}
	if q.Type != Single && q.Type != Multiple {
		q.AllowOther = false
	}
	if q.Type == Multiple {
		if s := strings.TrimSpace(form.Get("max_selections")); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				v.Add("max_selections", "validation.number_invalid")
			}
			q.MaxSelections = n
		}
	}
	num := func(field string) *float64 {
		s := strings.TrimSpace(form.Get(field))
		if s == "" {
			return nil
		}
		f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
			v.Add(field, "validation.number_invalid")
			return nil
		}
		return &f
	}
	switch q.Type {
	case Scale:
		lo, hi := num("scale_min"), num("scale_max")
		q.Scale = &ScaleSpec{Min: 1, Max: 5, MinLabel: page.TextFrom(form, "scale_min_label", ".", langs), MaxLabel: page.TextFrom(form, "scale_max_label", ".", langs)}
		if lo != nil {
			q.Scale.Min = int(*lo)
		}
		if hi != nil {
			q.Scale.Max = int(*hi)
		}
	case Number:
		q.Min, q.Max = num("num_min"), num("num_max")
	}
	if picks := form["show_if"]; len(picks) > 0 {
		c := &Condition{}
		for _, p := range picks {
			qk, ok, _ := strings.Cut(p, ":")
			if c.Question != "" && c.Question != qk {
				v.Add("show_if", "survey.condition_one_question")
			}
			c.Question = qk
			c.AnyOf = append(c.AnyOf, ok)
		}
		q.ShowIf = c
	}
	return q, v.Err()
}

// sectionFrom reads the page form.
func sectionFrom(form url.Values, langs []string) Section {
	s := Section{Title: page.TextFrom(form, "title", ".", langs)}
	if picks := form["show_if"]; len(picks) > 0 {
		c := &Condition{}
		for _, p := range picks {
			qk, ok, _ := strings.Cut(p, ":")
			c.Question = qk
			c.AnyOf = append(c.AnyOf, ok)
		}
		s.ShowIf = c
	}
	return s
}

// keepOtherLanguages copies into next the texts old has in languages the
// form did not show (languages switched off for now), so that editing a
// question does not silently delete them.
func keepOtherLanguages(old, next *Question, shown []string) {
	isShown := map[string]bool{}
	for _, l := range shown {
		isShown[l] = true
	}
	merge := func(dst *models.Text, src models.Text) {
		for l, v := range src {
			if !isShown[l] {
				if *dst == nil {
					*dst = models.Text{}
				}
				(*dst)[l] = v
			}
		}
	}
	merge(&next.Text, old.Text)
	merge(&next.Help, old.Help)
	for _, pair := range [][2][]Option{{old.Options, next.Options}, {old.Rows, next.Rows}} {
		for i := range pair[1] {
			for _, o := range pair[0] {
				if o.Key == pair[1][i].Key {
					merge(&pair[1][i].Text, o.Text)
				}
			}
		}
	}
	if old.Scale != nil && next.Scale != nil {
		merge(&next.Scale.MinLabel, old.Scale.MinLabel)
		merge(&next.Scale.MaxLabel, old.Scale.MaxLabel)
	}
}
