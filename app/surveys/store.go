package surveys

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/idem"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Store reads and writes surveys and responses.
type Store struct {
	db        *gorm.DB
	now       func() time.Time
	markerKey []byte
	zone      *time.Location
	parsed    sync.Map // survey id -> parsedDef
}

// parsedDef is a survey's definition as parsed for one version of it.
type parsedDef struct {
	version time.Time
	def     Definition
}

// Definition returns sv's parsed definition. Parsing is kept per survey
// version (every change bumps updated_at, on every instance), since the
// answering path would otherwise decode the same JSON on each request.
// The result is shared: callers must not modify it.
func (s *Store) Definition(sv *models.Survey) (Definition, error) {
	if v, ok := s.parsed.Load(sv.ID); ok && v.(parsedDef).version.Equal(sv.UpdatedAt) {
		return v.(parsedDef).def, nil
	}
	d, err := Parse(sv.Definition)
	if err != nil {
		return Definition{}, err
	}
	s.parsed.Store(sv.ID, parsedDef{version: sv.UpdatedAt, def: d})
	return d, nil
}

// NewStore returns a Store on db.
func NewStore(db *gorm.DB) *Store {
	return &Store{db: db, now: func() time.Time { return time.Now().UTC() }, zone: time.UTC}
}

// WithZone sets the time zone of response dates (the municipality's).
func (s *Store) WithZone(zone *time.Location) *Store {
	s.zone = zone
	return s
}

// WithMarkerKey sets the secret that response markers are keyed with, so
// that the database alone cannot tell which participant a marker is for.
func (s *Store) WithMarkerKey(key []byte) *Store {
	s.markerKey = key
	return s
}

// Meta is what staff set about a survey besides its questions.
type Meta struct {
	Title          models.Text
	Description    models.Text
	Thanks         models.Text
	Languages      []string
	Anonymous      bool
	AllowMultiple  bool
	PublishResults bool
	OpensAt        *time.Time
	ClosesAt       *time.Time
}

var supportedLangs = map[string]bool{"da": true, "nl": true, "en": true}

func (m *Meta) validate() error {
	v := &apperr.Validation{}
	if len(m.Languages) == 0 {
		v.Add("languages", "survey.languages_required")
	}
	seen := map[string]bool{}
	for _, l := range m.Languages {
		if !supportedLangs[l] || seen[l] {
			v.Add("languages", "validation.choice_invalid")
		}
		seen[l] = true
	}
	if m.Title.In("") == "" {
		v.Add("title", "validation.required")
	}
	for f, t := range map[string]models.Text{"title": m.Title, "description": m.Description, "thanks": m.Thanks} {
		max := MaxTextLen
		if f == "title" {
			max = 200
		}
		for lang, s := range t {
			check := textcheck.Block
			if f == "title" {
				check = textcheck.Line
			}
			if !supportedLangs[lang] {
				v.Add(f, "validation.choice_invalid")
			} else if id := check(s, max, false); id != "" {
				v.Add(f, id)
			}
		}
	}
	if m.OpensAt != nil && m.ClosesAt != nil && !m.ClosesAt.After(*m.OpensAt) {
		v.Add("closes_at", "survey.closes_before_opens")
	}
	return v.Err()
}

// Create stores a new draft survey.
func (s *Store) Create(ctx context.Context, m Meta, d Definition, templateKey string, createdBy *string) (*models.Survey, error) {
	v := &apperr.Validation{}
	if err := m.validate(); err != nil {
		v = err.(*apperr.Validation)
	}
	if err := d.Validate(); err != nil {
		for f, id := range err.(*apperr.Validation).Fields {
			v.Add(f, id)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	if len(d.Sections) == 0 {
		d.Sections = []Section{{Key: "s1"}}
	}
	sv := &models.Survey{
		ID: models.NewID(), Status: models.SurveyDraft, Title: m.Title, Description: orEmpty(m.Description), Thanks: orEmpty(m.Thanks),
		Languages: strings.Join(m.Languages, ","), Anonymous: m.Anonymous, AllowMultiple: m.AllowMultiple, PublishResults: m.PublishResults,
		Definition: d.JSON(), TemplateKey: templateKey, OpensAt: m.OpensAt, ClosesAt: m.ClosesAt, CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.db.WithContext(ctx).Create(sv).Error; err != nil {
		return nil, err
	}
	return sv, nil
}

func orEmpty(t models.Text) models.Text {
	if t == nil {
		return models.Text{}
	}
	return t
}

// CreateFromTemplate stores a new draft survey from a built-in questionnaire.
func (s *Store) CreateFromTemplate(ctx context.Context, key string, createdBy *string) (*models.Survey, error) {
	t, ok := TemplateByKey(key)
	if !ok {
		return nil, apperr.ErrNotFound
	}
	return s.Create(ctx, t.Meta, t.Definition, t.Key, createdBy)
}

// Get finds a survey.
func (s *Store) Get(ctx context.Context, id string) (*models.Survey, error) {
	var sv models.Survey
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&sv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.ErrNotFound
	}
	return &sv, err
}

// Summary is a survey with its response count, for lists.
type Summary struct {
	models.Survey
	Responses int64
}

// List returns every survey, newest first, with response counts.
func (s *Store) List(ctx context.Context) ([]Summary, error) {
	var out []Summary
	err := s.db.WithContext(ctx).Model(&models.Survey{}).
		Select("surveys.*, (SELECT COUNT(*) FROM responses r WHERE r.survey_id = surveys.id) AS responses").
		Order("created_at DESC").Scan(&out).Error
	return out, err
}

// OpenNow lists the surveys citizens can answer now.
func (s *Store) OpenNow(ctx context.Context) ([]models.Survey, error) {
	now := s.now()
	var out []models.Survey
	err := s.db.WithContext(ctx).Where("status = ? AND (opens_at IS NULL OR opens_at <= ?) AND (closes_at IS NULL OR closes_at > ?)", models.SurveyOpen, now, now).
		Order("created_at DESC").Find(&out).Error
	return out, err
}

// Running lists at most limit of the surveys citizens can answer now, the
// ones closing first first (then the newest), with their response counts,
// and how many run in all.
func (s *Store) Running(ctx context.Context, limit int) ([]Summary, int64, error) {
	now := s.now()
	open := func() *gorm.DB {
		return s.db.WithContext(ctx).Model(&models.Survey{}).
			Where("status = ? AND (opens_at IS NULL OR opens_at <= ?) AND (closes_at IS NULL OR closes_at > ?)", models.SurveyOpen, now, now)
	}
	var total int64
	if err := open().Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []Summary
	err := open().Select("surveys.*, (SELECT COUNT(*) FROM responses r WHERE r.survey_id = surveys.id) AS responses").
		Order("CASE WHEN closes_at IS NULL THEN 1 ELSE 0 END, closes_at, created_at DESC, id").Limit(limit).Scan(&out).Error
	return out, total, err
}

// ResponseCount counts a survey's responses.
func (s *Store) ResponseCount(ctx context.Context, id string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.Response{}).Where("survey_id = ?", id).Count(&n).Error
	return n, err
}

// UpdateMeta saves a survey's settings and texts.
func (s *Store) UpdateMeta(ctx context.Context, id string, m Meta) error {
	if err := m.validate(); err != nil {
		return err
	}
	// The promise made to respondents cannot change under their answers.
	// The survey row is locked first, so no response can be stored between
	// counting and changing (Submit holds a share lock on the same row).
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		sv, err := lockSurvey(tx, id)
		if err != nil {
			return err
		}
		if sv.Anonymous != m.Anonymous {
			var n int64
			if err := tx.Model(&models.Response{}).Where("survey_id = ?", id).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return apperr.Invalid("anonymous", "survey.locked_anonymity")
			}
		}
		return tx.Model(&models.Survey{}).Where("id = ?", id).Updates(map[string]any{
			"title": m.Title, "description": orEmpty(m.Description), "thanks": orEmpty(m.Thanks), "languages": strings.Join(m.Languages, ","),
			"anonymous": m.Anonymous, "allow_multiple": m.AllowMultiple, "publish_results": m.PublishResults,
			"opens_at": m.OpensAt, "closes_at": m.ClosesAt, "updated_at": s.now(),
		}).Error
	})
}

// lockSurvey reads a survey for update inside tx (FOR UPDATE on
// PostgreSQL; SQLite's write transactions are already exclusive).
func lockSurvey(tx *gorm.DB, id string) (*models.Survey, error) {
	q := tx
	if tx.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var sv models.Survey
	err := q.Where("id = ?", id).Take(&sv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.ErrNotFound
	}
	return &sv, err
}

// UpdateDefinition replaces the questions. Once responses exist, removing
// a question or option or changing a type would orphan answers, so it is
// refused; text edits and additions stay allowed.
func (s *Store) UpdateDefinition(ctx context.Context, id string, d Definition) error {
	if err := d.Validate(); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		sv, err := lockSurvey(tx, id)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&models.Response{}).Where("survey_id = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			old, err := Parse(sv.Definition)
			if err != nil {
				return err
			}
			if msg := breaking(old, d); msg != "" {
				return &apperr.Conflict{MessageID: msg}
			}
		}
		return tx.Model(&models.Survey{}).Where("id = ?", id).Updates(map[string]any{"definition": d.JSON(), "updated_at": s.now()}).Error
	})
}

// breaking returns a message id when next would invalidate answers to old.
func breaking(old, next Definition) string {
	for _, oq := range old.Questions() {
		nq, ok := next.Question(oq.Key)
		if !ok {
			return "survey.locked_remove_question"
		}
		if nq.Type != oq.Type {
			return "survey.locked_change_type"
		}
		for _, o := range oq.Options {
			if !nq.HasOption(o.Key) {
				return "survey.locked_remove_option"
			}
		}
		for _, r := range oq.Rows {
			if !nq.HasRow(r.Key) {
				return "survey.locked_remove_option"
			}
		}
		if oq.AllowOther && !nq.AllowOther {
			return "survey.locked_remove_option"
		}
		if oq.Scale != nil && nq.Scale != nil && (nq.Scale.Min > oq.Scale.Min || nq.Scale.Max < oq.Scale.Max) {
			return "survey.locked_change_type"
		}
	}
	return ""
}

// SetStatus opens, closes or reopens a survey.
func (s *Store) SetStatus(ctx context.Context, id, status string) (*models.Survey, error) {
	sv, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case status == models.SurveyOpen && (sv.Status == models.SurveyDraft || sv.Status == models.SurveyClosed):
	case status == models.SurveyClosed && sv.Status == models.SurveyOpen:
	case status == sv.Status:
		return sv, nil
	default:
		return nil, &apperr.Conflict{MessageID: "survey.status_invalid"}
	}
	if status == models.SurveyOpen {
		d, err := Parse(sv.Definition)
		if err != nil {
			return nil, err
		}
		if len(d.Questions()) == 0 {
			return nil, &apperr.Conflict{MessageID: "survey.need_questions"}
		}
	}
	now := s.now()
	updates := map[string]any{"status": status, "updated_at": now}
	if status == models.SurveyOpen && sv.ClosesAt != nil && !sv.ClosesAt.After(now) {
		updates["closes_at"] = nil // reopening past a passed closing date
	}
	if err := s.db.WithContext(ctx).Model(&models.Survey{}).Where("id = ?", id).Updates(updates).Error; err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Accepting tells whether sv takes responses at now.
func Accepting(sv *models.Survey, now time.Time) bool {
	return sv.Status == models.SurveyOpen && (sv.OpensAt == nil || !sv.OpensAt.After(now)) && (sv.ClosesAt == nil || sv.ClosesAt.After(now))
}

// Channel cleans a ?channel= value: one of the known channels, else
// "unlisted". Free text is refused on purpose: a channel made up for one
// person would name the author of an anonymous response.
func Channel(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	if c == "" {
		return "web"
	}
	for _, k := range Channels {
		if k == c {
			return c
		}
	}
	return "unlisted"
}

// marker is what a response marker stores: an HMAC of survey and
// participant under a key kept outside the database, so the marker table
// holds no participant id and a database copy cannot compute one.
func (s *Store) marker(surveyID, participant string) string {
	m := hmac.New(sha256.New, s.markerKey)
	m.Write([]byte(surveyID + "\x00" + participant))
	return hex.EncodeToString(m.Sum(nil))
}

// errSurveyChanged: the survey changed between reading it and storing a
// response to it; Submit's caller reloads it and tries once more.
var errSurveyChanged = errors.New("survey changed during submission")

// Submission is one response to store.
type Submission struct {
	Answers     Answers
	Participant string // the session's participant id
	Channel     string
	// Attributes are profile values (field -> value key) stored with the
	// response, e.g. from a panel member's profile; never the member.
	Attributes map[string]string
	// SkipMarker stores no response marker, also when the survey allows
	// one response per person: for responses through a single-use
	// invitation, which cannot give a second response anyway and whose
	// marker would tie the response to the invitation. Only the invitation
	// path sets it.
	SkipMarker bool
	// Anonymous, when set, is what the survey's anonymity must still be
	// (an invitation was used under it); a change meanwhile refuses the
	// response.
	Anonymous *bool
}

// Submit validates and stores a response, its answers and (unless the
// survey allows several) the participant's marker, in one transaction.
// sv is the survey as just loaded by the caller; should it change before
// the response is stored, it is read again and checked once more.
func (s *Store) Submit(ctx context.Context, sv *models.Survey, sub Submission) (string, error) {
	id, err := s.submit(ctx, sv, sub)
	if !errors.Is(err, errSurveyChanged) {
		return id, err
	}
	if sv, err = s.Get(ctx, sv.ID); err != nil {
		return "", err
	}
	id, err = s.submit(ctx, sv, sub)
	if errors.Is(err, errSurveyChanged) {
		return "", apperr.ErrConflict
	}
	return id, err
}

func (s *Store) submit(ctx context.Context, sv *models.Survey, sub Submission) (string, error) {
	now := s.now()
	if !Accepting(sv, now) {
		return "", &apperr.Conflict{MessageID: "survey.closed"}
	}
	if sub.Anonymous != nil && *sub.Anonymous != sv.Anonymous {
		return "", apperr.ErrConflict
	}
	def, err := s.Definition(sv)
	if err != nil {
		return "", err
	}
	rows, err := def.Check(sub.Answers)
	if err != nil {
		return "", err
	}
	resp := models.Response{ID: models.NewID(), SurveyID: sv.ID, Channel: Channel(sub.Channel), SubmittedOn: now.In(s.zone).Format("2006-01-02")}
	if !sv.Anonymous && sub.Participant != "" {
		resp.ParticipantID = &sub.Participant
		resp.SubmittedAt = &now
	}
	for i := range rows {
		rows[i].ResponseID, rows[i].SurveyID = resp.ID, sv.ID
	}
	attrs := make([]models.ResponseAttribute, 0, len(sub.Attributes))
	for f, v := range sub.Attributes {
		attrs = append(attrs, models.ResponseAttribute{ResponseID: resp.ID, Field: f, Value: v})
	}
	needMarker := !sv.AllowMultiple && !sub.SkipMarker
	if needMarker && sub.Participant == "" {
		return "", apperr.ErrForbidden
	}
	insertMarker := func(tx *gorm.DB) error {
		err := tx.Create(&models.ResponseMarker{SurveyID: sv.ID, Marker: s.marker(sv.ID, sub.Participant)}).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return &apperr.Conflict{MessageID: "survey.already_answered"}
		}
		return err
	}
	// For an anonymous survey the marker is written in a transaction of its
	// own: rows written together share a transaction id (PostgreSQL's xmin),
	// which would join the marker, and so the participant, to the response.
	separate := needMarker && sv.Anonymous
	if separate {
		if err := insertMarker(s.db.WithContext(ctx)); err != nil {
			return "", err
		}
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The survey must still be the version checked above: a close, an
		// anonymity change or an edit made meanwhile wins. On PostgreSQL the
		// share lock makes such a change wait for this transaction instead.
		q := tx.Model(&models.Survey{}).Where("id = ? AND updated_at = ?", sv.ID, sv.UpdatedAt)
		if tx.Dialector.Name() == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "SHARE"})
		}
		var same []string
		if err := q.Pluck("id", &same).Error; err != nil {
			return err
		}
		if len(same) == 0 {
			return errSurveyChanged
		}
		if err := idem.Commit(ctx, tx, resp.ID, resp.SubmittedOn); err != nil {
			return err
		}
		if needMarker && !separate {
			if err := insertMarker(tx); err != nil {
				return err
			}
		}
		if err := tx.Create(&resp).Error; err != nil {
			return err
		}
		if len(rows) > 0 {
			if err := tx.Create(&rows).Error; err != nil {
				return err
			}
		}
		if len(attrs) > 0 {
			return tx.Create(&attrs).Error
		}
		return nil
	})
	if err != nil && separate {
		// Nothing was stored: free the participant to try again.
		s.db.WithContext(context.WithoutCancel(ctx)).Where("survey_id = ? AND marker = ?", sv.ID, s.marker(sv.ID, sub.Participant)).Delete(&models.ResponseMarker{})
	}
	if err != nil {
		return "", err
	}
	return resp.ID, nil
}

// HasAnswered tells whether the participant already responded.
func (s *Store) HasAnswered(ctx context.Context, surveyID, participant string) (bool, error) {
	if participant == "" {
		return false, nil
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&models.ResponseMarker{}).Where("survey_id = ? AND marker = ?", surveyID, s.marker(surveyID, participant)).Count(&n).Error
	return n > 0, err
}

// ChannelCount is how many responses came through one channel.
type ChannelCount struct {
	Channel string
	Count   int64
}

// ByChannel counts a survey's responses per channel, largest first.
func (s *Store) ByChannel(ctx context.Context, id string) ([]ChannelCount, error) {
	var out []ChannelCount
	err := s.db.WithContext(ctx).Model(&models.Response{}).Select("channel, COUNT(*) AS count").
		Where("survey_id = ?", id).Group("channel").Order("count DESC, channel").Scan(&out).Error
	return out, err
}

// SetPublishResults publishes or withdraws a survey's results page. It
// leaves updated_at alone: what respondents answer is unchanged, so
// responses in flight need not be checked again.
func (s *Store) SetPublishResults(ctx context.Context, id string, publish bool) error {
	res := s.db.WithContext(ctx).Model(&models.Survey{}).Where("id = ?", id).Update("publish_results", publish)
	if res.Error == nil && res.RowsAffected == 0 {
		return apperr.ErrNotFound
	}
	return res.Error
}
