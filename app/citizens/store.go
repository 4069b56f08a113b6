// Package citizens runs light citizen accounts: a resident signs in with a
// single-use link mailed to them (valid 15 minutes, no password), keeps a
// name to show with their posts, a language and a mail preference, can
// download what the platform keeps about them and delete it all.
//
// What a citizen posts lives in other features (ideas); they take part in
// the download and the deletion through the Contributions interface.
package citizens

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/ratelimit"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// MaxDisplayName is the longest name a citizen may show, in characters.
const MaxDisplayName = 60

// Contributions is what another feature keeps about a citizen.
type Contributions interface {
	// Export returns the citizen's data held by that feature, for the download.
	Export(ctx context.Context, citizenID string) (map[string]any, error)
	// Forget removes the citizen from that feature inside tx; deletePosts also deletes their posts.
	Forget(tx *gorm.DB, citizenID string, deletePosts bool) error
}

// Store reads and writes citizens and their sign-in links.
type Store struct {
	db       *gorm.DB
	now      func() time.Time
	outbox   *mail.Outbox
	mails    *mail.Templates
	baseURL  string
	notify   func()
	log      *slog.Logger
	perAddr  *ratelimit.Limiter
	features []Contributions
}

// Deps is what a Store needs.
type Deps struct {
	DB      *gorm.DB
	Now     func() time.Time // nil: time.Now
	Outbox  *mail.Outbox
	Mails   *mail.Templates
	BaseURL string       // links in mails start with it
	Notify  func()       // wakes the mail worker; may be nil
	Log     *slog.Logger // nil: the default logger
	// AddrLimit is how many sign-in links one client address may ask for
	// per 15 minutes (0: DefaultAddrLimit).
	AddrLimit int
}

// NewStore returns a Store.
func NewStore(d Deps) *Store {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	if d.Notify == nil {
		d.Notify = func() {}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.AddrLimit <= 0 {
		d.AddrLimit = DefaultAddrLimit
	}
	utc := func() time.Time { return now().UTC() }
	return &Store{db: d.DB, now: utc, outbox: d.Outbox, mails: d.Mails, baseURL: d.BaseURL, notify: d.Notify, log: d.Log,
		perAddr: ratelimit.New(d.AddrLimit, LinkLife, utc)}
}

// WithContributions adds the features that keep data about citizens; call
// it while wiring, before the store serves requests.
func (s *Store) WithContributions(cs ...Contributions) *Store {
	s.features = append(s.features, cs...)
	return s
}

// Get finds a citizen (apperr.ErrNotFound when there is none).
func (s *Store) Get(ctx context.Context, id string) (*models.Citizen, error) {
	var c models.Citizen
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Update saves a citizen's display name (at most MaxDisplayName
// characters, may be empty), language (one of config.Languages) and mail
// preference, and returns the saved citizen. The name is stored as typed,
// as text: pages escape it.
func (s *Store) Update(ctx context.Context, id, displayName, language string, notifyByEmail bool) (*models.Citizen, error) {
	return s.Patch(ctx, id, Changes{DisplayName: &displayName, Language: &language, NotifyByEmail: &notifyByEmail})
}

// Changes are the fields of a citizen to change; nil leaves one as it is.
type Changes struct {
	DisplayName   *string `json:"display_name"`
	Language      *string `json:"language"`
	NotifyByEmail *bool   `json:"notify_by_email"`
}

// Patch changes the given fields of a citizen, checked as Update checks
// them, and returns the saved citizen.
func (s *Store) Patch(ctx context.Context, id string, ch Changes) (*models.Citizen, error) {
	v := &apperr.Validation{}
	set := map[string]any{}
	if ch.DisplayName != nil {
		name := strings.TrimSpace(*ch.DisplayName)
		if msg := textcheck.Line(name, MaxDisplayName, false); msg != "" {
			v.Add("display_name", msg)
		}
		set["display_name"] = name
	}
	if ch.Language != nil {
		if !slices.Contains(config.Languages, *ch.Language) {
			v.Add("language", "validation.choice_invalid")
		}
		set["language"] = *ch.Language
	}
	if ch.NotifyByEmail != nil {
		set["notify_by_email"] = *ch.NotifyByEmail
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(set) > 0 {
		res := s.db.WithContext(ctx).Model(&models.Citizen{}).Where("id = ?", id).Updates(set)
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected == 0 {
			return nil, apperr.ErrNotFound
		}
	}
	return s.Get(ctx, id)
}

// Purge deletes sign-in links a day after they expired.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ?", s.now().Add(-24*time.Hour)).Delete(&models.CitizenSignIn{})
	return res.RowsAffected, res.Error
}
