package accounts

import "testing"

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/staff/surveys?x=1":   "/staff/surveys?x=1",
		"/admin/accounts":      "/admin/accounts",
		"":                     "/staff",
		"https://evil.example": "/staff",
		"//evil.example":       "/staff",
		"/\\evil.example":      "/staff",
		"/\t/evil.example":     "/staff",
		"/\n/evil.example":     "/staff",
		"/%09/evil.example":    "/%09/evil.example", // percent-encoded stays a path on this site
		"javascript:alert(1)":  "/staff",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
