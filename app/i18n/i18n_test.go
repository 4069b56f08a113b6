package i18n_test

import (
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/assets"
	. "github.com/inspraak/inspraak/app/i18n"
)

func load(t *testing.T) *Bundle {
	t.Helper()
	a, err := assets.FromRepo()
	if err != nil {
		t.Fatal(err)
	}
	zone, _ := time.LoadLocation("Europe/Copenhagen")
	b, err := Load(a.Locales, []string{"da", "nl", "en"}, "da", zone)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNegotiate(t *testing.T) {
	b := load(t)
	cases := []struct{ query, cookie, accept, want string }{
		{"", "", "", "da"},
		{"nl", "en", "da", "nl"},
		{"", "en", "nl", "en"},
		{"", "", "nl-BE,nl;q=0.9,en;q=0.8", "nl"},
		{"", "", "de-DE,en-GB;q=0.7", "en"},
		{"", "", "fr", "da"},
		{"xx", "", "", "da"},
		{"xx", "zz", "en-US", "en"},
		{"EN", "", "", "en"},
		{"'; select pg_sleep(5)--", "", "", "da"},
	}
	for _, c := range cases {
		if got := b.Negotiate(c.query, c.cookie, c.accept); got != c.want {
			t.Errorf("Negotiate(%q, %q, %q) = %q, want %q", c.query, c.cookie, c.accept, got, c.want)
		}
	}
}

func TestPluralsDatesAndNumbers(t *testing.T) {
	b := load(t)
	day := time.Date(2013, 2, 1, 13, 5, 0, 0, time.UTC) // 14:05 in Copenhagen
	cases := []struct {
		lang, one, many, date, datetime, number string
	}{
		{"da", "1 konto", "1.700 konti", "1. februar 2013", "1. februar 2013 kl. 14:05", "2.400"},
		{"nl", "1 account", "1.700 accounts", "1 februari 2013", "1 februari 2013 om 14:05", "2.400"},
		{"en", "1 account", "1,700 accounts", "1 February 2013", "1 February 2013 at 14:05", "2,400"},
	}
	for _, c := range cases {
		l := b.For(c.lang)
		if got := l.Tn("admin.account_count", 1); got != c.one {
			t.Errorf("%s one: %q, want %q", c.lang, got, c.one)
		}
		if got := l.Tn("admin.account_count", 1700); got != c.many {
			t.Errorf("%s many: %q, want %q", c.lang, got, c.many)
		}
		if got := l.Date(day); got != c.date {
			t.Errorf("%s date: %q, want %q", c.lang, got, c.date)
		}
		if got := l.DateTime(day); got != c.datetime {
			t.Errorf("%s datetime: %q, want %q", c.lang, got, c.datetime)
		}
		if got := l.Number(2400); got != c.number {
			t.Errorf("%s number: %q, want %q", c.lang, got, c.number)
		}
	}
	if got := b.For("da").T("dashboard.heading", "Name", "Mette"); got != "Velkommen, Mette" {
		t.Errorf("template data: %q", got)
	}
	if got := b.For("xx").Lang; got != "da" {
		t.Errorf("unknown language gives %q", got)
	}
}

// TestTranslationsAreNotEnglishLeftInPlace catches copy-paste of the
// English text into the Danish or Dutch file.
func TestTranslationsAreNotEnglishLeftInPlace(t *testing.T) {
	b := load(t)
	en, da, nl := b.For("en"), b.For("da"), b.For("nl")
	// Words that are truly the same in Danish and English.
	sameOnPurpose := map[string]bool{"role.admin": true}
	for id := range localeIDs(t)["en"] {
		e := en.T(id)
		if len(e) < 12 || strings.Contains(e, "<no value>") || sameOnPurpose[id] {
			continue // short words such as "Status" may be the same
		}
		if da.T(id) == e || nl.T(id) == e {
			t.Errorf("%s is the same in English and another language: %q", id, e)
		}
	}
}
