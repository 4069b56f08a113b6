package models

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"time"
)

// WorkCalendar is the municipality's working calendar (a single row).
type WorkCalendar struct {
	ID        int `gorm:"primaryKey"`
	Weekdays  string
	Opens     int
	Closes    int
	UpdatedAt time.Time
}

// TableName names the table.
func (WorkCalendar) TableName() string { return "work_calendar" }

// PublicHoliday is a day that is not a working day.
type PublicHoliday struct {
	Day  string `gorm:"primaryKey"`
	Name string
}

// Policy is a channel policy.
type Policy struct {
	ID          string `gorm:"primaryKey"`
	Title       Text
	Intro       Text
	PeriodFrom  string
	PeriodTo    string
	Threshold   float64
	Version     int
	PublishedAt *time.Time
	CreatedBy   *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Strings is a list of strings stored as JSON.
type Strings []string

// Value stores the list as JSON.
func (s Strings) Value() (driver.Value, error) {
	if s == nil {
		return "[]", nil
	}
	b, err := json.Marshal(s)
	return string(b), err
}

// Scan reads the list from JSON.
func (s *Strings) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), s)
	case []byte:
		return json.Unmarshal(v, s)
	case nil:
		*s = nil
		return nil
	}
	return errors.New("strings: unexpected type")
}

// Units of an answer-time promise.
const (
	PromiseHours = "hours" // working hours on the working calendar
	PromiseDays  = "days"  // working days: the same clock time so many working days later
)

// Handling of cases on a channel.
const (
	HandlingHandled = "handled" // questions are answered on the channel
	HandlingRouted  = "routed"  // people are sent elsewhere
)

// PolicyDecision is what a policy says about one channel.
type PolicyDecision struct {
	ID          string `gorm:"primaryKey"`
	PolicyID    string
	Position    int
	Channel     string
	ChannelName Text
	Purposes    Strings
	Handling    string
	RoutedTo    Text
	// ResponseTarget is the answer-time promise in ResponseTargetUnit
	// (PromiseHours or PromiseDays), as staff wrote it; nil: no promise.
	ResponseTarget     *float64
	ResponseTargetUnit string
	StaffedHours       Text
	Owner              string
	Tone               Text
	Text               Text
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// PolicyEvidence is a figure a decision cites.
type PolicyEvidence struct {
	ID           string `gorm:"primaryKey"`
	DecisionID   string
	Position     int
	Kind         string
	Ref          string
	Baseline     *float64
	BaselineBase *float64
	BaselineAt   *time.Time
}

// TableName names the table.
func (PolicyEvidence) TableName() string { return "policy_evidence" }

// PolicyVersion is a published version of a policy, whole.
type PolicyVersion struct {
	PolicyID    string `gorm:"primaryKey"`
	Version     int    `gorm:"primaryKey"`
	Snapshot    string
	PublishedAt time.Time
	PublishedBy *string
}

// ChannelMeasurement is a figure staff recorded for a channel and period.
type ChannelMeasurement struct {
	ID              string `gorm:"primaryKey"`
	Channel         string
	PeriodFrom      string
	PeriodTo        string
	MedianHours     float64
	WithinTargetPct *float64
	Cases           int
	Source          string
	Note            string
	CreatedBy       *string
	CreatedAt       time.Time
}
