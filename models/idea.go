package models

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"time"
)

// Moderation states of ideas and comments.
const (
	PostPending   = "pending"
	PostPublished = "published"
	PostRejected  = "rejected"
	PostHidden    = "hidden"
)

// Idea statuses staff give, in the order of the "you said, we did" page.
const (
	IdeaNoStatus      = ""
	IdeaUnderReview   = "under_review"
	IdeaAdopted       = "adopted"
	IdeaPartlyAdopted = "partly_adopted"
	IdeaNotAdopted    = "not_adopted"
	IdeaImplemented   = "implemented"
)

// IdeaStatuses lists the statuses staff can give.
var IdeaStatuses = []string{IdeaUnderReview, IdeaAdopted, IdeaPartlyAdopted, IdeaNotAdopted, IdeaImplemented}

// Consultation is an idea call, e.g. input to a cycling strategy.
type Consultation struct {
	ID          string `gorm:"primaryKey"`
	Title       Text
	Description Text
	Background  Text
	Categories  Categories
	OpensAt     time.Time
	ClosesAt    time.Time
	Moderation  string // ModerationPre or ModerationPost
	Anonymous   bool   // whether people who are not signed in may take part
	ShareClicks int
	CreatedBy   *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Consultation phases, derived from the clock.
const (
	ConsultationUpcoming = "upcoming"
	ConsultationOpen     = "open"
	ConsultationClosed   = "closed"
)

// Phase is the consultation's phase at now.
func (c *Consultation) Phase(now time.Time) string {
	switch {
	case now.Before(c.OpensAt):
		return ConsultationUpcoming
	case now.Before(c.ClosesAt):
		return ConsultationOpen
	}
	return ConsultationClosed
}

// Category is one of a consultation's categories.
type Category struct {
	Key   string `json:"key"`
	Label Text   `json:"label"`
}

// Categories is stored as a JSON list.
type Categories []Category

// Label is the label of key in lang ("" when unknown).
func (cs Categories) Label(key, lang string) string {
	for _, c := range cs {
		if c.Key == key {
			return c.Label.In(lang)
		}
	}
	return ""
}

// Has tells whether key is one of the categories.
func (cs Categories) Has(key string) bool {
	for _, c := range cs {
		if c.Key == key {
			return true
		}
	}
	return false
}

// Value stores the list as JSON.
func (cs Categories) Value() (driver.Value, error) {
	if cs == nil {
		return "[]", nil
	}
	b, err := json.Marshal(cs)
	return string(b), err
}

// Scan reads the list from JSON.
func (cs *Categories) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), cs)
	case []byte:
		return json.Unmarshal(v, cs)
	case nil:
		*cs = nil
		return nil
	}
	return errors.New("categories: unexpected type")
}

// Idea is a citizen's idea in a consultation.
type Idea struct {
	ID             string `gorm:"primaryKey"`
	ConsultationID string
	Participant    string  `json:"-"`
	CitizenID      *string `json:"-"`
	DisplayName    string
	Title          string
	Body           string
	Category       string
	PlaceLabel     string
	Lat, Lng       *float64
	Language       string
	Visibility     string
	RuleKey        string
	ModNote        string
	Status         string
	Explanation    Text
	StatusAt       *time.Time
	FirstStatusAt  *time.Time
	Supports       int
	Comments       int
	ShareClicks    int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// IdeaSupport is one participant's support of an idea.
type IdeaSupport struct {
	IdeaID      string `gorm:"primaryKey"`
	Participant string `gorm:"primaryKey"`
	CitizenID   *string
}

// IdeaComment is a comment on an idea or a reply to one (ParentID).
type IdeaComment struct {
	ID             string `gorm:"primaryKey"`
	IdeaID         string
	ParentID       *string
	ConsultationID string
	Participant    string  `json:"-"`
	CitizenID      *string `json:"-"`
	DisplayName    string
	Body           string
	Visibility     string
	RuleKey        string
	ModNote        string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// IdeaStatusChange is one status staff gave an idea.
type IdeaStatusChange struct {
	ID          string `gorm:"primaryKey"`
	IdeaID      string
	Status      string
	Explanation Text
	AccountID   *string
	AccountName string
	CreatedAt   time.Time
}

// IdeaFollow is an idea a signed-in citizen follows.
type IdeaFollow struct {
	CitizenID string `gorm:"primaryKey"`
	IdeaID    string `gorm:"primaryKey"`
}
