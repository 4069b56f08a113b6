package panels

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/models"
)

// An invitation has been used when its used flag is set (identified
// surveys, where the response names the invitation anyway, and the demo's
// data) or when a use row exists for it (anonymous surveys). The use row is
// written in the transaction just before the response's, so it must not
// name the invitation: its id is an HMAC of the invitation id with the
// panel key, which the database does not hold. Nothing else of the
// invitation changes when it is used, so neither its transaction id nor
// its place in the table follows the order of the answers.

// useID is the id of the use row of an invitation.
func (s *Store) useID(invitationID string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("use:" + invitationID))
	return hex.EncodeToString(m.Sum(nil))
}

// usedAmong tells which of a few invitations have a use row.
func (s *Store) usedAmong(db *gorm.DB, invitationIDs []string) (map[string]bool, error) {
	used := map[string]bool{}
	uses := make([]string, len(invitationIDs))
	byUse := make(map[string]string, len(invitationIDs))
	for i, inv := range invitationIDs {
		uses[i] = s.useID(inv)
		byUse[uses[i]] = inv
	}
	for start := 0; start < len(uses); start += 500 {
		var found []string
		if err := db.Model(&models.PanelInvitationUse{}).Where("id IN ?", uses[start:min(start+500, len(uses))]).Pluck("id", &found).Error; err != nil {
			return nil, err
		}
		for _, id := range found {
			used[byUse[id]] = true
		}
	}
	return used, nil
}

// useSet is the set of use ids of a panel's invitations to a survey.
func (s *Store) useSet(db *gorm.DB, panelID, surveyID string) (map[string]bool, error) {
	var ids []string
	if err := db.Model(&models.PanelInvitationUse{}).Where("panel_id = ? AND survey_id = ?", panelID, surveyID).Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}

// isUsed tells whether one invitation has been used.
func (s *Store) isUsed(db *gorm.DB, inv *models.PanelInvitation) (bool, error) {
	if inv.Used {
		return true, nil
	}
	var n int64
	err := db.Model(&models.PanelInvitationUse{}).Where("id = ?", s.useID(inv.ID)).Count(&n).Error
	return n > 0, err
}

// anonymousUses counts, for a panel's surveys, the invitations used through
// use rows: per survey, and per survey and profile value of the members.
func (s *Store) anonymousUses(ctx context.Context, panelID string) (perSurvey map[string]int64, perValue map[[3]string]int64, err error) {
	db := s.db.WithContext(ctx)
	perSurvey, perValue = map[string]int64{}, map[[3]string]int64{}
	var counts []struct {
		SurveyID string
		N        int64
	}
	err = db.Model(&models.PanelInvitationUse{}).Select("survey_id, COUNT(*) AS n").
		Where("panel_id = ?", panelID).Group("survey_id").Scan(&counts).Error
	if err != nil {
		return nil, nil, err
	}
	surveysOf := map[string][]string{} // member -> surveys answered
	for _, c := range counts {
		perSurvey[c.SurveyID] = c.N // members who left included
		set, err := s.useSet(db, panelID, c.SurveyID)
		if err != nil {
			return nil, nil, err
		}
		var invs []struct{ ID, MemberID string }
		if err := db.Model(&models.PanelInvitation{}).Select("id, member_id").
			Where("panel_id = ? AND survey_id = ? AND member_id IS NOT NULL", panelID, c.SurveyID).Scan(&invs).Error; err != nil {
			return nil, nil, err
		}
		for _, inv := range invs {
			if !set[s.useID(inv.ID)] {
				continue
			}
			surveysOf[inv.MemberID] = append(surveysOf[inv.MemberID], c.SurveyID)
		}
	}
	if len(surveysOf) == 0 {
		return perSurvey, perValue, nil
	}
	var rows []struct{ MemberID, Field, Value string }
	if err := db.Model(&models.PanelMemberProfile{}).Select("member_id, field, value").Where("panel_id = ?", panelID).Scan(&rows).Error; err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		for _, sv := range surveysOf[r.MemberID] {
			perValue[[3]string{sv, r.Field, r.Value}]++
		}
	}
	return perSurvey, perValue, nil
}
