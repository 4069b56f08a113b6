package web

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/web/page"
)

// apiError is the one JSON error shape of API.md.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// classify maps an error to a status, an API code and a message id. It is
// the only place where typed errors become HTTP answers.
func classify(err error) (status int, code, messageID string) {
	var v *apperr.Validation
	var c *apperr.Conflict
	var fe *fiber.Error
	var bq *apperr.BadQuery
	var rf *apperr.Refused
	var lm *apperr.Limited
	var ms *apperr.Missing
	var gn *apperr.Gone
	switch {
	case errors.Is(err, context.DeadlineExceeded), databaseDown(err):
		// REQUEST_TIMEOUT passed, mostly waiting for a database connection;
		// or the database cannot be reached (restarting, failing over).
		return fiber.StatusServiceUnavailable, "unavailable", "error.unavailable"
	case errors.As(err, &ms):
		return fiber.StatusNotFound, "not_found", ms.MessageID
	case errors.As(err, &gn):
		return fiber.StatusGone, "gone", gn.MessageID
	case errors.As(err, &rf):
		return fiber.StatusForbidden, "forbidden", rf.MessageID
	case errors.As(err, &lm):
		return fiber.StatusTooManyRequests, "rate_limited", lm.MessageID
	case errors.As(err, &bq):
		return fiber.StatusBadRequest, "bad_query", "error.bad_query"
	case errors.As(err, &v):
		return fiber.StatusUnprocessableEntity, "validation_failed", "error.validation"
	case errors.As(err, &c):
		return fiber.StatusConflict, "conflict", c.MessageID
	case errors.Is(err, apperr.ErrNotFound):
		return fiber.StatusNotFound, "not_found", "error.not_found"
	case errors.Is(err, apperr.ErrUnauthorized), errors.Is(err, auth.ErrBadCredentials):
		return fiber.StatusUnauthorized, "unauthorized", "error.unauthorized"
	case errors.Is(err, apperr.ErrForbidden):
		return fiber.StatusForbidden, "forbidden", "error.forbidden"
	case errors.Is(err, errCSRF):
		return fiber.StatusForbidden, "csrf_failed", "error.csrf"
	case errors.Is(err, apperr.ErrConflict):
		return fiber.StatusConflict, "conflict", "error.conflict"
	case errors.Is(err, apperr.ErrRateLimited):
		return fiber.StatusTooManyRequests, "rate_limited", "error.rate_limited"
	case errors.Is(err, errBadText):
		return fiber.StatusBadRequest, "invalid_text", "validation.invalid_text"
	case errors.Is(err, errNotJSON):
		return fiber.StatusUnsupportedMediaType, "unsupported_media_type", "error.not_json"
	case errors.Is(err, apperr.ErrBadJSON):
		return fiber.StatusBadRequest, "malformed_json", "error.bad_json"
	case errors.As(err, &fe):
		switch fe.Code {
		case fiber.StatusNotFound:
			return fe.Code, "not_found", "error.not_found"
		case fiber.StatusRequestEntityTooLarge:
			return fe.Code, "body_too_large", "error.too_large"
		case fiber.StatusMethodNotAllowed:
			return fe.Code, "method_not_allowed", "error.method_not_allowed"
		case fiber.StatusRequestTimeout:
			return fe.Code, "timeout", "error.timeout"
		case fiber.StatusServiceUnavailable:
			return fe.Code, "unavailable", "error.unavailable"
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return fiber.StatusBadRequest, "bad_request", "error.bad_request"
		}
	}
	return fiber.StatusInternalServerError, "internal", "error.internal"
}

func statusOf(err error) int {
	s, _, _ := classify(err)
	return s
}

// handleError answers every failed request: JSON under /api/, a localized
// page elsewhere. Details of unexpected errors go to the log, never to the user.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, code, msgID := classify(err)
	if dl, ok := c.UserContext().Deadline(); ok && status == fiber.StatusInternalServerError && !time.Now().Before(dl) {
		// The driver does not always say that the deadline ended its work
		// (a connection being dialed fails with an i/o timeout, a
		// transaction rolled back by the cancel answers "already rolled
		// back"), and the context may not say so yet either at that instant.
		status, code, msgID = classify(context.DeadlineExceeded)
	}
	if status == fiber.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "1")
	}
	if status >= 500 {
		// The route pattern, not the path: paths hold personal link tokens.
		s.log.Error("request failed", "id", requestID(c), "method", c.Method(), "route", c.Route().Path, "err", err)
	}
	l := page.L(c)
	if l == nil {
		// Errors raised before the middleware ran (e.g. a body too large).
		l = s.bundle.For(s.bundle.Negotiate(c.Query("lang"), c.Cookies("lang"), c.Get(fiber.HeaderAcceptLanguage)))
		page.SetL(c, l)
	}
	// A form that shows the refusal on its own page, with the status chosen here.
	var op *apperr.OnPage
	if errors.As(err, &op) && status < 500 && !page.IsAPI(c) && op.Show != nil {
		rerr := op.Show(status, msgID)
		if rerr == nil {
			return nil
		}
		s.log.Error("render form page", "id", requestID(c), "route", c.Route().Path, "err", rerr)
	}
	if page.IsAPI(c) || c.Path() == "/readyz" {
		body := apiError{Error: apiErrorBody{Code: code, Message: l.T(msgID)}}
		var v *apperr.Validation
		if errors.As(err, &v) {
			body.Error.Fields = make(map[string]string, len(v.Fields))
			for f, id := range v.Fields {
				body.Error.Fields[f] = l.T(id)
			}
		}
		return c.Status(status).JSON(body)
	}
	tmpl := "errors/error"
	var ms *apperr.Missing
	if status == fiber.StatusNotFound && !errors.As(err, &ms) {
		tmpl = "errors/404"
	}
	next, nextLabel := "", ""
	var gn *apperr.Gone
	if errors.As(err, &gn) && gn.Next != "" {
		next, nextLabel = gn.Next, l.T(gn.NextLabel)
	}
	var details []string
	var bq *apperr.BadQuery
	if errors.As(err, &bq) {
		for _, f := range sortedFields(bq.V.Fields) {
			details = append(details, f+": "+l.T(bq.V.Fields[f]))
		}
	}
	if rerr := s.render.Render(c, status, tmpl, fiber.Map{"Status": status, "Message": l.T(msgID), "Code": code, "Details": details, "Next": next, "NextLabel": nextLabel}); rerr != nil {
		s.log.Error("render error page", "id", requestID(c), "route", c.Route().Path, "err", rerr)
		return c.Status(status).SendString(l.T(msgID))
	}
	return nil
}

func sortedFields(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// databaseDown tells whether err says that the database could not be
// reached or went away, rather than that a statement failed: worth a retry.
func databaseDown(err error) bool {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, driver.ErrBadConn):
		return true
	case errors.As(err, &pe):
		// Class 08: connection exception; 57P01-57P03: the server is
		// shutting down or starting.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	return false
}
