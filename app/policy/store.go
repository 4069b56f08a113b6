package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Store reads and writes policies, their decisions and evidence, the
// working calendar and recorded measurements.
type Store struct {
	db      *gorm.DB
	zone    *time.Location
	now     func() time.Time
	resolve Resolver
	timings map[string]TimingSource
}

// NewStore returns a Store; now may be nil (time.Now).
func NewStore(gdb *gorm.DB, zone *time.Location, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: gdb, zone: zone, now: func() time.Time { return now().UTC() }, timings: map[string]TimingSource{},
		resolve: func(context.Context, string, string, string) (*Figure, error) { return nil, apperr.ErrNotFound }}
}

// WithEvidence sets how evidence refs become figures.
func (s *Store) WithEvidence(r Resolver) *Store { s.resolve = r; return s }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// Figure resolves one piece of evidence now, in lang (once per request
// when ctx has a Memo: see WithMemo).
func (s *Store) Figure(ctx context.Context, kind, ref, lang string) (*Figure, error) {
	return s.figure(ctx, kind, ref, lang)
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.ErrNotFound
	}
	return err
}

// PolicyInput is a policy as staff write it. Period is an ISO 8601
// interval of dates, e.g. "2027-01-01/2027-12-31".
type PolicyInput struct {
	Title     models.Text `json:"title"`
	Intro     models.Text `json:"intro"`
	Period    string      `json:"period"`
	Threshold *float64    `json:"threshold"`
}

func (in *PolicyInput) validate() (from, to string, err error) {
	v := &apperr.Validation{}
	has := false
	for _, l := range config.Languages {
		if id := textcheck.Line(in.Title[l], 200, false); id != "" {
			v.Add("title."+l, id)
		}
		if id := textcheck.Block(in.Intro[l], 10000, false); id != "" {
			v.Add("intro."+l, id)
		}
		has = has || strings.TrimSpace(in.Title[l]) != ""
	}
	if !has {
		v.Add("title", "validation.required")
	}
	a, b, ok := strings.Cut(strings.TrimSpace(in.Period), "/")
	fa, errA := time.Parse(time.DateOnly, a)
	fb, errB := time.Parse(time.DateOnly, b)
	switch {
	case !ok || errA != nil || errB != nil:
		v.Add("period", "policy.period_invalid")
	case fb.Before(fa):
		v.Add("period", "policy.period_backwards")
	}
	if t := in.Threshold; t != nil && (math.IsNaN(*t) || *t <= 0 || *t > 100) {
		v.Add("threshold", "policy.threshold_invalid")
	}
	return a, b, v.Err()
}

// CreatePolicy starts a draft policy.
func (s *Store) CreatePolicy(ctx context.Context, in PolicyInput, by *string) (*models.Policy, error) {
	from, to, err := in.validate()
	if err != nil {
		return nil, err
	}
	now := s.now()
	p := &models.Policy{ID: models.NewID(), Title: in.Title, Intro: in.Intro, PeriodFrom: from, PeriodTo: to, Threshold: 5,
		CreatedBy: by, CreatedAt: now, UpdatedAt: now}
	if in.Threshold != nil {
		p.Threshold = *in.Threshold
	}
	if p.Intro == nil {
		p.Intro = models.Text{}
	}
	return p, s.db.WithContext(ctx).Create(p).Error
}

// UpdatePolicy changes a policy's title, introduction, period and threshold.
func (s *Store) UpdatePolicy(ctx context.Context, id string, in PolicyInput) error {
	from, to, err := in.validate()
	if err != nil {
		return err
	}
	up := map[string]any{"title": in.Title, "intro": in.Intro, "period_from": from, "period_to": to, "updated_at": s.now()}
	if in.Threshold != nil {
		up["threshold"] = *in.Threshold
	}
	res := s.db.WithContext(ctx).Model(&models.Policy{}).Where("id = ?", id).Updates(up)
	if res.Error == nil && res.RowsAffected == 0 {
		return apperr.ErrNotFound
	}
	return res.Error
}

// Policy returns one policy.
func (s *Store) Policy(ctx context.Context, id string) (*models.Policy, error) {
	var p models.Policy
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&p).Error; err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// Policies lists every policy, the newest first.
func (s *Store) Policies(ctx context.Context) ([]models.Policy, error) {
	var out []models.Policy
	err := s.db.WithContext(ctx).Order("created_at DESC, id").Find(&out).Error
	return out, err
}

// EvidenceInput is a cited figure.
type EvidenceInput struct {
	Kind string `json:"kind"`
	Ref  string `json:"ref"`
}

// DecisionInput is what a policy says about one channel. The answer-time
// promise is either ResponseTargetHours working hours or
// ResponseTargetDays working days, stored as written.
type DecisionInput struct {
	Channel             string          `json:"channel"`
	ChannelName         models.Text     `json:"channel_name"`
	Purposes            []string        `json:"purposes"`
	Handling            string          `json:"handling"`
	RoutedTo            models.Text     `json:"routed_to"`
	ResponseTargetHours *float64        `json:"response_target_hours"`
	ResponseTargetDays  *float64        `json:"response_target_days"`
	Hours               models.Text     `json:"hours"`
	Owner               string          `json:"owner"`
	Tone                models.Text     `json:"tone"`
	Text                models.Text     `json:"text"`
	Evidence            []EvidenceInput `json:"evidence"`
}

// MaxTargetHours and MaxTargetDays bound a promise: about a year.
const (
	MaxTargetHours = 24 * 366
	MaxTargetDays  = 366
)

// promise is the input's answer-time promise.
func (in *DecisionInput) promise() Promise {
	switch {
	case in.ResponseTargetDays != nil:
		return DaysPromise(*in.ResponseTargetDays)
	case in.ResponseTargetHours != nil:
		return HoursPromise(*in.ResponseTargetHours)
	}
	return Promise{}
}

func (s *Store) validateDecision(ctx context.Context, in *DecisionInput) error {
	v := &apperr.Validation{}
	in.Channel = strings.TrimSpace(in.Channel)
	if !KnownChannel(in.Channel) {
		v.Add("channel", "policy.channel_invalid")
	}
	named := false
	for _, l := range config.Languages {
		for field, t := range map[string]models.Text{"channel_name": in.ChannelName, "routed_to": in.RoutedTo, "hours": in.Hours, "tone": in.Tone} {
			if id := textcheck.Line(t[l], 200, false); id != "" {
				v.Add(field+"."+l, id)
			}
		}
		if id := textcheck.Block(in.Text[l], 5000, false); id != "" {
			v.Add("text."+l, id)
		}
		named = named || strings.TrimSpace(in.ChannelName[l]) != ""
	}
	if Custom(in.Channel) && !named {
		v.Add("channel_name", "policy.channel_name_required")
	}
	if len(in.Purposes) == 0 {
		v.Add("purposes", "policy.purposes_required")
	}
	seen := map[string]bool{}
	for _, p := range in.Purposes {
		if !knownPurpose(p) || seen[p] {
			v.Add("purposes", "validation.choice_invalid")
		}
		seen[p] = true
	}
	if in.Handling == "" {
		in.Handling = models.HandlingHandled
	}
	if in.Handling != models.HandlingHandled && in.Handling != models.HandlingRouted {
		v.Add("handling", "validation.choice_invalid")
	}
	if t := in.ResponseTargetHours; t != nil && (math.IsNaN(*t) || *t <= 0 || *t > MaxTargetHours) {
		v.Add("response_target_hours", "policy.target_invalid")
	}
	if t := in.ResponseTargetDays; t != nil && (math.IsNaN(*t) || *t <= 0 || *t > MaxTargetDays) {
		v.Add("response_target_days", "policy.target_invalid")
	}
	if in.ResponseTargetHours != nil && in.ResponseTargetDays != nil {
		v.Add("response_target_days", "policy.target_both")
	}
	if in.Handling == models.HandlingHandled && in.ResponseTargetHours == nil && in.ResponseTargetDays == nil {
		v.Add("response_target_hours", "policy.target_required")
	}
	in.Owner = strings.TrimSpace(in.Owner)
	if id := textcheck.Line(in.Owner, 120, false); id != "" {
		v.Add("owner", id)
	}
	if len(in.Evidence) > 10 {
		v.Add("evidence", "policy.too_much_evidence")
	}
	for i, e := range in.Evidence {
		field := fmt.Sprintf("evidence.%d", i)
		known := false
		for _, k := range Kinds {
			known = known || k == e.Kind
		}
		if !known {
			v.Add(field+".kind", "validation.choice_invalid")
			continue
		}
		if id := textcheck.Line(e.Ref, 200, true); id != "" {
			v.Add(field+".ref", id)
			continue
		}
		f, err := s.figure(ctx, e.Kind, e.Ref, config.Languages[0])
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			v.Add(field+".ref", "policy.evidence_unknown")
		case err != nil:
			return err
		case f.NotPublic != "":
			// A published policy shows its figures to everyone.
			v.Add(field+".ref", notPublicMessage(f.NotPublic))
		}
	}
	return v.Err()
}

// SaveDecision adds or replaces (by channel) a decision of a policy, with
// its evidence. Every cited figure must exist and be public (422
// otherwise).
func (s *Store) SaveDecision(ctx context.Context, policyID string, in DecisionInput) (*models.PolicyDecision, error) {
	return s.saveDecision(ctx, policyID, "", in)
}

// UpdateDecision saves the policy's decision id, which may move to another
// channel; when that channel has a decision of its own already, it refuses
// (422, channel: policy.channel_taken) and changes nothing.
func (s *Store) UpdateDecision(ctx context.Context, policyID, id string, in DecisionInput) (*models.PolicyDecision, error) {
	return s.saveDecision(ctx, policyID, id, in)
}

func (s *Store) saveDecision(ctx context.Context, policyID, id string, in DecisionInput) (*models.PolicyDecision, error) {
	p, err := s.Policy(ctx, policyID)
	if err != nil {
		return nil, err
	}
	ctx = WithMemo(ctx)
	if err := s.validateDecision(ctx, &in); err != nil {
		return nil, err
	}
	// What the public sees now: the baselines the evidence is measured
	// against, whatever the draft changes.
	var snap *Snapshot
	if p.Version > 0 {
		if snap, err = s.Version(ctx, policyID, 0); err != nil {
			return nil, err
		}
	}
	now := s.now()
	var d models.PolicyDecision
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if id != "" {
			if err := tx.Where("id = ? AND policy_id = ?", id, policyID).Take(&d).Error; err != nil {
				return notFound(err)
			}
			if d.Channel != in.Channel {
				var n int64
				if err := tx.Model(&models.PolicyDecision{}).Where("policy_id = ? AND channel = ? AND id <> ?", policyID, in.Channel, id).Count(&n).Error; err != nil {
					return err
				}
				if n > 0 {
					return apperr.Invalid("channel", "policy.channel_taken")
				}
			}
		} else {
			err = tx.Where("policy_id = ? AND channel = ?", policyID, in.Channel).Take(&d).Error
		}
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			var n int64
			if err := tx.Model(&models.PolicyDecision{}).Where("policy_id = ?", policyID).Count(&n).Error; err != nil {
				return err
			}
			d = models.PolicyDecision{ID: models.NewID(), PolicyID: policyID, Position: int(n) + 1, CreatedAt: now}
		case err != nil:
			return err
		}
		pr := in.promise()
		d.ResponseTarget, d.ResponseTargetUnit = nil, models.PromiseHours
		if pr.Set() {
			v := pr.Value
			d.ResponseTarget, d.ResponseTargetUnit = &v, pr.Unit
		}
		d.Channel, d.ChannelName, d.Purposes, d.Handling = in.Channel, orEmpty(in.ChannelName), in.Purposes, in.Handling
		d.RoutedTo, d.StaffedHours = orEmpty(in.RoutedTo), orEmpty(in.Hours)
		d.Owner, d.Tone, d.Text, d.UpdatedAt = in.Owner, orEmpty(in.Tone), orEmpty(in.Text), now
		if err := tx.Save(&d).Error; err != nil {
			return err
		}
		if err := tx.Where("decision_id = ?", d.ID).Delete(&models.PolicyEvidence{}).Error; err != nil {
			return err
		}
		for i, e := range in.Evidence {
			row := models.PolicyEvidence{ID: models.NewID(), DecisionID: d.ID, Position: i + 1, Kind: e.Kind, Ref: strings.TrimSpace(e.Ref)}
			if pe, ok := snap.evidence(d.Channel, row.Kind, row.Ref); ok {
				at := snap.PublishedAt
				row.Baseline, row.BaselineBase, row.BaselineAt = &pe.Percent, &pe.Base, &at
			}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		}
		return tx.Model(&models.Policy{}).Where("id = ?", policyID).Update("updated_at", now).Error
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// evidence finds the figure a version shows for channel, kind and ref.
func (snap *Snapshot) evidence(channel, kind, ref string) (SnapshotEvidence, bool) {
	if snap == nil {
		return SnapshotEvidence{}, false
	}
	for _, d := range snap.Decisions {
		if d.Channel != channel {
			continue
		}
		for _, e := range d.Evidence {
			if e.Kind == kind && e.Ref == ref {
				return e, true
			}
		}
	}
	return SnapshotEvidence{}, false
}

func orEmpty(t models.Text) models.Text {
	if t == nil {
		return models.Text{}
	}
	return t
}

// DeleteDecision removes a decision from a policy (a change to publish).
func (s *Store) DeleteDecision(ctx context.Context, policyID, decisionID string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("id = ? AND policy_id = ?", decisionID, policyID).Delete(&models.PolicyDecision{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.ErrNotFound
		}
		return tx.Model(&models.Policy{}).Where("id = ?", policyID).Update("updated_at", s.now()).Error
	})
}

// Decision is a decision with its evidence.
type Decision struct {
	models.PolicyDecision
	Evidence []models.PolicyEvidence
}

// Decisions lists a policy's decisions in order, with their evidence.
func (s *Store) Decisions(ctx context.Context, policyID string) ([]Decision, error) {
	var ds []models.PolicyDecision
	if err := s.db.WithContext(ctx).Where("policy_id = ?", policyID).Order("position, channel").Find(&ds).Error; err != nil {
		return nil, err
	}
	out := make([]Decision, len(ds))
	ids := make([]string, len(ds))
	at := map[string]int{}
	for i, d := range ds {
		out[i].PolicyDecision, ids[i], at[d.ID] = d, d.ID, i
	}
	if len(ids) == 0 {
		return out, nil
	}
	var ev []models.PolicyEvidence
	if err := s.db.WithContext(ctx).Where("decision_id IN ?", ids).Order("position").Find(&ev).Error; err != nil {
		return nil, err
	}
	for _, e := range ev {
		out[at[e.DecisionID]].Evidence = append(out[at[e.DecisionID]].Evidence, e)
	}
	return out, nil
}

// Snapshot is a published version of a policy, whole: its texts, the
// length of the working day and the figures as they stood at publication.
type Snapshot struct {
	Version     int                `json:"version"`
	PublishedAt time.Time          `json:"published_at"`
	Title       models.Text        `json:"title"`
	Intro       models.Text        `json:"intro"`
	PeriodFrom  string             `json:"period_from"`
	PeriodTo    string             `json:"period_to"`
	DayHours    float64            `json:"day_hours"`
	Decisions   []SnapshotDecision `json:"decisions"`
}

// SnapshotDecision is a decision as published. Its promise is as staff
// wrote it: ResponseTargetDays working days (unit "days"), or
// ResponseTargetHours working hours; for a promise in days,
// ResponseTargetHours is what it came to on the working day of the
// publication (Snapshot.DayHours). Promise reads it.
type SnapshotDecision struct {
	Channel             string             `json:"channel"`
	ChannelName         models.Text        `json:"channel_name"`
	Purposes            []string           `json:"purposes"`
	Handling            string             `json:"handling"`
	RoutedTo            models.Text        `json:"routed_to"`
	ResponseTargetHours *float64           `json:"response_target_hours"`
	ResponseTargetUnit  string             `json:"response_target_unit,omitempty"`
	ResponseTargetDays  *float64           `json:"response_target_days,omitempty"`
	Hours               models.Text        `json:"hours"`
	Owner               string             `json:"owner"`
	Tone                models.Text        `json:"tone"`
	Text                models.Text        `json:"text"`
	Evidence            []SnapshotEvidence `json:"evidence"`
}

// SnapshotEvidence is a cited figure as it stood at publication.
type SnapshotEvidence struct {
	Kind    string  `json:"kind"`
	Ref     string  `json:"ref"`
	Percent float64 `json:"percent"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	Base    float64 `json:"base"`
	// Label is what the figure was, per language.
	Label models.Text `json:"label"`
}

// Publish makes the policy's current decisions a new published version and
// records each cited figure as the baseline that later changes are
// measured against. A policy without decisions cannot be published, nor
// one that cites a figure that is gone or not public.
func (s *Store) Publish(ctx context.Context, policyID string, by *string) (*Snapshot, error) {
	p, err := s.Policy(ctx, policyID)
	if err != nil {
		return nil, err
	}
	ds, err := s.Decisions(ctx, policyID)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, apperr.Invalid("decisions", "policy.no_decisions")
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	// Each cited figure is resolved once per language, each survey once.
	ctx = WithMemo(ctx)
	now := s.now()
	snap := &Snapshot{PublishedAt: now, Title: p.Title, Intro: p.Intro, PeriodFrom: p.PeriodFrom, PeriodTo: p.PeriodTo, DayHours: cal.DayHours()}
	type baseline struct {
		id          string
		value, base float64
	}
	var baselines []baseline
	for _, d := range ds {
		sd := SnapshotDecision{Channel: d.Channel, ChannelName: d.ChannelName, Purposes: d.Purposes, Handling: d.Handling,
			RoutedTo: d.RoutedTo, Hours: d.StaffedHours, Owner: d.Owner, Tone: d.Tone, Text: d.Text, Evidence: []SnapshotEvidence{}}
		if pr := decisionPromise(&d.PolicyDecision); pr.Set() {
			hours, value := pr.HoursOn(cal), pr.Value
			sd.ResponseTargetHours = &hours
			if pr.Days() {
				sd.ResponseTargetUnit, sd.ResponseTargetDays = models.PromiseDays, &value
			}
		}
		for _, e := range d.Evidence {
			se := SnapshotEvidence{Kind: e.Kind, Ref: e.Ref, Label: models.Text{}}
			for _, l := range config.Languages {
				f, err := s.figure(ctx, e.Kind, e.Ref, l)
				switch {
				case errors.Is(err, apperr.ErrNotFound):
					return nil, apperr.Invalid("evidence", "policy.evidence_gone")
				case err != nil:
					return nil, err
				case f.NotPublic != "":
					return nil, apperr.Invalid("evidence", notPublicMessage(f.NotPublic))
				}
				se.Percent, se.Low, se.High, se.Base, se.Label[l] = f.Percent, f.Low, f.High, f.Base, f.Label
			}
			sd.Evidence = append(sd.Evidence, se)
			baselines = append(baselines, baseline{e.ID, se.Percent, se.Base})
		}
		snap.Decisions = append(snap.Decisions, sd)
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur models.Policy
		if err := tx.Select("version").Where("id = ?", policyID).Take(&cur).Error; err != nil {
			return notFound(err)
		}
		snap.Version = cur.Version + 1
		body, err := json.Marshal(snap)
		if err != nil {
			return err
		}
		// The version number is the key: a parallel publish of the same
		// version fails here instead of overwriting.
		if err := tx.Create(&models.PolicyVersion{PolicyID: policyID, Version: snap.Version, Snapshot: string(body), PublishedAt: now, PublishedBy: by}).Error; err != nil {
			return err
		}
		// updated_at is set too, to the same moment: the policy has no
		// changes since this publication (GORM would set its own clock).
		res := tx.Model(&models.Policy{}).Where("id = ? AND version = ?", policyID, cur.Version).
			Updates(map[string]any{"version": snap.Version, "published_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &apperr.Conflict{MessageID: "policy.published_meanwhile"}
		}
		for _, b := range baselines {
			if err := tx.Model(&models.PolicyEvidence{}).Where("id = ?", b.id).
				Updates(map[string]any{"baseline": b.value, "baseline_base": b.base, "baseline_at": now}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// Version returns a published version of a policy (n 0: the latest).
// An unpublished policy has none: not found.
func (s *Store) Version(ctx context.Context, policyID string, n int) (*Snapshot, error) {
	q := s.db.WithContext(ctx).Where("policy_id = ?", policyID)
	if n > 0 {
		q = q.Where("version = ?", n)
	} else {
		q = q.Order("version DESC")
	}
	var v models.PolicyVersion
	if err := q.Take(&v).Error; err != nil {
		return nil, notFound(err)
	}
	var snap Snapshot
	if err := json.Unmarshal([]byte(v.Snapshot), &snap); err != nil {
		return nil, err
	}
	return &snap, nil
}

// Versions lists a policy's published versions, the newest first.
func (s *Store) Versions(ctx context.Context, policyID string) ([]models.PolicyVersion, error) {
	var out []models.PolicyVersion
	err := s.db.WithContext(ctx).Select("policy_id, version, published_at, published_by").
		Where("policy_id = ?", policyID).Order("version DESC").Find(&out).Error
	return out, err
}

// PublishedPolicy is a policy's latest published version.
type PublishedPolicy struct {
	ID   string
	Snap *Snapshot
}

// PublishedVersions lists the latest published version of every published
// policy, the one published last first: what the public may read, never
// the drafts.
func (s *Store) PublishedVersions(ctx context.Context) ([]PublishedPolicy, error) {
	var rows []models.PolicyVersion
	err := s.db.WithContext(ctx).Table("policy_versions AS v").Select("v.*").
		Joins("JOIN policies AS p ON p.id = v.policy_id AND p.version = v.version").
		Order("v.published_at DESC, v.policy_id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]PublishedPolicy, 0, len(rows))
	for _, r := range rows {
		var snap Snapshot
		if err := json.Unmarshal([]byte(r.Snapshot), &snap); err != nil {
			return nil, err
		}
		out = append(out, PublishedPolicy{ID: r.PolicyID, Snap: &snap})
	}
	return out, nil
}
