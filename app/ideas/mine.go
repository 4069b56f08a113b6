package ideas

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// MaxMineNotices is how many notifications the citizen's page lists.
const MaxMineNotices = 200

// Follow makes a citizen follow a published idea (again: no change).
func (s *Store) Follow(ctx context.Context, citizenID, ideaID string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.visibleIdea(tx, ideaID); err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.IdeaFollow{CitizenID: citizenID, IdeaID: ideaID}).Error
	})
}

// Unfollow stops a citizen following an idea (not following: no change).
func (s *Store) Unfollow(ctx context.Context, citizenID, ideaID string) error {
	return s.db.WithContext(ctx).Where("citizen_id = ? AND idea_id = ?", citizenID, ideaID).Delete(&models.IdeaFollow{}).Error
}

// Follows tells whether a citizen follows an idea.
func (s *Store) Follows(ctx context.Context, citizenID, ideaID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.IdeaFollow{}).Where("citizen_id = ? AND idea_id = ?", citizenID, ideaID).Count(&n).Error
	return n > 0, err
}

// FollowForm follows an idea (withdraw=1: stops following) for the
// signed-in citizen; anyone else is sent to sign in first.
func (h *Handlers) FollowForm(c *fiber.Ctx) error {
	id := c.Params("id")
	cit := page.Citizen(c)
	if cit == nil {
		return c.Redirect("/signin?next=/ideas/"+id, fiber.StatusSeeOther)
	}
	idea, err := h.store.Idea(c.UserContext(), id)
	if err != nil {
		return err
	}
	if c.FormValue("withdraw") == "1" {
		err = h.store.Unfollow(c.UserContext(), cit.ID, idea.ID)
		if err == nil {
			page.Sess(c).Flash("ideas_feedback.unfollowed")
		}
	} else {
		err = h.store.Follow(c.UserContext(), cit.ID, idea.ID)
		if err == nil {
			page.Sess(c).Flash("ideas_feedback.followed")
		}
	}
	if err != nil {
		return err
	}
	return c.Redirect(back(c, "/ideas/"+idea.ID+"#feedback"), fiber.StatusSeeOther)
}

// MyIdea is one of the citizen's ideas with its consultation's title.
type MyIdea struct {
	models.Idea
	ConsultationTitle models.Text
}

// MyComment is one of the citizen's comments with its idea.
type MyComment struct {
	models.IdeaComment
	IdeaTitle      string
	IdeaVisibility string
}

// Mine is what a citizen has in idea collection.
type Mine struct {
	Ideas     []MyIdea
	Comments  []MyComment
	Followed  []models.Idea
	Notices   []Notice
	Supported []string
}

// CitizenData reads a citizen's ideas and comments (newest first, whatever
// their moderation state), the published ideas they follow, their
// notifications (newest first, at most limit; 0: all) and the ids of the
// ideas they support.
func (s *Store) CitizenData(ctx context.Context, citizenID string, limit int) (*Mine, error) {
	db := s.db.WithContext(ctx)
	out := &Mine{}
	if err := db.Table("ideas AS i").Select("i.*, c.title AS consultation_title").
		Joins("JOIN consultations AS c ON c.id = i.consultation_id").
		Where("i.citizen_id = ?", citizenID).Order("i.created_at DESC, i.id").Scan(&out.Ideas).Error; err != nil {
		return nil, err
	}
	if err := db.Table("idea_comments AS m").Select("m.*, i.title AS idea_title, i.visibility AS idea_visibility").
		Joins("JOIN ideas AS i ON i.id = m.idea_id").
		Where("m.citizen_id = ?", citizenID).Order("m.created_at DESC, m.id").Scan(&out.Comments).Error; err != nil {
		return nil, err
	}
	if err := db.Where("visibility = ? AND id IN (?)", models.PostPublished,
		db.Model(&models.IdeaFollow{}).Select("idea_id").Where("citizen_id = ?", citizenID)).
		Order("created_at DESC, id").Find(&out.Followed).Error; err != nil {
		return nil, err
	}
	var err error
	if out.Notices, err = s.notices(db, "c:"+citizenID, false, limit); err != nil {
		return nil, err
	}
	if err := db.Model(&models.IdeaSupport{}).Where("citizen_id = ?", citizenID).Order("idea_id").
		Pluck("idea_id", &out.Supported).Error; err != nil {
		return nil, err
	}
	return out, nil
}

// MyIdeaView is one of the citizen's ideas on their page.
type MyIdeaView struct {
	MyIdea
	Consultation string
	// RuleTitle is the house rule a moderator hid or rejected it under.
	RuleTitle string
}

// MyCommentView is one of the citizen's comments on their page.
type MyCommentView struct {
	MyComment
	// IdeaShown: the idea is published, so its title and link may be shown.
	IdeaShown bool
	RuleTitle string
}

// MinePage is a signed-in citizen's page of ideas: their ideas (with the
// moderation state and, when hidden or rejected, the house rule), their
// comments, the ideas they follow and all their notifications (which it
// marks seen).
func (h *Handlers) MinePage(c *fiber.Ctx) error {
	cit := page.Citizen(c)
	if cit == nil {
		return c.Redirect("/signin?next=/me/ideas", fiber.StatusSeeOther)
	}
	ctx := c.UserContext()
	m, err := h.store.CitizenData(ctx, cit.ID, MaxMineNotices)
	if err != nil {
		return err
	}
	l := page.L(c)
	rules, err := h.ruleTitles(c, l)
	if err != nil {
		return err
	}
	ideas := make([]MyIdeaView, len(m.Ideas))
	for i, x := range m.Ideas {
		ideas[i] = MyIdeaView{MyIdea: x, Consultation: x.ConsultationTitle.In(l.Lang)}
		if x.Visibility == models.PostHidden || x.Visibility == models.PostRejected {
			ideas[i].RuleTitle = rules[x.RuleKey]
		}
	}
	comments := make([]MyCommentView, len(m.Comments))
	for i, x := range m.Comments {
		comments[i] = MyCommentView{MyComment: x, IdeaShown: Published(x.IdeaVisibility)}
		if x.Visibility == models.PostHidden || x.Visibility == models.PostRejected {
			comments[i].RuleTitle = rules[x.RuleKey]
		}
	}
	var unseen []string
	for _, n := range m.Notices {
		if n.SeenAt == nil {
			unseen = append(unseen, n.ID)
		}
	}
	notices := h.noticeViews(c, m.Notices)
	if err := h.store.markSeen(h.store.db.WithContext(ctx), unseen); err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "ideas/mine", fiber.Map{
		"Citizen": cit, "MyIdeas": ideas, "MyComments": comments, "Followed": m.Followed, "AllNotices": notices,
	})
}
