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

// ExportData is what idea collection keeps about a citizen.
type ExportData struct {
	Ideas         []ExportIdea         `json:"ideas"`
	Comments      []ExportComment      `json:"comments"`
	Supports      []string             `json:"supports"`
	Follows       []string             `json:"follows"`
	Notifications []ExportNotification `json:"notifications"`
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
// the ids of the ideas they support and follow, and their notifications.
func (s *Store) Export(ctx context.Context, citizenID string) (map[string]any, error) {
	db := s.db.WithContext(ctx)
	out := ExportData{Ideas: []ExportIdea{}, Comments: []ExportComment{}, Supports: []string{}, Follows: []string{}, Notifications: []ExportNotification{}}
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
	return map[string]any{"idea_collection": out}, nil
}

// Forget removes a citizen from idea collection inside tx. With
// deletePosts their ideas and comments are deleted (with what hangs on
// them: replies, supports, comments of others on their ideas), and the
// ideas that lose comments are recounted; without, their posts stay, with
// neither their name nor their citizen id. Either way their follows and
// notifications go, and their supports stay counted but no longer point
// to them.
func (s *Store) Forget(tx *gorm.DB, citizenID string, deletePosts bool) error {
	if deletePosts {
		var touched []string
		if err := tx.Model(&models.IdeaComment{}).Where("citizen_id = ?", citizenID).Distinct("idea_id").Pluck("idea_id", &touched).Error; err != nil {
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
