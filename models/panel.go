package models

import "time"

// Panel member statuses.
const (
	MemberPending = "pending"
	MemberActive  = "active"
)

// Panel is a citizen panel. Fields holds its profile fields as JSON (the
// panels package parses it).
type Panel struct {
	ID          string `gorm:"primaryKey"`
	Name        Text
	Description Text
	Fields      string
	CreatedBy   *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// PanelMember is one person on a panel's list. TokenHash is the SHA-256 of
// the member's personal link token.
type PanelMember struct {
	ID               string `gorm:"primaryKey"`
	PanelID          string
	Email            string
	Language         string
	Status           string
	TokenHash        string
	Source           string // "signup" or "import"
	ConfirmExpiresAt time.Time
	ConfirmMails     int
	LastMailAt       *time.Time
	CreatedAt        time.Time
	ConfirmedAt      *time.Time
}

// PanelMemberProfile is one profile value of a member.
type PanelMemberProfile struct {
	MemberID string `gorm:"primaryKey"`
	PanelID  string
	Field    string `gorm:"primaryKey"`
	Value    string
}

// PanelInvitationRound is one invitation of a panel (or a sample) to a
// survey, with its reminder plan.
type PanelInvitationRound struct {
	ID              string `gorm:"primaryKey"`
	PanelID         string
	SurveyID        string
	Sample          string
	RemindAfterDays int
	MaxReminders    int
	CreatedBy       *string
	CreatedAt       time.Time
}

// PanelInvitation is one member's single-use invitation to a survey.
type PanelInvitation struct {
	ID           string `gorm:"primaryKey"`
	RoundID      string
	PanelID      string
	SurveyID     string
	MemberID     *string
	TokenHash    string
	MailedAt     *time.Time
	LastMailedAt *time.Time
	Reminders    int
	Used         bool    // the invitation gave a response
	UsedOn       *string // YYYY-MM-DD; only for identified surveys
	CreatedAt    time.Time
}

// PanelInvitationUse records that an invitation to an anonymous survey was
// used. ID is an HMAC of the invitation id with a key outside the database.
type PanelInvitationUse struct {
	ID       string `gorm:"primaryKey"`
	PanelID  string
	SurveyID string
}

// PanelRateLimit counts hits of one key in a fixed window.
type PanelRateLimit struct {
	Key         string `gorm:"primaryKey"`
	Hits        int
	WindowStart time.Time
}
