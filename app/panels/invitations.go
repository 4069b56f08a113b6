package panels

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	mailer "github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

// Sample says whom to invite: with Size 0 every active member not yet
// invited to the survey, else a simple random sample of Size, or, with
// StratifyBy, a sample stratified by that profile field in proportion to
// its target shares (or to the panel's make-up when it has none).
type Sample struct {
	Size       int    `json:"size,omitempty"`
	StratifyBy string `json:"stratify_by,omitempty"`
}

// Reminders says when to remind those who have not answered: after
// AfterDays days since the last mail, at most Max times.
type Reminders struct {
	AfterDays int `json:"after_days"`
	Max       int `json:"max"`
}

// DefaultReminders: one week, twice.
var DefaultReminders = Reminders{AfterDays: 7, Max: 2}

// InviteInput is a staff invitation of a panel to a survey.
type InviteInput struct {
	SurveyID  string     `json:"survey_id"`
	Sample    Sample     `json:"sample"`
	Reminders *Reminders `json:"reminders,omitempty"`
}

type candidate struct {
	ID    string
	Value string
}

// Invite creates the invitations; the mail worker sends them. It returns
// how many members were invited.
func (s *Store) Invite(ctx context.Context, panelID string, in InviteInput, createdBy *string) (int, error) {
	_, fs, err := s.Get(ctx, panelID)
	if err != nil {
		return 0, err
	}
	v := &apperr.Validation{}
	rem := DefaultReminders
	if in.Reminders != nil {
		rem = *in.Reminders
	}
	if rem.AfterDays < 1 || rem.AfterDays > 90 {
		v.Add("reminders.after_days", "panels.remind_days_invalid")
	}
	if rem.Max < 0 || rem.Max > 5 {
		v.Add("reminders.max", "panels.remind_max_invalid")
	}
	if in.Sample.Size < 0 || in.Sample.Size > 1_000_000 {
		v.Add("sample.size", "panels.size_invalid")
	}
	var strat Field
	if in.Sample.StratifyBy != "" {
		f, ok := FieldByKey(fs, in.Sample.StratifyBy)
		if !ok {
			v.Add("sample.stratify_by", "panels.unknown_field")
		} else if in.Sample.Size == 0 {
			v.Add("sample.size", "panels.size_required")
		}
		strat = f
	}
	sv, err := s.surveys.Get(ctx, in.SurveyID)
	if errors.Is(err, apperr.ErrNotFound) {
		v.Add("survey_id", "panels.survey_unknown")
	} else if err != nil {
		return 0, err
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	if sv.Status != models.SurveyOpen {
		return 0, &apperr.Conflict{MessageID: "panels.survey_not_open"}
	}
	var cands []candidate
	q := s.db.WithContext(ctx).Table("panel_members m").Select("m.id AS id").
		Where("m.panel_id = ? AND m.status = ?", panelID, models.MemberActive).
		Where("NOT EXISTS (SELECT 1 FROM panel_invitations i WHERE i.survey_id = ? AND i.member_id = m.id)", sv.ID)
	if strat.Key != "" {
		q = q.Joins("JOIN panel_member_profiles p ON p.member_id = m.id AND p.field = ?", strat.Key).Select("m.id AS id, p.value AS value")
	}
	if err := q.Order("m.id").Scan(&cands).Error; err != nil {
		return 0, err
	}
	var chosen []string
	switch {
	case strat.Key != "":
		var composition map[string]int64
		if !strat.HasTargets() {
			if composition, err = s.counts(ctx, panelID, strat.Key); err != nil {
				return 0, err
			}
		}
		chosen = stratified(cands, strat, in.Sample.Size, composition)
	default:
		rand.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
		if in.Sample.Size > 0 && in.Sample.Size < len(cands) {
			cands = cands[:in.Sample.Size]
		}
		for _, c := range cands {
			chosen = append(chosen, c.ID)
		}
	}
	if len(chosen) == 0 {
		return 0, nil
	}
	sample, _ := json.Marshal(in.Sample)
	now := s.now()
	round := models.PanelInvitationRound{ID: models.NewID(), PanelID: panelID, SurveyID: sv.ID, Sample: string(sample),
		RemindAfterDays: rem.AfterDays, MaxReminders: rem.Max, CreatedBy: createdBy, CreatedAt: now}
	invs := make([]models.PanelInvitation, len(chosen))
	for i, id := range chosen {
		inv := models.PanelInvitation{ID: models.NewID(), RoundID: round.ID, PanelID: panelID, SurveyID: sv.ID, MemberID: &chosen[i], CreatedAt: now}
		inv.TokenHash = hashToken(s.InvitationToken(inv.ID))
		invs[i] = inv
		_ = id
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&round).Error; err != nil {
			return err
		}
		return tx.CreateInBatches(&invs, 500).Error
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return 0, &apperr.Conflict{MessageID: "panels.invite_busy"} // another invitation to the same survey ran at the same time
	}
	if err != nil {
		return 0, err
	}
	s.notify()
	return len(invs), nil
}

// counts is how many active members hold each choice of a field.
func (s *Store) counts(ctx context.Context, panelID, field string) (map[string]int64, error) {
	var rows []struct {
		Value string
		N     int64
	}
	err := s.db.WithContext(ctx).Table("panel_member_profiles p").Select("p.value AS value, COUNT(*) AS n").
		Joins("JOIN panel_members m ON m.id = p.member_id").
		Where("p.panel_id = ? AND p.field = ? AND m.status = ?", panelID, field, models.MemberActive).
		Group("p.value").Scan(&rows).Error
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Value] = r.N
	}
	return out, err
}

// stratified draws size members so that each choice of f gets its share:
// the target share when staff set targets, else its share of the panel.
// Seats go by largest remainder; a stratum with too few members gives all
// it has.
func stratified(cands []candidate, f Field, size int, composition map[string]int64) []string {
	by := map[string][]string{}
	for _, c := range cands {
		by[c.Value] = append(by[c.Value], c.ID)
	}
	weights := map[string]float64{}
	total := 0.0
	for _, ch := range f.Choices {
		w := float64(composition[ch.Key])
		if ch.Target != nil {
			w = *ch.Target
		}
		weights[ch.Key] = w
		total += w
	}
	if total == 0 {
		return nil
	}
	type seat struct {
		key  string
		n    int
		frac float64
	}
	seats := make([]seat, 0, len(f.Choices))
	given := 0
	for _, ch := range f.Choices {
		exact := float64(size) * weights[ch.Key] / total
		n := int(exact)
		seats = append(seats, seat{ch.Key, n, exact - float64(n)})
		given += n
	}
	sort.SliceStable(seats, func(i, j int) bool { return seats[i].frac > seats[j].frac })
	for i := 0; given < size && i < len(seats); i++ {
		seats[i].n++
		given++
	}
	var out []string
	for _, st := range seats {
		ids := by[st.key]
		rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		out = append(out, ids[:min(st.n, len(ids))]...)
	}
	return out
}

// QueueMails is the mail worker's producer: it queues the invitation mails
// not yet queued and the reminders that are due. Each invitation is marked
// in the same transaction that queues its mail, under a dedupe key, so a
// restart or a second instance neither loses nor repeats one.
func (s *Store) QueueMails(ctx context.Context) error {
	for i := 0; i < 500; i++ {
		n, err := s.queueInvitations(ctx, 200)
		if err != nil || n == 0 {
			if err != nil {
				return err
			}
			break
		}
	}
	return s.queueReminders(ctx)
}

// lockDue picks rows of q for update, skipping rows another instance holds.
func lockDue(tx *gorm.DB, q *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "postgres" {
		return q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
	}
	return q
}

type mailCtx struct {
	panels  map[string]*models.Panel
	surveys map[string]*models.Survey
}

func (s *Store) queueInvitations(ctx context.Context, n int) (int, error) {
	done := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var invs []models.PanelInvitation
		if err := lockDue(tx, tx.Where("mailed_at IS NULL AND member_id IS NOT NULL").Order("created_at, id").Limit(n)).Find(&invs).Error; err != nil {
			return err
		}
		mc := &mailCtx{panels: map[string]*models.Panel{}, surveys: map[string]*models.Survey{}}
		now := s.now()
		for _, inv := range invs {
			sv, err := mc.survey(ctx, s, inv.SurveyID)
			if err != nil {
				return err
			}
			if sv.Status == models.SurveyOpen {
				if err := s.mailInvitation(ctx, tx, mc, inv, "invite", "invite:"+inv.ID); err != nil {
					return err
				}
			} // a survey closed meanwhile: nothing to send
			if err := tx.Model(&models.PanelInvitation{}).Where("id = ?", inv.ID).Updates(map[string]any{"mailed_at": now, "last_mailed_at": now}).Error; err != nil {
				return err
			}
			done++
		}
		return nil
	})
	return done, err
}

func (s *Store) queueReminders(ctx context.Context) error {
	var rounds []models.PanelInvitationRound
	err := s.db.WithContext(ctx).Table("panel_invitation_rounds r").Select("r.*").Joins("JOIN surveys s ON s.id = r.survey_id").
		Where("r.max_reminders > 0 AND s.status = ?", models.SurveyOpen).Scan(&rounds).Error
	if err != nil {
		return err
	}
	now := s.now()
	for _, r := range rounds {
		sv, err := s.surveys.Get(ctx, r.SurveyID)
		if err != nil {
			return err
		}
		if !surveys.Accepting(sv, now) {
			continue
		}
		cutoff := now.Add(-time.Duration(r.RemindAfterDays) * 24 * time.Hour)
		// An invitation used through a use row (uses.go) keeps matching the
		// query, its row unchanged: candidates are read by id without a
		// lock, those used are passed over, and only the rest are locked.
		used, err := s.useSet(s.db.WithContext(ctx), r.PanelID, r.SurveyID)
		if err != nil {
			return err
		}
		after := ""
		for {
			var due []string
			err := s.db.WithContext(ctx).Model(&models.PanelInvitation{}).
				Where("round_id = ? AND used = ? AND mailed_at IS NOT NULL AND member_id IS NOT NULL AND reminders < ? AND last_mailed_at <= ? AND id > ?", r.ID, false, r.MaxReminders, cutoff, after).
				Order("id").Limit(200).Pluck("id", &due).Error
			if err != nil {
				return err
			}
			n := len(due)
			if n == 0 {
				break
			}
			after = due[n-1]
			var todo []string
			for _, id := range due {
				if !used[s.useID(id)] {
					todo = append(todo, id)
				}
			}
			if len(todo) == 0 {
				continue
			}
			err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				var invs []models.PanelInvitation
				q := tx.Where("id IN ? AND used = ? AND reminders < ? AND last_mailed_at <= ?", todo, false, r.MaxReminders, cutoff).Order("id")
				if err := lockDue(tx, q).Find(&invs).Error; err != nil {
					return err
				}
				mc := &mailCtx{panels: map[string]*models.Panel{}, surveys: map[string]*models.Survey{sv.ID: sv}}
				for _, inv := range invs {
					// Answered a moment ago (after the use ids were read)?
					answered, err := s.isUsed(tx, &inv)
					if err != nil {
						return err
					}
					if answered {
						continue
					}
					next := inv.Reminders + 1
					// used = FALSE again: whoever answered a moment ago gets no reminder.
					res := tx.Model(&models.PanelInvitation{}).Where("id = ? AND reminders = ? AND used = ?", inv.ID, inv.Reminders, false).
						Updates(map[string]any{"reminders": next, "last_mailed_at": now})
					if res.Error != nil {
						return res.Error
					}
					if res.RowsAffected == 0 {
						continue
					}
					if err := s.mailInvitation(ctx, tx, mc, inv, "reminder", "remind:"+inv.ID+":"+strconv.Itoa(next)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (mc *mailCtx) survey(ctx context.Context, s *Store, id string) (*models.Survey, error) {
	if sv, ok := mc.surveys[id]; ok {
		return sv, nil
	}
	sv, err := s.surveys.Get(ctx, id)
	mc.surveys[id] = sv
	return sv, err
}

// mailInvitation queues the invitation (or reminder) mail of inv in the
// member's language.
func (s *Store) mailInvitation(ctx context.Context, tx *gorm.DB, mc *mailCtx, inv models.PanelInvitation, kind, key string) error {
	var m models.PanelMember
	if err := tx.Where("id = ?", *inv.MemberID).Take(&m).Error; err != nil {
		return err
	}
	p, ok := mc.panels[inv.PanelID]
	if !ok {
		p = &models.Panel{}
		if err := tx.Where("id = ?", inv.PanelID).Take(p).Error; err != nil {
			return err
		}
		mc.panels[inv.PanelID] = p
	}
	sv, err := mc.survey(ctx, s, inv.SurveyID)
	if err != nil {
		return err
	}
	main := ""
	if ls := surveys.Languages(sv); len(ls) > 0 {
		main = ls[0]
	}
	l := m.Language
	data := map[string]any{
		"PanelName": p.Name.In(l), "SurveyTitle": sv.Title.In(l, main), "Link": s.InvitationURL(inv.ID), "ManageLink": s.MemberURL(m.ID),
		"Anonymous": sv.Anonymous,
	}
	if sv.ClosesAt != nil {
		data["Closes"] = s.mailDate(l, *sv.ClosesAt)
	}
	r, err := s.mails.Render(kind, l, data)
	if err != nil {
		return err
	}
	works := linkWorks(s.InvitationToken(inv.ID), inv.TokenHash) && linkWorks(s.MemberToken(m.ID), m.TokenHash)
	return s.queue(ctx, tx, mailer.Mail{DedupeKey: key, MemberID: m.ID, To: m.Email, Language: l, Subject: r.Subject, Text: r.Text, HTML: r.HTML}, works)
}

// Invitation is a valid, unused invitation found by its token.
type Invitation struct {
	ID       string
	SurveyID string
}

// invitationByToken finds the invitation of token; unknown tokens (and
// those of members who left) get one error and count as guesses.
func (s *Store) invitationByToken(ctx context.Context, token, clientIP string) (*models.PanelInvitation, error) {
	var inv models.PanelInvitation
	err := s.db.WithContext(ctx).Where("token_hash = ? AND member_id IS NOT NULL", hashToken(token)).Take(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, s.badGuess(ctx, clientIP, apperr.Invalid("token", "survey.token_invalid"))
	}
	if err != nil {
		return nil, err
	}
	if used, err := s.isUsed(s.db.WithContext(ctx), &inv); err != nil || used {
		return nil, errors.Join(err, usedErr(used))
	}
	return &inv, nil
}

// usedErr is the refusal of a used invitation (nil when it is not used).
func usedErr(used bool) error {
	if used {
		return &apperr.Conflict{MessageID: "panels.invitation_used"}
	}
	return nil
}

// Check finds the survey of an unused invitation link, changing nothing.
func (s *Store) Check(ctx context.Context, token, clientIP string) (*Invitation, error) {
	inv, err := s.invitationByToken(ctx, token, clientIP)
	if err != nil {
		return nil, err
	}
	return &Invitation{ID: inv.ID, SurveyID: inv.SurveyID}, nil
}

// Redeem implements surveys.Invitations: it marks the invitation used (see
// uses.go), in a transaction of its own, before the response is stored (in
// another),
// and hands over the member's profile values for the response. Marking
// first means one token gives at most one response: of parallel
// submissions only one can mark it. Should storing the response fail, Undo
// frees the token again. The response gets neither the member nor the
// token, and no response marker is written for it (the single-use token
// already stops a second answer).
//
// For an anonymous survey the use is a row that names no invitation (the
// invitation itself does not change), and the response gets only as many profile
// values as at least KAnonymity active members of the panel share (see
// shareable), so neither a date nor a rare combination of profile values
// leads from a response back to the member. An identified survey keeps the
// date of use and gets every profile value.
func (s *Store) Redeem(ctx context.Context, surveyID, token, clientIP string) (*surveys.Redemption, error) {
	inv, err := s.invitationByToken(ctx, token, clientIP)
	if err != nil {
		return nil, err
	}
	if inv.SurveyID != surveyID {
		return nil, s.badGuess(ctx, clientIP, apperr.Invalid("token", "survey.token_invalid"))
	}
	sv, err := s.surveys.Get(ctx, surveyID)
	if err != nil {
		return nil, err
	}
	_, fs, err := s.Get(ctx, inv.PanelID)
	if err != nil {
		return nil, err
	}
	var rows []models.PanelMemberProfile
	if err := s.db.WithContext(ctx).Where("member_id = ?", *inv.MemberID).Find(&rows).Error; err != nil {
		return nil, err
	}
	attrs := map[string]string{}
	for _, r := range rows {
		if f, ok := FieldByKey(fs, r.Field); ok {
			if _, ok := f.Choice(r.Value); ok {
				attrs[r.Field] = r.Value
			}
		}
	}
	id := inv.ID
	red := &surveys.Redemption{Participant: "invitation:" + id, Attributes: attrs, Anonymous: sv.Anonymous}
	if sv.Anonymous {
		if red.Attributes, err = s.shareable(ctx, inv.PanelID, fs, attrs); err != nil {
			return nil, err
		}
		use := models.PanelInvitationUse{ID: s.useID(id), PanelID: inv.PanelID, SurveyID: inv.SurveyID}
		if err := s.db.WithContext(ctx).Create(&use).Error; errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, usedErr(true)
		} else if err != nil {
			return nil, err
		}
		red.Undo = func(ctx context.Context) error {
			return s.db.WithContext(ctx).Where("id = ?", use.ID).Delete(&models.PanelInvitationUse{}).Error
		}
		return red, nil
	}
	res := s.db.WithContext(ctx).Model(&models.PanelInvitation{}).Where("id = ? AND used = ?", id, false).
		Updates(map[string]any{"used": true, "used_on": s.now().In(s.zone).Format("2006-01-02")})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, usedErr(true)
	}
	red.Undo = func(ctx context.Context) error {
		return s.db.WithContext(ctx).Model(&models.PanelInvitation{}).Where("id = ?", id).
			Updates(map[string]any{"used": false, "used_on": nil}).Error
	}
	return red, nil
}

// KAnonymity is the least number of active members of a panel who must
// share the profile values stored with an anonymous response.
const KAnonymity = 5

// shareable trims a member's profile values for an anonymous response: the
// values of the panel's fields in their order, as long as at least
// KAnonymity active members have the same values (or, where the member
// gave none, also none) for all of them. Fields are dropped from the end of
// the panel's list until that holds; possibly none is left.
func (s *Store) shareable(ctx context.Context, panelID string, fs []Field, attrs map[string]string) (map[string]string, error) {
	for k := len(fs); k > 0; k-- {
		q := s.db.WithContext(ctx).Model(&models.PanelMember{}).Where("panel_id = ? AND status = ?", panelID, models.MemberActive)
		for _, f := range fs[:k] {
			if v, ok := attrs[f.Key]; ok {
				q = q.Where("EXISTS (SELECT 1 FROM panel_member_profiles p WHERE p.member_id = panel_members.id AND p.field = ? AND p.value = ?)", f.Key, v)
			} else {
				keys := make([]string, len(f.Choices))
				for i, c := range f.Choices {
					keys[i] = c.Key
				}
				q = q.Where("NOT EXISTS (SELECT 1 FROM panel_member_profiles p WHERE p.member_id = panel_members.id AND p.field = ? AND p.value IN ?)", f.Key, keys)
			}
		}
		var n int64
		if err := q.Count(&n).Error; err != nil {
			return nil, err
		}
		if n >= KAnonymity {
			out := map[string]string{}
			for _, f := range fs[:k] {
				if v, ok := attrs[f.Key]; ok {
					out[f.Key] = v
				}
			}
			return out, nil
		}
	}
	return map[string]string{}, nil
}
