package textcheck

import (
	"strings"
	"testing"
)

func TestLineAndBlock(t *testing.T) {
	cases := []struct {
		name, in    string
		max         int
		required    bool
		line, block string
	}{
		{"ok", "Cykelsti på Nørrebrogade", 100, true, "", ""},
		{"empty required", "  ", 10, true, "validation.required", "validation.required"},
		{"empty optional", "", 10, false, "", ""},
		{"too long in characters, not bytes", strings.Repeat("ø", 11), 10, true, "validation.too_long", "validation.too_long"},
		{"exactly max", strings.Repeat("ø", 10), 10, true, "", ""},
		{"invalid UTF-8", "a\xffb", 10, true, "validation.invalid_text", "validation.invalid_text"},
		{"NUL", "a\x00b", 10, true, "validation.invalid_text", "validation.invalid_text"},
		{"newline", "a\nb", 10, true, "validation.invalid_text", ""},
		{"bell", "a\ab", 10, true, "validation.invalid_text", "validation.invalid_text"},
		{"HTML is text", "<b>hi</b>", 20, true, "", ""},
	}
	for _, c := range cases {
		if got := Line(c.in, c.max, c.required); got != c.line {
			t.Errorf("%s: Line = %q, want %q", c.name, got, c.line)
		}
		if got := Block(c.in, c.max, c.required); got != c.block {
			t.Errorf("%s: Block = %q, want %q", c.name, got, c.block)
		}
	}
}
