package results

import "testing"

func TestEscapeText(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-2": "'-2", "@x": "'@x", "\tx": "'\tx", "\rx": "'\rx",
		"": "", "a=b": "a=b", "Æblegrød": "Æblegrød", " =x": " =x", "'=x": "'=x",
	} {
		if got := escapeText(in); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFileNames(t *testing.T) {
	for _, c := range []struct{ title, ascii, full string }{
		{"Borgerpanel om sociale medier – Ærø", "Borgerpanel-om-sociale-medier-Aeroe", "Borgerpanel-om-sociale-medier-Ærø"},
		{"Café's \"beste\" IJs/ijs?", "Cafe-s-beste-IJs-ijs", "Café-s-beste-IJs-ijs"},
		{"../../etc/passwd\r\n", "etc-passwd", "etc-passwd"},
		{"Ĳsselmeer: ĳs", "IJsselmeer-ijs", "Ĳsselmeer-ĳs"},
		{"!!!", "", ""},
	} {
		a, f := fileNames(c.title)
		if a != c.ascii || f != c.full {
			t.Errorf("fileNames(%q) = %q, %q; want %q, %q", c.title, a, f, c.ascii, c.full)
		}
	}
	if got := contentDisposition("???", "abc", "csv"); got != `attachment; filename="survey-abc.csv"; filename*=UTF-8''survey-abc.csv` {
		t.Errorf("fallback: %s", got)
	}
}
