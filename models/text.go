package models

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
)

// Text is staff-written content per language, e.g. {"da": "...", "en": "..."}.
// It is stored as a JSON object and falls back language by language.
type Text map[string]string

// In returns the text in lang, else in the first of fallbacks that has it.
func (t Text) In(lang string, fallbacks ...string) string {
	if v := t[lang]; v != "" {
		return v
	}
	for _, l := range fallbacks {
		if v := t[l]; v != "" {
			return v
		}
	}
	for _, l := range []string{"da", "nl", "en"} {
		if v := t[l]; v != "" {
			return v
		}
	}
	return ""
}

// Value stores Text as JSON.
func (t Text) Value() (driver.Value, error) {
	if t == nil {
		return "{}", nil
	}
	b, err := json.Marshal(t)
	return string(b), err
}

// Scan reads Text from JSON.
func (t *Text) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*t = Text{}
		return nil
	default:
		return errors.New("models.Text: unsupported type")
	}
	return json.Unmarshal(b, t)
}
