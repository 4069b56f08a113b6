package surveys

import (
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// FromForm reads the answers to a section's questions from a posted form,
// in the same shapes the API takes, so both are checked by the same code.
// A number that does not parse stays a string and fails as the wrong type.
func FromForm(s Section, form url.Values) Answers {
	a := Answers{}
	for _, q := range s.Questions {
		name := FieldName(q.Key)
		vals := form[name]
		first := strings.TrimSpace(form.Get(name))
		switch q.Type {
		case Single:
			if first != "" {
				a[q.Key] = first
			}
		case Multiple:
			list := make([]any, 0, len(vals))
			for _, v := range vals {
				if v != "" {
					list = append(list, v)
				}
			}
			if len(list) > 0 {
				a[q.Key] = list
			}
		case Ranking:
			type pick struct {
				key  string
				rank int
			}
			var picks []pick
			for _, o := range q.Options {
				if r, err := strconv.Atoi(form.Get(name + "." + o.Key)); err == nil {
					picks = append(picks, pick{o.Key, r})
				}
			}
			if len(picks) > 0 {
				sort.SliceStable(picks, func(i, j int) bool { return picks[i].rank < picks[j].rank })
				list := make([]any, 0, len(picks))
				prev := 0
				for _, p := range picks {
					if p.rank == prev {
						list = append(list, p.key, p.key) // a shared rank fails as a duplicate
						continue
					}
					prev = p.rank
					list = append(list, p.key)
				}
				a[q.Key] = list
			}
		case Matrix:
			cells := map[string]any{}
			for _, r := range q.Rows {
				if v := form.Get(name + "." + r.Key); v != "" {
					cells[r.Key] = v
				}
			}
			if len(cells) > 0 {
				a[q.Key] = cells
			}
		case Scale, Number:
			if first != "" {
				if n, err := strconv.ParseFloat(strings.Replace(first, ",", ".", 1), 64); err == nil && !math.IsNaN(n) && !math.IsInf(n, 0) {
					a[q.Key] = n
				} else {
					a[q.Key] = first
				}
			}
		default:
			if first != "" {
				a[q.Key] = form.Get(name)
			}
		}
		if q.AllowOther {
			if o := form.Get(name + ".other"); strings.TrimSpace(o) != "" {
				a[otherKey(q.Key)] = o
			}
		}
	}
	return a
}

// Merge replaces the answers of section s in base with next.
func Merge(base, next Answers, s Section) Answers {
	out := Answers{}
	for k, v := range base {
		out[k] = v
	}
	for _, q := range s.Questions {
		delete(out, q.Key)
		delete(out, otherKey(q.Key))
	}
	for k, v := range next {
		out[k] = v
	}
	return out
}

// Prune drops answers to questions that the other answers now hide, and
// "other" texts whose option is not chosen (a citizen who goes back and
// changes an answer should not be blocked by answers no longer asked).
func (d Definition) Prune(a Answers) Answers {
	_, visible := d.Visible(a)
	out := Answers{}
	for k, v := range a {
		base, isOther := strings.CutSuffix(k, ".other")
		if !visible[base] {
			continue
		}
		if isOther {
			hasOther := false
			for _, c := range chosen(a[base]) {
				hasOther = hasOther || c == OtherKey
			}
			if !hasOther {
				continue
			}
		}
		out[k] = v
	}
	return out
}
