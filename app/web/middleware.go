package web

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gorilla/securecookie"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// errBadText marks a request whose fields hold invalid UTF-8 or NUL.
var errBadText = errors.New("invalid text in request")

// errCSRF marks a state change without a valid CSRF token or from a foreign origin.
var errCSRF = errors.New("csrf check failed")

// errNotJSON marks an API write whose body is not declared as JSON.
var errNotJSON = errors.New("content type is not JSON")

// securityHeaders sets a strict CSP (no inline script) and friends on every answer.
func securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	return c.Next()
}

// requestLog writes one structured line per request.
func (s *Server) requestLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		// The error handler has not run yet; log the status it will choose.
		status = statusOf(err)
	}
	lvl := slog.LevelInfo
	if status >= 500 {
		lvl = slog.LevelError
	}
	// The route pattern, not the path: paths hold resume tokens and ids that,
	// with the time, could tie a person to an anonymous response. For the same
	// reason citizens' routes are logged without the client address.
	route := c.Route().Path
	attrs := []any{"id", requestID(c), "method", c.Method(), "route", route, "status", status, "ms", time.Since(start).Milliseconds()}
	if !citizenRoute(route) {
		attrs = append(attrs, "ip", page.ClientIP(c))
	}
	s.log.Log(c.UserContext(), lvl, "request", attrs...)
	return err
}

// citizenRoutes are the route patterns (or, ending in "/", prefixes of
// them) where citizens answer, ask, vote or follow anonymously: the request
// log leaves out their client address.
var citizenRoutes = []string{
	"/surveys/", "/api/v1/surveys/:id/responses", "/i/",
	"/townhalls/:id", "/townhalls/:id.ics", "/townhalls/:id/", "/api/v1/townhalls/:id", "/api/v1/townhalls/:id/questions",
	"/api/v1/townhalls/:id/events", "/api/v1/questions/:id/votes",
	"/consultations/:id", "/consultations/:id/", "/ideas/", "/api/v1/consultations/:id/ideas", "/api/v1/ideas/",
	"/reports", "/api/v1/reports",
}

// citizenRoute tells whether route is one of citizenRoutes.
func citizenRoute(route string) bool {
	for _, r := range citizenRoutes {
		if route == r || (strings.HasSuffix(r, "/") && strings.HasPrefix(route, r)) {
			return true
		}
	}
	return false
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	return id
}

// language picks the request's language and remembers an explicit ?lang= in a cookie.
func (s *Server) language(c *fiber.Ctx) error {
	q := c.Query("lang")
	lang := s.bundle.Negotiate(q, c.Cookies("lang"), c.Get(fiber.HeaderAcceptLanguage))
	if q != "" && q == lang && c.Cookies("lang") != lang {
		c.Cookie(&fiber.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HTTPOnly: true, Secure: s.cfg.SecureCookies(), SameSite: fiber.CookieSameSiteLaxMode})
	}
	page.SetL(c, s.bundle.For(lang))
	c.Set(fiber.HeaderContentLanguage, lang)
	return c.Next()
}

// cleanInput refuses bodies and query values with invalid UTF-8 or NUL
// before any handler sees them, so nothing of such a request is stored.
func cleanInput(c *fiber.Ctx) error {
	bad := false
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		bad = bad || !utf8.Valid(k) || !utf8.Valid(v) || bytes.IndexByte(v, 0) >= 0
	})
	if isWrite(c.Method()) {
		ct := string(c.Request().Header.ContentType())
		switch {
		case strings.HasPrefix(ct, fiber.MIMEApplicationJSON):
			b := c.Body()
			bad = bad || !utf8.Valid(b) || bytes.Contains(b, []byte(`\u0000`)) || bytes.IndexByte(b, 0) >= 0
		case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
			c.Request().PostArgs().VisitAll(func(k, v []byte) {
				bad = bad || !textcheck.Clean(string(k)) || !textcheck.Clean(string(v))
			})
		case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
			if f, err := c.MultipartForm(); err == nil {
				for k, vs := range f.Value {
					for _, v := range vs {
						bad = bad || !textcheck.Clean(k) || !textcheck.Clean(v)
					}
				}
			}
		}
	}
	if bad {
		return errBadText
	}
	return c.Next()
}

func isWrite(method string) bool {
	switch method {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return false
	}
	return true
}

// bearer authenticates API callers that send Authorization: Bearer <token>.
// A bad token is refused outright rather than treated as anonymous.
func (s *Server) bearer(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" || !page.IsAPI(c) {
		return c.Next() // pages use the session cookie only
	}
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return apperr.ErrUnauthorized
	}
	a, err := s.auth.AccountForToken(c.UserContext(), strings.TrimSpace(token))
	if err != nil {
		return err
	}
	page.SetAccount(c, a)
	page.SetViaToken(c)
	return c.Next()
}

// session loads the server-side session (not for bearer-token calls),
// applies the signed-in timeouts and saves the session if it changed.
func (s *Server) session(c *fiber.Ctx) error {
	if page.ViaToken(c) {
		return c.Next()
	}
	r := httpRequest(c)
	gs, err := s.sessions.New(r, SessionCookie)
	if err != nil {
		return err
	}
	sess := page.NewSession(gs, s.readParticipant(c))
	page.SetSess(c, sess)
	if err := s.loadAccount(c, sess); err != nil {
		return err
	}
	if err := s.loadCitizen(c, sess); err != nil {
		return err
	}
	herr := c.Next()
	if p, changed := sess.ParticipantChanged(); changed {
		if err := s.writeParticipant(c, p); err != nil {
			return err
		}
	}
	if sess.Dirty() {
		if sess.String(auth.KeyCitizen) != "" && sess.String(auth.KeyAccount) == "" {
			// The row (and cookie) of a citizen's session last no longer
			// than loadCitizen would accept it, so purging removes it.
			gs.Options.MaxAge = s.citizenSessionAge(sess)
		}
		if sess.Renewing() {
			if err := s.sessions.Renew(r, gs); err != nil {
				return err
			}
		}
		w := &headerWriter{h: http.Header{}}
		if err := s.sessions.Save(r, w, gs); err != nil {
			return err
		}
		for _, v := range w.h.Values("Set-Cookie") {
			c.Response().Header.Add(fiber.HeaderSetCookie, v)
		}
	}
	return herr
}

// loadAccount puts the signed-in account into the request unless the
// session has been idle or alive too long, or the account was deactivated.
func (s *Server) loadAccount(c *fiber.Ctx, sess *page.Session) error {
	id := sess.String(auth.KeyAccount)
	if id == "" {
		return nil
	}
	now := s.now().Unix()
	expired := now-sess.Int64(auth.KeySeenAt) > int64(s.cfg.IdleTimeout.Seconds()) ||
		now-sess.Int64(auth.KeyAuthAt) > int64(s.cfg.AbsoluteTimeout.Seconds())
	a, err := s.auth.Account(c.UserContext(), id)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	if expired || a == nil || !a.Active {
		s.signOut(sess)
		if expired {
			sess.Flash("auth.session_expired")
		}
		return nil
	}
	// Refresh the idle clock at most once a minute to spare writes.
	if now-sess.Int64(auth.KeySeenAt) > 60 {
		sess.Set(auth.KeySeenAt, now)
	}
	page.SetAccount(c, a)
	return nil
}

// loadCitizen puts the signed-in citizen into the request unless the
// session has been idle or alive too long (CITIZEN_IDLE_TIMEOUT,
// CITIZEN_ABSOLUTE_TIMEOUT). A staff account wins over a citizen: a
// session never holds both. A citizen who no longer exists is signed out.
func (s *Server) loadCitizen(c *fiber.Ctx, sess *page.Session) error {
	id := sess.String(auth.KeyCitizen)
	if id == "" {
		return nil
	}
	if sess.String(auth.KeyAccount) != "" {
		sess.Delete(auth.KeyCitizen)
		return nil
	}
	now := s.now().Unix()
	if now-sess.Int64(auth.KeySeenAt) > int64(s.cfg.CitizenIdleTimeout.Seconds()) ||
		now-sess.Int64(auth.KeyAuthAt) > int64(s.cfg.CitizenAbsoluteTimeout.Seconds()) {
		s.signOutCitizen(sess)
		sess.Flash("auth.session_expired")
		return nil
	}
	cit, err := s.citizens.Get(c.UserContext(), id)
	if errors.Is(err, apperr.ErrNotFound) {
		s.signOutCitizen(sess)
		return nil
	}
	if err != nil {
		return err
	}
	// The idle clock counts in days: refreshing it once an hour is enough
	// and spares writes.
	if now-sess.Int64(auth.KeySeenAt) > 3600 {
		sess.Set(auth.KeySeenAt, now)
	}
	page.SetCitizen(c, cit)
	return nil
}

// citizenSessionAge is how many seconds the citizen's session may still
// live: the idle timeout from now, at most until the absolute timeout.
func (s *Server) citizenSessionAge(sess *page.Session) int {
	now := s.now().Unix()
	left := min(int64(s.cfg.CitizenIdleTimeout.Seconds()), sess.Int64(auth.KeyAuthAt)+int64(s.cfg.CitizenAbsoluteTimeout.Seconds())-now)
	return int(max(left, 1))
}

// signInCitizen binds the session to a citizen, under a new session id and
// with a new anonymous participant id: what the visitor did anonymously in
// this browser stays unlinked to the citizen, and what they do signed in
// stays unlinked to this browser's anonymous past. A staff account signed
// in in the same browser is signed out first.
func (s *Server) signInCitizen(sess *page.Session, cit *models.Citizen) {
	if sess.String(auth.KeyAccount) != "" {
		s.signOut(sess)
	}
	sess.Renew()
	sess.NewParticipant()
	now := s.now().Unix()
	sess.Set(auth.KeyCitizen, cit.ID)
	sess.Set(auth.KeyAuthAt, now)
	sess.Set(auth.KeySeenAt, now)
}

// signOutCitizen unbinds the citizen and renews the session id (the old
// row is deleted, so a copied cookie stops working); the visitor continues
// as a new anonymous participant.
func (s *Server) signOutCitizen(sess *page.Session) {
	sess.Delete(auth.KeyCitizen, auth.KeyAuthAt, auth.KeySeenAt)
	sess.NewParticipant()
	sess.Renew()
}

// signIn binds the session to a, under a new session id.
func (s *Server) signIn(sess *page.Session, a *models.Account) {
	sess.Renew()
	// A new participant id: answers given before signing in stay unlinked to
	// the account. A citizen signed in in this browser is signed out: staff
	// and citizen never share a session.
	sess.Delete(auth.KeyCitizen)
	sess.NewParticipant()
	now := s.now().Unix()
	sess.Set(auth.KeyAccount, a.ID)
	sess.Set(auth.KeyAuthAt, now)
	sess.Set(auth.KeySeenAt, now)
}

// signOut unbinds the account and renews the session id; the visitor
// continues as a new anonymous participant.
func (s *Server) signOut(sess *page.Session) {
	sess.Delete(auth.KeyAccount, auth.KeyAuthAt, auth.KeySeenAt)
	sess.NewParticipant()
	sess.Renew()
}

// ParticipantCookie holds the visitor's anonymous participant id, signed
// and encrypted, apart from the session: a signed-in session lives in the
// database, and the participant id must never sit there next to the person.
const ParticipantCookie = "inspraak_p"

// newParticipantCodec signs and encrypts the participant cookie with keys
// of its own, derived from the session secret; a cookie signed longer ago
// than maxAge is refused.
func newParticipantCodec(secret []byte, maxAge time.Duration) *securecookie.SecureCookie {
	sc := securecookie.New(derive(secret, "participant-hash"), derive(secret, "participant-block"))
	sc.MaxAge(int(maxAge.Seconds()))
	return sc
}

// readParticipant returns the participant id of the request's cookie, or
// "" when there is none or it is forged or too old.
func (s *Server) readParticipant(c *fiber.Ctx) string {
	return s.ParticipantOf(c.Cookies(ParticipantCookie))
}

// ParticipantOf decodes the value of a participant cookie ("" when it is
// not valid); tests read the participant id through it.
func (s *Server) ParticipantOf(cookie string) string {
	if cookie == "" {
		return ""
	}
	var p string
	if err := s.pcodec.Decode(ParticipantCookie, cookie, &p); err != nil || len(p) > 64 {
		return ""
	}
	return p
}

// writeParticipant sets the participant cookie to p, with the session
// cookie's flags and lifetime ("" deletes it).
func (s *Server) writeParticipant(c *fiber.Ctx, p string) error {
	ck := &fiber.Cookie{Name: ParticipantCookie, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies(), SameSite: fiber.CookieSameSiteLaxMode}
	if p == "" {
		ck.Expires = time.Unix(1, 0)
	} else {
		v, err := s.pcodec.Encode(ParticipantCookie, p)
		if err != nil {
			return err
		}
		ck.Value, ck.MaxAge = v, int(s.cfg.ParticipantMaxAge.Seconds())
	}
	c.Cookie(ck)
	return nil
}

// csrf guards every state change. Pages need the session's token in the
// form (or X-CSRF-Token). API writes need a JSON body (a cross-site form
// cannot send one without a CORS preflight, which is never granted) and,
// when they rely on the session cookie, a same-origin Origin if one is sent.
func (s *Server) csrf(c *fiber.Ctx) error {
	if !isWrite(c.Method()) {
		return c.Next()
	}
	if page.IsAPI(c) {
		ct := string(c.Request().Header.ContentType())
		if !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) && !csvUpload(c, ct) {
			return errNotJSON
		}
		if !page.ViaToken(c) && !s.sameOrigin(c) {
			return errCSRF
		}
		return c.Next()
	}
	sess := page.Sess(c)
	want := ""
	if sess != nil {
		want = sess.String(auth.KeyCSRF)
	}
	got := c.FormValue("_csrf")
	if got == "" {
		got = c.Get("X-CSRF-Token")
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 || !s.sameOrigin(c) {
		return errCSRF
	}
	return c.Next()
}

// csvRoutes are the only API writes that take a text/csv body instead of
// JSON. A cross-site page cannot send text/csv without a CORS preflight,
// which is never granted, so the JSON rule's protection holds for them.
var csvRoutes = map[string]bool{"/api/v1/measurements/import": true}

// csvUpload tells whether the request posts text/csv to one of csvRoutes.
func csvUpload(c *fiber.Ctx, contentType string) bool {
	return c.Method() == fiber.MethodPost && csvRoutes[c.Path()] && strings.HasPrefix(contentType, "text/csv")
}

// sameOrigin is false only when the browser names an origin other than ours.
func (s *Server) sameOrigin(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	base, _ := url.Parse(s.cfg.BaseURL)
	return o.Host == base.Host || o.Host == string(c.Request().Host())
}

// requireAccount sends visitors to the login page (pages) or answers 401 (API).
func requireAccount(roles ...models.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := page.Account(c)
		if a == nil {
			if page.IsAPI(c) {
				return apperr.ErrUnauthorized
			}
			return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		if len(roles) == 0 || a.Role == models.RoleAdmin {
			return c.Next()
		}
		for _, r := range roles {
			if a.Role == r {
				return c.Next()
			}
		}
		return apperr.ErrForbidden
	}
}

// requireCitizen sends visitors who are not signed in as a citizen to the
// sign-in page (pages) or answers 401 (API).
func requireCitizen(c *fiber.Ctx) error {
	if page.Citizen(c) != nil {
		return c.Next()
	}
	if page.IsAPI(c) {
		return apperr.ErrUnauthorized
	}
	return c.Redirect("/signin?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
}

// httpRequest gives gorilla/sessions the one thing it reads: the cookies.
func httpRequest(c *fiber.Ctx) *http.Request {
	r := (&http.Request{Header: http.Header{}}).WithContext(c.UserContext())
	if v := c.Get(fiber.HeaderCookie); v != "" {
		r.Header.Set("Cookie", v)
	}
	return r
}

// headerWriter collects the Set-Cookie headers gorilla/sessions writes.
type headerWriter struct{ h http.Header }

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerWriter) WriteHeader(int)             {}
