package townhall

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// ICS is the town hall as an iCalendar file (RFC 5545) to add to a calendar.
func (h *Handlers) ICS(c *fiber.Ctx) error {
	th, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	lang := page.L(c).Lang
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="townhall-`+th.ID+`.ics"`)
	return c.SendString(Calendar(th, lang, h.baseURL, h.store.Now()))
}

// Calendar writes one VEVENT for th in lang.
func Calendar(th *models.TownHall, lang, baseURL string, now time.Time) string {
	link := baseURL + "/townhalls/" + th.ID
	host := "inspraak"
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	desc := th.Description.In(lang)
	if desc != "" {
		desc += "\n\n"
	}
	desc += link
	var b strings.Builder
	line := func(name, value string) { b.WriteString(fold(name + ":" + value)) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Inspraak//Town halls//"+strings.ToUpper(lang))
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("BEGIN", "VEVENT")
	line("UID", th.ID+"@"+host)
	line("DTSTAMP", icsTime(now))
	// Calendars replace an event they have when SEQUENCE grows: the seconds
	// from creation to the last change grow with every change.
	line("SEQUENCE", strconv.FormatInt(max(0, int64(th.UpdatedAt.Sub(th.CreatedAt)/time.Second)), 10))
	line("LAST-MODIFIED", icsTime(th.UpdatedAt))
	line("DTSTART", icsTime(th.StartsAt))
	line("DTEND", icsTime(th.EndsAt))
	line("SUMMARY", icsText(th.Title.In(lang)))
	line("DESCRIPTION", icsText(desc))
	line("URL", link)
	line("END", "VEVENT")
	line("END", "VCALENDAR")
	return b.String()
}

func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// icsText escapes a TEXT value: backslash, semicolon, comma and newlines.
func icsText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// fold cuts a content line into lines of at most 75 octets, never inside a
// UTF-8 character; continuation lines start with a space. Lines end in CRLF.
func fold(s string) string {
	var b strings.Builder
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}
