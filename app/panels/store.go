// Package panels runs citizen panels: staff define a panel and its profile
// fields, citizens join with double opt-in and manage or leave through a
// personal link, and staff invite the panel (or a sample) to surveys with
// personal single-use links, sent with reminders by the mail worker.
package panels

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	mailer "github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// ConfirmLife is how long a confirmation link works.
const ConfirmLife = 7 * 24 * time.Hour

// resendAfter is the least time between two confirmation mails to one
// address, so that sign-ups cannot be used to flood someone's inbox.
const resendAfter = 10 * time.Minute

// Store reads and writes panels, members and invitations.
type Store struct {
	db      *gorm.DB
	now     func() time.Time
	key     []byte
	zone    *time.Location
	surveys *surveys.Store
	outbox  *mailer.Outbox
	mails   *mailer.Templates
	baseURL string
	notify  func()
	log     *slog.Logger
}

// Deps is what a Store needs.
type Deps struct {
	DB      *gorm.DB
	Now     func() time.Time // nil: time.Now
	Key     []byte           // derives the personal link tokens; kept outside the database
	Zone    *time.Location
	Surveys *surveys.Store
	Outbox  *mailer.Outbox
	Mails   *mailer.Templates
	BaseURL string
	Notify  func()       // wakes the mail worker; may be nil
	Log     *slog.Logger // nil: the default logger
}

// NewStore returns a Store.
func NewStore(d Deps) *Store {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	if d.Zone == nil {
		d.Zone = time.UTC
	}
	if d.Notify == nil {
		d.Notify = func() {}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Store{db: d.DB, now: func() time.Time { return now().UTC() }, key: d.Key, zone: d.Zone, surveys: d.Surveys,
		outbox: d.Outbox, mails: d.Mails, baseURL: d.BaseURL, notify: d.Notify, log: d.Log}
}

// token derives a personal link token. Tokens are not stored: the
// database keeps their SHA-256 only, and without the key they cannot be
// computed from the ids.
func (s *Store) token(purpose, id string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose + ":" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// linkWorks tells whether a link with token would be accepted: its hash
// must be the one stored. After the key changed (a new SESSION_SECRET) the
// tokens derived now no longer match, and a mail would carry a dead link.
func linkWorks(token, storedHash string) bool {
	return subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(storedHash)) == 1
}

// errDeadLink is the reason recorded for a mail not sent because its link
// would not work.
const errDeadLink = "not sent: its personal link would not work, because the key the links are made with (derived from SESSION_SECRET) changed after the link was issued"

// queue queues m, or, when the mail's links would not work, records it as
// given up (visible on the admin mail page) and logs it.
func (s *Store) queue(ctx context.Context, tx *gorm.DB, m mailer.Mail, linksWork bool) error {
	if linksWork {
		_, err := s.outbox.Enqueue(ctx, tx, m)
		return err
	}
	s.log.Error("mail with a dead personal link not sent", "key", m.DedupeKey, "reason", "the link key changed (SESSION_SECRET)")
	_, err := s.outbox.EnqueueFailed(ctx, tx, m, errDeadLink)
	return err
}

// MemberToken is the token of a member's personal link.
func (s *Store) MemberToken(memberID string) string { return s.token("member", memberID) }

// InvitationToken is the token of an invitation's personal link.
func (s *Store) InvitationToken(invitationID string) string { return s.token("invite", invitationID) }

// MemberURL and InvitationURL are the personal links.
func (s *Store) MemberURL(memberID string) string {
	return s.baseURL + "/panels/member/" + s.MemberToken(memberID)
}

func (s *Store) InvitationURL(invitationID string) string {
	return s.baseURL + "/i/" + s.InvitationToken(invitationID)
}

// PanelInput is what staff give for a panel.
type PanelInput struct {
	Name        models.Text `json:"name"`
	Description models.Text `json:"description"`
	Fields      []Field     `json:"profile_fields"`
}

func (in *PanelInput) validate() error {
	v := &apperr.Validation{}
	checkText(v, "name", in.Name, maxLabel, true, false)
	checkText(v, "description", in.Description, maxDesc, false, true)
	validateFields(v, in.Fields)
	return v.Err()
}

// Create stores a new panel.
func (s *Store) Create(ctx context.Context, in PanelInput, createdBy *string) (*models.Panel, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if in.Description == nil {
		in.Description = models.Text{}
	}
	now := s.now()
	fj, err := fieldsJSON(in.Fields)
	if err != nil {
		return nil, err
	}
	p := &models.Panel{ID: models.NewID(), Name: in.Name, Description: in.Description, Fields: fj, CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now}
	return p, s.db.WithContext(ctx).Create(p).Error
}

// Get finds a panel.
func (s *Store) Get(ctx context.Context, id string) (*models.Panel, []Field, error) {
	var p models.Panel
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, apperr.ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	fs, err := ParseFields(p.Fields)
	return &p, fs, err
}

// Summary is a panel with its member counts.
type Summary struct {
	models.Panel
	Active  int64
	Pending int64
}

// List returns every panel, newest first.
func (s *Store) List(ctx context.Context) ([]Summary, error) {
	var out []Summary
	err := s.db.WithContext(ctx).Model(&models.Panel{}).
		Select("panels.*, (SELECT COUNT(*) FROM panel_members m WHERE m.panel_id = panels.id AND m.status = 'active') AS active, " +
			"(SELECT COUNT(*) FROM panel_members m WHERE m.panel_id = panels.id AND m.status = 'pending') AS pending").
		Order("created_at DESC").Scan(&out).Error
	return out, err
}

// SaveField adds a profile field, or replaces the field with the same key
// (its labels, choices and targets). Choices that members hold cannot be
// removed.
func (s *Store) SaveField(ctx context.Context, panelID string, f Field) error {
	v := &apperr.Validation{}
	validateField(v, "", f)
	if err := v.Err(); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p models.Panel
		if err := tx.Where("id = ?", panelID).Take(&p).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return apperr.ErrNotFound
			}
			return err
		}
		fs, err := ParseFields(p.Fields)
		if err != nil {
			return err
		}
		replaced := false
		for i := range fs {
			if fs[i].Key == f.Key {
				var used []string
				if err := tx.Model(&models.PanelMemberProfile{}).Where("panel_id = ? AND field = ?", panelID, f.Key).Distinct().Pluck("value", &used).Error; err != nil {
					return err
				}
				for _, u := range used {
					if _, ok := f.Choice(u); !ok {
						return apperr.Invalid("choices", "panels.choice_in_use")
					}
				}
				fs[i], replaced = f, true
			}
		}
		if !replaced {
			if len(fs) >= maxFields {
				return apperr.Invalid("key", "panels.too_many_fields")
			}
			fs = append(fs, f)
		}
		fj, err := fieldsJSON(fs)
		if err != nil {
			return err
		}
		// Optimistic check: a concurrent edit of the same panel wins first.
		res := tx.Model(&models.Panel{}).Where("id = ? AND updated_at = ?", panelID, p.UpdatedAt).
			Updates(map[string]any{"fields": fj, "updated_at": s.now()})
		if res.Error == nil && res.RowsAffected == 0 {
			return apperr.ErrConflict
		}
		return res.Error
	})
}

// normalEmail checks and lower-cases an email address.
func normalEmail(v *apperr.Validation, field, raw string) string {
	e := strings.ToLower(strings.TrimSpace(raw))
	if id := textcheck.Line(e, 254, true); id != "" {
		v.Add(field, id)
		return ""
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		v.Add(field, "validation.email_invalid")
		return ""
	}
	return e
}

// checkProfile validates profile values against the fields: every key a
// field, every value one of its choices. Empty values are left out.
func checkProfile(v *apperr.Validation, fs []Field, profile map[string]string) map[string]string {
	out := map[string]string{}
	for k, val := range profile {
		f, ok := FieldByKey(fs, k)
		if !ok {
			v.Add("profile."+k, "panels.unknown_field")
			continue
		}
		if val == "" {
			continue
		}
		if _, ok := f.Choice(val); !ok {
			v.Add("profile."+k, "panels.unknown_choice")
			continue
		}
		out[k] = val
	}
	return out
}

func profileRows(memberID, panelID string, profile map[string]string) []models.PanelMemberProfile {
	rows := make([]models.PanelMemberProfile, 0, len(profile))
	for f, val := range profile {
		rows = append(rows, models.PanelMemberProfile{MemberID: memberID, PanelID: panelID, Field: f, Value: val})
	}
	return rows
}
