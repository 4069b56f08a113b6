package panels

import (
	"context"

	"github.com/inspraak/inspraak/models"
)

// Responses given through a panel invitation carry the member's profile
// values (field key -> choice key, table response_attributes). The two
// methods below name those fields and choices for the results pages and
// offer the panels' target margins for weighting; together they implement
// results.Profiles.
//
// A survey may be answered by several panels. Their fields are merged by
// key, oldest panel first: when two panels define the same field key
// differently, the field of the oldest panel wins (its label, its choices'
// labels and its targets). Choices that only a later panel has are named
// from that panel, so that no value on a response is left without a label;
// their targets are not mixed in, since shares from two definitions need
// not add up to 100.

// surveyFields returns the profile fields of the panels that invited to
// surveyID, merged by key as described above, in the panels' order.
func (s *Store) surveyFields(ctx context.Context, surveyID string) ([]Field, error) {
	var ps []models.Panel
	err := s.db.WithContext(ctx).
		Where("EXISTS (SELECT 1 FROM panel_invitations i WHERE i.panel_id = panels.id AND i.survey_id = ?)", surveyID).
		Order("created_at, id").Find(&ps).Error
	if err != nil {
		return nil, err
	}
	var out []Field
	at := map[string]int{}
	for _, p := range ps {
		fs, err := ParseFields(p.Fields)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			i, seen := at[f.Key]
			if !seen {
				at[f.Key] = len(out)
				f.Choices = append([]Choice(nil), f.Choices...)
				out = append(out, f)
				continue
			}
			for _, c := range f.Choices {
				if _, known := out[i].Choice(c.Key); !known {
					c.Target = nil
					out[i].Choices = append(out[i].Choices, c)
				}
			}
		}
	}
	return out, nil
}

// ProfileLabels names the profile fields and their choices found on the
// responses to surveyID in lang, falling back to another language the way
// models.Text.In does. Fields of no panel that invited to the survey are
// left out (results then show their keys).
func (s *Store) ProfileLabels(ctx context.Context, surveyID, lang string) (map[string]string, map[string]map[string]string, error) {
	fs, err := s.surveyFields(ctx, surveyID)
	if err != nil {
		return nil, nil, err
	}
	fields := make(map[string]string, len(fs))
	values := make(map[string]map[string]string, len(fs))
	for _, f := range fs {
		fields[f.Key] = f.Label.In(lang)
		vs := make(map[string]string, len(f.Choices))
		for _, c := range f.Choices {
			vs[c.Key] = c.Label.In(lang)
		}
		values[f.Key] = vs
	}
	return fields, values, nil
}

// ProfileTargets returns the target margins (percent per choice key) of
// every profile field that has them, from the panels that invited to
// surveyID; with several panels, the oldest panel's field wins.
func (s *Store) ProfileTargets(ctx context.Context, surveyID string) (map[string]map[string]float64, error) {
	fs, err := s.surveyFields(ctx, surveyID)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]float64{}
	for _, f := range fs {
		if !f.HasTargets() {
			continue
		}
		ts := map[string]float64{}
		for _, c := range f.Choices {
			if c.Target != nil {
				ts[c.Key] = *c.Target
			}
		}
		out[f.Key] = ts
	}
	return out, nil
}
