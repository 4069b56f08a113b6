package panels

import (
	"context"
	"time"

	"github.com/inspraak/inspraak/models"
)

// Health is a panel's state at a glance: its members and how they
// answered the invitations of the recent past.
type Health struct {
	Summary
	// Invited counts the invitations made since the date given to
	// PanelHealth, Responded those of them that gave a response.
	Invited, Responded int64
	// Rate is Responded of Invited in percent (0 without invitations).
	Rate float64
}

// PanelHealth lists at most limit panels, the newest first, with their
// members and the response rate of the invitations made since since, and
// how many panels there are in all. It costs three queries whatever the
// number of panels.
func (s *Store) PanelHealth(ctx context.Context, since time.Time, limit int) ([]Health, int64, error) {
	db := s.db.WithContext(ctx)
	var total int64
	if err := db.Model(&models.Panel{}).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var list []Summary
	err := db.Model(&models.Panel{}).
		Select("panels.*, (SELECT COUNT(*) FROM panel_members m WHERE m.panel_id = panels.id AND m.status = 'active') AS active, " +
			"(SELECT COUNT(*) FROM panel_members m WHERE m.panel_id = panels.id AND m.status = 'pending') AS pending").
		Order("created_at DESC, id").Limit(limit).Scan(&list).Error
	if err != nil || len(list) == 0 {
		return nil, total, err
	}
	ids := make([]string, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	var rows []struct {
		PanelID            string
		Invited, Responded int64
	}
	err = db.Model(&models.PanelInvitation{}).
		Select("panel_id, COUNT(*) AS invited, COUNT(CASE WHEN used THEN 1 END) AS responded").
		Where("panel_id IN ? AND created_at >= ?", ids, since.UTC()).Group("panel_id").Scan(&rows).Error
	if err != nil {
		return nil, 0, err
	}
	// Uses of anonymous surveys are rows of their own (uses.go).
	var uses []struct {
		PanelID string
		N       int64
	}
	// They are counted for the surveys the panel was invited to in the
	// period (a use row keeps no time).
	err = db.Model(&models.PanelInvitationUse{}).Select("panel_id, COUNT(*) AS n").
		Where("panel_id IN ? AND EXISTS (SELECT 1 FROM panel_invitation_rounds r WHERE r.panel_id = panel_invitation_uses.panel_id AND r.survey_id = panel_invitation_uses.survey_id AND r.created_at >= ?)", ids, since.UTC()).
		Group("panel_id").Scan(&uses).Error
	if err != nil {
		return nil, 0, err
	}
	out := make([]Health, len(list))
	for i, p := range list {
		out[i].Summary = p
		for _, r := range rows {
			if r.PanelID == p.ID {
				out[i].Invited, out[i].Responded = r.Invited, r.Responded
			}
		}
		for _, u := range uses {
			if u.PanelID == p.ID {
				out[i].Responded += u.N
			}
		}
		out[i].Rate = rate(out[i].Responded, out[i].Invited)
	}
	return out, total, nil
}
