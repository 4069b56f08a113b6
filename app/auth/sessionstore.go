package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/models"
)

// Session value keys.
const (
	KeyAccount     = "account_id"
	KeyCitizen     = "citizen_id"
	KeyAuthAt      = "auth_at"
	KeySeenAt      = "seen_at"
	KeyParticipant = "participant_id"
	KeyCSRF        = "csrf"
	KeyFlash       = "flash"
)

// SessionStore is a gorilla/sessions Store with two kinds of session. A
// signed-in session lives in the database and the cookie holds only its
// signed id, so that logout, deactivation and password changes end it on
// the server. An anonymous visitor's session (CSRF token, draft links)
// lives in the signed cookie itself: no database write per visitor, and
// nothing to lose that the visitor does not hold anyway. The anonymous
// participant id is never stored here (the web layer keeps it in a cookie
// of its own); a row is saved without it.
type SessionStore struct {
	db      *gorm.DB
	codecs  []securecookie.Codec
	Options *sessions.Options
	now     func() time.Time
}

var _ sessions.Store = (*SessionStore)(nil)

// NewSessionStore signs cookies with keyPairs (hash key, optional block key, ...).
func NewSessionStore(db *gorm.DB, opts sessions.Options, keyPairs ...[]byte) *SessionStore {
	codecs := securecookie.CodecsFromPairs(keyPairs...)
	for _, c := range codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.MaxAge(opts.MaxAge) // a cookie signed longer ago is refused
			sc.MaxLength(64 * 1024)
		}
	}
	return &SessionStore{db: db, codecs: codecs, Options: &opts, now: func() time.Time { return time.Now().UTC() }}
}

// Get returns the session for r, cached per request by gorilla's registry.
func (s *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// cookiePayload is what the cookie carries: the id of a database session,
// or the values of an anonymous one.
type cookiePayload struct {
	ID     string
	Values map[interface{}]interface{}
}

// signedIn tells whether a staff account or a citizen is signed in: such a
// session lives in the database.
func signedIn(sess *sessions.Session) bool {
	acc, _ := sess.Values[KeyAccount].(string)
	cit, _ := sess.Values[KeyCitizen].(string)
	return acc != "" || cit != ""
}

// New loads the session named by r's cookie, or starts an empty one when the
// cookie is missing, forged or expired.
func (s *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := *s.Options
	sess.Options = &opts
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	var p cookiePayload
	if err := securecookie.DecodeMulti(name, c.Value, &p, s.codecs...); err != nil {
		return sess, nil
	}
	if p.ID == "" {
		if p.Values != nil && !signedIn(&sessions.Session{Values: p.Values}) {
			sess.Values, sess.IsNew = p.Values, false
		}
		return sess, nil
	}
	var row models.Session
	err = s.db.WithContext(r.Context()).Where("id = ? AND expires_at > ?", p.ID, s.now()).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	if err := securecookie.DecodeMulti(name, row.Data, &sess.Values, s.codecs...); err != nil {
		return sess, nil
	}
	sess.ID = p.ID
	sess.IsNew = false
	return sess, nil
}

// Save writes the session (the row of a signed-in session, or the values
// into the cookie); a negative MaxAge deletes both.
func (s *SessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.db.WithContext(ctx).Where("id = ?", sess.ID).Delete(&models.Session{}).Error; err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	p := cookiePayload{Values: sess.Values}
	if signedIn(sess) {
		if err := s.saveRow(ctx, sess); err != nil {
			return err
		}
		p = cookiePayload{ID: sess.ID}
	} else if sess.ID != "" {
		// Signed out without a renewal: the row goes, the values move to the cookie.
		if err := s.db.WithContext(ctx).Where("id = ?", sess.ID).Delete(&models.Session{}).Error; err != nil {
			return err
		}
		sess.ID = ""
	}
	cookie, err := securecookie.EncodeMulti(sess.Name(), p, s.codecs...)
	if err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), cookie, sess.Options))
	return nil
}

func (s *SessionStore) saveRow(ctx context.Context, sess *sessions.Session) error {
	// The anonymous participant id never goes into the database next to
	// the person: the row would tie them to what they did anonymously.
	delete(sess.Values, KeyParticipant)
	if sess.ID == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		sess.ID = base64.RawURLEncoding.EncodeToString(b)
	}
	data, err := securecookie.EncodeMulti(sess.Name(), sess.Values, s.codecs...)
	if err != nil {
		return err
	}
	now := s.now()
	row := models.Session{ID: sess.ID, Data: data, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Duration(sess.Options.MaxAge) * time.Second)}
	if acc, _ := sess.Values[KeyAccount].(string); acc != "" {
		row.AccountID = &acc
	}
	if cit, _ := sess.Values[KeyCitizen].(string); cit != "" {
		row.CitizenID = &cit
	}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"data", "account_id", "citizen_id", "updated_at", "expires_at"}),
	}).Create(&row).Error
}

// DecodeRow decodes the data column of a row of the sessions table (for
// tests and audits of what a row holds).
func (s *SessionStore) DecodeRow(name, data string) (map[interface{}]interface{}, error) {
	values := map[interface{}]interface{}{}
	err := securecookie.DecodeMulti(name, data, &values, s.codecs...)
	return values, err
}

// Renew gives the session a fresh id (at login and logout), deleting the old
// row so a copied cookie stops working.
func (s *SessionStore) Renew(r *http.Request, sess *sessions.Session) error {
	if sess.ID != "" {
		if err := s.db.WithContext(r.Context()).Where("id = ?", sess.ID).Delete(&models.Session{}).Error; err != nil {
			return err
		}
	}
	sess.ID = ""
	return nil
}

// PurgeExpired deletes sessions past their expiry.
func (s *SessionStore) PurgeExpired(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at <= ?", s.now()).Delete(&models.Session{})
	return res.RowsAffected, res.Error
}
