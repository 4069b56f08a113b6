package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/db"
)

// healthz answers while the process runs.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz answers 200 only while the database does, so a load balancer
// stops sending traffic to an instance that lost it.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := db.Ping(ctx, s.db); err != nil {
		s.log.Warn("readiness check failed", "id", requestID(c), "err", err)
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable"})
	}
	return c.JSON(fiber.Map{"status": "ok"})
}
