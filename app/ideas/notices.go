package ideas

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// MaxNotices is how many notices a page shows at once.
const MaxNotices = 10

// Notice is a notification with the idea it is about.
type Notice struct {
	models.Notification
	IdeaTitle      string
	IdeaVisibility string
}

// notices reads recipient's notifications, newest first, with their
// ideas' titles: all of them, or (unseenShown) only those not seen yet
// about published ideas, which a notice can show and link to; limit 0: no
// limit.
func (s *Store) notices(db *gorm.DB, recipient string, unseenShown bool, limit int) ([]Notice, error) {
	q := db.Table("notifications AS n").
		Select("n.*, COALESCE(i.title, '') AS idea_title, COALESCE(i.visibility, '') AS idea_visibility").
		Joins("LEFT JOIN ideas AS i ON i.id = n.idea_id").
		Where("n.recipient = ?", recipient)
	if unseenShown {
		q = q.Where("n.seen_at IS NULL AND i.visibility = ?", models.PostPublished)
	}
	if limit > 0 {
		q = q.Limit(limit)
	}
	var out []Notice
	err := q.Order("n.created_at DESC, n.id").Scan(&out).Error
	return out, err
}

// TakeNotices returns recipient's unseen notifications about published
// ideas (those a page can show and link to), newest first, at most limit,
// and marks them seen. Notices about ideas that are not shown (hidden,
// waiting) stay unseen: they are shown once the idea is published again,
// and on the citizen's own page. Reading comes first and without a
// transaction, so a visit with nothing new writes nothing (on SQLite a
// write transaction would take the database lock for every page view).
func (s *Store) TakeNotices(ctx context.Context, recipient string, limit int) ([]Notice, error) {
	if recipient == "" {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	out, err := s.notices(db, recipient, true, limit)
	if err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]string, len(out))
	for i, n := range out {
		ids[i] = n.ID
	}
	return out, s.markSeen(db, ids)
}

// markSeen marks notifications seen (those seen already keep their time).
func (s *Store) markSeen(db *gorm.DB, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return db.Model(&models.Notification{}).Where("id IN ? AND seen_at IS NULL", ids).Update("seen_at", s.now()).Error
}

// NoticeView is a notice as a page shows it.
type NoticeView struct {
	IdeaID string
	// Title is the idea's title ("" when the idea is no longer shown).
	Title string
	// Status is the status in words.
	Status string
	Link   string
	Date   string
	At     time.Time
	New    bool
}

func (h *Handlers) noticeViews(c *fiber.Ctx, ns []Notice) []NoticeView {
	l := page.L(c)
	out := make([]NoticeView, 0, len(ns))
	for _, n := range ns {
		v := NoticeView{Status: l.T(StatusName(n.Status)), Date: l.Date(n.CreatedAt), At: n.CreatedAt, New: n.SeenAt == nil}
		if n.IdeaID != nil && Published(n.IdeaVisibility) {
			v.IdeaID, v.Title, v.Link = *n.IdeaID, n.IdeaTitle, "/ideas/"+*n.IdeaID
		}
		out = append(out, v)
	}
	return out
}

// noticeRecipient is who the visitor is for notices: a signed-in citizen
// by their id, anyone else by their key in cons ("" for a first visit).
func (h *Handlers) noticeRecipient(c *fiber.Ctx, cons *models.Consultation) string {
	if cit := page.Citizen(c); cit != nil {
		return "c:" + cit.ID
	}
	return h.knownKey(c, cons)
}

// visitorData adds the notices for the visitor about ideas they wrote,
// support or follow ("Notices": []NoticeView, for the "idea-notices"
// block): unseen ones about published ideas, newest first, at most
// MaxNotices; those shown are marked seen, and only those (see
// TakeNotices).
func (h *Handlers) visitorData(c *fiber.Ctx, cons *models.Consultation, data fiber.Map) error {
	ns, err := h.store.TakeNotices(c.UserContext(), h.noticeRecipient(c, cons), MaxNotices)
	if err != nil {
		return err
	}
	data["Notices"] = h.noticeViews(c, ns)
	return nil
}
