package models

import "time"

// Survey statuses.
const (
	SurveyDraft  = "draft"
	SurveyOpen   = "open"
	SurveyClosed = "closed"
)

// Survey is a questionnaire. Its questions live in Definition, a JSON
// document (sections with questions) that the surveys package validates.
type Survey struct {
	ID             string `gorm:"primaryKey"`
	Status         string
	Title          Text
	Description    Text
	Thanks         Text
	Languages      string // comma-separated, first is the survey's main language
	Anonymous      bool
	AllowMultiple  bool
	PublishResults bool
	Definition     string
	TemplateKey    string
	OpensAt        *time.Time
	ClosesAt       *time.Time
	CreatedBy      *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Response is one submitted questionnaire. For an anonymous survey it holds
// no participant and only the date, so it cannot be tied to a person.
type Response struct {
	ID            string `gorm:"primaryKey"`
	SurveyID      string
	Channel       string
	SubmittedOn   string // YYYY-MM-DD
	SubmittedAt   *time.Time
	ParticipantID *string
}

// Answer is one atomic answer: an option chosen, a number, a text, a
// matrix cell or a ranked option.
type Answer struct {
	ResponseID  string `gorm:"primaryKey"`
	SurveyID    string
	QuestionKey string `gorm:"primaryKey"`
	Seq         int    `gorm:"primaryKey"`
	OptionKey   string
	RowKey      string
	Number      *float64
	Text        string
	Rank        int
}

// TableName keeps answers beside responses.
func (Answer) TableName() string { return "response_answers" }

// ResponseMarker says that a participant has answered a survey. It is kept
// apart from the response and holds nothing that joins the two.
type ResponseMarker struct {
	SurveyID string `gorm:"primaryKey"`
	Marker   string `gorm:"primaryKey"`
}

// ResponseDraft holds answers in progress, reachable through a resume link.
type ResponseDraft struct {
	TokenHash string `gorm:"primaryKey"`
	SurveyID  string
	Answers   string
	Section   int
	Channel   string
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// ResponseAttribute is a profile value copied onto a response when it was
// submitted (e.g. a panel member's age band), with no link to the member.
type ResponseAttribute struct {
	ResponseID string `gorm:"primaryKey"`
	Field      string `gorm:"primaryKey"`
	Value      string
}

// SurveyWeighting holds the population margins a survey's results are
// weighted to, as JSON, and the cap on a single weight.
type SurveyWeighting struct {
	SurveyID  string `gorm:"primaryKey"`
	Margins   string
	WeightCap float64
	UpdatedBy *string
	UpdatedAt time.Time
}

// SurveyTotals records how many responses a survey's running answer
// totals hold, and by which weighting variables they are split.
type SurveyTotals struct {
	SurveyID  string `gorm:"primaryKey"`
	SplitBy   string
	Responses int64
}
