// Package apperr holds the typed errors domain code returns. Only the web
// package turns them into status codes and localized messages.
package apperr

import "errors"

// Errors every feature may return.
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	ErrConflict     = errors.New("conflict")
	ErrRateLimited  = errors.New("rate limited")
	ErrBadJSON      = errors.New("malformed JSON")
)

// Validation carries a message id per invalid field (and optionally one for
// the form as a whole under the key "").
type Validation struct {
	Fields map[string]string
}

func (v *Validation) Error() string { return "validation failed" }

// Add records a message id for field and returns v for chaining.
func (v *Validation) Add(field, messageID string) *Validation {
	if v.Fields == nil {
		v.Fields = map[string]string{}
	}
	if _, ok := v.Fields[field]; !ok {
		v.Fields[field] = messageID
	}
	return v
}

// Err returns v as an error when it holds any field, else nil.
func (v *Validation) Err() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}

// Invalid is a one-field validation error.
func Invalid(field, messageID string) error {
	return (&Validation{}).Add(field, messageID)
}

// Conflict is ErrConflict with a message id that says what clashed.
type Conflict struct{ MessageID string }

func (c *Conflict) Error() string { return "conflict: " + c.MessageID }

// Is makes errors.Is(err, ErrConflict) true for every *Conflict.
func (c *Conflict) Is(target error) bool { return target == ErrConflict }

// BadQuery is a Validation of URL query parameters (a filter, a sort, a
// language): the request, not a form, was wrong, so it answers 400.
type BadQuery struct{ V *Validation }

func (q *BadQuery) Error() string { return "bad query parameters" }

// Unwrap lets errors.As find the field messages.
func (q *BadQuery) Unwrap() error { return q.V }

// Query turns a Validation of query parameters into a BadQuery (nil stays nil).
func Query(err error) error {
	var v *Validation
	if errors.As(err, &v) {
		return &BadQuery{V: v}
	}
	return err
}

// Refused is ErrForbidden with a message id that says why (e.g. banned).
type Refused struct{ MessageID string }

func (r *Refused) Error() string { return "forbidden: " + r.MessageID }

// Is makes errors.Is(err, ErrForbidden) true for every *Refused.
func (r *Refused) Is(target error) bool { return target == ErrForbidden }

// Limited is ErrRateLimited with a message id that says what to do.
type Limited struct{ MessageID string }

func (l *Limited) Error() string { return "rate limited: " + l.MessageID }

// Is makes errors.Is(err, ErrRateLimited) true for every *Limited.
func (l *Limited) Is(target error) bool { return target == ErrRateLimited }

// Missing is ErrNotFound with a message id that says what was not found
// (e.g. a personal link that is not valid).
type Missing struct{ MessageID string }

func (m *Missing) Error() string { return "not found: " + m.MessageID }

// Is makes errors.Is(err, ErrNotFound) true for every *Missing.
func (m *Missing) Is(target error) bool { return target == ErrNotFound }

// Gone is something that existed but has run out, such as an expired
// confirmation link (410). Next, when set, is a path to go on with and
// NextLabel the message id of its link text.
type Gone struct {
	MessageID       string
	Next, NextLabel string
}

func (g *Gone) Error() string { return "gone: " + g.MessageID }

// OnPage is an error that a form shows on its own page again instead of an
// error page: the error handler (app/web) picks the status for Err as for
// any error and calls Show with that status and Err's message id. Show is
// not called for errors the user cannot fix (5xx).
type OnPage struct {
	Err  error
	Show func(status int, messageID string) error
}

func (p *OnPage) Error() string { return p.Err.Error() }

// Unwrap exposes Err, so the status of an OnPage is the status of Err.
func (p *OnPage) Unwrap() error { return p.Err }
