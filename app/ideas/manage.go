package ideas

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// People manage their own posts: an author may delete (withdraw) their idea
// or comment, whatever its moderation state and whether or not the
// consultation is still open. Someone else's post is not found, so that
// ids cannot be probed.

// DeleteIdea deletes v's idea with what hangs on it (supports, comments,
// follows, notices, status history) and the reports about it and its
// comments.
func (s *Store) DeleteIdea(ctx context.Context, id string, v Viewer) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var i models.Idea
		if err := s.locked(tx).Where("id = ?", id).Take(&i).Error; err != nil {
			return notFound(err)
		}
		if !v.Owns(i.Participant, i.CitizenID) {
			return apperr.ErrNotFound
		}
		if err := s.mod.DeleteReports(tx, models.TargetIdea, []string{i.ID}); err != nil {
			return err
		}
		if err := s.mod.DeleteReports(tx, models.TargetComment,
			tx.Model(&models.IdeaComment{}).Select("id").Where("idea_id = ?", i.ID)); err != nil {
			return err
		}
		return tx.Where("id = ?", i.ID).Delete(&models.Idea{}).Error
	})
}

// DeleteComment deletes v's comment with its replies and the reports about
// them, and recounts its idea's comments. It returns the deleted comment.
func (s *Store) DeleteComment(ctx context.Context, id string, v Viewer) (*models.IdeaComment, error) {
	first, err := s.CommentByID(ctx, id) // to learn its idea, which is locked first
	if err != nil {
		return nil, err
	}
	var cm models.IdeaComment
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockIdeas(tx, "id = ?", first.IdeaID); err != nil {
			return err
		}
		if err := s.locked(tx).Where("id = ?", id).Take(&cm).Error; err != nil {
			return notFound(err)
		}
		if !v.Owns(cm.Participant, cm.CitizenID) {
			return apperr.ErrNotFound
		}
		if err := s.mod.DeleteReports(tx, models.TargetComment,
			tx.Model(&models.IdeaComment{}).Select("id").Where("id = ? OR parent_id = ?", cm.ID, cm.ID)); err != nil {
			return err
		}
		if err := tx.Where("id = ?", cm.ID).Delete(&models.IdeaComment{}).Error; err != nil {
			return err // the replies go by cascade
		}
		return s.recount(tx, cm.IdeaID)
	})
	if err != nil {
		return nil, err
	}
	return &cm, nil
}

// ownIdea reads the idea of the URL for its author (others: not found).
func (h *Handlers) ownIdea(c *fiber.Ctx) (*models.Idea, *models.Consultation, Viewer, error) {
	idea, cons, err := h.ideaAndConsultation(c, "id")
	if err != nil {
		return nil, nil, Viewer{}, err
	}
	v := h.viewer(c, cons)
	if !v.Owns(idea.Participant, idea.CitizenID) {
		return nil, nil, Viewer{}, apperr.ErrNotFound
	}
	return idea, cons, v, nil
}

// ownComment reads the comment of the URL for its author (others: not
// found).
func (h *Handlers) ownComment(c *fiber.Ctx) (*models.IdeaComment, Viewer, error) {
	ctx := c.UserContext()
	cm, err := h.store.CommentByID(ctx, c.Params("id"))
	if err != nil {
		return nil, Viewer{}, err
	}
	cons, err := h.store.Consultation(ctx, cm.ConsultationID)
	if err != nil {
		return nil, Viewer{}, err
	}
	v := h.viewer(c, cons)
	if !v.Owns(cm.Participant, cm.CitizenID) {
		return nil, Viewer{}, apperr.ErrNotFound
	}
	return cm, v, nil
}

// localBack is the local path in ?back= or the form's "back" ("" if none).
func localBack(c *fiber.Ctx) string { return back(c, "") }

// DeleteIdeaPage asks the author to confirm deleting their idea.
func (h *Handlers) DeleteIdeaPage(c *fiber.Ctx) error {
	idea, _, _, err := h.ownIdea(c)
	if err != nil {
		return err
	}
	cancel := "/ideas/" + idea.ID
	if b := localBack(c); b != "" {
		cancel = b
	}
	return h.render.Render(c, fiber.StatusOK, "ideas/delete", fiber.Map{
		"Kind": models.TargetIdea, "PostTitle": idea.Title, "Body": idea.Body,
		"Action": "/ideas/" + idea.ID + "/delete", "Cancel": cancel, "Back": localBack(c),
	})
}

// DeleteIdeaForm deletes the author's idea and goes back to the page named
// in "back", else to the consultation.
func (h *Handlers) DeleteIdeaForm(c *fiber.Ctx) error {
	idea, _, v, err := h.ownIdea(c)
	if err != nil {
		return err
	}
	if err := h.store.DeleteIdea(c.UserContext(), idea.ID, v); err != nil {
		return err
	}
	page.Sess(c).Flash("ideas.idea_deleted")
	return c.Redirect(back(c, "/consultations/"+idea.ConsultationID), fiber.StatusSeeOther)
}

// DeleteCommentPage asks the author to confirm deleting their comment.
func (h *Handlers) DeleteCommentPage(c *fiber.Ctx) error {
	cm, _, err := h.ownComment(c)
	if err != nil {
		return err
	}
	cancel := "/ideas/" + cm.IdeaID + "#c-" + cm.ID
	if b := localBack(c); b != "" {
		cancel = b
	}
	return h.render.Render(c, fiber.StatusOK, "ideas/delete", fiber.Map{
		"Kind": models.TargetComment, "Body": cm.Body,
		"Action": "/comments/" + cm.ID + "/delete", "Cancel": cancel, "Back": localBack(c),
	})
}

// DeleteCommentForm deletes the author's comment and goes back to the page
// named in "back", else to the idea's comments.
func (h *Handlers) DeleteCommentForm(c *fiber.Ctx) error {
	cm, v, err := h.ownComment(c)
	if err != nil {
		return err
	}
	if _, err := h.store.DeleteComment(c.UserContext(), cm.ID, v); err != nil {
		return err
	}
	page.Sess(c).Flash("ideas.comment_deleted")
	return c.Redirect(back(c, "/ideas/"+cm.IdeaID+"#comments"), fiber.StatusSeeOther)
}

// APIDeleteIdea deletes the caller's idea: 204 (someone else's: 404).
func (h *Handlers) APIDeleteIdea(c *fiber.Ctx) error {
	if err := h.throttle(c, 1); err != nil {
		return err
	}
	idea, _, v, err := h.ownIdea(c)
	if err != nil {
		return err
	}
	if err := h.store.DeleteIdea(c.UserContext(), idea.ID, v); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// APIDeleteComment deletes the caller's comment with its replies: 204
// (someone else's: 404).
func (h *Handlers) APIDeleteComment(c *fiber.Ctx) error {
	if err := h.throttle(c, 1); err != nil {
		return err
	}
	cm, v, err := h.ownComment(c)
	if err != nil {
		return err
	}
	if _, err := h.store.DeleteComment(c.UserContext(), cm.ID, v); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// followCitizen is the signed-in citizen who follows ideas: 401 for a
// caller who is not signed in, 403 for a staff account (accounts do not
// follow ideas).
func followCitizen(c *fiber.Ctx) (*models.Citizen, error) {
	if cit := page.Citizen(c); cit != nil {
		return cit, nil
	}
	if page.Account(c) != nil {
		return nil, apperr.ErrForbidden
	}
	return nil, apperr.ErrUnauthorized
}

// APIFollow makes the signed-in citizen follow a published idea:
// 200 {following: true}.
func (h *Handlers) APIFollow(c *fiber.Ctx) error {
	cit, err := followCitizen(c)
	if err != nil {
		return err
	}
	if err := h.store.Follow(c.UserContext(), cit.ID, c.Params("id")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"following": true})
}

// APIUnfollow stops the signed-in citizen following an idea:
// 200 {following: false}.
func (h *Handlers) APIUnfollow(c *fiber.Ctx) error {
	cit, err := followCitizen(c)
	if err != nil {
		return err
	}
	idea, err := h.store.Idea(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.store.Unfollow(c.UserContext(), cit.ID, idea.ID); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"following": false})
}
