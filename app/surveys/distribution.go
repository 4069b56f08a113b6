package surveys

import (
	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	sharing "github.com/inspraak/inspraak/app/share"
	"github.com/inspraak/inspraak/models"
)

// Channels offered as ready-made links in the builder, so staff can see
// which channel brought whom.
var Channels = []string{"web", "facebook", "x", "instagram", "linkedin", "email", "newsletter", "qr", "panel", "link", "unlisted"}

// publicURL is the survey's stable public address.
func (h *Handlers) publicURL(sv *models.Survey) string { return h.baseURL + "/surveys/" + sv.ID }

// openGraph fills the Open Graph and Twitter card tags of the survey page.
func (h *Handlers) openGraph(c *fiber.Ctx, sv *models.Survey, lang, main string) sharing.OG {
	desc := sv.Description.In(lang, main)
	if r := []rune(desc); len(r) > 200 {
		desc = string(r[:197]) + "…"
	}
	return sharing.OG{Title: sv.Title.In(lang, main), Description: desc, URL: h.publicURL(sv) + "?lang=" + lang, Locale: sharing.OGLocale(lang)}
}

// distribution prepares the builder's links per channel, QR codes and share links.
func (h *Handlers) distribution(c *fiber.Ctx, sv *models.Survey) fiber.Map {
	lang, main := contentLang(c, sv)
	type chLink struct{ Channel, URL string }
	var links []chLink
	for _, ch := range Channels {
		links = append(links, chLink{ch, sharing.WithChannel(h.publicURL(sv), ch)})
	}
	return fiber.Map{
		"URL": h.publicURL(sv), "Channels": links, "Share": sharing.Links(h.publicURL(sv), sv.Title.In(lang, main)),
		"QRPNG": "/staff/surveys/" + sv.ID + "/qr.png", "QRSVG": "/staff/surveys/" + sv.ID + "/qr.svg",
	}
}

// QR serves the poster QR code of the survey's ?channel=qr link as PNG or SVG.
func (h *Handlers) QR(c *fiber.Ctx) error {
	sv, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	target := sharing.WithChannel(h.publicURL(sv), "qr")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="survey-`+sv.ID+`-qr.`+c.Params("format")+`"`)
	switch c.Params("format") {
	case "png":
		b, err := sharing.QRPNG(target, c.QueryInt("size", 1024))
		if err != nil {
			return err
		}
		c.Type("png")
		return c.Send(b)
	case "svg":
		s, err := sharing.QRSVG(target)
		if err != nil {
			return err
		}
		c.Type("svg")
		return c.SendString(s)
	}
	return apperr.ErrNotFound
}
