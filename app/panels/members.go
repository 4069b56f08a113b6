package panels

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	mailer "github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/models"
)

// Link errors: a personal link that is unknown, or a confirmation link
// that has expired.
var (
	ErrLinkInvalid = &apperr.Missing{MessageID: "panels.link_invalid"}
	ErrLinkExpired = &apperr.Gone{MessageID: "panels.link_expired"}
)

// SignUp is a citizen's request to join.
type SignUp struct {
	Email    string            `json:"email"`
	Language string            `json:"language"`
	Profile  map[string]string `json:"profile"`
	Consent  bool              `json:"consent"`
}

// Sign-up and link limits per client address.
const (
	signupLimit  = 10
	signupWindow = time.Hour
	tokenLimit   = 20
	tokenWindow  = 15 * time.Minute
)

// Join handles a sign-up. Whatever the address, the caller learns only
// that a mail is on its way: a new address gets a confirmation link, a
// pending one the link again, a member a mail with their personal link.
func (s *Store) Join(ctx context.Context, panelID string, in SignUp, clientIP string) error {
	_, fs, err := s.Get(ctx, panelID)
	if err != nil {
		return err
	}
	v := &apperr.Validation{}
	email := normalEmail(v, "email", in.Email)
	if !langs[in.Language] {
		v.Add("language", "validation.choice_invalid")
	}
	profile := checkProfile(v, fs, in.Profile)
	if !in.Consent {
		v.Add("consent", "panels.consent_required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	ok, err := s.hit(ctx, "signup:"+clientIP, signupLimit, signupWindow)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.ErrRateLimited
	}
	if err := s.addMember(ctx, s.db, panelID, email, in.Language, profile, "signup"); err != nil {
		return err
	}
	s.notify()
	return nil
}

// errSameMoment: the same address signed up at the same moment; one mail
// is enough.
var errSameMoment = errors.New("same address at the same moment")

// addMember adds a pending member, or mails an existing one again (at most
// once per resendAfter), inside db.
func (s *Store) addMember(ctx context.Context, db *gorm.DB, panelID, email, lang string, profile map[string]string, source string) error {
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		var m models.PanelMember
		err := tx.Where("panel_id = ? AND email = ?", panelID, email).Take(&m).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			m = models.PanelMember{ID: models.NewID(), PanelID: panelID, Email: email, Language: lang, Status: models.MemberPending,
				Source: source, ConfirmExpiresAt: now.Add(ConfirmLife), ConfirmMails: 1, LastMailAt: &now, CreatedAt: now}
			m.TokenHash = hashToken(s.MemberToken(m.ID))
			if err := tx.Create(&m).Error; err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return errSameMoment
				}
				return err
			}
			if rows := profileRows(m.ID, panelID, profile); len(rows) > 0 {
				if err := tx.Create(&rows).Error; err != nil {
					return err
				}
			}
			return s.mailMember(ctx, tx, &m, "confirm")
		}
		if err != nil {
			return err
		}
		if m.LastMailAt != nil && now.Sub(*m.LastMailAt) < resendAfter {
			return nil
		}
		n := m.ConfirmMails + 1
		up := map[string]any{"confirm_mails": n, "last_mail_at": now}
		if m.Status == models.MemberPending {
			up["confirm_expires_at"] = now.Add(ConfirmLife)
		}
		res := tx.Model(&models.PanelMember{}).Where("id = ? AND confirm_mails = ?", m.ID, m.ConfirmMails).Updates(up)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		m.ConfirmMails = n
		if m.Status == models.MemberPending {
			return s.mailMember(ctx, tx, &m, "confirm")
		}
		return s.mailMember(ctx, tx, &m, "already_member")
	})
	if errors.Is(err, errSameMoment) {
		return nil
	}
	return err
}

// mailMember queues a mail of kind ("confirm", "already_member") to m.
func (s *Store) mailMember(ctx context.Context, tx *gorm.DB, m *models.PanelMember, kind string) error {
	var p models.Panel
	if err := tx.Where("id = ?", m.PanelID).Take(&p).Error; err != nil {
		return err
	}
	l := m.Language
	r, err := s.mails.Render(kind, l, map[string]any{
		"PanelName": p.Name.In(l), "Link": s.MemberURL(m.ID), "Expires": s.mailDate(l, m.ConfirmExpiresAt),
	})
	if err != nil {
		return err
	}
	return s.queue(ctx, tx, mailer.Mail{DedupeKey: kind + ":" + m.ID + ":" + strconv.Itoa(m.ConfirmMails), MemberID: m.ID, To: m.Email, Language: l,
		Subject: r.Subject, Text: r.Text, HTML: r.HTML}, linkWorks(s.MemberToken(m.ID), m.TokenHash))
}

func (s *Store) mailDate(lang string, t time.Time) string {
	return s.mails.Translator(lang).Date(t)
}

// Member is a member reached through their personal link.
type Member struct {
	models.PanelMember
	Panel   *models.Panel
	Fields  []Field
	Profile map[string]string
}

// MemberByToken finds the member of a personal link. Every unknown token
// gets the same error, and guesses from one address are throttled; a
// working link is never throttled.
func (s *Store) MemberByToken(ctx context.Context, token, clientIP string) (*Member, error) {
	var m models.PanelMember
	err := s.db.WithContext(ctx).Where("token_hash = ?", hashToken(token)).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, s.badGuess(ctx, clientIP, ErrLinkInvalid)
	}
	if err != nil {
		return nil, err
	}
	p, fs, err := s.Get(ctx, m.PanelID)
	if err != nil {
		return nil, err
	}
	var rows []models.PanelMemberProfile
	if err := s.db.WithContext(ctx).Where("member_id = ?", m.ID).Find(&rows).Error; err != nil {
		return nil, err
	}
	prof := map[string]string{}
	for _, r := range rows {
		prof[r.Field] = r.Value
	}
	return &Member{PanelMember: m, Panel: p, Fields: fs, Profile: prof}, nil
}

// expired is the error of an expired confirmation link: it offers to sign
// up again.
func expired(panelID string) error {
	return &apperr.Gone{MessageID: ErrLinkExpired.MessageID, Next: "/panels/" + panelID + "/join", NextLabel: "panels.join_again"}
}

// Expired tells whether a pending member's link has run out.
func (s *Store) Expired(m *Member) bool {
	return m.Status == models.MemberPending && !m.ConfirmExpiresAt.After(s.now())
}

// Confirm activates the member of token (double opt-in). Confirming twice
// is fine; an expired link is refused.
func (s *Store) Confirm(ctx context.Context, token, clientIP string) (*Member, error) {
	m, err := s.MemberByToken(ctx, token, clientIP)
	if err != nil {
		return nil, err
	}
	if m.Status == models.MemberActive {
		return m, nil
	}
	now := s.now()
	res := s.db.WithContext(ctx).Model(&models.PanelMember{}).
		Where("id = ? AND status = ? AND confirm_expires_at > ?", m.ID, models.MemberPending, now).
		Updates(map[string]any{"status": models.MemberActive, "confirmed_at": now})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, expired(m.PanelID)
	}
	m.Status, m.ConfirmedAt = models.MemberActive, &now
	return m, nil
}

// UpdateProfile saves a member's language and profile.
func (s *Store) UpdateProfile(ctx context.Context, m *Member, lang string, profile map[string]string) error {
	v := &apperr.Validation{}
	if !langs[lang] {
		v.Add("language", "validation.choice_invalid")
	}
	clean := checkProfile(v, m.Fields, profile)
	if err := v.Err(); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.PanelMember{}).Where("id = ?", m.ID).Update("language", lang)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrLinkInvalid
		}
		if err := tx.Where("member_id = ?", m.ID).Delete(&models.PanelMemberProfile{}).Error; err != nil {
			return err
		}
		if rows := profileRows(m.ID, m.PanelID, clean); len(rows) > 0 {
			return tx.Create(&rows).Error
		}
		return nil
	})
}

// MemberData is everything the panel keeps about a member, for the
// member's own download.
type MemberData struct {
	Panel       string           `json:"panel"`
	Email       string           `json:"email"`
	Language    string           `json:"language"`
	Status      string           `json:"status"`
	Profile     []ProfileValue   `json:"profile"`
	CreatedAt   time.Time        `json:"created_at"`
	ConfirmedAt *time.Time       `json:"confirmed_at"`
	Invitations []InvitationData `json:"invitations"`
}

// ProfileValue is one profile answer with its labels.
type ProfileValue struct {
	Field      string `json:"field"`
	FieldLabel string `json:"field_label"`
	Value      string `json:"value"`
	ValueLabel string `json:"value_label"`
}

// InvitationData is one invitation of the member: the survey, when it was
// mailed, how many reminders followed and whether it was used.
type InvitationData struct {
	Survey    string     `json:"survey"`
	MailedAt  *time.Time `json:"mailed_at"`
	Reminders int        `json:"reminders"`
	Used      bool       `json:"used"`
}

// MemberData collects the member's data, labels in lang.
func (s *Store) MemberData(ctx context.Context, m *Member, lang string) (*MemberData, error) {
	d := &MemberData{Panel: m.Panel.Name.In(lang), Email: m.Email, Language: m.Language, Status: m.Status, CreatedAt: m.CreatedAt,
		ConfirmedAt: m.ConfirmedAt, Profile: []ProfileValue{}, Invitations: []InvitationData{}}
	for _, f := range m.Fields {
		v, ok := m.Profile[f.Key]
		if !ok {
			continue
		}
		pv := ProfileValue{Field: f.Key, FieldLabel: f.Label.In(lang), Value: v}
		if c, ok := f.Choice(v); ok {
			pv.ValueLabel = c.Label.In(lang)
		}
		d.Profile = append(d.Profile, pv)
	}
	var rows []struct {
		ID        string
		Title     models.Text
		MailedAt  *time.Time
		Reminders int
		Used      bool
	}
	err := s.db.WithContext(ctx).Table("panel_invitations i").Select("i.id AS id, s.title AS title, i.mailed_at AS mailed_at, i.reminders AS reminders, i.used AS used").
		Joins("JOIN surveys s ON s.id = i.survey_id").Where("i.member_id = ?", m.ID).Order("i.created_at, i.id").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	used, err := s.usedAmong(s.db.WithContext(ctx), ids)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		d.Invitations = append(d.Invitations, InvitationData{Survey: r.Title.In(lang), MailedAt: r.MailedAt, Reminders: r.Reminders, Used: r.Used || used[r.ID]})
	}
	return d, nil
}

// Leave deletes a member: the email address, the profile, and the
// member's mail in the queue (mail to the same address from another panel
// stays). Invitations stay, without the member, so response rates stay
// true; responses never held the member.
func (s *Store) Leave(ctx context.Context, m *Member) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", m.ID).Delete(&models.PanelMember{}).Error; err != nil {
			return err
		}
		return s.outbox.Forget(ctx, tx, m.ID)
	})
}

// Purge deletes sign-ups not confirmed in time, with their mail, and old
// rate-limit counters.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	now := s.now()
	var purged int64
	for round := 0; round < 100; round++ {
		var ids []string
		err := s.db.WithContext(ctx).Model(&models.PanelMember{}).Where("status = ? AND confirm_expires_at <= ?", models.MemberPending, now).
			Order("id").Limit(500).Pluck("id", &ids).Error
		if err != nil {
			return purged, err
		}
		if len(ids) == 0 {
			break
		}
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			// Again inside the transaction: a sign-up renewed meanwhile stays.
			var gone []string
			if err := lockDue(tx, tx.Model(&models.PanelMember{}).Where("id IN ? AND status = ? AND confirm_expires_at <= ?", ids, models.MemberPending, now)).
				Pluck("id", &gone).Error; err != nil {
				return err
			}
			if len(gone) == 0 {
				return nil
			}
			res := tx.Where("id IN ?", gone).Delete(&models.PanelMember{})
			if res.Error != nil {
				return res.Error
			}
			purged += res.RowsAffected
			for _, id := range gone {
				if err := s.outbox.Forget(ctx, tx, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return purged, err
		}
		if len(ids) < 500 {
			break
		}
	}
	err := s.db.WithContext(ctx).Where("window_start < ?", now.Add(-24*time.Hour)).Delete(&models.PanelRateLimit{}).Error
	return purged, err
}

// hit counts one attempt for key in a fixed window and reports whether it
// is within limit. Counted in the database, so it holds across instances.
func (s *Store) hit(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	now := s.now()
	var hits []int
	err := s.db.WithContext(ctx).Raw(`INSERT INTO panel_rate_limits (key, hits, window_start) VALUES (?, 1, ?)
ON CONFLICT (key) DO UPDATE SET
  hits = CASE WHEN panel_rate_limits.window_start < ? THEN 1 ELSE panel_rate_limits.hits + 1 END,
  window_start = CASE WHEN panel_rate_limits.window_start < ? THEN ? ELSE panel_rate_limits.window_start END
RETURNING hits`, key, now, now.Add(-window), now.Add(-window), now).Scan(&hits).Error
	if err != nil {
		return false, err
	}
	return len(hits) == 1 && hits[0] <= limit, nil
}

// checkGuesses refuses an address that has guessed too many links wrong.
func (s *Store) checkGuesses(ctx context.Context, clientIP string) error {
	var r models.PanelRateLimit
	err := s.db.WithContext(ctx).Where("key = ?", "token:"+clientIP).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.Hits >= tokenLimit && r.WindowStart.After(s.now().Add(-tokenWindow)) {
		return apperr.ErrRateLimited
	}
	return nil
}

// badGuess counts a wrong token and returns err, or ErrRateLimited when
// the address has guessed too often already. Only misses are counted (the
// token is looked up first), so many people behind one shared address
// with working links are never locked out.
func (s *Store) badGuess(ctx context.Context, clientIP string, err error) error {
	if cerr := s.checkGuesses(ctx, clientIP); cerr != nil {
		return cerr
	}
	if _, herr := s.hit(ctx, "token:"+clientIP, tokenLimit, tokenWindow); herr != nil {
		return herr
	}
	return err
}
