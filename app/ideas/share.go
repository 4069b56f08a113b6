package ideas

import (
	"context"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	sharing "github.com/inspraak/inspraak/app/share"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// maxOGDescription is the longest Open Graph description, in characters.
const maxOGDescription = 200

// shareData adds Open Graph tags ("OG") and share links ("Share",
// "ShareURL") for the public page at path. The share links go through
// path + "/share/<network>", which counts the click and sends the visitor
// on to the network.
func (h *Handlers) shareData(c *fiber.Ctx, path, title, description string, data fiber.Map) {
	lang := page.L(c).Lang
	pageURL := h.baseURL + path
	if r := []rune(description); len(r) > maxOGDescription {
		description = string(r[:maxOGDescription-3]) + "…"
	}
	data["OG"] = sharing.OG{Title: title, Description: description, URL: pageURL + "?lang=" + lang, Locale: sharing.OGLocale(lang)}
	links := sharing.Links(pageURL, title)
	for i := range links {
		links[i].URL = path + "/share/" + links[i].Network + "?lang=" + url.QueryEscape(lang)
	}
	data["Share"] = links
	data["ShareURL"] = sharing.WithChannel(pageURL, sharing.ChannelLink)
}

// shareTarget is the network's share URL for the page at pageURL
// ("" for an unknown network).
func shareTarget(network, pageURL, title string) string {
	for _, l := range sharing.Links(pageURL, title) {
		if l.Network == network {
			return l.URL
		}
	}
	return ""
}

// CountShare adds one share click to a published idea (table "ideas") or
// a consultation (table "consultations") with one atomic UPDATE; unknown,
// hidden and pending ones: not found.
func (s *Store) CountShare(ctx context.Context, table, id string) error {
	var q string
	args := []any{id}
	switch table {
	case "ideas":
		q = "UPDATE ideas SET share_clicks = share_clicks + 1 WHERE id = ? AND visibility = ?"
		args = append(args, models.PostPublished)
	case "consultations":
		q = "UPDATE consultations SET share_clicks = share_clicks + 1 WHERE id = ?"
	default:
		return apperr.ErrNotFound
	}
	res := s.db.WithContext(ctx).Exec(q, args...)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return apperr.ErrNotFound
	}
	return nil
}

// redirectShare counts a click (unless the client address is over its
// allowance: then the visitor goes on uncounted) and sends the visitor to
// the network's share URL. The answer must not be cached, or clicks would
// go uncounted.
func (h *Handlers) redirectShare(c *fiber.Ctx, table, id, target string) error {
	if target == "" {
		return apperr.ErrNotFound
	}
	if h.perIP.Allow(page.ClientIP(c), 1) {
		if err := h.store.CountShare(c.UserContext(), table, id); err != nil {
			return err
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	return c.Redirect(target, fiber.StatusFound)
}

// ShareIdea counts a share of a published idea and sends the visitor on to
// the network (facebook, x, linkedin, email).
func (h *Handlers) ShareIdea(c *fiber.Ctx) error {
	idea, err := h.store.Idea(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !Published(idea.Visibility) {
		return apperr.ErrNotFound
	}
	return h.redirectShare(c, "ideas", idea.ID, shareTarget(c.Params("network"), h.baseURL+"/ideas/"+idea.ID, idea.Title))
}

// ShareConsultation counts a share of a consultation and sends the visitor
// on to the network.
func (h *Handlers) ShareConsultation(c *fiber.Ctx) error {
	cons, err := h.store.Consultation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	title := cons.Title.In(page.L(c).Lang)
	return h.redirectShare(c, "consultations", cons.ID, shareTarget(c.Params("network"), h.baseURL+"/consultations/"+cons.ID, title))
}
