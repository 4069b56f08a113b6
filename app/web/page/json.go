package page

import (
	"encoding/json"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
)

// BindJSON decodes the request body into v. Malformed JSON is ErrBadJSON
// (400); a value of the wrong type is a validation error on that field (422).
func BindJSON(c *fiber.Ctx, v any) error {
	if err := json.Unmarshal(c.Body(), v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return apperr.Invalid(te.Field, "validation.wrong_type")
		}
		return apperr.ErrBadJSON
	}
	return nil
}
