// Package i18n loads the locale files, picks the caller's language and gives
// templates and handlers a translator for it.
package i18n

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Bundle holds every language's messages.
type Bundle struct {
	b        *goi18n.Bundle
	langs    []string
	matcher  language.Matcher
	fallback string
	loc      *time.Location
}

// Load reads one TOML file per language from fsys (e.g. da.toml). langs gives
// the languages in the order the switcher shows them; fallback is the
// default language.
func Load(fsys fs.FS, langs []string, fallback string, loc *time.Location) (*Bundle, error) {
	b := goi18n.NewBundle(language.MustParse(fallback))
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	tags := make([]language.Tag, 0, len(langs))
	for _, l := range langs {
		data, err := fs.ReadFile(fsys, l+".toml")
		if err != nil {
			return nil, fmt.Errorf("locale %s: %w", l, err)
		}
		if _, err := b.ParseMessageFileBytes(data, path.Join("locales", l+".toml")); err != nil {
			return nil, fmt.Errorf("locale %s: %w", l, err)
		}
		tags = append(tags, language.MustParse(l))
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Bundle{b: b, langs: langs, matcher: language.NewMatcher(tags), fallback: fallback, loc: loc}, nil
}

// Languages lists the supported language codes.
func (b *Bundle) Languages() []string { return b.langs }

// Default is the platform's default language.
func (b *Bundle) Default() string { return b.fallback }

// Supported tells whether lang is one of the platform's languages.
func (b *Bundle) Supported(lang string) bool {
	for _, l := range b.langs {
		if l == lang {
			return true
		}
	}
	return false
}

// Negotiate picks the language: ?lang=, then the lang cookie, then
// Accept-Language, then the default. Unknown values fall through silently.
func (b *Bundle) Negotiate(query, cookie, acceptLanguage string) string {
	for _, v := range []string{query, cookie} {
		if v = strings.ToLower(strings.TrimSpace(v)); b.Supported(v) {
			return v
		}
	}
	if acceptLanguage != "" {
		tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil && len(tags) > 0 {
			_, idx, conf := b.matcher.Match(tags...)
			if conf >= language.Low {
				return b.langs[idx]
			}
		}
	}
	return b.fallback
}

// For returns the translator for lang (the default for an unknown lang).
func (b *Bundle) For(lang string) *L {
	if !b.Supported(lang) {
		lang = b.fallback
	}
	return &L{
		Lang:    lang,
		loc:     goi18n.NewLocalizer(b.b, lang),
		printer: message.NewPrinter(language.MustParse(lang)),
		zone:    b.loc,
	}
}

// L translates into one language. Templates reach it as .L.
type L struct {
	Lang    string
	loc     *goi18n.Localizer
	printer *message.Printer
	zone    *time.Location
}

// T translates id; args are name/value pairs filled into the message.
func (l *L) T(id string, args ...any) string {
	return l.translate(id, nil, args)
}

// Tn translates id with a CLDR plural form chosen by count ({{.Count}}).
func (l *L) Tn(id string, count int, args ...any) string {
	return l.translate(id, count, args)
}

// HTML is T for messages that hold trusted markup from the locale files.
func (l *L) HTML(id string, args ...any) template.HTML {
	return template.HTML(l.T(id, args...)) //nolint:gosec // locale files are ours
}

func (l *L) translate(id string, count any, args []any) string {
	var data map[string]any
	if len(args) > 0 || count != nil {
		data = make(map[string]any, len(args)/2+1)
		for i := 0; i+1 < len(args); i += 2 {
			if k, ok := args[i].(string); ok {
				data[k] = args[i+1]
			}
		}
		if count != nil {
			data["Count"] = l.Number(count)
		}
	}
	s, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil && s == "" {
		// A missing id is caught by the locale tests; show the id, not a blank.
		return id
	}
	return s
}

// Number formats an integer or float with the language's separators.
func (l *L) Number(n any) string {
	switch v := n.(type) {
	case float64:
		return l.printer.Sprintf("%.1f", v)
	default:
		return l.printer.Sprintf("%d", v)
	}
}

// Percent formats a percentage (0..100) with one decimal, e.g. "43,2 %"
// in Danish, "43,2%" in Dutch, "43.2%" in English.
func (l *L) Percent(p float64) string { return l.T("format.percent", "P", l.Number(p)) }

// Date formats t as a long date in the platform's time zone, e.g.
// "1. februar 2013", "1 februari 2013", "1 February 2013".
func (l *L) Date(t time.Time) string {
	t = t.In(l.zone)
	return l.T("format.date", "Day", t.Day(), "Month", l.T(fmt.Sprintf("month.%d", int(t.Month()))), "Year", t.Year())
}

// DateTime is Date plus the time of day.
func (l *L) DateTime(t time.Time) string {
	t = t.In(l.zone)
	return l.T("format.datetime", "Date", l.Date(t), "Time", t.Format("15:04"))
}

// Input formats t for an <input type="datetime-local"> in the platform's zone.
func (l *L) Input(t time.Time) string { return t.In(l.zone).Format("2006-01-02T15:04") }

// TOr translates id, or returns fallback when no locale has it (e.g. a
// channel name staff made up).
func (l *L) TOr(id, fallback string) string {
	if s := l.T(id); s != id {
		return s
	}
	return fallback
}
