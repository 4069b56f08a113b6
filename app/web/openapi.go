package web

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDoc is the hand-written OpenAPI 3 document of the JSON API; a test
// checks that it names every /api/ route the server has.
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Type("json", "utf-8")
	return c.Send(openAPIDoc)
}
