// Package textcheck validates text that people type: valid UTF-8, no NUL or
// control characters, within a length. It returns message ids, not text.
package textcheck

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line checks a one-line field of at most max characters.
func Line(s string, max int, required bool) string {
	return check(s, max, required, false)
}

// Block checks a multi-line field (newlines and tabs allowed).
func Block(s string, max int, required bool) string {
	return check(s, max, required, true)
}

func check(s string, max int, required, multiline bool) string {
	if !utf8.ValidString(s) {
		return "validation.invalid_text"
	}
	for _, r := range s {
		if r == 0 || (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) {
			return "validation.invalid_text"
		}
	}
	if required && strings.TrimSpace(s) == "" {
		return "validation.required"
	}
	if utf8.RuneCountInString(s) > max {
		return "validation.too_long"
	}
	return ""
}

// Clean reports whether s is valid UTF-8 without NUL; the web layer applies
// it to every submitted value before any handler sees it.
func Clean(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// LikePattern makes a pattern for LOWER(column) LIKE ? ESCAPE '\' that
// finds s anywhere, literally (% and _ typed by people match themselves).
func LikePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(s)) + "%"
}
