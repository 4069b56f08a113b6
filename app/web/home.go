package web

import (
	"github.com/gofiber/fiber/v2"
)

// home is the public front page: what the platform is and what is open now.
// Features add their open items here as they land.
func (s *Server) home(c *fiber.Ctx) error {
	return s.render.Render(c, fiber.StatusOK, "home/index", fiber.Map{"Open": []any{}})
}

// dashboard is the signed-in start page.
func (s *Server) dashboard(c *fiber.Ctx) error {
	return s.render.Render(c, fiber.StatusOK, "home/dashboard", nil)
}
