package ideas

import (
	"context"
	"math"
	"strings"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// IdeaInput is an idea as a citizen writes it.
type IdeaInput struct {
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	Category    string    `json:"category"`
	DisplayName string    `json:"display_name"`
	Location    *Location `json:"location"`
	Language    string    `json:"-"`
}

// Location is an optional place: an address or description, and
// coordinates (WGS 84) when the author gives them.
type Location struct {
	Lat   *float64 `json:"lat"`
	Lng   *float64 `json:"lng"`
	Label string   `json:"label"`
}

func (in *IdeaInput) validate(c *models.Consultation) error {
	v := &apperr.Validation{}
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if id := textcheck.Line(in.Title, MaxTitle, true); id != "" {
		v.Add("title", id)
	}
	if id := textcheck.Block(in.Body, MaxBody, true); id != "" {
		v.Add("body", id)
	}
	if id := textcheck.Line(in.DisplayName, MaxDisplayName, false); id != "" {
		v.Add("display_name", id)
	}
	in.Category = strings.TrimSpace(in.Category)
	if in.Category != "" && !c.Categories.Has(in.Category) {
		v.Add("category", "validation.choice_invalid")
	}
	if in.Category == "" && len(c.Categories) > 0 {
		v.Add("category", "ideas.category_required")
	}
	if l := in.Location; l != nil {
		l.Label = strings.TrimSpace(l.Label)
		if id := textcheck.Line(l.Label, MaxPlace, false); id != "" {
			v.Add("location.label", id)
		}
		if (l.Lat == nil) != (l.Lng == nil) {
			v.Add("location", "ideas.coordinates_pair")
		}
		if l.Lat != nil && (math.IsNaN(*l.Lat) || *l.Lat < -90 || *l.Lat > 90) {
			v.Add("location.lat", "ideas.latitude_invalid")
		}
		if l.Lng != nil && (math.IsNaN(*l.Lng) || *l.Lng < -180 || *l.Lng > 180) {
			v.Add("location.lng", "ideas.longitude_invalid")
		}
	}
	return v.Err()
}

// Submit adds p's idea to c: published at once, or pending a moderator in
// pre-moderation. The author follows their own idea.
func (s *Store) Submit(ctx context.Context, c *models.Consultation, p Participant, in IdeaInput) (*models.Idea, error) {
	if err := s.open(c); err != nil {
		return nil, err
	}
	if p.Key == "" {
		return nil, apperr.ErrForbidden
	}
	if err := in.validate(c); err != nil {
		return nil, err
	}
	now := s.now()
	// An empty name means none: the form pre-fills the profile name, and
	// someone who clears it posts without a name.
	idea := &models.Idea{ID: models.NewID(), ConsultationID: c.ID, Participant: p.Key, CitizenID: p.CitizenID,
		DisplayName: in.DisplayName, Title: in.Title, Body: in.Body, Category: in.Category, Language: in.Language,
		Visibility: models.PostPublished, Explanation: models.Text{}, CreatedAt: now, UpdatedAt: now}
	if c.Moderation == models.ModerationPre {
		idea.Visibility = models.PostPending
	}
	if l := in.Location; l != nil {
		idea.PlaceLabel, idea.Lat, idea.Lng = l.Label, l.Lat, l.Lng
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serialize(tx, "idea-post:"+c.ID+":"+p.Key); err != nil {
			return err
		}
		if err := s.checkBan(ctx, tx, c.ID, p.Key); err != nil {
			return err
		}
		var recent int64
		if err := tx.Model(&models.Idea{}).Where("consultation_id = ? AND participant = ? AND created_at > ?",
			c.ID, p.Key, now.Add(-IdeaFloodWindow)).Count(&recent).Error; err != nil {
			return err
		}
		if recent >= IdeaFloodLimit {
			return &apperr.Limited{MessageID: "ideas.too_many_ideas"}
		}
		if err := tx.Create(idea).Error; err != nil {
			return err
		}
		if p.CitizenID != nil {
			return tx.Create(&models.IdeaFollow{CitizenID: *p.CitizenID, IdeaID: idea.ID}).Error
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return idea, nil
}

// Idea returns one idea, whatever its moderation state.
func (s *Store) Idea(ctx context.Context, id string) (*models.Idea, error) {
	var i models.Idea
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&i).Error; err != nil {
		return nil, notFound(err)
	}
	return &i, nil
}

// Published tells whether everyone may see a post.
func Published(visibility string) bool { return visibility == models.PostPublished }

// visibleIdea reads an idea that takes supports and comments: published,
// in an open consultation. Hidden, rejected and pending ideas are not found.
func (s *Store) visibleIdea(tx *gorm.DB, id string) (*models.Idea, error) {
	var i models.Idea
	if err := tx.Where("id = ?", id).Take(&i).Error; err != nil {
		return nil, notFound(err)
	}
	if !Published(i.Visibility) {
		return nil, apperr.ErrNotFound
	}
	return &i, nil
}
