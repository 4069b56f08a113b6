package townhall

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// PanelOption is a panel staff may open a town hall to.
type PanelOption struct{ ID, Name string }

// PanelLister lists the panels (the panels package provides it).
type PanelLister func(ctx context.Context, lang string) ([]PanelOption, error)

// WithPanels lets the staff form offer panels.
func (h *Handlers) WithPanels(f PanelLister) *Handlers { h.panels = f; return h }

// localTime parses an <input type="datetime-local"> value in the platform's zone.
func (h *Handlers) localTime(s string) *time.Time {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), h.zone); err == nil {
			t = t.UTC()
			return &t
		}
	}
	return nil
}

// inputFrom reads the staff form. Politicians: one per line, "email" or
// "email; role shown with answers".
func (h *Handlers) inputFrom(form url.Values) Input {
	in := Input{Title: page.TextFrom(form, "title", "_", config.Languages), Description: page.TextFrom(form, "description", "_", config.Languages),
		StartsAt: h.localTime(form.Get("starts_at")), EndsAt: h.localTime(form.Get("ends_at")),
		Moderation: form.Get("moderation"), Participation: form.Get("participation"), PanelID: form.Get("panel_id"), Names: form.Get("names"),
		PoliticianRoles: map[string]string{}}
	for _, line := range strings.Split(form.Get("politicians"), "\n") {
		email, role, _ := strings.Cut(line, ";")
		if email = strings.TrimSpace(email); email != "" {
			in.Politicians = append(in.Politicians, email)
			in.PoliticianRoles[email] = strings.TrimSpace(role)
		}
	}
	return in
}

// formFrom fills the staff form from a town hall.
func (h *Handlers) formFrom(c *fiber.Ctx, th *models.TownHall) (url.Values, error) {
	l := page.L(c)
	f := url.Values{"starts_at": {l.Input(th.StartsAt)}, "ends_at": {l.Input(th.EndsAt)}, "moderation": {th.Moderation},
		"participation": {th.Participation}, "names": {th.Names}}
	if th.PanelID != nil {
		f.Set("panel_id", *th.PanelID)
	}
	for _, lang := range config.Languages {
		f.Set("title_"+lang, th.Title[lang])
		f.Set("description_"+lang, th.Description[lang])
	}
	pols, err := h.store.Politicians(c.UserContext(), th.ID)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, p := range pols {
		if p.Role != "" {
			lines = append(lines, p.Email+"; "+p.Role)
		} else {
			lines = append(lines, p.Email)
		}
	}
	f.Set("politicians", strings.Join(lines, "\n"))
	return f, nil
}

// StaffList lists the town halls with a form for a new one.
func (h *Handlers) StaffList(c *fiber.Ctx) error {
	now := h.store.Now().In(h.zone)
	start := now.Add(7 * 24 * time.Hour).Truncate(time.Hour)
	l := page.L(c)
	form := url.Values{"starts_at": {l.Input(start)}, "ends_at": {l.Input(start.Add(time.Hour))}, "moderation": {models.ModerationPre},
		"participation": {models.ParticipationAnyone}, "names": {models.NamesOptional}}
	return h.staffList(c, fiber.StatusOK, form, nil)
}

func (h *Handlers) staffList(c *fiber.Ctx, status int, form url.Values, errs map[string]string) error {
	ths, err := h.store.List(c.UserContext())
	if err != nil {
		return err
	}
	data, err := h.formData(c, form, errs)
	if err != nil {
		return err
	}
	data["TownHalls"] = Cards(ths, page.L(c).Lang, h.store.Now())
	return h.render.Render(c, status, "townhall/staff_list", data)
}

func (h *Handlers) formData(c *fiber.Ctx, form url.Values, errs map[string]string) (fiber.Map, error) {
	var panels []PanelOption
	if h.panels != nil {
		var err error
		if panels, err = h.panels(c.UserContext(), page.L(c).Lang); err != nil {
			return nil, err
		}
	}
	return fiber.Map{"Form": form, "Errors": errs, "Languages": config.Languages, "Panels": panels}, nil
}

// StaffCreate schedules a town hall from the form.
func (h *Handlers) StaffCreate(c *fiber.Ctx) error {
	form := page.Form(c)
	th, err := h.store.Create(c.UserContext(), h.inputFrom(form), accountID(c))
	if err != nil {
		errs, err := page.FieldErrors(c, err, "_")
		if err != nil {
			return err
		}
		return h.staffList(c, fiber.StatusUnprocessableEntity, form, errs)
	}
	page.Sess(c).Flash("townhall.created")
	return c.Redirect("/staff/townhalls/"+th.ID, fiber.StatusSeeOther)
}

// StaffEdit is a town hall's settings page.
func (h *Handlers) StaffEdit(c *fiber.Ctx) error {
	th, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	form, err := h.formFrom(c, th)
	if err != nil {
		return err
	}
	return h.staffEdit(c, fiber.StatusOK, th, form, nil)
}

func (h *Handlers) staffEdit(c *fiber.Ctx, status int, th *models.TownHall, form url.Values, errs map[string]string) error {
	data, err := h.formData(c, form, errs)
	if err != nil {
		return err
	}
	data["TH"], data["Title"], data["Phase"] = th, th.Title.In(page.L(c).Lang), th.Phase(h.store.Now())
	data["URL"] = h.baseURL + "/townhalls/" + th.ID
	return h.render.Render(c, status, "townhall/staff_edit", data)
}

// StaffSave saves the settings.
func (h *Handlers) StaffSave(c *fiber.Ctx) error {
	th, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	form := page.Form(c)
	if err := h.store.Update(c.UserContext(), th.ID, h.inputFrom(form)); err != nil {
		errs, err := page.FieldErrors(c, err, "_")
		if err != nil {
			return err
		}
		return h.staffEdit(c, fiber.StatusUnprocessableEntity, th, form, errs)
	}
	page.Sess(c).Flash("townhall.saved")
	return c.Redirect("/staff/townhalls/"+th.ID, fiber.StatusSeeOther)
}

// StaffStartNow starts a scheduled town hall at once, keeping its length.
func (h *Handlers) StaffStartNow(c *fiber.Ctx) error {
	th, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	now := h.store.Now()
	if th.Phase(now) == models.TownHallScheduled {
		if err := h.store.SetTimes(c.UserContext(), th.ID, now, now.Add(th.EndsAt.Sub(th.StartsAt))); err != nil {
			return err
		}
	}
	page.Sess(c).Flash("townhall.started")
	return c.Redirect("/staff/townhalls/"+th.ID, fiber.StatusSeeOther)
}

// StaffEndNow ends a live town hall at once.
func (h *Handlers) StaffEndNow(c *fiber.Ctx) error {
	th, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	now := h.store.Now()
	if th.Phase(now) == models.TownHallLive {
		if err := h.store.SetTimes(c.UserContext(), th.ID, th.StartsAt, now); err != nil {
			return err
		}
	}
	page.Sess(c).Flash("townhall.ended_now")
	return c.Redirect("/staff/townhalls/"+th.ID, fiber.StatusSeeOther)
}
