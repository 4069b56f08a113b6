package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/web/page"
)

// home is the public front page: what the platform is and what is open now.
// Features add their open items here as they land.
func (s *Server) home(c *fiber.Ctx) error {
	open, err := s.surveys.OpenNow(c.UserContext())
	if err != nil {
		return err
	}
	lang := page.L(c).Lang
	// KindLabel, when set, is shown instead of the "home.kind_"+Kind message.
	type item struct{ Kind, KindLabel, Title, Text, URL string }
	var items []item
	for _, sv := range open {
		main := surveys.Languages(&sv)[0]
		items = append(items, item{Kind: "survey", Title: sv.Title.In(lang, main), Text: sv.Description.In(lang, main), URL: "/surveys/" + sv.ID})
	}
	ths, err := s.townhalls.Upcoming(c.UserContext())
	if err != nil {
		return err
	}
	for _, th := range ths {
		items = append(items, item{Kind: "townhall", Title: th.Title.In(lang), Text: page.L(c).DateTime(th.StartsAt), URL: "/townhalls/" + th.ID})
	}
	cons, err := s.ideas.OpenConsultations(c.UserContext())
	if err != nil {
		return err
	}
	l := page.L(c)
	for _, co := range cons {
		items = append(items, item{Kind: "consultation", KindLabel: l.T("ideas.kind"), Title: co.Title.In(lang),
			Text: l.T("ideas_staff.home_until", "Date", l.DateTime(co.ClosesAt)), URL: "/consultations/" + co.ID})
	}
	return s.render.Render(c, fiber.StatusOK, "home/index", fiber.Map{"Open": items})
}
