package mail

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/inspraak/inspraak/app/web/page"
)

// Handlers serves the admin mail pages: the outgoing queue, and each
// mail's text (kept readable when mail goes to the log).
type Handlers struct {
	outbox *Outbox
	render *page.Renderer
	viaLog bool
}

// NewHandlers returns the mail pages; viaLog says that no SMTP server is set.
func NewHandlers(o *Outbox, render *page.Renderer, viaLog bool) *Handlers {
	return &Handlers{outbox: o, render: render, viaLog: viaLog}
}

// List shows the newest mails.
func (h *Handlers) List(c *fiber.Ctx) error {
	ms, err := h.outbox.List(c.UserContext(), 200)
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "admin/mail", fiber.Map{"Mails": ms, "ViaLog": h.viaLog})
}

// Show shows one mail's text.
func (h *Handlers) Show(c *fiber.Ctx) error {
	m, err := h.outbox.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "admin/mail_show", fiber.Map{"Mail": m, "ViaLog": h.viaLog})
}

// Retry queues a given-up mail again.
func (h *Handlers) Retry(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("id"))
	if err := h.outbox.Retry(c.UserContext(), id); err != nil {
		return err
	}
	page.Sess(c).Flash("mail.retried")
	return c.Redirect("/admin/mail", fiber.StatusSeeOther)
}
