package ideas

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// CommentInput is a comment as a citizen writes it; ParentID makes it a
// reply to a top-level comment.
type CommentInput struct {
	Body        string  `json:"body"`
	ParentID    *string `json:"parent_id"`
	DisplayName string  `json:"display_name"`
}

// Comment adds p's comment to a published idea of c (hidden or unknown
// ideas: not found). Replies go one level deep: a reply to a reply is
// refused. In pre-moderation the comment waits for a moderator.
func (s *Store) Comment(ctx context.Context, c *models.Consultation, ideaID string, p Participant, in CommentInput) (*models.IdeaComment, error) {
	if err := s.open(c); err != nil {
		return nil, err
	}
	if p.Key == "" {
		return nil, apperr.ErrForbidden
	}
	v := &apperr.Validation{}
	in.Body, in.DisplayName = strings.TrimSpace(in.Body), strings.TrimSpace(in.DisplayName)
	if id := textcheck.Block(in.Body, MaxComment, true); id != "" {
		v.Add("body", id)
	}
	if id := textcheck.Line(in.DisplayName, MaxDisplayName, false); id != "" {
		v.Add("display_name", id)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	// An empty name means none (see Submit).
	cm := &models.IdeaComment{ID: models.NewID(), IdeaID: ideaID, ConsultationID: c.ID, Participant: p.Key,
		CitizenID: p.CitizenID, DisplayName: in.DisplayName, Body: in.Body, Visibility: models.PostPublished, CreatedAt: now, UpdatedAt: now}
	if c.Moderation == models.ModerationPre {
		cm.Visibility = models.PostPending
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The idea's row is locked until commit: a moderator hiding it waits
		// (or is waited for), and comments on one idea take turns, so the
		// recount at the end sees every comment committed before.
		idea, err := s.visibleIdea(s.locked(tx), ideaID)
		if err != nil {
			return err
		}
		if idea.ConsultationID != c.ID {
			return apperr.ErrNotFound
		}
		if in.ParentID != nil && *in.ParentID != "" {
			var parent models.IdeaComment
			if err := tx.Where("id = ? AND idea_id = ?", *in.ParentID, ideaID).Take(&parent).Error; err != nil {
				if notFound(err) == apperr.ErrNotFound {
					return apperr.Invalid("parent_id", "ideas.parent_unknown")
				}
				return err
			}
			if parent.ParentID != nil {
				return apperr.Invalid("parent_id", "ideas.reply_depth")
			}
			if !Published(parent.Visibility) {
				return apperr.Invalid("parent_id", "ideas.parent_unknown")
			}
			cm.ParentID = &parent.ID
		}
		if err := s.serialize(tx, "idea-post:"+c.ID+":"+p.Key); err != nil {
			return err
		}
		if err := s.checkBan(ctx, tx, c.ID, p.Key); err != nil {
			return err
		}
		var recent int64
		if err := tx.Model(&models.IdeaComment{}).Where("consultation_id = ? AND participant = ? AND created_at > ?",
			c.ID, p.Key, now.Add(-CommentFloodWindow)).Count(&recent).Error; err != nil {
			return err
		}
		if recent >= CommentFloodLimit {
			return &apperr.Limited{MessageID: "ideas.too_many_comments"}
		}
		if err := tx.Create(cm).Error; err != nil {
			return err
		}
		if Published(cm.Visibility) {
			return s.recount(tx, ideaID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cm, nil
}

// recount sets an idea's comment count to its published comments (called
// in every transaction that publishes, hides or deletes a comment).
func (s *Store) recount(tx *gorm.DB, ideaID string) error {
	return tx.Exec(`UPDATE ideas SET comments = (SELECT COUNT(*) FROM idea_comments
		WHERE idea_id = ? AND visibility = ?) WHERE id = ?`, ideaID, models.PostPublished, ideaID).Error
}

// ThreadComment is a comment as a thread shows it to one viewer.
type ThreadComment struct {
	models.IdeaComment
	// Mine: the viewer wrote it. They see it in every moderation state,
	// with the house rule and the moderator's note when it was rejected or
	// hidden.
	Mine bool
}

// CommentView is a top-level comment with its replies.
type CommentView struct {
	ThreadComment
	Replies []ThreadComment
}

// Thread lists an idea's top-level comments, oldest first, each with its
// replies. Hidden comments stay in place (the page says a moderator hid
// them, under which rule); pending and rejected ones are shown only to
// their author (v), who learns why a moderator did not publish them.
func (s *Store) Thread(ctx context.Context, ideaID string, v Viewer) ([]CommentView, error) {
	var rows []models.IdeaComment
	shown := []string{models.PostPublished, models.PostHidden}
	own := []string{models.PostPending, models.PostRejected}
	q := s.db.WithContext(ctx).Where("idea_id = ?", ideaID)
	switch {
	case v.Key != "" && v.CitizenID != "":
		q = q.Where("visibility IN ? OR (visibility IN ? AND (participant = ? OR citizen_id = ?))", shown, own, v.Key, v.CitizenID)
	case v.Key != "":
		q = q.Where("visibility IN ? OR (visibility IN ? AND participant = ?)", shown, own, v.Key)
	case v.CitizenID != "":
		q = q.Where("visibility IN ? OR (visibility IN ? AND citizen_id = ?)", shown, own, v.CitizenID)
	default:
		q = q.Where("visibility IN ?", shown)
	}
	if err := q.Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	var out []CommentView
	at := map[string]int{}
	for _, r := range rows {
		if r.ParentID == nil {
			at[r.ID] = len(out)
			out = append(out, CommentView{ThreadComment: ThreadComment{IdeaComment: r, Mine: v.Owns(r.Participant, r.CitizenID)}})
		}
	}
	for _, r := range rows {
		if r.ParentID != nil {
			if i, ok := at[*r.ParentID]; ok {
				out[i].Replies = append(out[i].Replies, ThreadComment{IdeaComment: r, Mine: v.Owns(r.Participant, r.CitizenID)})
			}
		}
	}
	return out, nil
}

// CommentByID returns one comment.
func (s *Store) CommentByID(ctx context.Context, id string) (*models.IdeaComment, error) {
	var cm models.IdeaComment
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&cm).Error; err != nil {
		return nil, notFound(err)
	}
	return &cm, nil
}
