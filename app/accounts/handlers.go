// Package accounts serves the login, account and account-administration
// pages and the /api/v1/me endpoint.
package accounts

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// Handlers serves the account pages.
type Handlers struct {
	store   *auth.Store
	render  *page.Renderer
	signIn  func(*page.Session, *models.Account)
	signOut func(*page.Session)
}

// New returns the handlers; signIn and signOut bind or unbind a session.
func New(store *auth.Store, render *page.Renderer, signIn func(*page.Session, *models.Account), signOut func(*page.Session)) *Handlers {
	return &Handlers{store: store, render: render, signIn: signIn, signOut: signOut}
}

// fieldErrors localizes a validation error for a form; other errors pass through.
func fieldErrors(c *fiber.Ctx, err error) (map[string]string, error) {
	var v *apperr.Validation
	var cf *apperr.Conflict
	l := page.L(c)
	switch {
	case errors.As(err, &v):
		out := make(map[string]string, len(v.Fields))
		for f, id := range v.Fields {
			out[f] = l.T(id)
		}
		return out, nil
	case errors.As(err, &cf) && cf.MessageID == "account.email_taken":
		return map[string]string{"email": l.T(cf.MessageID)}, nil
	}
	return nil, err
}

// safeNext keeps redirects after login on this site: a path, with no
// scheme, host, backslash or control character (browsers drop tabs and
// newlines, which would turn "/\t/evil" into "//evil").
func safeNext(next string) string {
	const fallback = "/staff"
	if !strings.HasPrefix(next, "/") || strings.ContainsAny(next, "\\") {
		return fallback
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(next, "//") {
		return fallback
	}
	return next
}
