package page

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/models"
)

// Form copies the posted form: Fiber reuses its buffers after the handler
// returns, so values kept longer must be copies.
func Form(c *fiber.Ctx) url.Values {
	v := url.Values{}
	c.Request().PostArgs().VisitAll(func(k, val []byte) {
		v.Add(utils.CopyString(string(k)), string(val))
	})
	return v
}

// FieldErrors turns a validation error into localized messages by form
// field for a page: dots in field paths become sep (so they can be HTML
// ids), and the form-wide message is under "form". Any other error is
// returned as it is.
func FieldErrors(c *fiber.Ctx, err error, sep string) (map[string]string, error) {
	var v *apperr.Validation
	if !errors.As(err, &v) {
		return nil, err
	}
	out := make(map[string]string, len(v.Fields))
	for f, id := range v.Fields {
		f = strings.ReplaceAll(f, ".", sep)
		if f == "" {
			f = "form"
		}
		out[f] = L(c).T(id)
	}
	return out, nil
}

// TextFrom reads staff-written text per language from a form whose fields
// are named name+sep+lang (e.g. "title_da"); empty languages are left out.
func TextFrom(form url.Values, name, sep string, langs []string) models.Text {
	t := models.Text{}
	for _, l := range langs {
		if v := strings.TrimSpace(form.Get(name + sep + l)); v != "" {
			t[l] = v
		}
	}
	return t
}
