package panels

import (
	"context"
	"sort"

	"github.com/inspraak/inspraak/models"
)

// ChoiceShare is one choice of a field in the panel's make-up.
type ChoiceShare struct {
	Key     string      `json:"key"`
	Label   models.Text `json:"label"`
	Count   int64       `json:"count"`
	Percent float64     `json:"percent"`
	Target  *float64    `json:"target,omitempty"`
}

// FieldShare is the make-up of active members by one profile field.
type FieldShare struct {
	Key      string        `json:"key"`
	Label    models.Text   `json:"label"`
	Answered int64         `json:"answered"`
	Choices  []ChoiceShare `json:"choices"`
}

// Composition is the make-up of the active members, field by field, next
// to the target shares. Percentages are of the members who gave a value.
func (s *Store) Composition(ctx context.Context, panelID string, fs []Field) ([]FieldShare, error) {
	var rows []struct {
		Field string
		Value string
		N     int64
	}
	err := s.db.WithContext(ctx).Table("panel_member_profiles p").Select("p.field AS field, p.value AS value, COUNT(*) AS n").
		Joins("JOIN panel_members m ON m.id = p.member_id").
		Where("p.panel_id = ? AND m.status = ?", panelID, models.MemberActive).Group("p.field, p.value").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	counts := map[string]map[string]int64{}
	for _, r := range rows {
		if counts[r.Field] == nil {
			counts[r.Field] = map[string]int64{}
		}
		counts[r.Field][r.Value] = r.N
	}
	out := make([]FieldShare, 0, len(fs))
	for _, f := range fs {
		fsh := FieldShare{Key: f.Key, Label: f.Label}
		for _, c := range f.Choices {
			fsh.Answered += counts[f.Key][c.Key]
		}
		for _, c := range f.Choices {
			n := counts[f.Key][c.Key]
			cs := ChoiceShare{Key: c.Key, Label: c.Label, Count: n, Target: c.Target}
			if fsh.Answered > 0 {
				cs.Percent = round1(float64(n) * 100 / float64(fsh.Answered))
			}
			fsh.Choices = append(fsh.Choices, cs)
		}
		out = append(out, fsh)
	}
	return out, nil
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func rate(done, of int64) float64 {
	if of == 0 {
		return 0
	}
	return round1(float64(done) * 100 / float64(of))
}

// Stratum is the response rate of one profile choice.
type Stratum struct {
	Field     string  `json:"field"`
	Choice    string  `json:"choice"`
	Invited   int64   `json:"invited"`
	Responded int64   `json:"responded"`
	Rate      float64 `json:"response_rate"`
}

// SurveyRate is the response rate of the panel to one survey.
type SurveyRate struct {
	SurveyID  string      `json:"survey_id"`
	Title     models.Text `json:"title"`
	Status    string      `json:"status"`
	Invited   int64       `json:"invited"`
	Mailed    int64       `json:"mailed"`
	Responded int64       `json:"responded"`
	Rate      float64     `json:"response_rate"`
	Strata    []Stratum   `json:"strata"`
}

// Stats is a panel's figures.
type Stats struct {
	PanelID     string       `json:"panel_id"`
	Active      int64        `json:"active_members"`
	Pending     int64        `json:"pending_members"`
	Composition []FieldShare `json:"members_by_field"`
	Surveys     []SurveyRate `json:"surveys"`
}

// Stats counts members by profile field and responses per survey, overall
// and per stratum (each choice of each field), while surveys run.
func (s *Store) Stats(ctx context.Context, panelID string) (*Stats, error) {
	_, fs, err := s.Get(ctx, panelID)
	if err != nil {
		return nil, err
	}
	st := &Stats{PanelID: panelID, Surveys: []SurveyRate{}}
	var counts []struct {
		Status string
		N      int64
	}
	if err := s.db.WithContext(ctx).Model(&models.PanelMember{}).Select("status, COUNT(*) AS n").Where("panel_id = ?", panelID).Group("status").Scan(&counts).Error; err != nil {
		return nil, err
	}
	for _, c := range counts {
		if c.Status == models.MemberActive {
			st.Active = c.N
		} else {
			st.Pending = c.N
		}
	}
	if st.Composition, err = s.Composition(ctx, panelID, fs); err != nil {
		return nil, err
	}
	var per []struct {
		SurveyID  string
		Title     models.Text
		Status    string
		Invited   int64
		Mailed    int64
		Responded int64
	}
	err = s.db.WithContext(ctx).Table("panel_invitations i").
		Select("i.survey_id AS survey_id, s.title AS title, s.status AS status, COUNT(*) AS invited, COUNT(i.mailed_at) AS mailed, COUNT(CASE WHEN i.used THEN 1 END) AS responded").
		Joins("JOIN surveys s ON s.id = i.survey_id").Where("i.panel_id = ?", panelID).
		Group("i.survey_id, s.title, s.status, s.created_at").Order("s.created_at DESC").Scan(&per).Error
	if err != nil {
		return nil, err
	}
	var strata []struct {
		SurveyID  string
		Field     string
		Value     string
		Invited   int64
		Responded int64
	}
	err = s.db.WithContext(ctx).Table("panel_invitations i").
		Select("i.survey_id AS survey_id, p.field AS field, p.value AS value, COUNT(*) AS invited, COUNT(CASE WHEN i.used THEN 1 END) AS responded").
		Joins("JOIN panel_member_profiles p ON p.member_id = i.member_id").Where("i.panel_id = ?", panelID).
		Group("i.survey_id, p.field, p.value").Scan(&strata).Error
	if err != nil {
		return nil, err
	}
	usesPer, usesByValue, err := s.anonymousUses(ctx, panelID)
	if err != nil {
		return nil, err
	}
	for i := range per {
		per[i].Responded += usesPer[per[i].SurveyID]
	}
	for i, x := range strata {
		strata[i].Responded += usesByValue[[3]string{x.SurveyID, x.Field, x.Value}]
	}
	order := map[string]int{}
	for i, f := range fs {
		for j, c := range f.Choices {
			order[f.Key+"\x00"+c.Key] = i*1000 + j
		}
	}
	for _, p := range per {
		sr := SurveyRate{SurveyID: p.SurveyID, Title: p.Title, Status: p.Status, Invited: p.Invited, Mailed: p.Mailed, Responded: p.Responded,
			Rate: rate(p.Responded, p.Invited), Strata: []Stratum{}}
		for _, x := range strata {
			if _, known := order[x.Field+"\x00"+x.Value]; x.SurveyID == p.SurveyID && known {
				sr.Strata = append(sr.Strata, Stratum{Field: x.Field, Choice: x.Value, Invited: x.Invited, Responded: x.Responded, Rate: rate(x.Responded, x.Invited)})
			}
		}
		sort.Slice(sr.Strata, func(i, j int) bool {
			return order[sr.Strata[i].Field+"\x00"+sr.Strata[i].Choice] < order[sr.Strata[j].Field+"\x00"+sr.Strata[j].Choice]
		})
		st.Surveys = append(st.Surveys, sr)
	}
	return st, nil
}
