package panels

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Field is a profile field of a panel, such as age band or district.
type Field struct {
	Key     string      `json:"key"`
	Label   models.Text `json:"label"`
	Choices []Choice    `json:"choices"`
}

// Choice is one answer to a profile field. Target is the share (0-100) the
// choice has in the population the panel should mirror; optional.
type Choice struct {
	Key    string      `json:"key"`
	Label  models.Text `json:"label"`
	Target *float64    `json:"target,omitempty"`
}

// Limits on what staff define.
const (
	maxFields  = 20
	maxChoices = 50
	maxLabel   = 200
	maxDesc    = 5000
)

var keyRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,39}$`)

var langs = map[string]bool{"da": true, "nl": true, "en": true}

// Choice finds a choice of f.
func (f Field) Choice(key string) (Choice, bool) {
	for _, c := range f.Choices {
		if c.Key == key {
			return c, true
		}
	}
	return Choice{}, false
}

// HasTargets tells whether staff gave target shares for f's choices.
func (f Field) HasTargets() bool {
	for _, c := range f.Choices {
		if c.Target != nil {
			return true
		}
	}
	return false
}

// ParseFields reads a panel's stored fields.
func ParseFields(s string) ([]Field, error) {
	var fs []Field
	if s == "" {
		return nil, nil
	}
	err := json.Unmarshal([]byte(s), &fs)
	return fs, err
}

// fieldsJSON is the stored form of a panel's fields. An error (a target
// that is not a finite number) must stop the save: an empty document would
// erase the panel's fields.
func fieldsJSON(fs []Field) (string, error) {
	if fs == nil {
		fs = []Field{}
	}
	b, err := json.Marshal(fs)
	if err != nil {
		return "", fmt.Errorf("panel fields: %w", err)
	}
	return string(b), nil
}

// FieldByKey finds a field.
func FieldByKey(fs []Field, key string) (Field, bool) {
	for _, f := range fs {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

func checkText(v *apperr.Validation, name string, t models.Text, max int, required, block bool) {
	if required && strings.TrimSpace(t.In("")) == "" {
		v.Add(name, "validation.required")
	}
	for lang, s := range t {
		check := textcheck.Line
		if block {
			check = textcheck.Block
		}
		if !langs[lang] {
			v.Add(name, "validation.choice_invalid")
		} else if id := check(s, max, false); id != "" {
			v.Add(name, id)
		}
	}
}

// validateField checks one field; prefix names its place in the input.
func validateField(v *apperr.Validation, prefix string, f Field) {
	if !keyRe.MatchString(f.Key) {
		v.Add(prefix+"key", "panels.key_invalid")
	}
	checkText(v, prefix+"label", f.Label, maxLabel, true, false)
	if len(f.Choices) < 1 || len(f.Choices) > maxChoices {
		v.Add(prefix+"choices", "panels.choices_count")
	}
	seen := map[string]bool{}
	sum, targets := 0.0, 0
	for j, c := range f.Choices {
		cp := fmt.Sprintf("%schoices.%d.", prefix, j)
		if !keyRe.MatchString(c.Key) || seen[c.Key] {
			v.Add(cp+"key", "panels.key_invalid")
		}
		seen[c.Key] = true
		checkText(v, cp+"label", c.Label, maxLabel, true, false)
		if c.Target != nil {
			if math.IsNaN(*c.Target) || math.IsInf(*c.Target, 0) || *c.Target < 0 || *c.Target > 100 {
				v.Add(cp+"target", "panels.target_invalid")
			}
			sum += *c.Target
			targets++
		}
	}
	switch {
	case targets > 0 && targets < len(f.Choices):
		// A stratified sample weighs every choice by its target: a choice
		// without one would never be invited.
		v.Add(prefix+"choices", "panels.targets_all_or_none")
	case targets > 0 && (sum < 99.5 || sum > 100.5):
		v.Add(prefix+"choices", "panels.targets_sum")
	}
}

// validateFields checks a panel's whole list of fields.
func validateFields(v *apperr.Validation, fs []Field) {
	if len(fs) > maxFields {
		v.Add("profile_fields", "panels.too_many_fields")
	}
	seen := map[string]bool{}
	for i, f := range fs {
		prefix := fmt.Sprintf("profile_fields.%d.", i)
		if seen[f.Key] {
			v.Add(prefix+"key", "panels.key_taken")
		}
		seen[f.Key] = true
		validateField(v, prefix, f)
	}
}
