// Package page is what handlers of every feature share: the request's
// session, account, translator and CSRF token, and the render helper.
package page

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/sessions"

	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/models"
)

// Locals keys set by the web middleware.
const (
	localSession = "inspraak.session"
	localAccount = "inspraak.account"
	localCitizen = "inspraak.citizen"
	localL       = "inspraak.l"
	localAPI     = "inspraak.api"
)

// Session wraps a gorilla session and remembers whether it must be saved.
// It is written only when changed, so browsing without a form costs no write.
//
// The anonymous participant id (auth.KeyParticipant) is not one of the
// gorilla session's values: a signed-in session lives in the database, and
// a row that held both the citizen or account and the participant id would
// tie the person to everything they did anonymously. It lives in a cookie
// of its own, which the session middleware reads into the Session and
// writes back when it changed. String, Set and Delete with
// auth.KeyParticipant act on that id, so callers need not know.
type Session struct {
	gs    *sessions.Session
	dirty bool
	renew bool

	participant      string
	participantKnown bool // the request brought it in its cookie
	participantDirty bool // the cookie must be written
}

// NewSession wraps gs; participant is the id from the request's participant
// cookie ("" for none). A participant id found among gs's values (sessions
// from before it had a cookie of its own) is taken out of them: it is kept
// when gs is an anonymous session living in its own cookie and participant
// is empty, and dropped when gs is a database-backed (signed-in) session,
// where it never belonged.
func NewSession(gs *sessions.Session, participant string) *Session {
	s := &Session{gs: gs, participant: participant, participantKnown: participant != ""}
	if legacy, ok := gs.Values[auth.KeyParticipant]; ok {
		delete(gs.Values, auth.KeyParticipant)
		s.dirty = true
		if p, _ := legacy.(string); p != "" && participant == "" && gs.ID == "" {
			s.participant, s.participantKnown, s.participantDirty = p, true, true
		}
	}
	return s
}

// Gorilla returns the wrapped session.
func (s *Session) Gorilla() *sessions.Session { return s.gs }

// Dirty tells whether the session must be saved; Renewing whether it needs a new id first.
func (s *Session) Dirty() bool    { return s.dirty }
func (s *Session) Renewing() bool { return s.renew }

// String returns a string value or "".
func (s *Session) String(key string) string {
	if key == auth.KeyParticipant {
		return s.participant
	}
	v, _ := s.gs.Values[key].(string)
	return v
}

// Int64 returns an int64 value or 0.
func (s *Session) Int64(key string) int64 {
	v, _ := s.gs.Values[key].(int64)
	return v
}

// Set stores a value.
func (s *Session) Set(key string, v any) {
	if key == auth.KeyParticipant {
		p, _ := v.(string)
		s.participant, s.participantDirty = p, true
		return
	}
	s.gs.Values[key] = v
	s.dirty = true
}

// Delete removes values.
func (s *Session) Delete(keys ...string) {
	for _, k := range keys {
		if k == auth.KeyParticipant {
			if s.participant != "" || s.participantKnown {
				s.participant, s.participantDirty = "", true
			}
			continue
		}
		if _, ok := s.gs.Values[k]; ok {
			delete(s.gs.Values, k)
			s.dirty = true
		}
	}
}

// Renew asks for a new session id and CSRF token at the next save (login, logout).
func (s *Session) Renew() {
	s.renew, s.dirty = true, true
	s.Set(auth.KeyCSRF, randomToken())
}

// NewParticipant gives the visitor a fresh anonymous participant id (at
// sign-in and sign-out), so that what they do from now on cannot be tied
// to what this browser did before.
func (s *Session) NewParticipant() {
	s.participant, s.participantDirty = models.NewID(), true
}

// ParticipantKnown tells whether the request brought a participant id: a
// caller without one gets a new id with every request.
func (s *Session) ParticipantKnown() bool { return s.participantKnown }

// ParticipantChanged returns the participant id and whether its cookie must
// be written ("" and true: the cookie must be deleted).
func (s *Session) ParticipantChanged() (string, bool) { return s.participant, s.participantDirty }

// Flash stores a message id shown once on the next page.
func (s *Session) Flash(messageID string) { s.Set(auth.KeyFlash, messageID) }

// TakeFlash returns and clears the flash message id.
func (s *Session) TakeFlash() string {
	f := s.String(auth.KeyFlash)
	if f != "" {
		s.Delete(auth.KeyFlash)
	}
	return f
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sess returns the request's session (nil on routes without one).
func Sess(c *fiber.Ctx) *Session {
	s, _ := c.Locals(localSession).(*Session)
	return s
}

// SetSess is used by the session middleware.
func SetSess(c *fiber.Ctx, s *Session) { c.Locals(localSession, s) }

// CSRF returns the session's CSRF token, creating it on first use.
func CSRF(c *fiber.Ctx) string {
	s := Sess(c)
	if s == nil {
		return ""
	}
	t := s.String(auth.KeyCSRF)
	if t == "" {
		t = randomToken()
		s.Set(auth.KeyCSRF, t)
	}
	Participant(c)
	return t
}

// Participant returns the visitor's anonymous participant id, creating it on
// first use; features count one vote, support or response per participant.
// It lives in its own cookie, never in a database-backed session, and is
// renewed at every sign-in and sign-out.
func Participant(c *fiber.Ctx) string {
	s := Sess(c)
	if s == nil {
		return ""
	}
	if s.participant == "" {
		s.NewParticipant()
	}
	return s.participant
}

// Account returns the signed-in account (session or bearer token) or nil.
func Account(c *fiber.Ctx) *models.Account {
	a, _ := c.Locals(localAccount).(*models.Account)
	return a
}

// SetAccount is used by the authentication middleware.
func SetAccount(c *fiber.Ctx, a *models.Account) { c.Locals(localAccount, a) }

// Citizen returns the signed-in citizen (a light account of a resident,
// signed in by an emailed link) or nil.
func Citizen(c *fiber.Ctx) *models.Citizen {
	a, _ := c.Locals(localCitizen).(*models.Citizen)
	return a
}

// SetCitizen is used by the session middleware.
func SetCitizen(c *fiber.Ctx, a *models.Citizen) { c.Locals(localCitizen, a) }

// L returns the request's translator.
func L(c *fiber.Ctx) *i18n.L {
	l, _ := c.Locals(localL).(*i18n.L)
	return l
}

// SetL is used by the language middleware.
func SetL(c *fiber.Ctx, l *i18n.L) { c.Locals(localL, l) }

// IsAPI tells whether the request is to the JSON API.
func IsAPI(c *fiber.Ctx) bool {
	p := c.Path()
	return len(p) >= 5 && p[:5] == "/api/"
}

// ViaToken tells whether the request authenticated with a bearer token.
func ViaToken(c *fiber.Ctx) bool { v, _ := c.Locals(localAPI).(bool); return v }

// SetViaToken is used by the bearer middleware.
func SetViaToken(c *fiber.Ctx) { c.Locals(localAPI, true) }

const localIP = "inspraak.ip"

// ClientIP is the client's address as the web layer determined it
// (X-Forwarded-For only from trusted proxies).
func ClientIP(c *fiber.Ctx) string {
	ip, _ := c.Locals(localIP).(string)
	return ip
}

// SetClientIP is used by the client-address middleware.
func SetClientIP(c *fiber.Ctx, ip string) { c.Locals(localIP, ip) }
