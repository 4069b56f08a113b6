package results

import (
	"context"
	"strings"
	"time"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/surveys"
)

// maxSegments bounds how many segment conditions one request may combine.
const maxSegments = 4

// Filter narrows the responses results are computed over. Every value has
// been checked against the survey (allow-lists), so none reaches SQL
// unchecked; they are passed as parameters all the same.
type Filter struct {
	Channel  string
	From, To string // YYYY-MM-DD, inclusive
	Answers  []Cond // single-choice answers: question key, option key
	Profile  []Cond // profile attributes: field, value
}

// Cond is one "key is value" condition.
type Cond struct{ Key, Value string }

// Empty tells whether the filter keeps every response.
func (f Filter) Empty() bool {
	return f.Channel == "" && f.From == "" && f.To == "" && len(f.Answers) == 0 && len(f.Profile) == 0
}

// Segments lists the segment conditions as "key:value" strings.
func (f Filter) Segments() []string {
	var out []string
	for _, c := range f.Answers {
		out = append(out, c.Key+":"+c.Value)
	}
	for _, c := range f.Profile {
		out = append(out, profilePrefix+c.Key+":"+c.Value)
	}
	return out
}

// profilePrefix marks a profile field in a segment when a question has
// the same key; a bare key is a question first, else a profile field.
const profilePrefix = "profile."

// Query is what a results request asks for, as read from the URL.
type Query struct {
	Channel, From, To string
	Segments          []string
	Weighted          string
}

// ParseFilter checks q against the survey: the channel must be one the
// platform knows, dates real dates, segments a single-choice question and
// one of its options, or a profile field and value found on responses.
func (s *Store) ParseFilter(ctx context.Context, surveyID string, def surveys.Definition, q Query) (Filter, error) {
	v := &apperr.Validation{}
	f := Filter{}
	if q.Channel != "" {
		if surveys.Channel(q.Channel) != q.Channel {
			v.Add("channel", "results.unknown_channel")
		}
		f.Channel = q.Channel
	}
	for field, d := range map[string]string{"from": q.From, "to": q.To} {
		if d == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			v.Add(field, "results.bad_date")
		}
	}
	f.From, f.To = q.From, q.To
	if f.From != "" && f.To != "" && f.From > f.To {
		v.Add("to", "results.dates_reversed")
	}
	if len(q.Segments) > maxSegments {
		v.Add("segment", "results.too_many_segments")
		return f, v
	}
	var profile map[string]map[string]bool
	for _, seg := range q.Segments {
		if seg == "" {
			continue
		}
		key, value, ok := strings.Cut(seg, ":")
		if !ok {
			v.Add("segment", "results.unknown_segment")
			continue
		}
		if q, found := def.Question(key); found && q.Type == surveys.Single && !strings.HasPrefix(key, profilePrefix) {
			if !q.HasOption(value) {
				v.Add("segment", "results.unknown_segment")
			}
			f.Answers = append(f.Answers, Cond{key, value})
			continue
		}
		if profile == nil {
			var err error
			if profile, err = s.ProfileValues(ctx, surveyID); err != nil {
				return f, err
			}
		}
		field := strings.TrimPrefix(key, profilePrefix)
		if !profile[field][value] {
			v.Add("segment", "results.unknown_segment")
		}
		f.Profile = append(f.Profile, Cond{field, value})
	}
	return f, v.Err()
}

// ProfileValues lists the profile fields and values found on a survey's
// responses.
func (s *Store) ProfileValues(ctx context.Context, surveyID string) (map[string]map[string]bool, error) {
	var rows []struct{ Field, Value string }
	err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT ra.field, ra.value FROM response_attributes ra
		JOIN responses r ON r.id = ra.response_id WHERE r.survey_id = ?`, surveyID).Scan(&rows).Error
	out := map[string]map[string]bool{}
	for _, r := range rows {
		if out[r.Field] == nil {
			out[r.Field] = map[string]bool{}
		}
		out[r.Field][r.Value] = true
	}
	return out, err
}
