package ideas

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/models"
)

// The Store takes part in a citizen's data download and deletion
// (citizens.Contributions): Export and Forget.

// ExportIdea is one of a citizen's ideas in their data download.
type ExportIdea struct {
	ID             string      `json:"id"`
	ConsultationID string      `json:"consultation_id"`
	DisplayName    string      `json:"display_name"`
	Title          string      `json:"title"`
	Body           string      `json:"body"`
	Category       string      `json:"category"`
	Place          string      `json:"place"`
	Lat            *float64    `json:"lat"`
	Lng            *float64    `json:"lng"`
	Visibility     string      `json:"visibility"`
	Status         string      `json:"status"`
	Explanation    models.Text `json:"explanation"`
	Supports       int         `json:"supports"`
	Comments       int         `json:"comments"`
	CreatedAt      time.Time   `json:"created_at"`
}

// ExportComment is one of a citizen's comments in their data download.
type ExportComment struct {
	ID          string    `json:"id"`
	IdeaID      string    `json:"idea_id"`
	ParentID    *string   `json:"parent_id"`
	DisplayName string    `json:"display_name"`
	Body        string    `json:"body"`
	Visibility  string    `json:"visibility"`
	CreatedAt   time.Time `json:"created_at"`
}

// ExportNotification is one of a citizen's notifications in their data
// download.
type ExportNotification struct {
	Kind      string     `json:"kind"`
	IdeaID    *string    `json:"idea_id"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	SeenAt    *time.Time `json:"seen_at"`
}

// ExportReport is a report a citizen filed, in their data download.
type ExportReport struct {
	ID         string     `json:"id"`
	TargetType string     `json:"target_type"`
	TargetID   string     `json:"target_id"`
	Reason     string     `json:"reason"`
	CreatedAt  time.Time  `json:"created_at"`
	ResolvedAt *time.Time `json:"resolved_at"`
	Resolution string     `json:"resolution"`
}

// ExportData is what idea collection keeps about a citizen.
type ExportData struct {
	Ideas         []ExportIdea         `json:"ideas"`
	Comments      []ExportComment      `json:"comments"`
	Supports      []string             `json:"supports"`
	Follows       []string             `json:"follows"`
	Notifications []ExportNotification `json:"notifications"`
	Reports       []ExportReport       `json:"reports"`
}

// citizenKeys are a citizen's participant keys in every consultation: what
// their reports are filed under (a report keeps no citizen id). The
// consultations are few, so all of them are taken.
func (s *Store) citizenKeys(db *gorm.DB, citizenID string) ([]string, error) {
	var ids []string
	if err := db.Model(&models.Consultation{}).Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.ParticipantKey(id, "c", citizenID)
	}
	return keys, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Export returns what idea collection keeps about a citizen, under
// "idea_collection": their ideas and comments (in every moderation state),
// the ids of the ideas they support and follow, their notifications and
// the reports they filed (while signed in).
func (s *Store) Export(ctx context.Context, citizenID string) (map[string]any, error) {
	db := s.db.WithContext(ctx)
	out := ExportData{Ideas: []ExportIdea{}, Comments: []ExportComment{}, Supports: []string{}, Follows: []string{},
		Notifications: []ExportNotification{}, Reports: []ExportReport{}}
	var ideas []models.Idea
	if err := db.Where("citizen_id = ?", citizenID).Order("created_at, id").Find(&ideas).Error; err != nil {
		return nil, err
	}
	for _, i := range ideas {
		out.Ideas = append(out.Ideas, ExportIdea{ID: i.ID, ConsultationID: i.ConsultationID, DisplayName: i.DisplayName, Title: i.Title,
			Body: i.Body, Category: i.Category, Place: i.PlaceLabel, Lat: i.Lat, Lng: i.Lng, Visibility: i.Visibility, Status: i.Status,
			Explanation: i.Explanation, Supports: i.Supports, Comments: i.Comments, CreatedAt: i.CreatedAt.UTC()})
	}
	var comments []models.IdeaComment
	if err := db.Where("citizen_id = ?", citizenID).Order("created_at, id").Find(&comments).Error; err != nil {
		return nil, err
	}
	for _, c := range comments {
		out.Comments = append(out.Comments, ExportComment{ID: c.ID, IdeaID: c.IdeaID, ParentID: c.ParentID, DisplayName: c.DisplayName,
			Body: c.Body, Visibility: c.Visibility, CreatedAt: c.CreatedAt.UTC()})
	}
	if err := db.Model(&models.IdeaSupport{}).Where("citizen_id = ?", citizenID).Order("idea_id").Pluck("idea_id", &out.Supports).Error; err != nil {
		return nil, err
	}
	if err := db.Model(&models.IdeaFollow{}).Where("citizen_id = ?", citizenID).Order("idea_id").Pluck("idea_id", &out.Follows).Error; err != nil {
		return nil, err
	}
	var ns []models.Notification
	if err := db.Where("recipient = ?", "c:"+citizenID).Order("created_at, id").Find(&ns).Error; err != nil {
		return nil, err
	}
	for _, n := range ns {
		out.Notifications = append(out.Notifications, ExportNotification{Kind: n.Kind, IdeaID: n.IdeaID, Status: n.Status,
			CreatedAt: n.CreatedAt.UTC(), SeenAt: utc(n.SeenAt)})
	}
	keys, err := s.citizenKeys(db, citizenID)
	if err != nil {
		return nil, err
	}
	reports, err := s.mod.ReportsBy(ctx, keys)
	if err != nil {
		return nil, err
	}
	for _, r := range reports {
		out.Reports = append(out.Reports, ExportReport{ID: r.ID, TargetType: r.TargetType, TargetID: r.TargetID, Reason: r.Reason,
			CreatedAt: r.CreatedAt.UTC(), ResolvedAt: utc(r.ResolvedAt), Resolution: r.Resolution})
	}
	return map[string]any{"idea_collection": out}, nil
}

// Forget removes a citizen from idea collection inside tx. With
// deletePosts their ideas and comments are deleted (with what hangs on
// them: replies, supports, comments of others on their ideas, and the
// reports about all of these), and the ideas that lose comments are
// recounted; without, their posts stay, with neither their name nor their
// citizen id. Either way their follows, notifications and the reports
// they filed go, and their supports stay counted but no longer point to
// them.
//
// Locks: the ideas first (theirs, and with deletePosts those they
// commented on), in id order, then comments, as every transaction here
// (see lockIdeas); so a comment written meanwhile is waited for, and the
// recount sees it.
func (s *Store) Forget(tx *gorm.DB, citizenID string, deletePosts bool) error {
	keys, err := s.citizenKeys(tx, citizenID)
	if err != nil {
		return err
	}
	if err := s.mod.DeleteReportsBy(tx, keys); err != nil {
		return err
	}
	if deletePosts {
		if err := s.lockIdeas(tx, "citizen_id = ? OR id IN (SELECT idea_id FROM idea_comments WHERE citizen_id = ?)", citizenID, citizenID); err != nil {
			return err
		}
		var touched []string
		if err := tx.Model(&models.IdeaComment{}).Where("citizen_id = ?", citizenID).Distinct("idea_id").Order("idea_id").Pluck("idea_id", &touched).Error; err != nil {
			return err
		}
		// The reports of what goes: their ideas, every comment on those,
		// their comments and the replies to them.
		ideas := tx.Model(&models.Idea{}).Select("id").Where("citizen_id = ?", citizenID)
		if err := s.mod.DeleteReports(tx, models.TargetIdea, ideas); err != nil {
			return err
		}
		theirs := tx.Model(&models.IdeaComment{}).Select("id").Where("citizen_id = ?", citizenID)
		comments := tx.Model(&models.IdeaComment{}).Select("id").
			Where("citizen_id = ? OR parent_id IN (?) OR idea_id IN (?)", citizenID, theirs, ideas)
		if err := s.mod.DeleteReports(tx, models.TargetComment, comments); err != nil {
			return err
		}
		if err := tx.Where("citizen_id = ?", citizenID).Delete(&models.IdeaComment{}).Error; err != nil {
			return err
		}
		if err := tx.Where("citizen_id = ?", citizenID).Delete(&models.Idea{}).Error; err != nil {
			return err
		}
		for _, id := range touched {
			if err := s.recount(tx, id); err != nil {
				return err
			}
		}
	} else {
		if err := s.lockIdeas(tx, "citizen_id = ?", citizenID); err != nil {
			return err
		}
		for _, m := range []any{&models.Idea{}, &models.IdeaComment{}} {
			if err := tx.Model(m).Where("citizen_id = ?", citizenID).
				UpdateColumns(map[string]any{"display_name": "", "citizen_id": nil}).Error; err != nil {
				return err
			}
		}
	}
	if err := tx.Where("citizen_id = ?", citizenID).Delete(&models.IdeaFollow{}).Error; err != nil {
		return err
	}
	if err := tx.Where("recipient = ?", "c:"+citizenID).Delete(&models.Notification{}).Error; err != nil {
		return err
	}
	return tx.Model(&models.IdeaSupport{}).Where("citizen_id = ?", citizenID).Update("citizen_id", nil).Error
}
