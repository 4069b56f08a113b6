package models

import "time"

// Citizen is a light account of a resident: an email address, a name to
// show with posts and a language; they sign in with an emailed link.
type Citizen struct {
	ID            string `gorm:"primaryKey"`
	Email         string
	DisplayName   string
	Language      string
	NotifyByEmail bool
	CreatedAt     time.Time
	LastSignInAt  *time.Time
}

// CitizenSignIn is an emailed sign-in link; only its token's hash is kept.
type CitizenSignIn struct {
	TokenHash string `gorm:"primaryKey"`
	Email     string
	Language  string
	NextPath  string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// Notification is a notice shown on a participant's next visit.
// Recipient is "c:" + a citizen id, or an anonymous participant's key.
type Notification struct {
	ID        string `gorm:"primaryKey"`
	Recipient string
	Kind      string
	IdeaID    *string
	Status    string
	CreatedAt time.Time
	SeenAt    *time.Time
}

// Report is a citizen's flag on a post, for the moderators of Scope.
type Report struct {
	ID          string `gorm:"primaryKey"`
	Scope       string
	TargetType  string
	TargetID    string
	Participant string `json:"-"`
	Reason      string
	CreatedAt   time.Time
	ResolvedAt  *time.Time
	ResolvedBy  *string
	Resolution  string
}

// Report targets.
const (
	TargetIdea     = "idea"
	TargetComment  = "comment"
	TargetQuestion = "question"
)
