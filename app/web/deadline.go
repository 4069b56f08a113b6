package web

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// deadline bounds the request's database work by REQUEST_TIMEOUT: every
// query runs with c.UserContext(), so a request that cannot get one of the
// pool's DB_MAX_OPEN_CONNS connections in time (the pool is exhausted by
// slow requests) ends with context.DeadlineExceeded, which classify answers
// with 503 and Retry-After, instead of queueing without end. Streams are
// not bounded: an event stream's handler only subscribes, and an export
// writes with a context of its own (context.WithoutCancel drops this
// deadline).
func (s *Server) deadline(c *fiber.Ctx) error {
	if s.cfg.RequestTimeout <= 0 {
		return c.Next()
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	if err := c.Next(); err != nil {
		// Answer the error here, while the context is still alive: some
		// error answers read the database (a form shown again with its
		// errors), and Fiber would only run the error handler after this
		// function returned and cancelled the context.
		return s.app.Config().ErrorHandler(c, err)
	}
	return nil
}
