package models

import "time"

// Town hall settings.
const (
	ModerationPre  = "pre"  // questions appear after a moderator approved them
	ModerationPost = "post" // questions appear at once and can be hidden

	ParticipationAnyone = "anyone" // every visitor (anonymous participant)
	ParticipationPanel  = "panel"  // members of one panel, through their personal link

	NamesOptional  = "optional"  // a display name or anonymous, as the asker likes
	NamesRequired  = "required"  // every question carries a display name
	NamesAnonymous = "anonymous" // no names are shown

	QuestionPending  = "pending"
	QuestionApproved = "approved"
	QuestionRejected = "rejected"
	QuestionHidden   = "hidden"
	QuestionMerged   = "merged"
)

// Town hall phases, derived from the clock.
const (
	TownHallScheduled = "scheduled"
	TownHallLive      = "live"
	TownHallEnded     = "ended"
)

// TownHall is a digital town hall: an hour of live questions to politicians.
type TownHall struct {
	ID            string `gorm:"primaryKey"`
	Title         Text
	Description   Text
	StartsAt      time.Time
	EndsAt        time.Time
	Moderation    string
	Participation string
	PanelID       *string
	Names         string
	AnsweringID   *string // the question a politician is answering now
	Announced     string  // the last phase announced on the event stream
	CreatedBy     *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TableName names the table.
func (TownHall) TableName() string { return "townhalls" }

// Phase is the town hall's phase at now.
func (t *TownHall) Phase(now time.Time) string {
	switch {
	case now.Before(t.StartsAt):
		return TownHallScheduled
	case now.Before(t.EndsAt):
		return TownHallLive
	}
	return TownHallEnded
}

// TownHallPolitician is a politician taking part; Title is the role shown
// with each answer (e.g. "Borgmester").
type TownHallPolitician struct {
	TownHallID string `gorm:"primaryKey;column:townhall_id"`
	AccountID  string `gorm:"primaryKey"`
	Title      string
}

// TableName names the table.
func (TownHallPolitician) TableName() string { return "townhall_politicians" }

// TownHallQuestion is a citizen's question.
type TownHallQuestion struct {
	ID          string `gorm:"primaryKey"`
	TownHallID  string `gorm:"column:townhall_id"`
	Participant string `json:"-"`
	DisplayName string
	Text        string
	Status      string
	Votes       int
	MergedInto  *string
	AssignedTo  *string
	CreatedAt   time.Time
	ApprovedAt  *time.Time
	UpdatedAt   time.Time
}

// TableName names the table.
func (TownHallQuestion) TableName() string { return "townhall_questions" }

// TownHallVote is one participant's vote for a question.
type TownHallVote struct {
	QuestionID  string `gorm:"primaryKey"`
	Participant string `gorm:"primaryKey"`
	TownHallID  string `gorm:"column:townhall_id"`
}

// TableName names the table.
func (TownHallVote) TableName() string { return "townhall_votes" }

// TownHallAnswer is a politician's answer. Name and Title are copied from
// the account, so the archive keeps who answered.
type TownHallAnswer struct {
	ID         string `gorm:"primaryKey"`
	QuestionID string
	TownHallID string `gorm:"column:townhall_id"`
	AccountID  *string
	Name       string
	Title      string
	Text       string
	CreatedAt  time.Time
}

// TableName names the table.
func (TownHallAnswer) TableName() string { return "townhall_answers" }

// LiveEvent is one event of a live stream (e.g. "townhall:<id>").
type LiveEvent struct {
	ID      int64 `gorm:"primaryKey"`
	Stream  string
	Type    string
	Payload string
	// SubjectID is what the event is about (a question id), or nil.
	SubjectID *string
	CreatedAt time.Time
}

// HouseRule is one published house rule.
type HouseRule struct {
	Key       string `gorm:"primaryKey"`
	Position  int
	Title     Text
	Body      Text
	UpdatedBy *string
	UpdatedAt time.Time
}

// ModerationLogEntry records one moderation action.
type ModerationLogEntry struct {
	ID         string `gorm:"primaryKey"`
	Scope      string
	ActorID    *string
	ActorName  string
	Action     string
	TargetType string
	TargetID   string
	RuleKey    string
	Note       string
	CreatedAt  time.Time
}

// TableName names the table.
func (ModerationLogEntry) TableName() string { return "moderation_log" }

// ModerationBan bars a participant from a scope.
type ModerationBan struct {
	Scope       string `gorm:"primaryKey"`
	Participant string `gorm:"primaryKey"`
	RuleKey     string
	Note        string
	BannedBy    *string
	CreatedAt   time.Time
}
