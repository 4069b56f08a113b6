package ideas

import "testing"

func TestCategoryKeysFromLabels(t *testing.T) {
	for in, want := range map[string]string{
		"Sikre skoleveje": "sikre-skoleveje",
		"Cykelparkering ved stationer og på Nørreport": "cykelparkering-ved-stationer-og-paa-noer",
		"  Vinter & salt!": "vinter-salt",
		"Græsplæner":       "graesplaener",
	} {
		got := slug(in)
		if got != want || len(got) > 40 || !categoryKeyRe.MatchString(got) {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
