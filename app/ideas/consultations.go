package ideas

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// ConsultationInput is a consultation as staff write it.
type ConsultationInput struct {
	Title       models.Text       `json:"title"`
	Description models.Text       `json:"description"`
	Background  models.Text       `json:"background"`
	Categories  models.Categories `json:"categories"`
	OpensAt     *time.Time        `json:"opens_at"`
	ClosesAt    *time.Time        `json:"closes_at"`
	Moderation  string            `json:"moderation"`
	Anonymous   *bool             `json:"anonymous"`
}

var categoryKeyRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// MaxCategories is how many categories a consultation may have.
const MaxCategories = 20

func (in *ConsultationInput) validate() error {
	v := &apperr.Validation{}
	hasTitle := false
	for _, l := range config.Languages {
		if id := textcheck.Line(in.Title[l], 200, false); id != "" {
			v.Add("title."+l, id)
		}
		if id := textcheck.Block(in.Description[l], 5000, false); id != "" {
			v.Add("description."+l, id)
		}
		if id := textcheck.Block(in.Background[l], 10000, false); id != "" {
			v.Add("background."+l, id)
		}
		hasTitle = hasTitle || strings.TrimSpace(in.Title[l]) != ""
	}
	if !hasTitle {
		v.Add("title", "validation.required")
	}
	switch {
	case in.OpensAt == nil:
		v.Add("opens_at", "validation.required")
	case in.ClosesAt == nil:
		v.Add("closes_at", "validation.required")
	case !in.ClosesAt.After(*in.OpensAt):
		v.Add("closes_at", "ideas.closes_before_opens")
	}
	if in.Moderation == "" {
		in.Moderation = models.ModerationPost
	}
	if in.Moderation != models.ModerationPre && in.Moderation != models.ModerationPost {
		v.Add("moderation", "validation.choice_invalid")
	}
	if len(in.Categories) > MaxCategories {
		v.Add("categories", "ideas.too_many_categories")
	}
	seen := map[string]bool{}
	for i := range in.Categories {
		c := &in.Categories[i]
		c.Key = strings.TrimSpace(c.Key)
		if c.Key == "" {
			c.Key = slug(c.Label.In(config.Languages[0]))
		}
		if !categoryKeyRe.MatchString(c.Key) || seen[c.Key] {
			v.Add("categories", "ideas.category_invalid")
			continue
		}
		seen[c.Key] = true
		label := false
		for _, l := range config.Languages {
			if id := textcheck.Line(c.Label[l], 80, false); id != "" {
				v.Add("categories", id)
			}
			label = label || strings.TrimSpace(c.Label[l]) != ""
		}
		if !label {
			v.Add("categories", "ideas.category_invalid")
		}
	}
	return v.Err()
}

// slug makes a category key from a label: lower-case letters and digits.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if b.Len() >= 40 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r == 'æ':
			b.WriteString("ae")
		case r == 'ø':
			b.WriteString("oe")
		case r == 'å':
			b.WriteString("aa")
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	out := b.String()
	if len(out) > 40 {
		out = out[:40]
	}
	return strings.TrimRight(out, "-")
}

func (in *ConsultationInput) apply(c *models.Consultation) {
	c.Title, c.Description, c.Background = in.Title, in.Description, in.Background
	c.Categories = in.Categories
	c.OpensAt, c.ClosesAt = in.OpensAt.UTC(), in.ClosesAt.UTC()
	c.Moderation = in.Moderation
	if in.Anonymous != nil {
		c.Anonymous = *in.Anonymous
	}
}

// CreateConsultation adds a consultation. Anonymous participation is
// allowed unless the input says otherwise.
func (s *Store) CreateConsultation(ctx context.Context, in ConsultationInput, createdBy *string) (*models.Consultation, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.now()
	c := &models.Consultation{ID: models.NewID(), Anonymous: true, CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now}
	in.apply(c)
	if err := s.db.WithContext(ctx).Create(c).Error; err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateConsultation changes what staff write of a consultation (not its
// counts). A category that ideas use cannot be removed.
func (s *Store) UpdateConsultation(ctx context.Context, id string, in ConsultationInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	c, err := s.Consultation(ctx, id)
	if err != nil {
		return err
	}
	var used []string
	if err := s.db.WithContext(ctx).Model(&models.Idea{}).Where("consultation_id = ? AND category <> ''", id).
		Distinct("category").Pluck("category", &used).Error; err != nil {
		return err
	}
	for _, k := range used {
		if !in.Categories.Has(k) {
			return apperr.Invalid("categories", "ideas.category_in_use")
		}
	}
	in.apply(c)
	c.UpdatedAt = s.now()
	// Only what staff write: counts such as share_clicks move meanwhile.
	return s.db.WithContext(ctx).Model(c).Select("title", "description", "background", "categories", "opens_at",
		"closes_at", "moderation", "anonymous", "updated_at").Updates(c).Error
}

// Consultation returns one consultation.
func (s *Store) Consultation(ctx context.Context, id string) (*models.Consultation, error) {
	var c models.Consultation
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// Consultations lists every consultation, the latest to open first.
func (s *Store) Consultations(ctx context.Context) ([]models.Consultation, error) {
	var out []models.Consultation
	err := s.db.WithContext(ctx).Order("opens_at DESC, id").Find(&out).Error
	return out, err
}

// open refuses contributions outside the consultation's dates.
func (s *Store) open(c *models.Consultation) error {
	switch c.Phase(s.now()) {
	case models.ConsultationUpcoming:
		return &apperr.Conflict{MessageID: "ideas.not_open_yet"}
	case models.ConsultationClosed:
		return &apperr.Conflict{MessageID: "ideas.closed"}
	}
	return nil
}
