// Package townhall runs digital town halls: staff schedule an hour of live
// questions to politicians; citizens ask and vote; moderators screen,
// merge and assign; politicians answer; everyone sees it happen through
// the live event stream, and an archive with statistics remains.
package townhall

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/mail"
	"sort"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/live"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Limits.
const (
	MaxQuestion    = 500  // characters of a question
	MaxAnswer      = 5000 // characters of an answer
	MaxDisplayName = 60
	// A participant may ask FloodLimit questions per FloodWindow in one town hall.
	FloodLimit  = 5
	FloodWindow = 10 * time.Minute
)

// Event types on a town hall's stream.
const (
	EventApproved  = "question.approved"
	EventVoted     = "question.voted"
	EventAnswered  = "question.answered"
	EventHidden    = "question.hidden"
	EventAnswering = "question.answering"
	EventStatus    = "townhall.status"
)

// Stream is the event stream of a town hall.
func Stream(id string) string { return "townhall:" + id }

// Scope is the moderation scope of a town hall (log entries, bans).
func Scope(id string) string { return "townhall:" + id }

// Store reads and writes town halls.
type Store struct {
	db  *gorm.DB
	pg  bool
	hub *live.Hub
	mod *moderation.Store
	now func() time.Time
	log *slog.Logger
	// key keys the participant keys (see ParticipantKey).
	key       []byte
	voteDelay time.Duration
	// voteSlots bounds the vote transactions of this instance at once:
	// votes for one question take turns on its row anyway, and voters
	// waiting for a slot hold no database connection, so answers and
	// moderation still find one during a storm of votes.
	voteSlots chan struct{}

	vmu          sync.Mutex
	pendingVotes map[string]map[string]bool // town hall -> questions with new votes
	voteTimers   map[string]*time.Timer
	closed       bool
}

// DefaultVoteEventDelay is how long vote counts are gathered before they go
// out as question.voted events.
const DefaultVoteEventDelay = 250 * time.Millisecond

// DefaultVoteConcurrency is how many vote transactions one instance runs at once.
const DefaultVoteConcurrency = 8

// Option sets up a Store.
type Option func(*Store)

// WithParticipantKey sets the secret participant keys are made with.
func WithParticipantKey(key []byte) Option { return func(s *Store) { s.key = key } }

// WithLogger sets the logger for work done outside requests.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// NewStore returns a Store; now may be nil.
func NewStore(gdb *gorm.DB, hub *live.Hub, mod *moderation.Store, now func() time.Time, opts ...Option) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{db: gdb, pg: gdb.Dialector.Name() == "postgres", hub: hub, mod: mod, now: func() time.Time { return now().UTC() },
		log: slog.Default(), voteDelay: DefaultVoteEventDelay, voteSlots: make(chan struct{}, DefaultVoteConcurrency)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ParticipantKey is what is stored for a participant of a town hall (with
// questions, votes, bans and flood limits): an HMAC of the town hall and the
// participant (kind "p" anonymous session participant, "a" account, "m"
// panel member), so the raw session or member id is never stored and keys
// of different town halls cannot be joined.
func (s *Store) ParticipantKey(thID, kind, id string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(thID + "\x00" + kind + ":" + id))
	return hex.EncodeToString(m.Sum(nil))
}

// keyShared adds FOR KEY SHARE on PostgreSQL: the lock of a reader that
// must not see the row change under it (it waits for and holds off a
// moderator's FOR UPDATE) but does not write it, so votes, which only
// change the count, do not wait for it nor it for them.
func (s *Store) keyShared(tx *gorm.DB) *gorm.DB {
	if s.pg {
		return tx.Clauses(clause.Locking{Strength: "KEY SHARE"})
	}
	return tx
}

// locked adds FOR UPDATE on PostgreSQL (SQLite write transactions hold the
// database lock from BEGIN).
func (s *Store) locked(tx *gorm.DB) *gorm.DB {
	if s.pg {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// Hub is the event hub.
func (s *Store) Hub() *live.Hub { return s.hub }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// Input is a town hall as staff schedule it.
type Input struct {
	Title         models.Text `json:"title"`
	Description   models.Text `json:"description"`
	StartsAt      *time.Time  `json:"starts_at"`
	EndsAt        *time.Time  `json:"ends_at"`
	Moderation    string      `json:"moderation"`
	Participation string      `json:"participation"`
	PanelID       string      `json:"panel_id"`
	Names         string      `json:"names"`
	Politicians   []string    `json:"politicians"`
	// PoliticianRoles is the role shown with each answer, by email (e.g. "Borgmester").
	PoliticianRoles map[string]string `json:"politician_roles"`
}

// validate checks the input and returns the politicians' accounts.
func (s *Store) validate(ctx context.Context, in *Input) ([]models.TownHallPolitician, error) {
	v := &apperr.Validation{}
	hasTitle := false
	for _, l := range []string{"da", "nl", "en"} {
		if id := textcheck.Line(in.Title[l], 200, false); id != "" {
			v.Add("title."+l, id)
		}
		if id := textcheck.Block(in.Description[l], 5000, false); id != "" {
			v.Add("description."+l, id)
		}
		hasTitle = hasTitle || strings.TrimSpace(in.Title[l]) != ""
	}
	if !hasTitle {
		v.Add("title", "validation.required")
	}
	switch {
	case in.StartsAt == nil:
		v.Add("starts_at", "validation.required")
	case in.EndsAt == nil:
		v.Add("ends_at", "validation.required")
	case !in.EndsAt.After(*in.StartsAt):
		v.Add("ends_at", "townhall.ends_before_start")
	case in.EndsAt.Sub(*in.StartsAt) > 7*24*time.Hour:
		v.Add("ends_at", "townhall.too_long")
	}
	if in.Moderation == "" {
		in.Moderation = models.ModerationPre
	}
	if in.Moderation != models.ModerationPre && in.Moderation != models.ModerationPost {
		v.Add("moderation", "validation.choice_invalid")
	}
	if in.Participation == "" {
		in.Participation = models.ParticipationAnyone
	}
	switch in.Participation {
	case models.ParticipationAnyone:
		in.PanelID = ""
	case models.ParticipationPanel:
		var n int64
		if err := s.db.WithContext(ctx).Model(&models.Panel{}).Where("id = ?", in.PanelID).Count(&n).Error; err != nil {
			return nil, err
		}
		if n == 0 {
			v.Add("panel_id", "townhall.panel_unknown")
		}
	default:
		v.Add("participation", "validation.choice_invalid")
	}
	if in.Names == "" {
		in.Names = models.NamesOptional
	}
	switch in.Names {
	case models.NamesOptional, models.NamesRequired, models.NamesAnonymous:
	default:
		v.Add("names", "validation.choice_invalid")
	}
	var pols []models.TownHallPolitician
	seen := map[string]bool{}
	for _, e := range in.Politicians {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" || seen[e] {
			continue
		}
		seen[e] = true
		if _, err := mail.ParseAddress(e); err != nil {
			v.Add("politicians", "townhall.politician_unknown")
			continue
		}
		var a models.Account
		err := s.db.WithContext(ctx).Where("lower(email) = ? AND active = ? AND role = ?", e, true, models.RolePolitician).Take(&a).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			v.Add("politicians", "townhall.politician_unknown")
			continue
		}
		if err != nil {
			return nil, err
		}
		role := ""
		for k, r := range in.PoliticianRoles {
			if strings.EqualFold(strings.TrimSpace(k), e) {
				role = strings.TrimSpace(r)
			}
		}
		if id := textcheck.Line(role, 80, false); id != "" {
			v.Add("politician_roles", id)
		}
		pols = append(pols, models.TownHallPolitician{AccountID: a.ID, Title: role})
	}
	if len(pols) == 0 {
		v.Add("politicians", "townhall.politicians_required")
	}
	return pols, v.Err()
}

// Create schedules a town hall.
func (s *Store) Create(ctx context.Context, in Input, createdBy *string) (*models.TownHall, error) {
	pols, err := s.validate(ctx, &in)
	if err != nil {
		return nil, err
	}
	now := s.now()
	th := &models.TownHall{ID: models.NewID(), Title: in.Title, Description: in.Description, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(),
		Moderation: in.Moderation, Participation: in.Participation, Names: in.Names, Announced: models.TownHallScheduled,
		CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now}
	if in.PanelID != "" {
		th.PanelID = &in.PanelID
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(th).Error; err != nil {
			return err
		}
		for i := range pols {
			pols[i].TownHallID = th.ID
		}
		return tx.Create(&pols).Error
	})
	return th, err
}

// Update changes a town hall's settings and politicians.
func (s *Store) Update(ctx context.Context, id string, in Input) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	pols, err := s.validate(ctx, &in)
	if err != nil {
		return err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var panel *string
		if in.PanelID != "" {
			panel = &in.PanelID
		}
		err := tx.Model(&models.TownHall{}).Where("id = ?", id).Updates(map[string]any{
			"title": in.Title, "description": in.Description, "starts_at": in.StartsAt.UTC(), "ends_at": in.EndsAt.UTC(),
			"moderation": in.Moderation, "participation": in.Participation, "panel_id": panel, "names": in.Names, "updated_at": s.now(),
		}).Error
		if err != nil {
			return err
		}
		if err := tx.Where("townhall_id = ?", id).Delete(&models.TownHallPolitician{}).Error; err != nil {
			return err
		}
		for i := range pols {
			pols[i].TownHallID = id
		}
		return tx.Create(&pols).Error
	})
	if err != nil {
		return err
	}
	_, err = s.AnnouncePhases(ctx)
	return err
}

// SetTimes moves the start or end (staff: "start now", "end now").
func (s *Store) SetTimes(ctx context.Context, id string, starts, ends time.Time) error {
	if !ends.After(starts) {
		return apperr.Invalid("ends_at", "townhall.ends_before_start")
	}
	res := s.db.WithContext(ctx).Model(&models.TownHall{}).Where("id = ?", id).Updates(map[string]any{"starts_at": starts.UTC(), "ends_at": ends.UTC(), "updated_at": s.now()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return apperr.ErrNotFound
	}
	_, err := s.AnnouncePhases(ctx)
	return err
}

// Get returns a town hall.
func (s *Store) Get(ctx context.Context, id string) (*models.TownHall, error) {
	var th models.TownHall
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&th).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.ErrNotFound
	}
	return &th, err
}

// List returns every town hall, the newest start first.
func (s *Store) List(ctx context.Context) ([]models.TownHall, error) {
	var out []models.TownHall
	err := s.db.WithContext(ctx).Order("starts_at DESC").Find(&out).Error
	return out, err
}

// Upcoming returns the town halls that have not ended, soonest first.
func (s *Store) Upcoming(ctx context.Context) ([]models.TownHall, error) {
	var out []models.TownHall
	err := s.db.WithContext(ctx).Where("ends_at > ?", s.now()).Order("starts_at").Limit(20).Find(&out).Error
	return out, err
}

// ForPolitician lists the town halls an account answers in.
func (s *Store) ForPolitician(ctx context.Context, accountID string) ([]models.TownHall, error) {
	var out []models.TownHall
	err := s.db.WithContext(ctx).Where("id IN (?)", s.db.Model(&models.TownHallPolitician{}).Select("townhall_id").Where("account_id = ?", accountID)).
		Order("starts_at DESC").Find(&out).Error
	return out, err
}

// Politician is a politician of a town hall.
type Politician struct {
	AccountID string `json:"-"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
}

// Politicians lists a town hall's politicians by name.
func (s *Store) Politicians(ctx context.Context, id string) ([]Politician, error) {
	var out []Politician
	err := s.db.WithContext(ctx).Table("townhall_politicians p").Select("a.id AS account_id, a.email, a.name, p.title AS role").
		Joins("JOIN accounts a ON a.id = p.account_id").Where("p.townhall_id = ?", id).Order("a.name").Scan(&out).Error
	return out, err
}

// politician returns the account's place in a town hall, or ErrForbidden.
func (s *Store) politician(ctx context.Context, db *gorm.DB, thID, accountID string) (*models.TownHallPolitician, error) {
	var p models.TownHallPolitician
	err := db.WithContext(ctx).Where("townhall_id = ? AND account_id = ?", thID, accountID).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, &apperr.Refused{MessageID: "townhall.not_your_townhall"}
	}
	return &p, err
}

// Participant is who takes part: Key (see ParticipantKey) is stored with
// questions, votes and bans.
type Participant struct {
	Key     string
	Account *models.Account
}

// ActiveMember tells whether a panel member (by id) is still an active
// member of the panel.
func (s *Store) ActiveMember(ctx context.Context, panelID, memberID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.PanelMember{}).Where("id = ? AND panel_id = ? AND status = ?", memberID, panelID, models.MemberActive).Count(&n).Error
	return n > 0, err
}

// question loads a question.
func (s *Store) question(ctx context.Context, db *gorm.DB, id string) (*models.TownHallQuestion, error) {
	var q models.TownHallQuestion
	err := db.WithContext(ctx).Where("id = ?", id).Take(&q).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.ErrNotFound
	}
	return &q, err
}

// Question returns a question (any status).
func (s *Store) Question(ctx context.Context, id string) (*models.TownHallQuestion, error) {
	return s.question(ctx, s.db, id)
}

// Visible tells whether citizens see a question.
func Visible(q *models.TownHallQuestion) bool { return q.Status == models.QuestionApproved }

// Ask stores a citizen's question: pending under pre-moderation, approved
// (and announced) under post-moderation.
func (s *Store) Ask(ctx context.Context, th *models.TownHall, p Participant, text, name string) (*models.TownHallQuestion, error) {
	now := s.now()
	if th.Phase(now) == models.TownHallEnded {
		return nil, &apperr.Conflict{MessageID: "townhall.closed"}
	}
	if p.Key == "" {
		return nil, apperr.ErrForbidden
	}
	v := &apperr.Validation{}
	text = strings.TrimSpace(text)
	if id := textcheck.Block(text, MaxQuestion, true); id != "" {
		v.Add("text", id)
	}
	name = strings.TrimSpace(name)
	switch th.Names {
	case models.NamesAnonymous:
		name = ""
	default:
		if id := textcheck.Line(name, MaxDisplayName, th.Names == models.NamesRequired); id != "" {
			v.Add("display_name", id)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	q := &models.TownHallQuestion{ID: models.NewID(), TownHallID: th.ID, Participant: p.Key, DisplayName: name, Text: text,
		Status: models.QuestionPending, CreatedAt: now, UpdatedAt: now}
	if th.Moderation == models.ModerationPost {
		q.Status, q.ApprovedAt = models.QuestionApproved, &now
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The questions of one participant take turns, so that parallel
		// requests cannot all pass the flood limit (SQLite: the database lock).
		if s.pg {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "townhall-ask:"+th.ID+":"+p.Key).Error; err != nil {
				return err
			}
		}
		if banned, err := s.mod.Banned(ctx, tx, Scope(th.ID), p.Key); err != nil {
			return err
		} else if banned {
			return &apperr.Refused{MessageID: "townhall.banned"}
		}
		var recent int64
		if err := tx.Model(&models.TownHallQuestion{}).
			Where("townhall_id = ? AND participant = ? AND created_at > ?", th.ID, p.Key, now.Add(-FloodWindow)).Count(&recent).Error; err != nil {
			return err
		}
		if recent >= FloodLimit {
			return &apperr.Limited{MessageID: "townhall.too_many_questions"}
		}
		if err := tx.Create(q).Error; err != nil {
			return err
		}
		if q.Status == models.QuestionApproved {
			_, err := s.hub.EmitAbout(tx, Stream(th.ID), q.ID, EventApproved, questionEvent(q, nil))
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.hub.Wake(Stream(th.ID))
	return q, nil
}

// openForVotes checks, before the transaction, that q (as the caller just
// read it) is a visible question of th and that th takes votes from p. The
// transaction checks again on the row itself.
func (s *Store) openForVotes(ctx context.Context, q *models.TownHallQuestion, th *models.TownHall, p Participant) error {
	if !Visible(q) || q.TownHallID != th.ID {
		return apperr.ErrNotFound
	}
	if th.Phase(s.now()) == models.TownHallEnded {
		return &apperr.Conflict{MessageID: "townhall.closed"}
	}
	if p.Key == "" {
		return apperr.ErrForbidden
	}
	if banned, err := s.mod.Banned(ctx, nil, Scope(th.ID), p.Key); err != nil {
		return err
	} else if banned {
		return &apperr.Refused{MessageID: "townhall.banned"}
	}
	return nil
}

// Vote counts p's vote for a question once; a second vote changes nothing.
// It returns the question's votes. q and th are the question and its town
// hall as the caller just read them.
func (s *Store) Vote(ctx context.Context, q *models.TownHallQuestion, th *models.TownHall, p Participant) (int, error) {
	return s.vote(ctx, q, th, p, 1)
}

// Unvote withdraws p's vote (none: no change) and returns the votes.
func (s *Store) Unvote(ctx context.Context, q *models.TownHallQuestion, th *models.TownHall, p Participant) (int, error) {
	return s.vote(ctx, q, th, p, -1)
}

// vote adds (delta 1) or withdraws (delta -1) p's vote. In one transaction:
// the vote row is inserted (or deleted); only if a row changed, the count on
// the question moves by one with a single UPDATE … RETURNING that also checks
// that the question is still published, as the last statement before commit,
// so the question's row is locked for a moment only. A question that was
// hidden or merged in the meantime is refused (ErrNotFound) and the vote row
// rolled back, so the count on the question always equals its vote rows
// (a merge locks the question before it moves the votes: see Moderate).
func (s *Store) vote(ctx context.Context, q *models.TownHallQuestion, th *models.TownHall, p Participant, delta int) (int, error) {
	if err := s.openForVotes(ctx, q, th, p); err != nil {
		return 0, err
	}
	if s.voteSlots != nil {
		select {
		case s.voteSlots <- struct{}{}:
			defer func() { <-s.voteSlots }()
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	var votes int
	changed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var res *gorm.DB
		if delta > 0 {
			res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.TownHallVote{QuestionID: q.ID, Participant: p.Key, TownHallID: q.TownHallID})
		} else {
			res = tx.Where("question_id = ? AND participant = ?", q.ID, p.Key).Delete(&models.TownHallVote{})
		}
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var cur models.TownHallQuestion
			if err := tx.Select("id, votes, status").Where("id = ?", q.ID).Take(&cur).Error; err != nil {
				if errors.Is(err, gorm.ErrRecordNotFound) {
					return apperr.ErrNotFound
				}
				return err
			}
			if !Visible(&cur) {
				return apperr.ErrNotFound
			}
			votes = cur.Votes
			return nil
		}
		var out []int
		if err := tx.Raw("UPDATE townhall_questions SET votes = votes + ? WHERE id = ? AND status = ? RETURNING votes",
			delta, q.ID, models.QuestionApproved).Scan(&out).Error; err != nil {
			return err
		}
		if len(out) == 0 {
			return apperr.ErrNotFound // hidden or merged meanwhile: roll the vote back
		}
		votes, changed = out[0], true
		return nil
	})
	if err != nil {
		return 0, err
	}
	if changed {
		s.voted(q.TownHallID, q.ID)
	}
	return votes, nil
}

// voted schedules a question.voted event for a question. Votes do not write
// events in their own transactions: under a storm of votes that would make
// every vote wait for the stream's lock (see app/live) and delay the answers
// queued behind them. The counts go out a moment later (the vote event
// delay), once for all the votes of that moment, read from the questions,
// whose counts are always right.
func (s *Store) voted(thID, qid string) {
	s.vmu.Lock()
	if s.closed {
		s.vmu.Unlock()
		s.flushVotes(thID, []string{qid})
		return
	}
	if s.pendingVotes == nil {
		s.pendingVotes = map[string]map[string]bool{}
		s.voteTimers = map[string]*time.Timer{}
	}
	set := s.pendingVotes[thID]
	if set == nil {
		set = map[string]bool{}
		s.pendingVotes[thID] = set
		s.voteTimers[thID] = time.AfterFunc(s.voteDelay, func() { s.flushPending(thID) })
	}
	set[qid] = true
	s.vmu.Unlock()
}

// flushPending sends the gathered vote counts of a town hall.
func (s *Store) flushPending(thID string) {
	s.vmu.Lock()
	set := s.pendingVotes[thID]
	delete(s.pendingVotes, thID)
	delete(s.voteTimers, thID)
	s.vmu.Unlock()
	if len(set) == 0 {
		return
	}
	ids := make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	s.flushVotes(thID, ids)
}

// flushVotes puts the current counts of the questions on the stream.
func (s *Store) flushVotes(thID string, ids []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []models.TownHallQuestion
		if err := tx.Select("id, votes, status").Where("id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		for _, q := range rows {
			if !Visible(&q) {
				continue
			}
			if _, err := s.hub.EmitAbout(tx, Stream(thID), q.ID, EventVoted, map[string]any{"id": q.ID, "votes": q.Votes}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("townhall: send vote counts", "townhall", thID, "err", err)
		return
	}
	s.hub.Wake(Stream(thID))
}

// Close sends the vote counts still gathered (call it on shutdown, before
// the hub closes); later votes send theirs at once.
func (s *Store) Close() {
	s.vmu.Lock()
	s.closed = true
	var ths []string
	for thID, t := range s.voteTimers {
		t.Stop()
		ths = append(ths, thID)
	}
	s.vmu.Unlock()
	for _, thID := range ths {
		s.flushPending(thID)
	}
}

// VotedBy returns the ids of a town hall's questions p voted for.
func (s *Store) VotedBy(ctx context.Context, thID, participant string) (map[string]bool, error) {
	out := map[string]bool{}
	if participant == "" {
		return out, nil
	}
	var ids []string
	err := s.db.WithContext(ctx).Model(&models.TownHallVote{}).Where("townhall_id = ? AND participant = ?", thID, participant).Pluck("question_id", &ids).Error
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// AskedBy lists p's own questions in a town hall (any status), newest first.
func (s *Store) AskedBy(ctx context.Context, thID, participant string) ([]models.TownHallQuestion, error) {
	var out []models.TownHallQuestion
	if participant == "" {
		return out, nil
	}
	err := s.db.WithContext(ctx).Where("townhall_id = ? AND participant = ?", thID, participant).Order("created_at DESC").Limit(50).Find(&out).Error
	return out, err
}

// Actions of moderators.
const (
	ActApprove = "approve"
	ActReject  = "reject"
	ActHide    = "hide"
	ActMerge   = "merge"
	ActAssign  = "assign"
	ActBan     = "ban"
	// ActDismiss closes the open reports of a question, changing nothing else.
	ActDismiss = "dismiss"
)

// Action is one moderation request. Reason is the key of a house rule
// (required to reject, hide and ban); Into the kept question of a merge;
// Politician the email or account id of a politician of the town hall.
type Action struct {
	Action     string `json:"action"`
	Reason     string `json:"reason"`
	Note       string `json:"note"`
	Into       string `json:"into"`
	Politician string `json:"politician"`
}

// Moderate applies a moderator's action to a question and logs it.
//
// Locks: the question's row is read FOR UPDATE first (PostgreSQL; on SQLite
// the transaction holds the database lock), then the town hall's row is
// written; Answer and SetAnswering take them in the same order, so they
// cannot deadlock. A merge locks both questions, in id order.
func (s *Store) Moderate(ctx context.Context, qid string, actor *models.Account, a Action) (*models.TownHallQuestion, error) {
	q, err := s.question(ctx, s.db, qid)
	if err != nil {
		return nil, err
	}
	th, err := s.Get(ctx, q.TownHallID)
	if err != nil {
		return nil, err
	}
	a.Note = strings.TrimSpace(a.Note)
	now := s.now()
	stream := Stream(th.ID)
	entry := moderation.Entry{Scope: Scope(th.ID), Actor: actor, Action: a.Action, TargetType: "question", TargetID: q.ID, Rule: a.Reason, Note: a.Note}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Re-read and lock inside the transaction; a concurrent moderator,
		// voter or politician may have acted.
		ids := []string{qid}
		if a.Action == ActMerge && a.Into != "" && a.Into != qid {
			ids = append(ids, a.Into)
		}
		sort.Strings(ids)
		var rows []models.TownHallQuestion
		if err := s.locked(tx).Where("id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		var kept *models.TownHallQuestion
		q = nil
		for i := range rows {
			switch rows[i].ID {
			case qid:
				q = &rows[i]
			case a.Into:
				kept = &rows[i]
			}
		}
		if q == nil {
			return apperr.ErrNotFound
		}
		clearAnswering := func() error {
			return tx.Model(&models.TownHall{}).Where("id = ? AND answering_id = ?", th.ID, q.ID).Update("answering_id", nil).Error
		}
		upd := map[string]any{"updated_at": now}
		var emit func() error
		switch a.Action {
		case ActApprove:
			if a.Reason != "" || a.Note != "" {
				if err := checkNote(a.Note); err != nil {
					return err
				}
			}
			if q.Status == models.QuestionMerged {
				return &apperr.Conflict{MessageID: "townhall.already_merged"}
			}
			if q.Status == models.QuestionApproved {
				return nil
			}
			upd["status"] = models.QuestionApproved
			if q.ApprovedAt == nil {
				upd["approved_at"] = now
				q.ApprovedAt = &now
			}
			q.Status = models.QuestionApproved
			emit = func() error {
				answers, err := s.answersOf(ctx, tx, []string{q.ID})
				if err != nil {
					return err
				}
				_, err = s.hub.EmitAbout(tx, stream, q.ID, EventApproved, questionEvent(q, answers[q.ID]))
				return err
			}
		case ActReject, ActHide:
			if err := moderation.CheckReason(tx, a.Reason, a.Note); err != nil {
				return err
			}
			if q.Status == models.QuestionMerged {
				return &apperr.Conflict{MessageID: "townhall.already_merged"}
			}
			wasVisible := Visible(q)
			st := models.QuestionRejected
			if a.Action == ActHide || wasVisible {
				st = models.QuestionHidden
			}
			upd["status"] = st
			q.Status = st
			if err := clearAnswering(); err != nil {
				return err
			}
			// What was said about it can no longer be replayed.
			if err := s.hub.Redact(tx, stream, q.ID); err != nil {
				return err
			}
			if wasVisible {
				emit = func() error {
					_, err := s.hub.EmitAbout(tx, stream, q.ID, EventHidden, map[string]any{"id": q.ID})
					return err
				}
			}
		case ActMerge:
			if err := checkNote(a.Note); err != nil {
				return err
			}
			if kept == nil || kept.TownHallID != q.TownHallID || kept.Status == models.QuestionMerged {
				return apperr.Invalid("into", "townhall.merge_target_invalid")
			}
			if q.Status == models.QuestionMerged {
				return &apperr.Conflict{MessageID: "townhall.already_merged"}
			}
			// Answers belong to the question they answer: a question with
			// answers is not merged away.
			var nAnswers int64
			if err := tx.Model(&models.TownHallAnswer{}).Where("question_id = ?", q.ID).Count(&nAnswers).Error; err != nil {
				return err
			}
			if nAnswers > 0 {
				return &apperr.Conflict{MessageID: "townhall.merge_answered"}
			}
			wasVisible := Visible(q)
			// The duplicate's voters vote for the kept question; whoever voted
			// for both counts once. Both rows are locked, so no vote on
			// either comes in between; both counts are computed from rows.
			if err := tx.Exec(`INSERT INTO townhall_votes (question_id, participant, townhall_id)
				SELECT ?, participant, townhall_id FROM townhall_votes WHERE question_id = ?
				ON CONFLICT DO NOTHING`, kept.ID, q.ID).Error; err != nil {
				return err
			}
			if err := tx.Where("question_id = ?", q.ID).Delete(&models.TownHallVote{}).Error; err != nil {
				return err
			}
			var n int64
			if err := tx.Model(&models.TownHallVote{}).Where("question_id = ?", kept.ID).Count(&n).Error; err != nil {
				return err
			}
			if err := tx.Model(&models.TownHallQuestion{}).Where("id = ?", kept.ID).Updates(map[string]any{"votes": n, "updated_at": now}).Error; err != nil {
				return err
			}
			var left int64
			if err := tx.Model(&models.TownHallVote{}).Where("question_id = ?", q.ID).Count(&left).Error; err != nil {
				return err
			}
			upd["status"], upd["merged_into"], upd["votes"] = models.QuestionMerged, kept.ID, left
			q.Status, q.MergedInto, q.Votes = models.QuestionMerged, &kept.ID, int(left)
			if err := clearAnswering(); err != nil {
				return err
			}
			if err := s.hub.Redact(tx, stream, q.ID); err != nil {
				return err
			}
			entry.TargetID = q.ID
			entry.Note = strings.TrimSpace("→ " + kept.ID + " " + a.Note)
			keptVisible := Visible(kept)
			emit = func() error {
				if wasVisible {
					if _, err := s.hub.EmitAbout(tx, stream, q.ID, EventHidden, map[string]any{"id": q.ID, "merged_into": kept.ID}); err != nil {
						return err
					}
				}
				if keptVisible {
					_, err := s.hub.EmitAbout(tx, stream, kept.ID, EventVoted, map[string]any{"id": kept.ID, "votes": n})
					return err
				}
				return nil
			}
		case ActAssign:
			if err := checkNote(a.Note); err != nil {
				return err
			}
			if a.Politician == "" {
				upd["assigned_to"] = nil
				q.AssignedTo = nil
				break
			}
			pols, err := s.Politicians(ctx, th.ID)
			if err != nil {
				return err
			}
			var found *Politician
			for i := range pols {
				if pols[i].AccountID == a.Politician || strings.EqualFold(pols[i].Email, strings.TrimSpace(a.Politician)) {
					found = &pols[i]
				}
			}
			if found == nil {
				return apperr.Invalid("politician", "townhall.politician_not_here")
			}
			upd["assigned_to"] = found.AccountID
			q.AssignedTo = &found.AccountID
			entry.Note = strings.TrimSpace(found.Name + " " + a.Note)
		case ActBan:
			if err := moderation.CheckReason(tx, a.Reason, a.Note); err != nil {
				return err
			}
			if err := s.mod.Ban(tx, Scope(th.ID), q.Participant, a.Reason, a.Note, actor); err != nil {
				return err
			}
			entry.TargetType = "participant_of_question"
			// Their questions still waiting are rejected, and whatever the
			// stream said about them is redacted.
			var waiting []string
			if err := tx.Model(&models.TownHallQuestion{}).Where("townhall_id = ? AND participant = ? AND status = ?", th.ID, q.Participant, models.QuestionPending).
				Pluck("id", &waiting).Error; err != nil {
				return err
			}
			if len(waiting) > 0 {
				if err := tx.Model(&models.TownHallQuestion{}).Where("id IN ?", waiting).
					Updates(map[string]any{"status": models.QuestionRejected, "updated_at": now}).Error; err != nil {
					return err
				}
			}
			for _, id := range waiting {
				if err := s.hub.Redact(tx, stream, id); err != nil {
					return err
				}
			}
			upd = nil
		case ActDismiss:
			if err := checkNote(a.Note); err != nil {
				return err
			}
			upd = nil
		default:
			return apperr.Invalid("action", "validation.choice_invalid")
		}
		// Citizens' reports of the question are settled by what the
		// moderator did about it (approving a waiting question settles none:
		// a waiting question cannot be reported).
		if a.Action != ActApprove && a.Action != ActAssign {
			n, err := s.mod.Resolve(tx, models.TargetQuestion, q.ID, actor, a.Action)
			if err != nil {
				return err
			}
			if n == 0 && a.Action == ActDismiss {
				return &apperr.Conflict{MessageID: "ideas_moderation.no_open_reports"}
			}
		}
		if upd != nil {
			if err := tx.Model(&models.TownHallQuestion{}).Where("id = ?", q.ID).Updates(upd).Error; err != nil {
				return err
			}
		}
		if err := s.mod.Log(tx, entry); err != nil {
			return err
		}
		if emit != nil {
			return emit() // the last write of the transaction
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.hub.Wake(stream)
	return q, nil
}

func checkNote(note string) error { return moderation.CheckNote(note) }

// Answer stores a politician's answer to a visible question. It locks the
// question's row first, then writes the town hall's (the order of Moderate,
// so the two cannot deadlock).
func (s *Store) Answer(ctx context.Context, qid string, actor *models.Account, text string) (*models.TownHallAnswer, error) {
	q, err := s.question(ctx, s.db, qid)
	if err != nil {
		return nil, err
	}
	pol, err := s.politician(ctx, s.db, q.TownHallID, actor.ID)
	if err != nil {
		return nil, err
	}
	if !Visible(q) {
		return nil, apperr.ErrNotFound
	}
	text = strings.TrimSpace(text)
	if id := textcheck.Block(text, MaxAnswer, true); id != "" {
		return nil, apperr.Invalid("text", id)
	}
	now := s.now()
	ans := &models.TownHallAnswer{ID: models.NewID(), QuestionID: q.ID, TownHallID: q.TownHallID, AccountID: &actor.ID, Name: actor.Name, Title: pol.Title, Text: text, CreatedAt: now}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A key-share lock: it waits for (and holds off) a moderator's
		// FOR UPDATE, but not the votes, which only change the count; the
		// answer does not write the question's row, so it never queues
		// behind a storm of votes on it.
		cur, err := s.question(ctx, s.keyShared(tx), q.ID)
		if err != nil {
			return err
		}
		if !Visible(cur) {
			return apperr.ErrNotFound // hidden or merged meanwhile
		}
		if err := tx.Model(&models.TownHall{}).Where("id = ? AND answering_id = ?", q.TownHallID, q.ID).Update("answering_id", nil).Error; err != nil {
			return err
		}
		if err := tx.Create(ans).Error; err != nil {
			return err
		}
		_, err = s.hub.EmitAbout(tx, Stream(q.TownHallID), q.ID, EventAnswered, map[string]any{"id": q.ID, "status": "answered", "answer": answerEvent(ans)})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.hub.Wake(Stream(q.TownHallID))
	return ans, nil
}

// SetAnswering marks the question a politician is answering now, for
// everyone to see; an empty qid clears the mark of town hall thID.
func (s *Store) SetAnswering(ctx context.Context, thID, qid string, actor *models.Account) error {
	var q *models.TownHallQuestion
	if qid != "" {
		var err error
		if q, err = s.question(ctx, s.db, qid); err != nil {
			return err
		}
		thID = q.TownHallID
	}
	if _, err := s.politician(ctx, s.db, thID, actor.ID); err != nil {
		return err
	}
	if q != nil && !Visible(q) {
		return apperr.ErrNotFound
	}
	var val any
	payload := map[string]any{"id": "", "politician": actor.Name}
	subject := ""
	if q != nil {
		val, payload["id"], subject = q.ID, q.ID, q.ID
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if q != nil {
			// The question first, then the town hall (the order of Moderate).
			cur, err := s.question(ctx, s.keyShared(tx), q.ID)
			if err != nil {
				return err
			}
			if !Visible(cur) {
				return apperr.ErrNotFound
			}
		}
		if err := tx.Model(&models.TownHall{}).Where("id = ?", thID).Update("answering_id", val).Error; err != nil {
			return err
		}
		_, err := s.hub.EmitAbout(tx, Stream(thID), subject, EventAnswering, payload)
		return err
	})
	if err == nil {
		s.hub.Wake(Stream(thID))
	}
	return err
}

// AnnouncePhases puts a townhall.status event on the stream of every town
// hall whose phase changed since it was last announced. Any instance may
// run it: the conditional update lets one of them announce each change.
func (s *Store) AnnouncePhases(ctx context.Context) (int, error) {
	now := s.now()
	var due []models.TownHall
	err := s.db.WithContext(ctx).Where("(announced = ? AND starts_at <= ?) OR (announced <> ? AND ends_at <= ?) OR (announced <> ? AND starts_at > ?)",
		models.TownHallScheduled, now, models.TownHallEnded, now, models.TownHallScheduled, now).Find(&due).Error
	if err != nil {
		return 0, err
	}
	n := 0
	for _, th := range due {
		phase := th.Phase(now)
		if phase == th.Announced {
			continue
		}
		done := false
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			res := tx.Model(&models.TownHall{}).Where("id = ? AND announced = ?", th.ID, th.Announced).Update("announced", phase)
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			done = true
			_, err := s.hub.Emit(tx, Stream(th.ID), EventStatus, map[string]any{"status": phase, "starts_at": th.StartsAt, "ends_at": th.EndsAt})
			return err
		})
		if err != nil {
			return n, err
		}
		if done {
			n++
			s.hub.Wake(Stream(th.ID))
		}
	}
	return n, nil
}

// QuestionView is a question with its answers.
type QuestionView struct {
	models.TownHallQuestion
	Answers []models.TownHallAnswer
}

// Answered tells whether a politician answered.
func (q QuestionView) Answered() bool { return len(q.Answers) > 0 }

// Sorts of the question list.
const (
	SortVotes = "votes"
	SortNew   = "new"
)

// Questions lists a town hall's questions of the given statuses (all when
// none) with their answers: most votes first, or newest first.
func (s *Store) Questions(ctx context.Context, thID, sortBy string, statuses ...string) ([]QuestionView, error) {
	db := s.db.WithContext(ctx).Where("townhall_id = ?", thID)
	if len(statuses) > 0 {
		db = db.Where("status IN ?", statuses)
	}
	if sortBy == SortNew {
		db = db.Order("created_at DESC, id")
	} else {
		db = db.Order("votes DESC, created_at, id")
	}
	var qs []models.TownHallQuestion
	if err := db.Find(&qs).Error; err != nil {
		return nil, err
	}
	ids := make([]string, len(qs))
	for i, q := range qs {
		ids[i] = q.ID
	}
	answers, err := s.answersOf(ctx, s.db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]QuestionView, len(qs))
	for i, q := range qs {
		out[i] = QuestionView{TownHallQuestion: q, Answers: answers[q.ID]}
	}
	return out, nil
}

func (s *Store) answersOf(ctx context.Context, db *gorm.DB, ids []string) (map[string][]models.TownHallAnswer, error) {
	out := map[string][]models.TownHallAnswer{}
	for start := 0; start < len(ids); start += 500 {
		var rows []models.TownHallAnswer
		if err := db.WithContext(ctx).Where("question_id IN ?", ids[start:min(start+500, len(ids))]).Order("created_at, id").Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, a := range rows {
			out[a.QuestionID] = append(out[a.QuestionID], a)
		}
	}
	return out, nil
}

// PolitanswerCount is the number of answers of one politician.
type PolitanswerCount struct {
	Politician string `json:"politician"`
	Role       string `json:"role"`
	Answers    int64  `json:"answers"`
}

// Stats are a town hall's figures.
type Stats struct {
	Asked        int64              `json:"questions_asked"`
	Approved     int64              `json:"questions_approved"`
	Answered     int64              `json:"questions_answered"`
	Participants int64              `json:"participants"`
	Votes        int64              `json:"votes"`
	Answers      int64              `json:"answers"`
	ByPolitician []PolitanswerCount `json:"answers_per_politician"`
	// MedianSeconds is the median time from approval to the first answer,
	// over the answered questions (null when none).
	MedianSeconds *float64 `json:"median_seconds_to_answer"`
}

// Stats computes a town hall's figures.
func (s *Store) Stats(ctx context.Context, thID string) (*Stats, error) {
	db := s.db.WithContext(ctx)
	st := &Stats{ByPolitician: []PolitanswerCount{}}
	q := func() *gorm.DB { return db.Model(&models.TownHallQuestion{}).Where("townhall_id = ?", thID) }
	if err := q().Count(&st.Asked).Error; err != nil {
		return nil, err
	}
	if err := q().Where("approved_at IS NOT NULL").Count(&st.Approved).Error; err != nil {
		return nil, err
	}
	answered := db.Table("townhall_answers").Select("question_id").Where("townhall_id = ?", thID)
	if err := q().Where("status = ? AND id IN (?)", models.QuestionApproved, answered).Count(&st.Answered).Error; err != nil {
		return nil, err
	}
	if err := db.Model(&models.TownHallVote{}).Where("townhall_id = ?", thID).Count(&st.Votes).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(`SELECT COUNT(*) FROM (SELECT participant FROM townhall_questions WHERE townhall_id = ?
		UNION SELECT participant FROM townhall_votes WHERE townhall_id = ?) p`, thID, thID).Scan(&st.Participants).Error; err != nil {
		return nil, err
	}
	if err := db.Table("townhall_answers").Select("name AS politician, title AS role, COUNT(*) AS answers").
		Where("townhall_id = ?", thID).Group("name, title").Order("answers DESC, name").Scan(&st.ByPolitician).Error; err != nil {
		return nil, err
	}
	for _, p := range st.ByPolitician {
		st.Answers += p.Answers
	}
	// From publication to the first answer, over the answered questions.
	var approved []struct {
		ID         string
		ApprovedAt time.Time
	}
	if err := q().Select("id, approved_at").Where("approved_at IS NOT NULL").Scan(&approved).Error; err != nil {
		return nil, err
	}
	var answers []struct {
		QuestionID string
		CreatedAt  time.Time
	}
	if err := db.Table("townhall_answers").Select("question_id, created_at").Where("townhall_id = ?", thID).Scan(&answers).Error; err != nil {
		return nil, err
	}
	first := map[string]time.Time{}
	for _, a := range answers {
		if f, ok := first[a.QuestionID]; !ok || a.CreatedAt.Before(f) {
			first[a.QuestionID] = a.CreatedAt
		}
	}
	var times []float64
	for _, a := range approved {
		if f, ok := first[a.ID]; ok {
			times = append(times, max(0, f.Sub(a.ApprovedAt).Seconds()))
		}
	}
	if len(times) > 0 {
		secs := times
		sort.Float64s(secs)
		m := secs[len(secs)/2]
		if len(secs)%2 == 0 {
			m = (secs[len(secs)/2-1] + secs[len(secs)/2]) / 2
		}
		m = float64(int64(m + 0.5))
		st.MedianSeconds = &m
	}
	return st, nil
}

// PublicTime is when a question was asked as the public sees it: to the
// minute, so that the time cannot single out the request that asked it.
func PublicTime(t time.Time) time.Time { return t.UTC().Truncate(time.Minute) }

// PurgeEvents deletes the stored events of town halls that ended more than
// a week ago; their archive pages do not stream.
func (s *Store) PurgeEvents(ctx context.Context) (int64, error) {
	var ids []string
	if err := s.db.WithContext(ctx).Model(&models.TownHall{}).Where("ends_at < ?", s.now().Add(-7*24*time.Hour)).
		Where("EXISTS (SELECT 1 FROM live_events e WHERE e.stream = 'townhall:' || townhalls.id)").Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	streams := make([]string, len(ids))
	for i, id := range ids {
		streams[i] = Stream(id)
	}
	return s.hub.Purge(ctx, streams)
}

// questionEvent is the payload of question.approved.
func questionEvent(q *models.TownHallQuestion, answers []models.TownHallAnswer) map[string]any {
	as := make([]map[string]any, 0, len(answers))
	for i := range answers {
		as = append(as, answerEvent(&answers[i]))
	}
	status := "approved"
	if len(answers) > 0 {
		status = "answered"
	}
	return map[string]any{"id": q.ID, "text": q.Text, "display_name": q.DisplayName, "votes": q.Votes, "status": status,
		"created_at": PublicTime(q.CreatedAt), "answers": as}
}

func answerEvent(a *models.TownHallAnswer) map[string]any {
	return map[string]any{"id": a.ID, "text": a.Text, "politician": a.Name, "role": a.Title, "answered_at": a.CreatedAt}
}
