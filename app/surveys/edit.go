package surveys

import (
	"strconv"

	"github.com/inspraak/inspraak/app/apperr"
)

// The builder's edits, as pure functions on a definition; the store
// validates the result and refuses edits that would orphan answers.

func (d Definition) clone() Definition {
	var out Definition
	for _, s := range d.Sections {
		s.Questions = append([]Question(nil), s.Questions...)
		out.Sections = append(out.Sections, s)
	}
	return out
}

// locate returns the section and question index of key, or -1s.
func (d Definition) locate(key string) (int, int) {
	for i, s := range d.Sections {
		for j, q := range s.Questions {
			if q.Key == key {
				return i, j
			}
		}
	}
	return -1, -1
}

func (d Definition) sectionIndex(key string) int {
	for i, s := range d.Sections {
		if s.Key == key {
			return i
		}
	}
	return -1
}

// NextKey proposes an unused key: prefix1, prefix2, ...
func (d Definition) NextKey(prefix string) string {
	used := map[string]bool{}
	for _, s := range d.Sections {
		used[s.Key] = true
		for _, q := range s.Questions {
			used[q.Key] = true
		}
	}
	for n := 1; ; n++ {
		if k := prefix + strconv.Itoa(n); !used[k] {
			return k
		}
	}
}

// PutQuestion adds q at the end of section (new) or replaces the question
// with key old in place.
func (d Definition) PutQuestion(section, old string, q Question) (Definition, error) {
	out := d.clone()
	if old != "" {
		i, j := out.locate(old)
		if i < 0 {
			return d, apperr.ErrNotFound
		}
		out.Sections[i].Questions[j] = q
		return out, nil
	}
	i := out.sectionIndex(section)
	if i < 0 {
		return d, apperr.ErrNotFound
	}
	if si, _ := out.locate(q.Key); si >= 0 {
		return d, apperr.Invalid("key", "survey.key_taken")
	}
	out.Sections[i].Questions = append(out.Sections[i].Questions, q)
	return out, nil
}

// MoveQuestion moves a question one place up or down, across sections at
// the edges.
func (d Definition) MoveQuestion(key string, up bool) (Definition, error) {
	out := d.clone()
	i, j := out.locate(key)
	if i < 0 {
		return d, apperr.ErrNotFound
	}
	qs := out.Sections[i].Questions
	q := qs[j]
	switch {
	case up && j > 0:
		qs[j-1], qs[j] = qs[j], qs[j-1]
	case !up && j < len(qs)-1:
		qs[j+1], qs[j] = qs[j], qs[j+1]
	case up && i > 0:
		out.Sections[i].Questions = append(qs[:j:j], qs[j+1:]...)
		out.Sections[i-1].Questions = append(out.Sections[i-1].Questions, q)
	case !up && i < len(out.Sections)-1:
		out.Sections[i].Questions = append(qs[:j:j], qs[j+1:]...)
		out.Sections[i+1].Questions = append([]Question{q}, out.Sections[i+1].Questions...)
	}
	return out, nil
}

// DuplicateQuestion inserts a copy under a new key after the original.
func (d Definition) DuplicateQuestion(key string) (Definition, string, error) {
	out := d.clone()
	i, j := out.locate(key)
	if i < 0 {
		return d, "", apperr.ErrNotFound
	}
	cp := out.Sections[i].Questions[j]
	cp.Key = out.NextKey(key + "_copy")
	cp.Options = append([]Option(nil), cp.Options...)
	cp.Rows = append([]Option(nil), cp.Rows...)
	qs := out.Sections[i].Questions
	out.Sections[i].Questions = append(qs[:j+1:j+1], append([]Question{cp}, qs[j+1:]...)...)
	return out, cp.Key, nil
}

// DeleteQuestion removes a question; one that a condition depends on
// cannot go.
func (d Definition) DeleteQuestion(key string) (Definition, error) {
	out := d.clone()
	i, j := out.locate(key)
	if i < 0 {
		return d, apperr.ErrNotFound
	}
	for _, s := range out.Sections {
		if s.ShowIf != nil && s.ShowIf.Question == key {
			return d, &apperr.Conflict{MessageID: "survey.condition_depends"}
		}
		for _, q := range s.Questions {
			if q.ShowIf != nil && q.ShowIf.Question == key {
				return d, &apperr.Conflict{MessageID: "survey.condition_depends"}
			}
		}
	}
	qs := out.Sections[i].Questions
	out.Sections[i].Questions = append(qs[:j:j], qs[j+1:]...)
	return out, nil
}

// AddSection appends an empty page.
func (d Definition) AddSection() (Definition, string) {
	out := d.clone()
	key := out.NextKey("s")
	out.Sections = append(out.Sections, Section{Key: key})
	return out, key
}

// PutSection updates a page's title and condition.
func (d Definition) PutSection(key string, s Section) (Definition, error) {
	out := d.clone()
	i := out.sectionIndex(key)
	if i < 0 {
		return d, apperr.ErrNotFound
	}
	s.Key, s.Questions = key, out.Sections[i].Questions
	out.Sections[i] = s
	return out, nil
}

// MoveSection moves a page one place up or down.
func (d Definition) MoveSection(key string, up bool) (Definition, error) {
	out := d.clone()
	i := out.sectionIndex(key)
	if i < 0 {
		return d, apperr.ErrNotFound
	}
	if up && i > 0 {
		out.Sections[i-1], out.Sections[i] = out.Sections[i], out.Sections[i-1]
	} else if !up && i < len(out.Sections)-1 {
		out.Sections[i+1], out.Sections[i] = out.Sections[i], out.Sections[i+1]
	}
	return out, nil
}

// DeleteSection removes an empty page (the last page stays).
func (d Definition) DeleteSection(key string) (Definition, error) {
	out := d.clone()
	i := out.sectionIndex(key)
	if i < 0 {
		return d, apperr.ErrNotFound
	}
	if len(out.Sections[i].Questions) > 0 || len(out.Sections) == 1 {
		return d, &apperr.Conflict{MessageID: "survey.section_not_empty"}
	}
	out.Sections = append(out.Sections[:i:i], out.Sections[i+1:]...)
	return out, nil
}

// earlierChoices lists the single and multiple choice questions before
// key (or before section) that a condition may refer to.
func (d Definition) earlierChoices(beforeQuestion, beforeSection string) []Question {
	var out []Question
	for _, s := range d.Sections {
		if s.Key == beforeSection {
			return out
		}
		for _, q := range s.Questions {
			if q.Key == beforeQuestion {
				return out
			}
			if q.Type == Single || q.Type == Multiple {
				out = append(out, q)
			}
		}
	}
	return out
}
